"""Time the per-entity aggregation in pandas or DuckDB on a generated per-transaction table, e.g.

    /usr/bin/time -f "%e s, peak RSS %M KB" .venv/bin/python -m experiments.scale.entity_sql_timing \\
        --rows 1e6 --engine duckdb --dir /tmp/entity_sql --memory-limit 2GB

The table (written once per size into ``--dir``) has ``--rows`` transactions in 90 days, three numeric
columns and six entities with Zipf-distributed activity (a few very busy payers, merchants, devices),
in the shape :func:`bnpl.fraud.features.entity_sql.entity_table` writes. ``--engine table`` or
``--engine world`` (with ``--world PATH``) writes the table / a world's table only. The time printed
covers the aggregation (pandas: from the table in memory; DuckDB: from Parquet to Parquet)."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

ENTITIES = (("made_by", 20), ("billed_to", 20), ("paid_with", 15), ("at", None), ("from_device", 12), ("ships_to", 25))


def random_table(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.DataFrame({"node_id": np.arange(rows), "time": np.sort(rng.uniform(0, 90, rows))})
    for c in ("amount", "hour", "n_items"):
        t["v__" + c] = rng.gamma(2, 50, rows)
    for name, per in ENTITIES:                 # entities: rows / per of them (2,000 merchants)
        t["e__" + name] = rng.zipf(1.3, rows) % (2000 if per is None else max(rows // per, 1))
    return t


def pandas_aggregates(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """The pandas path the benchmark runs: entity_block (non-causal) per entity, then cross_counts."""
    from bnpl.fraud.features.sequence import sequence_features
    from bnpl.fraud.features.structure import cross_counts, entity_block

    own = pd.DataFrame({c[3:]: table[c].to_numpy(float) for c in table.columns if c.startswith("v__")})
    links = [(c[3:], c[3:], table[c].to_numpy()) for c in table.columns if c.startswith("e__")]
    tm = table["time"].to_numpy(float)
    f: dict[str, np.ndarray] = {}
    for name, _, ent in links:
        f.update(entity_block(name, ent, own, tm, sequence_features(name, ent, tm), False))
    f.update(cross_counts(links))
    return f


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=float, default=1e6)
    p.add_argument("--engine", choices=["table", "world", "pandas", "duckdb"], required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--world", default=None, help="a saved synthetic world: use its table instead")
    p.add_argument("--memory-limit", default=None)
    a = p.parse_args()
    d = Path(a.dir)
    d.mkdir(parents=True, exist_ok=True)
    src = d / ("world.parquet" if a.world else f"table-{int(a.rows)}.parquet")
    if not src.exists():
        if a.world:
            from bnpl.data.datasets import fraud_dataset
            from bnpl.fraud.features.entity_sql import entity_table

            entity_table(fraud_dataset("synthetic").load(a.world)).to_parquet(src, index=False)
        else:
            random_table(int(a.rows)).to_parquet(src, index=False, row_group_size=1_000_000)
    if a.engine in ("table", "world"):
        return
    if a.engine == "pandas":
        import bnpl.fraud.features.structure  # noqa: F401  (imported before the clock starts)

        table = pd.read_parquet(src)
        t0 = time.time()
        n_cols = len(pandas_aggregates(table))
        rows = len(table)
    else:
        import pyarrow.parquet as pq

        from bnpl.fraud.features.entity_sql import write_entity_aggregates

        out = d / f"{src.stem}-aggregates.parquet"
        t0 = time.time()
        write_entity_aggregates(src, out, a.memory_limit, str(d / "spill"))
        meta = pq.ParquetFile(out).metadata
        rows, n_cols = meta.num_rows, meta.num_columns - 1
    print(f"{a.engine}: {rows:,} rows, {n_cols} columns in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
