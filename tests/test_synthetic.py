"""The synthetic world: determinism, planted fraud, schemas, storage, conversions and planted signals."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bnpl.data.normalised import LABEL_DERIVED_COLUMNS, feature_columns
from bnpl.data.schemas import WORLD_TABLES, validate_table
from bnpl.data.synthetic import (
    TYPOLOGIES,
    WorldConfig,
    generate_world,
    load_world,
    save_world,
    world_to_fraud_data,
    world_to_interactions,
)
from bnpl.data.synthetic.diagnostics import link_signal_table, taste_vs_popularity
from bnpl.errors import DataError

N = 6000


@pytest.fixture(scope="module")
def world():
    return generate_world(WorldConfig(seed=3, n_transactions=N), progress=False)


def test_same_seed_gives_identical_tables(world):
    again = generate_world(WorldConfig(seed=3, n_transactions=N), progress=False)
    assert set(again.tables) == set(WORLD_TABLES)
    for name in WORLD_TABLES:
        pd.testing.assert_frame_equal(world.tables[name], again.tables[name], obj=name)


def test_different_seed_gives_different_world(world):
    other = generate_world(WorldConfig(seed=4, n_transactions=N), progress=False)
    assert not world["transactions"]["amount"].equals(other["transactions"]["amount"])
    assert not world["events"]["product_id"].head(1000).equals(other["events"]["product_id"].head(1000))


def test_sizes_follow_config(world):
    assert len(world["transactions"]) == N
    assert len(world["transaction_labels"]) == N
    assert world["transactions"]["time"].between(0, world.config.days).all()
    assert world["transactions"]["time"].is_monotonic_increasing
    assert len(world["customers"]) >= world.config.n_customers


def test_typology_counts_match_configured_rates(world):
    counts = world["transaction_labels"]["typology"].astype(str).value_counts()
    for t, rate in world.config.fraud_rates().items():
        assert counts.get(t, 0) == world.config.fraud_counts()[t]
        assert abs(counts.get(t, 0) / N - rate) < 1e-3, t
    assert (world["transaction_labels"]["label"] == (world["transaction_labels"]["typology"] != "legit")).all()


def test_custom_rates_and_no_fraud():
    cfg = WorldConfig(seed=1, n_transactions=3000, scam_rate=0.02, mule_rate=0.0)
    counts = generate_world(cfg, progress=False)["transaction_labels"]["typology"].astype(str).value_counts()
    assert counts["scam"] == 60 and "mule" not in counts
    zero = WorldConfig(seed=1, n_transactions=2000, **{f"{t}_rate": 0.0 for t in TYPOLOGIES})
    w = generate_world(zero, progress=False)
    assert w["transaction_labels"]["label"].sum() == 0 and len(w["fraud_entities"]) == 0


def test_short_span_and_high_rates_still_valid():
    from bnpl.data.synthetic import validate_world

    w = generate_world(WorldConfig(seed=2, n_transactions=2000, days=8, **{f"{t}_rate": 0.05 for t in TYPOLOGIES}),
                       progress=False)
    validate_world(w.tables)
    assert w["transaction_labels"]["label"].sum() == 5 * 100
    assert w["transactions"]["time"].max() < 8


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="n_transactions"):
        WorldConfig(n_transactions=10)
    with pytest.raises(ValueError, match="0.3"):
        WorldConfig(**{f"{t}_rate": 0.09 for t in TYPOLOGIES})


def test_labels_arrive_after_the_transaction(world):
    lab, tx = world["transaction_labels"], world["transactions"]
    delay = lab["label_time"].to_numpy() - tx["time"].to_numpy()
    assert (delay >= 0).all()
    assert np.allclose(delay[lab["label"].to_numpy() == 0], world.config.legit_label_delay_days)
    assert (delay[lab["label"].to_numpy() == 1] >= 1.0).all()


@pytest.mark.parametrize("table,column,bad", [("transactions", "amount", -5.0), ("transactions", "customer_id", 0.5),
                                              ("devices", "os", "amiga"), ("transaction_labels", "label", 3)])
def test_schema_rejects_a_bad_table_naming_the_column(world, table, column, bad):
    df = world[table].copy()
    df[column] = df[column].astype(type(bad))
    df.loc[0, column] = bad
    with pytest.raises(DataError, match=f"{table}.*{column}"):
        validate_table(table, df)


def test_schema_rejects_missing_and_unknown_columns(world):
    with pytest.raises(DataError, match="amount"):
        validate_table("transactions", world["transactions"].drop(columns=["amount"]))
    with pytest.raises(DataError, match="is_fraud"):
        validate_table("transactions", world["transactions"].assign(is_fraud=0))


def test_save_load_round_trip_and_atomic_replace(world, tmp_path):
    folder = tmp_path / "w"
    save_world(world, folder)
    save_world(world, folder, force=True)  # replacing an existing world works (outside data/: force)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]  # no temp folders left behind
    loaded = load_world(folder)
    assert loaded.config == world.config
    for name in WORLD_TABLES:
        pd.testing.assert_frame_equal(loaded.tables[name], world.tables[name], obj=name, check_categorical=False,
                                      check_dtype=False)


def test_save_refuses_to_replace_what_it_did_not_write(world, tmp_path, monkeypatch):
    import bnpl.data.synthetic.world as world_module

    foreign = tmp_path / "repo"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    (foreign / ".git").mkdir()
    with pytest.raises(DataError, match="did not write"):
        save_world(world, foreign)
    assert (foreign / "notes.txt").read_text() == "mine" and (foreign / ".git").is_dir()
    # a world folder with a stranger's file in it is foreign too
    folder = save_world(world, tmp_path / "w")
    (folder / "extra.csv").write_text("x")
    with pytest.raises(DataError, match="extra.csv"):
        save_world(world, folder, force=True)
    assert (folder / "extra.csv").exists()
    # a file is never replaced by a folder
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError, match="file"):
        save_world(world, tmp_path / "f")
    # an existing world outside data/ needs force; inside data/ it is replaced without it
    (folder / "extra.csv").unlink()
    with pytest.raises(DataError, match="--force"):
        save_world(world, folder)
    monkeypatch.setattr(world_module, "DATA_DIR", tmp_path)
    save_world(world, folder)
    # an empty folder is fine
    (tmp_path / "empty").mkdir()
    save_world(world, tmp_path / "empty")


def test_generate_cli_refuses_a_foreign_out_before_generating(tmp_path, capsys):
    from bnpl.cli import main

    (tmp_path / "keep.txt").write_text("keep")
    code = main(["data", "generate", "--n-transactions", "1000", "--out", str(tmp_path), "--no-progress"])
    assert code != 0
    assert "did not write" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "keep"


def test_load_rejects_a_corrupted_table(world, tmp_path):
    folder = save_world(world, tmp_path / "w")
    bad = world["transactions"].copy()
    bad.loc[3, "amount"] = -1.0
    bad.to_parquet(folder / "transactions.parquet", index=False)
    with pytest.raises(DataError, match="transactions.*amount"):
        load_world(folder)
    with pytest.raises(DataError, match="not a synthetic world"):
        load_world(tmp_path / "nowhere")


def test_fraud_data_conversion(world):
    fd = world_to_fraud_data(world)
    assert fd.target == "transaction" and fd.time_unit == "days"
    assert set(fd.nodes) == {"customer", "account", "device", "address", "instrument", "merchant", "transaction"}
    for nt, df in fd.nodes.items():
        cols = feature_columns(df)  # raises on label-derived columns
        assert not {c.lower() for c in cols} & LABEL_DERIVED_COLUMNS
        assert all(pd.api.types.is_numeric_dtype(df[c]) for c in cols), nt
    assert "time" in fd.nodes["transaction"]
    assert ("account", "transfer", "account") in fd.relations
    assert {"time", "amount"} <= set(fd.relations[("account", "transfer", "account")].columns)
    lab = fd.labels
    assert len(lab) == N and set(lab["typology"]) == {"legit", *TYPOLOGIES}
    assert (lab["label_time"].to_numpy() >= fd.nodes["transaction"]["time"].to_numpy()).all()


def test_mule_accounts_label_their_transactions(world):
    fe = world["fraud_entities"]
    mules = fe.loc[(fe["entity_type"] == "customer") & (fe["role"] == "mule"), "entity_id"]
    tx = world["transactions"]
    typ = world["transaction_labels"]["typology"].astype(str)
    of_mules = tx["customer_id"].isin(mules).to_numpy()
    assert of_mules.sum() == world.config.fraud_counts()["mule"]
    assert (typ[of_mules] == "mule").all()
    mule_accounts = fe.loc[(fe["entity_type"] == "account") & (fe["role"] == "mule"), "entity_id"]
    indeg = world["transfers"]["dst_account_id"].value_counts()
    assert indeg.reindex(mule_accounts).fillna(0).min() >= 3  # fan-in


def test_fraud_entities_are_shuffled_among_ordinary_ones(world):
    fe = world["fraud_entities"]
    fake = fe.loc[(fe["entity_type"] == "customer") & (fe["typology"] == "synthetic_identity"), "entity_id"]
    n = len(world["customers"])
    assert fake.min() < n * 0.5  # not all appended at the end


def test_interaction_conversion(world):
    inter = world_to_interactions(world)
    assert inter.n_users == len(world["customers"]) and inter.n_items == len(world["products"])
    assert set(inter.interactions["weight"].unique()) == {1.0, 2.0, 4.0}
    assert {"category", "brand", "price_band", "merchant", "colour", "style"} <= set(inter.item_features.columns)
    assert all(pd.api.types.is_integer_dtype(inter.item_features[c]) for c in ("category", "brand", "style"))
    assert set(inter.item_relations["relation"]) == {"complement", "same_brand"}
    assert inter.interactions["time"].is_monotonic_increasing


def test_planted_taste_is_learnable(world):
    res = taste_vs_popularity(world, k=10)
    assert res["users"] > 200
    assert res["taste_hit@10"] > 1.5 * res["popularity_hit@10"], res


def test_fraud_signal_sits_in_links_not_own_attributes(world):
    links = link_signal_table(world)
    legit = links.loc["legit"]
    assert links.loc["synthetic_identity", "device_shared_3plus_customers"] > 5 * legit["device_shared_3plus_customers"]
    assert links.loc["mule", "account_fan_in_5plus"] > 0.8 > 0.1 > legit["account_fan_in_5plus"]
    assert links.loc["scam", "ships_to_address_of_4plus_customers"] > 2 * legit["ships_to_address_of_4plus_customers"]
    assert links.loc["account_takeover", "device_not_registered"] > 0.9
    for t in ("synthetic_identity", "mule"):  # own attributes imitate ordinary customers
        assert abs(links.loc[t, "median_amount"] / legit["median_amount"] - 1) < 0.35, t
        assert abs(links.loc[t, "mean_hour"] - legit["mean_hour"]) < 3.0, t  # ~36 transactions: loose


def test_thumbnails_are_small_pngs(world):
    png = world["products"]["thumbnail_png"]
    assert png.map(lambda b: b[:4] == b"\x89PNG" and len(b) < 2000).all()


def test_cli_generate(tmp_path, capsys):
    from bnpl.cli import main

    assert main(["data", "generate", "--seed", "2", "--n-transactions", "2000", "--out", str(tmp_path / "w"),
                 "--no-progress"]) == 0
    assert "2,000 transactions" in capsys.readouterr().out
    assert len(load_world(tmp_path / "w")["transactions"]) == 2000
    assert main(["data", "generate", "--n-transactions", "10", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert "--n-transactions" in err and len(err.splitlines()) == 1 and not (tmp_path / "x").exists()


def test_catalogue_size_sets_the_number_of_products_and_default_config_is_unchanged():
    # the default dump has no catalogue_size key, so a default world's world_config.json is unchanged
    assert "catalogue_size" not in WorldConfig().model_dump()
    assert WorldConfig().n_products == WorldConfig(catalogue_size=None).n_products
    big = generate_world(WorldConfig(seed=1, n_transactions=2000, catalogue_size=25_000), progress=False)
    assert len(big["products"]) == 25_000
    assert world_to_interactions(big).n_items == 25_000
    with pytest.raises(ValueError, match="catalogue_size"):
        WorldConfig(catalogue_size=10)
