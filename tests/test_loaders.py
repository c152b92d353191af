"""Real-data loaders: tiny files written here (happy path and each malformed case), plus ../shared/data when present."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from bnpl.config import shared_data
from bnpl.data.loaders import detect_interactions, load_fraud, load_interactions
from bnpl.data.loaders.amazon import load_amazon_grocery
from bnpl.data.loaders.amlsim import load_amlsim
from bnpl.data.loaders.interactions_csv import load_interactions_csv
from bnpl.data.loaders.movielens import load_movielens
from bnpl.data.loaders.sffsd import load_sffsd
from bnpl.data.normalised import FraudData, feature_columns
from bnpl.errors import DataError
from tests.realdata import needs_shared


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ---------------------------------------------------------------- S-FFSD
SFFSD = """Time,Source,Target,Amount,Location,Type,Labels
0,S1,T1,10.0,L1,TP1,0
1,S2,T1,20.5,L2,TP1,1
2,S1,T2,0.0,L1,TP2,2
3,S3,T2,99.9,L1,TP1,1
"""


def test_sffsd_happy_path(tmp_path):
    f = write(tmp_path / "S-FFSD.csv", SFFSD)
    for arg in (f, tmp_path):  # the file or the folder holding it
        d = load_sffsd(arg)
        assert d.target == "transaction"
        assert d.summary()["nodes"] == {"transaction": 4, "source": 3, "target": 2, "location": 2, "type": 2}
        assert feature_columns(d.nodes["transaction"]) == ["amount", "log_amount"]
        assert set(d.relations) == {("transaction", "from", "source"), ("transaction", "to", "target"),
                                    ("transaction", "at", "location"), ("transaction", "of_type", "type")}
        # label 2 stays in the graph but not in the labels
        assert d.labels["node_id"].tolist() == [0, 1, 3]
        assert d.labels["label"].tolist() == [0, 1, 1]
        assert d.labels["label_time"].tolist() == [0.0, 1.0, 3.0]  # no chargeback delay in S-FFSD
        src = d.relations[("transaction", "from", "source")]
        assert src["dst"].tolist() == [0, 1, 0, 2]  # S1, S2, S1, S3
        assert d.nodes["transaction"]["log_amount"].iloc[1] == pytest.approx(np.log1p(20.5))


@pytest.mark.parametrize("text, expected", [
    (SFFSD.replace("Amount,", "Amt,"), "'Amount'"),
    (SFFSD.replace("20.5", "abc"), "'Amount' has a non-numeric value 'abc'"),
    (SFFSD.replace("TP1,1\n", "TP1,7\n"), "'Labels' has value 7"),
    (SFFSD.replace(",", ";"), "wrong separator"),
    ("", "empty"),
    ("Time,Source,Target,Amount,Location,Type,Labels\n", "no data rows"),
    (SFFSD.replace("S2,", ","), "'Source' has an empty value"),
])
def test_sffsd_malformed(tmp_path, text, expected):
    f = write(tmp_path / "S-FFSD.csv", text)
    with pytest.raises(DataError, match="S-FFSD.csv") as e:
        load_sffsd(f)
    assert expected in str(e.value)
    assert "\n" not in str(e.value)


def test_sffsd_missing_file(tmp_path):
    with pytest.raises(DataError, match="S-FFSD.csv"):
        load_sffsd(tmp_path)
    with pytest.raises(DataError, match="no such file"):
        load_sffsd(tmp_path / "nope.csv")


# ---------------------------------------------------------------- AMLSim
NODES = """nodeid,isFraud,init_balance,fraudStep
10,0,100.0,-1
11,1,50.0,3
12,0,70.0,-1
13,1,20.0,-1
"""
TX = """sourceNodeId,targetNodeId,value,time
10,11,5.0,1
11,13,4.0,2
13,10,3.0,5
12,10,9.0,4
"""


def amlsim_folder(tmp_path, nodes=NODES, tx=TX):
    write(tmp_path / "aml" / "nodes.csv", nodes)
    write(tmp_path / "aml" / "transactions.csv", tx)
    return tmp_path / "aml"


def test_amlsim_two_file_layout(tmp_path):
    d = load_amlsim(amlsim_folder(tmp_path))
    acc = d.nodes["account"]
    assert d.target == "account" and len(acc) == 4
    assert feature_columns(acc) == ["init_balance"]
    assert acc["init_balance"].tolist() == [100.0, 50.0, 70.0, 20.0]
    assert acc["time"].tolist() == [1.0, 1.0, 4.0, 2.0]               # first transfer
    assert d.labels["label"].tolist() == [0, 1, 0, 1]
    assert d.labels["label_time"].tolist() == [5.0, 2.0, 4.0, 5.0]    # last transfer
    tr = d.relations[("account", "transfer", "account")]
    assert tr[["src", "dst"]].values.tolist() == [[0, 1], [1, 3], [3, 0], [2, 0]]
    assert tr["amount"].tolist() == [5.0, 4.0, 3.0, 9.0] and tr["time"].tolist() == [1.0, 2.0, 5.0, 4.0]


def test_amlsim_label_derived_columns_can_never_be_features(tmp_path):
    nodes = NODES.replace("fraudStep\n", "fraudStep,prior_sar_count,alert_id\n")
    nodes = "\n".join(line + (",1,7" if i else "") for i, line in enumerate(nodes.strip().splitlines())) + "\n"
    d = load_amlsim(amlsim_folder(tmp_path, nodes=nodes))
    cols = {c.lower() for c in d.nodes["account"].columns}
    assert not cols & {"fraudstep", "isfraud", "prior_sar_count", "alert_id"}
    assert feature_columns(d.nodes["account"]) == ["init_balance"]
    # and the normalised form itself refuses a table that carries one
    leaked = d.nodes["account"].assign(fraudStep=1.0)
    with pytest.raises(DataError, match="fraudStep"):
        FraudData("x", {"account": leaked}, {}, "account", d.labels)


def test_amlsim_ibm_original_layout(tmp_path):
    folder = tmp_path / "outputs" / "sim"
    write(folder / "accounts.csv", "ACCOUNT_ID,CUSTOMER_ID,INIT_BALANCE,COUNTRY,ACCOUNT_TYPE,IS_SAR,TX_BEHAVIOR_ID\n"
                                   "A7,C1,100.5,US,SAV,false,1\nA3,C2,20,US,SAV,true,2\nA9,C3,30,US,SAV,False,1\n")
    write(folder / "transactions.csv", "TX_ID,SENDER_ACCOUNT_ID,RECEIVER_ACCOUNT_ID,TX_TYPE,TX_AMOUNT,TIMESTAMP,IS_SAR,ALERT_ID\n"
                                       "1,A7,A3,TRANSFER,10.0,0,False,-1\n2,A3,A9,TRANSFER,7.5,3,True,4\n")
    d = load_fraud("amlsim", folder)
    assert d.meta["raw_ids"]["account"].tolist() == ["A3", "A7", "A9"]   # arbitrary ids encoded
    assert d.labels["label"].tolist() == [1, 0, 0]
    assert d.nodes["account"]["init_balance"].tolist() == [20.0, 100.5, 30.0]
    assert feature_columns(d.nodes["account"]) == ["init_balance"]
    tr = d.relations[("account", "transfer", "account")]
    assert list(tr.columns) == ["src", "dst", "time", "amount"]     # transaction IS_SAR / ALERT_ID never kept
    assert tr[["src", "dst"]].values.tolist() == [[1, 0], [0, 2]]


def test_amlsim_newer_layout_with_alert_accounts(tmp_path):
    folder = tmp_path / "sim"
    write(folder / "accounts.csv", "acct_id,dsply_nm,type,prior_sar_count,initial_deposit,bank_id\n"
                                   "1,a,SAV,true,100,B1\n2,b,SAV,false,200,B1\n5,c,SAV,false,300,B2\n")
    write(folder / "alert_accounts.csv", "alert_id,alert_type,acct_id,is_sar\n1,cycle,5,True\n2,fan_in,2,False\n")
    write(folder / "transactions.csv", "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id\n"
                                       "1,1,5,WIRE,10,2017-01-01T00:00:00Z,False,-1\n"
                                       "2,5,2,WIRE,20,2017-01-02T00:00:00Z,True,1\n")
    d = load_amlsim(folder)
    assert d.labels["label"].tolist() == [0, 0, 1]
    assert d.time_unit == "s"
    assert d.relations[("account", "transfer", "account")]["time"].diff().iloc[1] == 86400.0
    assert feature_columns(d.nodes["account"]) == ["init_balance"]


@pytest.mark.parametrize("nodes, tx, file, expected", [
    (NODES, TX.replace("12,10", "99,10"), "transactions.csv", "'sourceNodeId' has account id '99'"),
    (NODES, TX.replace("4.0", "x"), "transactions.csv", "'value' has a non-numeric value 'x'"),
    (NODES, TX.replace("value", "amt"), "transactions.csv", "no amount column"),
    (NODES.replace("10,0,", "10,5,"), TX, "nodes.csv", "'isFraud' has value"),
    (NODES.replace("isFraud", "flag"), TX, "nodes.csv", "no label column"),
    (NODES.replace("12,0", "10,0"), TX, "nodes.csv", "duplicate"),
    (NODES, "", "transactions.csv", "empty"),
])
def test_amlsim_malformed(tmp_path, nodes, tx, file, expected):
    with pytest.raises(DataError, match=file) as e:
        load_amlsim(amlsim_folder(tmp_path, nodes, tx))
    assert expected in str(e.value)


def test_amlsim_missing_files(tmp_path):
    write(tmp_path / "a" / "nodes.csv", NODES)
    with pytest.raises(DataError, match="transactions.csv"):
        load_amlsim(tmp_path / "a")
    with pytest.raises(DataError, match="nodes.csv"):
        load_amlsim(tmp_path)


# ---------------------------------------------------------------- MovieLens
GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
          "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"]


def ml100k_folder(tmp_path, u_data="1\t10\t4\t100\n2\t10\t3\t200\n1\t20\t5\t300\n"):
    folder = tmp_path / "ml-100k"
    write(folder / "u.data", u_data)
    flags = lambda on: "|".join("1" if j in on else "0" for j in range(19))  # noqa: E731
    (folder / "u.item").write_bytes(f"10|Caf\xe9 (1995)|01-Jan-1995||http://x|{flags({1, 5})}\n"
                                    f"20|B (1996)|01-Jan-1996||http://y|{flags({8})}\n"
                                    f"30|Unrated (1997)|01-Jan-1997||http://z|{flags({0})}\n".encode("latin-1"))
    write(folder / "u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n")
    write(folder / "u.genre", "".join(f"{g}|{i}\n" for i, g in enumerate(GENRES)))
    return folder


def test_movielens_100k(tmp_path):
    d = load_movielens(ml100k_folder(tmp_path))
    assert (d.n_users, d.n_items, len(d.interactions)) == (2, 3, 3)    # unrated item 30 is in the catalogue
    assert d.interactions["weight"].tolist() == [4.0, 3.0, 5.0]
    assert d.interactions["time"].tolist() == [100.0, 200.0, 300.0]
    assert d.item_index.tolist() == [10, 20, 30]
    assert d.item_features.shape == (3, 19)
    assert d.item_features.loc[0, "genre_action"] == 1 and d.item_features.loc[0, "genre_comedy"] == 1
    assert d.item_features.loc[1, "genre_drama"] == 1 and d.item_features.loc[1].sum() == 1
    assert d.user_features["age"].tolist() == [24.0, 53.0] and d.user_features["gender_f"].tolist() == [0.0, 1.0]
    assert {"occ_technician", "occ_other"} <= set(d.user_features.columns)


def test_movielens_ml1m_and_latest(tmp_path):
    a = tmp_path / "ml-1m"
    write(a / "ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978300275\n")
    write(a / "movies.dat", "1193::One Flew (1975)::Drama\n661::James (1996)::Animation|Children's|Musical\n")
    write(a / "users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n")
    d = load_interactions(a)
    assert (d.n_users, d.n_items, len(d.interactions)) == (2, 2, 3)
    assert d.item_features.loc[0, "genre_childrens"] == 1 and d.item_features.loc[1, "genre_drama"] == 1
    b = tmp_path / "ml-latest"
    write(b / "ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n")
    write(b / "movies.csv", 'movieId,title,genres\n1,"Toy Story (1995)",Adventure|Animation\n3,X,Comedy\n')
    d = load_interactions(b)
    assert d.interactions["weight"].tolist() == [4.0, 4.5] and d.item_features.shape == (2, 3)


@pytest.mark.parametrize("u_data, expected", [
    ("1\t10\tfour\t100\n", "'rating' has a non-numeric value 'four'"),
    ("1,10,4,100\n", "empty value (data row 1; wrong separator"),
    ("", "empty"),
])
def test_movielens_malformed(tmp_path, u_data, expected):
    with pytest.raises(DataError, match="u.data") as e:
        load_movielens(ml100k_folder(tmp_path, u_data))
    assert expected in str(e.value)


def test_movielens_not_a_folder(tmp_path):
    with pytest.raises(DataError, match="not a MovieLens folder"):
        load_movielens(tmp_path)


# ---------------------------------------------------------------- interactions CSV
@pytest.mark.parametrize("sep", ["\t", ",", ";", "|"])
def test_interactions_csv_detects_separator(tmp_path, sep):
    rows = [["user_id", "item_id", "timestamp", "rating"], ["u1", "i1", "5", "3"], ["u2", "i1", "6", "4"],
            ["u1", "i2", "7", "5"]]
    f = write(tmp_path / "x.csv", "".join(sep.join(r) + "\n" for r in rows))
    d = load_interactions_csv(f)
    assert (d.n_users, d.n_items) == (2, 2)
    assert d.interactions[["user_id", "item_id"]].values.tolist() == [[0, 0], [1, 0], [0, 1]]
    assert d.interactions["time"].tolist() == [5.0, 6.0, 7.0] and d.interactions["weight"].tolist() == [3.0, 4.0, 5.0]


def test_interactions_csv_defaults_and_duplicates(tmp_path):
    f = write(tmp_path / "x.csv", "user_id,item_id\na,x\nb,y\na,x\n")
    d = load_interactions_csv(f)
    # no time -> row order; no rating -> 1.0; the duplicate pair keeps its latest row
    assert d.interactions.values.tolist() == [[1, 1, 1.0, 1.0], [0, 0, 2.0, 1.0]]
    assert d.meta["duplicates_dropped"] == 1


def test_interactions_csv_custom_columns_and_dates(tmp_path):
    f = write(tmp_path / "x.txt", "cust;sku;time;weight\n1;A;2024-01-02;2\n2;B;2024-01-01;1\n")
    d = load_interactions_csv(f, sep=";", user_col="cust", item_col="sku")
    assert d.interactions["time"].tolist() == [pd.Timestamp("2024-01-02").timestamp(), pd.Timestamp("2024-01-01").timestamp()]
    with pytest.raises(DataError, match="missing column 'customer'"):
        load_interactions_csv(f, user_col="customer", item_col="sku")


@pytest.mark.parametrize("text, expected", [
    ("user_id,product\n1,2\n", "no item_id column"),
    ("user_id,item_id,rating\n1,2,good\n", "'rating' has a non-numeric value 'good'"),
    ("user_id,item_id,timestamp\n1,2,yesterday-ish\n", "neither a number nor a date"),
    ("user_id,item_id\n1,\n", "'item_id' has an empty value"),
])
def test_interactions_csv_malformed(tmp_path, text, expected):
    with pytest.raises(DataError, match="x.csv") as e:
        load_interactions_csv(write(tmp_path / "x.csv", text))
    assert expected in str(e.value)


# ---------------------------------------------------------------- Amazon / ReChorus
def amazon_folder(tmp_path, meta=True):
    folder = tmp_path / "amazon"
    write(folder / "interactions.csv", "user_id\titem_id\ttime\n1\t1\t10\n1\t2\t20\n2\t2\t30\n2\t3\t40\n")
    if meta:
        write(folder / "item_meta.csv", "item_id\ti_category\tr_complement\tr_substitute\n"
                                        "1\t0\t[2, 3, 99]\t[]\n2\t1\t[1]\t[3]\n3\t1\t[]\t[1, 2]\n")
    return folder


def test_amazon_with_meta(tmp_path):
    d = load_amazon_grocery(amazon_folder(tmp_path))
    assert (d.n_users, d.n_items, len(d.interactions)) == (2, 3, 4)
    assert d.item_features["category"].tolist() == [0.0, 1.0, 1.0]
    rel = d.item_relations
    comp = rel[rel.relation == "complement"][["src_item", "dst_item"]].values.tolist()
    subs = rel[rel.relation == "substitute"][["src_item", "dst_item"]].values.tolist()
    assert comp == [[0, 1], [0, 2], [1, 0]]                 # item 99 is not in the data: dropped
    assert subs == [[1, 2], [2, 0], [2, 1]]


def test_amazon_without_meta_and_rechorus_parts(tmp_path):
    d = load_amazon_grocery(amazon_folder(tmp_path, meta=False))
    assert d.item_features is None and d.item_relations is None and len(d.interactions) == 4
    folder = tmp_path / "rechorus"
    write(folder / "train.csv", "user_id\titem_id\ttime\n1\t1\t10\n2\t2\t30\n")
    write(folder / "dev.csv", "user_id\titem_id\ttime\tneg_items\n1\t2\t20\t[3, 4]\n")
    write(folder / "test.csv", "user_id\titem_id\ttime\tneg_items\n1\t3\t25\t[4, 5]\n")
    d = load_interactions(folder)
    assert len(d.interactions) == 4 and d.n_items == 3


@pytest.mark.parametrize("meta, expected", [
    ("item_id\ti_category\tr_complement\tr_substitute\n1\t0\t[2, oops]\t[]\n", "'r_complement' has"),
    ("item_id\ti_category\tr_complement\tr_substitute\n1\t0\t__import__('os')\t[]\n", "'r_complement' has"),
    ("item\tcat\n1\t0\n", "no item_id column"),
])
def test_amazon_malformed_meta(tmp_path, meta, expected):
    folder = amazon_folder(tmp_path, meta=False)
    write(folder / "item_meta.csv", meta)
    with pytest.raises(DataError, match="item_meta.csv") as e:
        load_amazon_grocery(folder)
    assert expected in str(e.value)


def test_amazon_malformed_interactions(tmp_path):
    folder = tmp_path / "a"
    write(folder / "interactions.csv", "user_id\titem_id\n1\t2\n")
    with pytest.raises(DataError, match=r"interactions.csv: missing column\(s\) \['time'\]"):
        load_amazon_grocery(folder)
    with pytest.raises(DataError, match="expected 'interactions.csv'"):
        load_amazon_grocery(tmp_path)


# ---------------------------------------------------------------- dispatchers
def test_dispatchers(tmp_path):
    assert detect_interactions(ml100k_folder(tmp_path)) == "movielens"
    assert detect_interactions(amazon_folder(tmp_path)) == "amazon"
    assert detect_interactions(write(tmp_path / "x.csv", "user_id,item_id\n1,2\n")) == "csv"
    assert load_interactions(tmp_path / "x.csv").n_users == 1
    write(tmp_path / "S-FFSD.csv", SFFSD)
    assert load_fraud("S-FFSD", tmp_path).target == "transaction"
    with pytest.raises(DataError, match="unknown fraud dataset 'elliptic'"):
        load_fraud("elliptic", tmp_path)
    with pytest.raises(DataError, match="no such file or folder"):
        load_fraud("amlsim", tmp_path / "missing")
    with pytest.raises(DataError, match="no such file or folder"):
        load_interactions(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="cannot tell the interaction format"):
        load_interactions(tmp_path / "empty")
    with pytest.raises(DataError, match="unknown interaction dataset"):
        load_interactions(tmp_path / "x.csv", dataset="netflix")


def test_dispatchers_synthetic_world(tmp_path):
    from bnpl.data import synthetic

    world = synthetic.generate_world(synthetic.WorldConfig(seed=0, n_transactions=2000))
    synthetic.save_world(world, tmp_path / "world")
    assert detect_interactions(tmp_path / "world") == "synthetic"
    assert load_fraud("synthetic", tmp_path / "world").target == "transaction"
    assert load_interactions(tmp_path / "world").n_users > 0


# ---------------------------------------------------------------- ../shared/data
@needs_shared("fraud", "s-ffsd", "S-FFSD.csv")
def test_real_sffsd():
    t0 = time.perf_counter()
    d = load_fraud("s-ffsd", shared_data("fraud", "s-ffsd"))
    assert time.perf_counter() - t0 < 10
    s = d.summary()
    assert s["nodes"] == {"transaction": 77881, "source": 30346, "target": 886, "location": 296, "type": 166}
    assert (s["labelled"], s["fraud"]) == (29643, 5256)


@needs_shared("fraud", "amlsim-20k-cycle200")
def test_real_amlsim():
    d = load_fraud("amlsim", shared_data("fraud", "amlsim-20k-cycle200"))
    s = d.summary()
    assert (s["nodes"]["account"], s["fraud"], s["relations"]["account__transfer__account"]) == (20000, 945, 117805)
    assert feature_columns(d.nodes["account"]) == ["init_balance"]


@needs_shared("recsys", "ml-100k")
def test_real_movielens():
    d = load_interactions(shared_data("recsys", "ml-100k"))
    assert (d.n_users, d.n_items, len(d.interactions)) == (943, 1682, 100000)
    assert d.item_features.shape == (1682, 19) and d.user_features.shape[0] == 943


@needs_shared("recsys", "amazon-grocery")
def test_real_amazon():
    d = load_interactions(shared_data("recsys", "amazon-grocery"))
    assert len(d.interactions) == 121892
    assert set(d.item_relations["relation"]) == {"complement", "substitute"}
    assert d.item_relations[["src_item", "dst_item"]].to_numpy().max() < d.n_items


def test_sffsd_duplicated_rows_cannot_leak_across_a_split(tmp_path):
    """A file whose every row appears twice: the copies are removed before any split, with a warning,
    so no transaction is in train and (as its twin) in test."""
    from bnpl.data.splits import random_stratified_split
    from bnpl.errors import DataWarning

    rng = np.random.default_rng(0)
    rows = [f"{t},S{rng.integers(9)},T{rng.integers(4)},{rng.integers(1, 500)}.5,L{rng.integers(3)},TP1,{t % 3 == 0:d}"
            for t in range(60)]
    f = write(tmp_path / "S-FFSD.csv", "Time,Source,Target,Amount,Location,Type,Labels\n" + "\n".join(rows * 2) + "\n")
    with pytest.warns(DataWarning, match="60 exact duplicate rows removed"):
        d = load_sffsd(f)
    assert d.meta["duplicates_dropped"] == 60 and len(d.nodes["transaction"]) == 60
    s = random_stratified_split(d, test_size=0.3, val_size=0.1, seed=0)
    key = pd.concat([d.nodes["transaction"][["time", "amount"]]] + [
        r["dst"].rename(k[1]) for k, r in d.relations.items()], axis=1).astype(str).agg("|".join, axis=1)
    assert not set(key[s.train]) & set(key[s.test])
