"""The per-entity aggregation of the fraud features as one DuckDB query over Parquet, for data that does
not fit in memory (months of an app's transactions: 3 million a day).

It computes what :func:`~bnpl.fraud.features.structure.entity_block` (non-causal mode) and
:func:`~bnpl.fraud.features.structure.cross_counts` compute in pandas for every entity a transaction
links to (payer, merchant, device ...): the entity's count, mean and sample standard deviation of each
numeric column and the transaction's difference from that mean; its past-only sequence (earlier
transactions of the entity, time since its previous one, mean of its earlier values and the difference
from it); and, per pair of entity kinds, the distinct co-linked entities. Column names and values match
the pandas path (tested to 1e-9), so the rest of the pipeline does not know which one ran.

The input is one table per transaction (:func:`entity_table`): ``node_id``, ``time``, the numeric
columns as ``v__<column>`` and the linked entities as ``e__<name>``; at scale it is the loader's
Parquet output, one file per day, and ``source`` a glob over them. DuckDB runs the group-bys and
windows out of core (``memory_limit``, spilling to ``temp_directory``) and ``COPY`` writes the result
to Parquet without it passing through pandas:

    python -m bnpl.fraud.features.entity_sql export --dataset synthetic --path data/synthetic/default --out t.parquet
    python -m bnpl.fraud.features.entity_sql aggregate --source 't/*.parquet' --out entity_features.parquet
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from bnpl.data.normalised import FraudData
from bnpl.data.subset import target_time
from bnpl.errors import BnplError
from bnpl.fraud.features.structure import entity_links, tabular_features

ENTITY, VALUE = "e__", "v__"


def entity_table(data: FraudData) -> pd.DataFrame:
    """One row per target node: ``node_id`` (its row), ``time`` (when the data has it), its numeric
    columns (``v__<column>``) and the entity of every link (``e__<name>``), as the query reads them."""
    own = tabular_features(data)
    table = pd.DataFrame({"node_id": np.arange(len(own), dtype=np.int64)})
    time = target_time(data)
    if time is not None:
        table["time"] = np.asarray(time, dtype=np.float64)
    for c in own.columns:
        table[VALUE + c] = own[c].to_numpy(np.float64)
    for name, _, ent in entity_links(data):
        table[ENTITY + name] = ent
    return table


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def entity_aggregates_sql(source: str, entities: list[str], columns: list[str], with_time: bool) -> str:
    """The query: per entity a GROUP BY joined back to its transactions, per entity a window over its
    transactions in time order, per pair of entity kinds a distinct count; one row per ``node_id``."""
    parts, joins, select = [], [], ["t.node_id"]
    for k, name in enumerate(entities):
        e = _q(ENTITY + name)
        stats = ", ".join(f"avg({_q(VALUE + c)}) AS m{j}, coalesce(stddev_samp({_q(VALUE + c)}), 0) AS s{j}"
                          for j, c in enumerate(columns))
        parts.append(f"g{k} AS (SELECT {e} AS e, count(*) AS n{', ' + stats if stats else ''} FROM t GROUP BY {e})")
        joins.append(f"JOIN g{k} ON t.{e} = g{k}.e")
        select.append(f"g{k}.n::DOUBLE AS {_q(f'{name}_count')}")
        for j, c in enumerate(columns):
            select += [f"g{k}.m{j} AS {_q(f'{name}_{c}_mean')}", f"g{k}.s{j} AS {_q(f'{name}_{c}_std')}",
                       f"t.{_q(VALUE + c)} - g{k}.m{j} AS {_q(f'{name}_{c}_diff')}"]
        if with_time:
            order = f"PARTITION BY {e} ORDER BY time, node_id"
            prev = ", ".join(f"avg({_q(VALUE + c)}) OVER ({order} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) "
                             f"AS p{j}" for j, c in enumerate(columns))
            parts.append(f"w{k} AS (SELECT node_id, (row_number() OVER ({order}) - 1)::DOUBLE AS r, "
                         f"time - lag(time) OVER ({order}) AS gap{', ' + prev if prev else ''} FROM t)")
            joins.append(f"JOIN w{k} ON t.node_id = w{k}.node_id")
            select += [f"w{k}.r AS {_q(f'{name}_prior_count')}", f"w{k}.gap AS {_q(f'{name}_gap_prev')}"]
            for j, c in enumerate(columns):
                select += [f"w{k}.p{j} AS {_q(f'{name}_{c}_prev_mean')}",
                           f"t.{_q(VALUE + c)} - w{k}.p{j} AS {_q(f'{name}_{c}_vs_prev')}"]
    for a, na in enumerate(entities):
        for b, nb in enumerate(entities):
            if a != b:
                ea, eb = _q(ENTITY + na), _q(ENTITY + nb)
                parts.append(f"x{a}_{b} AS (SELECT {ea} AS e, count(DISTINCT {eb})::DOUBLE AS k FROM t GROUP BY {ea})")
                joins.append(f"JOIN x{a}_{b} ON t.{ea} = x{a}_{b}.e")
                select.append(f"x{a}_{b}.k AS {_q(f'{na}_n_{nb}')}")
    src = source.replace("'", "''")
    return (f"WITH t AS (SELECT * FROM read_parquet('{src}')),\n" + ",\n".join(parts) +
            f"\nSELECT {', '.join(select)}\nFROM t {' '.join(joins)}\nORDER BY t.node_id")


def _connect(memory_limit: str | None = None, temp_directory: str | None = None):
    import duckdb

    from bnpl.config import THREADS

    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if temp_directory:
        con.execute(f"SET temp_directory = '{temp_directory}'")
    return con


def _schema(con, source: str) -> tuple[list[str], list[str], bool]:
    """(entities, numeric columns, whether there is a time column) of the Parquet at ``source``."""
    import duckdb

    try:
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{source.replace(chr(39), chr(39) * 2)}')").fetchall()]
    except duckdb.Error as e:
        raise BnplError(f"{source}: cannot read as Parquet ({str(e).splitlines()[0]})") from None
    entities = [c[len(ENTITY):] for c in cols if c.startswith(ENTITY)]
    if "node_id" not in cols or not entities:
        raise BnplError(f"{source}: expected a node_id column and at least one {ENTITY}<entity> column (got {cols})")
    return entities, [c[len(VALUE):] for c in cols if c.startswith(VALUE)], "time" in cols


def entity_aggregates(source: str | Path, memory_limit: str | None = None) -> pd.DataFrame:
    """The per-entity aggregates of the :func:`entity_table` Parquet at ``source`` (a file or glob), one row
    per ``node_id`` in order, columns named as the pandas path names them."""
    con = _connect(memory_limit)
    entities, columns, with_time = _schema(con, str(source))
    df = con.execute(entity_aggregates_sql(str(source), entities, columns, with_time)).df()
    return df.drop(columns="node_id")


def write_entity_aggregates(source: str | Path, out: str | Path, memory_limit: str | None = None,
                            temp_directory: str | None = None) -> Path:
    """:func:`entity_aggregates` with its ``node_id`` column, written by DuckDB straight to the Parquet file
    ``out`` (temporary file, rename)."""
    from bnpl.io import atomic_path, check_output

    check_output(out)
    con = _connect(memory_limit, temp_directory)
    entities, columns, with_time = _schema(con, str(source))
    with atomic_path(out, suffix=".parquet") as tmp:
        con.execute(f"COPY ({entity_aggregates_sql(str(source), entities, columns, with_time)}) "
                    f"TO '{str(tmp).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
    return Path(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bnpl.fraud.features.entity_sql", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="write a fraud dataset's per-transaction table as Parquet")
    ex.add_argument("--dataset", required=True)
    ex.add_argument("--path", required=True)
    ex.add_argument("--out", required=True)
    ag = sub.add_parser("aggregate", help="per-entity aggregates of per-transaction Parquet, by DuckDB")
    ag.add_argument("--source", required=True, help="Parquet file or glob ('transactions/*.parquet')")
    ag.add_argument("--out", required=True)
    ag.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 8GB (spills beyond it)")
    ag.add_argument("--temp-directory", default=None, help="where DuckDB spills")
    args = p.parse_args(argv)
    try:
        if args.command == "export":
            from bnpl.data.datasets import fraud_dataset
            from bnpl.io import atomic_path, check_output

            check_output(args.out)
            table = entity_table(fraud_dataset(args.dataset).load(args.path))
            with atomic_path(args.out, suffix=".parquet") as tmp:
                table.to_parquet(tmp, index=False)
        else:
            write_entity_aggregates(args.source, args.out, args.memory_limit, args.temp_directory)
    except BnplError as e:
        print(f"entity_sql {args.command}: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
