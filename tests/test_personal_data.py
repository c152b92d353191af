"""Personal data: the scanner finds each kind (and only those), the synthetic world and every
loader's processed output hold none, and ids that look personal are replaced by keyed pseudonyms
(key from the environment or .env) or refused without a key, never quoted in the error."""
from __future__ import annotations

import pytest

import bnpl.config as config
from bnpl.config import env, read_env_file
from bnpl.data.card import data_card
from bnpl.data.loaders.amlsim import load_amlsim
from bnpl.data.loaders.interactions_csv import load_interactions_csv
from bnpl.data.loaders.sffsd import load_sffsd
from bnpl.data.privacy import KEY_VARIABLE, find_personal_data, kinds_in, pseudonymise
from bnpl.data.synthetic import (
    WorldConfig,
    generate_world,
    world_to_fraud_data,
    world_to_interactions,
)
from bnpl.errors import DataError, DataWarning

POSITIVE = {
    "e-mail address": ["anna.smith+bnpl@example.co.uk", "x@y.io"],
    "phone number": ["+44 20 7946 0958", "+4915112345678", "(555) 123-4567", "555-123-4567"],
    "IBAN": ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"],
    "card number": ["4111 1111 1111 1111", "5500-0000-0000-0004", "4012888888881881"],
    "street address": ["221B Baker Street", "10 Downing St", "1600 Pennsylvania Avenue"],
    "API key": ["sk_live_abcdefghijklmnop1234", "AKIAABCDEFGHIJKLMNOP", "ghp_" + "a" * 36,
                "-----BEGIN RSA PRIVATE KEY-----"],
}
NEGATIVE = ["S10000", "T123", "2017-01-01T00:00:00Z", "881250949", "1700000000000", "12.5", "-3.25e10",
            "pay_in_3", "account_takeover", "[1, 2, 3]", "L1", "user_42", "4111 1111 1111 1112", "GB00 WEST 1234"]


@pytest.mark.parametrize("kind, examples", POSITIVE.items())
def test_scanner_finds_each_kind(kind, examples):
    for text in examples:
        assert kind in kinds_in(f"id: {text}."), text


def test_scanner_ignores_ordinary_values():
    for text in NEGATIVE:
        assert kinds_in(text) == [], text
    assert find_personal_data({"a": NEGATIVE, "b": 1700000000000}) == []
    assert find_personal_data({"run": {"params": ["x", "mail me at a@b.de"]}}) == ["run.params: e-mail address"]


@pytest.fixture(scope="module")
def world():
    return generate_world(WorldConfig(seed=4, n_transactions=1500), progress=False)


def test_synthetic_world_holds_no_personal_data(world):
    for name, table in world.tables.items():
        assert find_personal_data(table, name) == []
        strings = [c for c in table.columns if table[c].dtype == object or str(table[c].dtype) == "category"]
        assert set(strings) <= {"device_type", "os", "address_type", "kind", "category", "colour", "style",
                                "channel", "event_type", "plan", "status", "typology", "entity_type", "role",
                                "thumbnail_png"}, name  # vocabularies, never free-text identifiers
    fd, inter = world_to_fraud_data(world), world_to_interactions(world)
    assert find_personal_data(fd.nodes) == find_personal_data(fd.labels) == []
    assert find_personal_data(inter.interactions) == []
    assert find_personal_data(data_card(world).text()) == []


PII_SFFSD = ("Time,Source,Target,Amount,Location,Type,Labels\n"
             "0,+44 20 7946 0958,T1,10.0,221B Baker Street,TP1,0\n1,+44 20 7946 0959,T1,20.5,L2,TP1,1\n"
             "2,+44 20 7946 0958,T2,3.0,L2,TP2,1\n")


def _no_key(monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    monkeypatch.setattr(config, "REPO_ROOT", tmp_path)  # no .env there


def test_personal_ids_without_a_key_are_refused_without_quoting_them(tmp_path, monkeypatch):
    _no_key(monkeypatch, tmp_path)
    f = tmp_path / "S-FFSD.csv"
    f.write_text(PII_SFFSD)
    with pytest.raises(DataError, match=f"S-FFSD.csv: column 'Source' holds personal data.*{KEY_VARIABLE}") as e:
        load_sffsd(f)
    assert "7946" not in str(e.value)


def test_personal_ids_are_pseudonymised_with_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, "test-key")
    f = tmp_path / "S-FFSD.csv"
    f.write_text(PII_SFFSD)
    with pytest.warns(DataWarning, match="holds personal data"):
        d = load_sffsd(f)
    src = d.meta["raw_ids"]["source"]
    assert src.tolist() == pseudonymise(["+44 20 7946 0958", "+44 20 7946 0959"], b"test-key")
    assert d.meta["raw_ids"]["location"].tolist()[0].startswith("p_")  # the street address too
    assert d.meta["raw_ids"]["target"].tolist() == ["T1", "T2"]        # ordinary ids untouched
    assert d.relations[("transaction", "from", "source")]["dst"].tolist() == [0, 1, 0]  # same graph
    assert find_personal_data(d.meta["raw_ids"]) == []
    monkeypatch.setenv(KEY_VARIABLE, "other-key")
    with pytest.warns(DataWarning):
        assert load_sffsd(f).meta["raw_ids"]["source"].tolist() != src.tolist()


def test_interaction_and_amlsim_ids_are_protected(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, "k")
    (tmp_path / "i.csv").write_text("user_id,item_id\nanna@example.com,i1\nbob@example.org,i2\nanna@example.com,i2\n")
    with pytest.warns(DataWarning, match="e-mail address"):
        d = load_interactions_csv(tmp_path / "i.csv")
    assert find_personal_data(d.user_index) == [] and d.item_index.tolist() == ["i1", "i2"]
    assert d.interactions["user_id"].tolist() == [0, 1, 0]
    aml = tmp_path / "aml"
    aml.mkdir()
    (aml / "nodes.csv").write_text("nodeid,isFraud\nGB82 WEST 1234 5698 7654 32,0\nDE89370400440532013000,1\n")
    (aml / "transactions.csv").write_text("sourceNodeId,targetNodeId,value,time\n"
                                          "GB82 WEST 1234 5698 7654 32,DE89370400440532013000,5,1\n")
    with pytest.warns(DataWarning, match="IBAN"):
        a = load_amlsim(aml)
    assert find_personal_data(a.meta["raw_ids"]) == [] and find_personal_data(a.nodes) == []


def test_key_from_dot_env_file(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    monkeypatch.delenv("BNPL_TEST_OTHER", raising=False)
    (tmp_path / ".env").write_text(f"# secrets, never committed\n\nexport {KEY_VARIABLE}='from file'\n"
                                   "BNPL_TEST_OTHER=plain value # comment\nEMPTY=\nnot a pair\n")
    monkeypatch.setattr(config, "REPO_ROOT", tmp_path)
    assert read_env_file(tmp_path / ".env") == {KEY_VARIABLE: "from file", "BNPL_TEST_OTHER": "plain value",
                                                "EMPTY": ""}
    assert env(KEY_VARIABLE) == "from file" and env("MISSING", "d") == "d"
    monkeypatch.setenv(KEY_VARIABLE, "from environment")  # the environment wins
    assert env(KEY_VARIABLE) == "from environment"
    assert read_env_file(tmp_path / "absent") == {}


def test_dot_env_is_ignored_by_git():
    import subprocess

    out = subprocess.run(["git", "check-ignore", ".env"], cwd=config.REPO_ROOT, capture_output=True, text=True)
    if out.returncode == 128:
        pytest.skip("not a git checkout")
    assert out.stdout.strip() == ".env"


REAL = [("fraud", "s-ffsd"), ("fraud", "amlsim-20k-cycle200"), ("recsys", "ml-100k"), ("recsys", "amazon-grocery")]


@pytest.mark.realdata
@pytest.mark.parametrize("parts", REAL, ids=[p[1] for p in REAL])
def test_real_datasets_processed_forms_hold_no_personal_data(parts):
    from bnpl.config import shared_data
    from bnpl.data.loaders import load_fraud, load_interactions

    path = shared_data(*parts)
    if path is None:
        pytest.skip(f"../shared/data/{'/'.join(parts)} absent")
    if parts[0] == "fraud":
        d = load_fraud(parts[1].split("-20k")[0], path)
        found = find_personal_data({"nodes": d.nodes, "relations": {"__".join(k): v for k, v in d.relations.items()},
                                    "labels": d.labels, "raw_ids": d.meta["raw_ids"]})
    else:
        d = load_interactions(path)
        found = find_personal_data({"interactions": d.interactions, "users": d.user_index, "items": d.item_index,
                                    "user_features": d.user_features, "item_features": d.item_features})
    assert found == []
