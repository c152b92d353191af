"""The DuckDB per-entity aggregation (bnpl.fraud.features.entity_sql) against the pandas feature pipeline."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bnpl.data.synthetic import WorldConfig, generate_world, world_to_fraud_data
from bnpl.errors import BnplError
from bnpl.fraud.features import label_free_features
from bnpl.fraud.features.entity_sql import entity_aggregates, entity_table, main
from tests.fixtures.planted import planted_ring_data


def _tied(data):
    """The planted data with times in steps of 4, so entities have transactions at the same time."""
    tx = data.nodes["transaction"]
    data.nodes["transaction"] = tx.assign(time=np.floor(tx["time"] / 4) * 4)
    return data


def _assert_as_pandas(data, tmp_path, parts: int = 1) -> pd.DataFrame:
    table = entity_table(data)
    for k, rows in enumerate(np.array_split(np.arange(len(table)), parts)):     # e.g. one file per day
        table.iloc[rows].to_parquet(tmp_path / f"part-{k}.parquet", index=False)
    sql = entity_aggregates(str(tmp_path / "part-*.parquet"))
    pandas = pd.DataFrame(label_free_features(data).nodes)          # what the benchmark computes
    assert len(sql) == len(pandas) and set(sql.columns) <= set(pandas.columns)
    for c in sql.columns:
        np.testing.assert_allclose(sql[c].to_numpy(float), pandas[c].to_numpy(float), rtol=1e-9, atol=1e-9, err_msg=c)
    return sql


def test_planted_data_with_tied_times_in_three_files(tmp_path):
    sql = _assert_as_pandas(_tied(planted_ring_data(300)), tmp_path, parts=3)
    assert {"made_by_count", "made_by_amount_std", "from_device_amount_vs_prev", "made_by_prior_count",
            "from_device_gap_prev", "made_by_n_from_device"} <= set(sql.columns)


def test_synthetic_world_six_entities(tmp_path):
    data = world_to_fraud_data(generate_world(WorldConfig(seed=1, n_transactions=1500, days=10), progress=False))
    sql = _assert_as_pandas(data, tmp_path)
    assert sql.shape[1] == 6 * (1 + 12 * 3 + 2 + 12 * 2) + 6 * 5


def test_cli_writes_parquet_and_refuses_a_bad_source_in_one_line(tmp_path, capsys):
    entity_table(planted_ring_data(50)).to_parquet(tmp_path / "t.parquet", index=False)
    assert main(["aggregate", "--source", str(tmp_path / "t.parquet"), "--out", str(tmp_path / "agg.parquet")]) == 0
    written = pd.read_parquet(tmp_path / "agg.parquet")
    assert written["node_id"].tolist() == list(range(50))
    pd.testing.assert_frame_equal(written.drop(columns="node_id"), entity_aggregates(tmp_path / "t.parquet"))
    (tmp_path / "bad.parquet").write_text("node_id,e__x\n1,2\n")
    assert main(["aggregate", "--source", str(tmp_path / "bad.parquet"), "--out", str(tmp_path / "o.parquet")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("entity_sql aggregate: error: ") and "bad.parquet: cannot read as Parquet" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "o.parquet").exists()
    pd.DataFrame({"node_id": [0]}).to_parquet(tmp_path / "no_entity.parquet")
    with pytest.raises(BnplError, match="at least one e__<entity> column"):
        entity_aggregates(tmp_path / "no_entity.parquet")
