"""Catalogue of bad or odd inputs, run through the real CLI (``bnpl data ...``, the benchmark options of
``bnpl fraud`` and ``bnpl recsys``, the parameters of ``bnpl run``).

Each :class:`Case` writes a few small files into a temporary folder and calls the CLI in-process. :func:`run_case` returns what a user sees: the exit code, the
first line of stderr (errors and ``warning:`` lines) and, for an uncaught exception, its type.
``tests/test_bad_input.py`` checks every case against its expectation; running this module
(``.venv/bin/python -m tests.bad_inputs``) rewrites the table in ``docs/bad-input.md``.
"""
from __future__ import annotations

import contextlib
import gzip
import io
import json
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

SFFSD = ("Time,Source,Target,Amount,Location,Type,Labels\n0,S1,T1,10.0,L1,TP1,0\n1,S2,T1,20.5,L2,TP1,1\n"
         "2,S1,T2,0.0,L1,TP2,2\n3,S3,T2,99.9,L1,TP1,1\n4,S4,T1,5.0,L2,TP2,0\n5,S2,T2,7.5,L1,TP1,0\n")
NODES = "nodeid,isFraud,init_balance,fraudStep\n10,0,100.0,-1\n11,1,50.0,3\n12,0,70.0,-1\n13,1,20.0,-1\n14,0,5.0,-1\n"
TX = ("sourceNodeId,targetNodeId,value,time\n10,11,5.0,1\n11,13,4.0,2\n13,10,3.0,5\n12,10,9.0,4\n"
      "14,12,1.0,6\n10,14,2.0,7\n")
INTER = ("user_id,item_id,rating,timestamp\nu1,i1,5,100\nu1,i2,3,101\nu2,i1,4,102\nu2,i3,1,103\n"
         "u3,i2,2,104\nu3,i3,5,105\n")
UDATA = "1\t10\t5\t881250949\n1\t11\t3\t881250950\n2\t10\t4\t881250951\n2\t12\t1\t881250952\n3\t11\t2\t881250953\n"
AMZ = "user_id\titem_id\ttime\n1\t10\t100\n1\t11\t101\n2\t10\t102\n2\t12\t103\n3\t11\t104\n"
META = "item_id\ti_category\tr_complement\tr_substitute\n10\t1\t[11, 12]\t[]\n11\t2\t[10]\t[12]\n12\t1\t[]\t[]\n"
WORLD_CONFIG = {"seed": 0, "n_transactions": 1000, "days": 30.0}


def _rows(text: str, i: int, new: str) -> str:
    """``text`` with data row ``i`` (1-based, after the header) replaced by ``new``."""
    lines = text.splitlines(keepends=True)
    lines[i] = new + "\n"
    return "".join(lines)


@dataclass
class Case:
    """One input: ``files`` (relative path -> text or bytes) and the CLI arguments ({tmp} = the folder)."""

    input: str
    args: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    error: tuple[str, ...] = ()      # every string must be in the one-line error (non-zero exit)
    warning: tuple[str, ...] = ()    # accepted with a warning holding every string (exit 0)
    accepted: bool = False           # accepted silently (exit 0, no warning)

    @property
    def command(self) -> str:
        return "bnpl " + " ".join(a.replace("{tmp}/", "") for a in self.args)


def card(dataset: str, path: str, files: dict, **expect) -> tuple[list[str], dict, dict]:
    return ["data", "card", "--dataset", dataset, "--path", "{tmp}/" + path], files, expect


def gen(*opts: str) -> list[str]:
    return ["data", "generate", *opts, "--out", "{tmp}/world", "--no-progress"]


def _c(input_: str, spec) -> Case:
    args, files, expect = spec
    return Case(input_, args, files, **expect)


def sffsd(text: str | bytes, **expect) -> tuple:
    return card("s-ffsd", "S-FFSD.csv", {"S-FFSD.csv": text}, **expect)


def aml(nodes: str = NODES, tx: str = TX, **expect) -> tuple:
    return card("amlsim", "aml", {"aml/nodes.csv": nodes, "aml/transactions.csv": tx}, **expect)


def inter(text: str | bytes, name: str = "inter.csv", **expect) -> tuple:
    return card("interactions", name, {name: text}, **expect)


def movielens(udata: str | bytes, **expect) -> tuple:
    return card("movielens", "ml", {"ml/u.data": udata}, **expect)


def amazon(meta: str = META, inter_: str = AMZ, **expect) -> tuple:
    return card("amazon", "amz", {"amz/interactions.csv": inter_, "amz/item_meta.csv": meta}, **expect)


def world(config: str | bytes, extra: dict | None = None, **expect) -> tuple:
    return card("synthetic", "w", {"w/world_config.json": config, **(extra or {})}, **expect)


def fraud_bench(*opts: str, out: str = "{tmp}/r.json", **expect) -> tuple:
    return (["fraud", "benchmark", "--dataset", "s-ffsd", "--path", "{tmp}/S-FFSD.csv", "--out", out, *opts],
            {"S-FFSD.csv": SFFSD}, expect)


def recsys_bench(*opts: str, out: str = "{tmp}/r.json", **expect) -> tuple:
    return ["recsys", "benchmark", "--data", "{tmp}/inter.csv", "--out", out, *opts], {"inter.csv": INTER}, expect


def _meta_row(value: str) -> str:
    return _rows(META, 1, f"10\t1\t{value}\t[]")


CASES: list[Case] = [
    # ---- S-FFSD
    _c("S-FFSD: folder without S-FFSD.csv", card("s-ffsd", "empty_dir", {"empty_dir/other.txt": "x"},
                                                  error=("empty_dir", "S-FFSD.csv"))),
    _c("S-FFSD: path does not exist", card("s-ffsd", "nope.csv", {}, error=("nope.csv", "no such file"))),
    _c("S-FFSD: empty file (0 bytes)", sffsd("", error=("S-FFSD.csv", "empty"))),
    _c("S-FFSD: header only", sffsd(SFFSD.splitlines()[0] + "\n", error=("S-FFSD.csv", "no data rows"))),
    _c("S-FFSD: misspelt column (Amnt)", sffsd(SFFSD.replace("Amount", "Amnt"),
                                               error=("S-FFSD.csv", "'Amount'", "did you mean"))),
    _c("S-FFSD: missing column (no Labels)", sffsd("\n".join(r.rsplit(",", 1)[0] for r in SFFSD.splitlines()) + "\n",
                                                   error=("S-FFSD.csv", "'Labels'"))),
    _c("S-FFSD: semicolon delimiter", sffsd(SFFSD.replace(",", ";"), error=("S-FFSD.csv", "wrong separator"))),
    _c("S-FFSD: text in Amount (row 2)", sffsd(SFFSD.replace("20.5", "abc"),
                                               error=("S-FFSD.csv", "'Amount'", "'abc'", "row 2"))),
    _c("S-FFSD: NaN Amount (row 2)", sffsd(SFFSD.replace("20.5", "NaN"), error=("S-FFSD.csv", "'Amount'", "row 2"))),
    _c("S-FFSD: infinite Amount (row 2)", sffsd(SFFSD.replace("20.5", "inf"),
                                                error=("S-FFSD.csv", "'Amount'", "infinite", "row 2"))),
    _c("S-FFSD: negative Amount (row 2)", sffsd(SFFSD.replace("20.5", "-20.5"),
                                                error=("S-FFSD.csv", "'Amount'", "negative", "row 2"))),
    _c("S-FFSD: absurd Amount 1e300 (row 2)", sffsd(SFFSD.replace("20.5", "1e300"),
                                                    error=("S-FFSD.csv", "'Amount'", "row 2"))),
    _c("S-FFSD: label 7 (row 2)", sffsd(SFFSD.replace("TP1,1\n", "TP1,7\n", 1),
                                        error=("S-FFSD.csv", "'Labels'", "7", "row 2"))),
    _c("S-FFSD: label -1 (row 1)", sffsd(SFFSD.replace("TP1,0\n", "TP1,-1\n", 1),
                                         error=("S-FFSD.csv", "'Labels'", "-1", "row 1"))),
    _c("S-FFSD: label 0.5 (row 1)", sffsd(SFFSD.replace("TP1,0\n", "TP1,0.5\n", 1),
                                          error=("S-FFSD.csv", "'Labels'", "0.5", "row 1"))),
    _c("S-FFSD: labels true/false", sffsd(SFFSD.replace("TP1,0\n", "TP1,false\n").replace("TP1,1\n", "TP1,true\n"),
                                          accepted=True)),
    _c("S-FFSD: every label unknown (2)", sffsd("".join(r[:-2] + "2\n" if i else r for i, r in
                                                        enumerate(SFFSD.splitlines(keepends=True))),
                                                error=("S-FFSD.csv", "'Labels'", "no labelled"))),
    _c("S-FFSD: no fraud at all (every label 0)", sffsd(SFFSD.replace(",1\n", ",0\n").replace(",2\n", ",0\n"),
                                                        warning=("S-FFSD.csv", "'Labels'", "one class"))),
    _c("S-FFSD: exact duplicate rows", sffsd(SFFSD + "1,S2,T1,20.5,L2,TP1,1\n1,S2,T1,20.5,L2,TP1,1\n",
                                             warning=("S-FFSD.csv", "2 exact duplicate rows", "removed"))),
    _c("S-FFSD: timestamps out of order", sffsd(SFFSD.splitlines()[0] + "\n" + "".join(
        reversed(SFFSD.splitlines(keepends=True)[1:])), accepted=True)),
    _c("S-FFSD: bad Time in row 5", sffsd(_rows(SFFSD, 5, "4x,S4,T1,5.0,L2,TP2,0"),
                                          error=("S-FFSD.csv", "'Time'", "'4x'", "row 5"))),
    _c("S-FFSD: empty Source (row 2)", sffsd(SFFSD.replace("S2,T1", ",T1"), error=("S-FFSD.csv", "'Source'", "row 2"))),
    _c("S-FFSD: Source id 'NA' (an id, not missing)", sffsd(SFFSD.replace("S2,", "NA,"), accepted=True)),
    _c("S-FFSD: Latin-1 (non-UTF-8) bytes", sffsd(SFFSD.replace("L2", "Zürich").encode("latin-1"),
                                                  error=("S-FFSD.csv", "not UTF-8", "line 3"))),
    _c("S-FFSD: UTF-8 byte-order mark", sffsd(b"\xef\xbb\xbf" + SFFSD.encode(), accepted=True)),
    _c("S-FFSD: Windows line endings", sffsd(SFFSD.replace("\n", "\r\n"), accepted=True)),
    _c("S-FFSD: gzip-compressed file", sffsd(gzip.compress(SFFSD.encode(), mtime=0), accepted=True)),
    _c("S-FFSD: truncated gzip file", sffsd(gzip.compress(SFFSD.encode(), mtime=0)[:60], error=("S-FFSD.csv",))),
    _c("S-FFSD: an .xlsx (zip) file renamed .csv", sffsd(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(128, 256)),
                                                       error=("S-FFSD.csv", "not UTF-8"))),
    _c("S-FFSD: truncated file (last row cut)", sffsd(SFFSD[:-9], error=("S-FFSD.csv", "row 6"))),
    _c("S-FFSD: binary garbage", sffsd(bytes(range(256)) * 4, error=("S-FFSD.csv",))),
    _c("S-FFSD: extra unnamed column", sffsd(SFFSD.replace("\n", ",x\n").replace("Labels,x", "Labels,"),
                                             accepted=True)),
    _c("card --out is a file", (["data", "card", "--dataset", "s-ffsd", "--path", "{tmp}/S-FFSD.csv", "--out",
                                 "{tmp}/S-FFSD.csv"], {"S-FFSD.csv": SFFSD}, {"error": ("S-FFSD.csv", "is a file")})),
    _c("card --out under a file", (["data", "card", "--dataset", "s-ffsd", "--path", "{tmp}/S-FFSD.csv", "--out",
                                    "{tmp}/S-FFSD.csv/card"], {"S-FFSD.csv": SFFSD}, {"error": ("is a file",)})),
    # ---- AMLSim
    _c("AMLSim: no transactions.csv", card("amlsim", "aml", {"aml/nodes.csv": NODES},
                                          error=("aml", "transactions.csv"))),
    _c("AMLSim: conflicting duplicate account id (row 5)", aml(NODES.replace("14,0,5.0", "10,0,5.0"),
                                                               error=("nodes.csv", "duplicate", "10", "row 5"))),
    _c("AMLSim: exact duplicate account rows", aml(NODES + "12,0,70.0,-1\n",
                                                   warning=("nodes.csv", "1 exact duplicate row", "removed"))),
    _c("AMLSim: transfer to an unknown account (row 2)", aml(tx=TX.replace("11,13,", "11,99,"),
                                                             error=("transactions.csv", "'99'", "row 2"))),
    _c("AMLSim: unknown account that is an e-mail address (row 2)", aml(tx=TX.replace("11,13,", "11,ann@example.com,"),
                                                                        error=("transactions.csv", "row 2",
                                                                               "<e-mail address withheld>"))),
    _c("AMLSim: negative transfer value (row 3)", aml(tx=TX.replace("3.0,5", "-3.0,5"),
                                                      error=("transactions.csv", "'value'", "negative", "row 3"))),
    _c("AMLSim: infinite transfer value (row 3)", aml(tx=TX.replace("3.0,5", "inf,5"),
                                                      error=("transactions.csv", "'value'", "infinite", "row 3"))),
    _c("AMLSim: empty init_balance (row 2)", aml(NODES.replace("50.0", ""),
                                                 error=("nodes.csv", "'init_balance'", "row 2"))),
    _c("AMLSim: label 2 in isFraud (row 3)", aml(NODES.replace("12,0,", "12,2,"),
                                                 error=("nodes.csv", "'isFraud'", "row 3"))),
    _c("AMLSim: bad time in row 5", aml(tx=_rows(TX, 5, "14,12,1.0,six"),
                                        error=("transactions.csv", "'time'", "'six'", "row 5"))),
    _c("AMLSim: repeated identical transfers", aml(tx=TX + "10,11,5.0,1\n", accepted=True)),
    _c("AMLSim: wrong delimiter in transactions.csv", aml(tx=TX.replace(",", " "),
                                                          error=("transactions.csv", "sender account"))),
    # ---- interactions CSV
    _c("interactions: missing user column (usr_id)", inter(INTER.replace("user_id", "usr_id"),
                                                           error=("inter.csv", "user_id", "did you mean"))),
    _c("interactions: empty user id (row 3)", inter(INTER.replace("u2,i1", ",i1"),
                                                    error=("inter.csv", "'user_id'", "row 3"))),
    _c("interactions: infinite rating (row 2)", inter(INTER.replace("u1,i2,3", "u1,i2,inf"),
                                                      error=("inter.csv", "'rating'", "infinite", "row 2"))),
    _c("interactions: NaN rating (row 2)", inter(INTER.replace("u1,i2,3", "u1,i2,nan"),
                                                 error=("inter.csv", "'rating'", "row 2"))),
    _c("interactions: bad timestamp in row 5", inter(_rows(INTER, 5, "u3,i2,2,noon"),
                                                     error=("inter.csv", "'timestamp'", "'noon'", "row 5"))),
    _c("interactions: bad date in row 5", inter(
        "user_id,item_id,timestamp\n" + "".join(f"u{i},i{i},2024-01-0{i}\n" for i in range(1, 5)) + "u5,i5,2024-13-45\n",
        error=("inter.csv", "'timestamp'", "'2024-13-45'", "row 5"))),
    _c("interactions: ISO dates as timestamps", inter(INTER.replace(",10", ",2024-01-01T00:00:0"), accepted=True)),
    _c("interactions: one user", inter("user_id,item_id\nu1,i1\nu1,i2\nu1,i3\n",
                                       warning=("inter.csv", "1 user"))),
    _c("interactions: one item", inter("user_id,item_id\nu1,i1\nu2,i1\nu3,i1\n", warning=("inter.csv", "1 item"))),
    _c("interactions: two rows", inter("user_id,item_id\nu1,i1\nu2,i2\n", warning=("inter.csv", "2 interactions"))),
    _c("interactions: repeated (user, item) pair", inter(INTER + "u1,i1,2,200\n",
                                                         warning=("inter.csv", "1 repeated (user, item)"))),
    _c("interactions: tab-separated", inter(INTER.replace(",", "\t"), accepted=True)),
    _c("interactions: gzip file named .csv.gz", inter(gzip.compress(INTER.encode(), mtime=0), "inter.csv.gz",
                                                      accepted=True)),
    _c("interactions: user ids 'null' and 'None'", inter(INTER.replace("u1,", "null,").replace("u2,", "None,"),
                                                        accepted=True)),
    _c("interactions: e-mail addresses as user ids, no BNPL_PSEUDONYM_KEY", inter(
        INTER.replace("u1,", "ann@example.com,"), error=("inter.csv", "'user_id'", "personal data", "e-mail address"))),
    _c("interactions: CSV is a folder", card("interactions", "d", {"d/x.txt": "x"}, error=("d", "not a file"))),
    # ---- MovieLens
    _c("MovieLens: empty u.data", movielens("", error=("u.data", "empty"))),
    _c("MovieLens: 3 fields per line", movielens(UDATA.replace("\t881250950", ""),
                                                 error=("u.data", "'timestamp'", "row 2"))),
    _c("MovieLens: rating 'five' (row 1)", movielens(UDATA.replace("\t5\t", "\tfive\t"),
                                                     error=("u.data", "'rating'", "'five'", "row 1"))),
    _c("MovieLens: infinite rating (row 1)", movielens(UDATA.replace("\t5\t", "\tinf\t"),
                                                       error=("u.data", "'rating'", "infinite", "row 1"))),
    _c("MovieLens: a pair rated twice", movielens(UDATA + "1\t10\t2\t881250999\n",
                                                  warning=("ml", "1 repeated (user, item) pair"))),
    _c("MovieLens: Windows line endings", movielens(UDATA.replace("\n", "\r\n"), accepted=True)),
    # ---- Amazon
    _c("Amazon: nested id lists in r_complement (row 1)", amazon(_meta_row("[[11], [12]]"),
                                                                 error=("item_meta.csv", "'r_complement'", "row 1"))),
    _c("Amazon: id beyond int64 in a list (row 1)", amazon(_meta_row("[99999999999999999999999]"),
                                                           error=("item_meta.csv", "'r_complement'", "row 1"))),
    _c("Amazon: 1000-deep nested list (row 1)", amazon(_meta_row("[" * 1000 + "]" * 1000),
                                                       error=("item_meta.csv", "'r_complement'", "row 1"))),
    _c("Amazon: text instead of a list (row 1)", amazon(_meta_row("eleven"),
                                                        error=("item_meta.csv", "'r_complement'", "row 1"))),
    _c("Amazon: 20 000 ids in one list", amazon(_meta_row(str(list(range(20_000)))), accepted=True)),
    _c("Amazon: meta without item_id", amazon(META.replace("item_id", "asin"), error=("item_meta.csv", "item_id"))),
    _c("Amazon: interactions without time column", amazon(inter_=AMZ.replace("\ttime", "\tts"),
                                                          error=("interactions.csv", "'time'"))),
    # ---- synthetic world folder
    _c("world: folder without world_config.json", card("synthetic", "w", {"w/x.txt": "x"},
                                                       error=("w", "world_config.json"))),
    _c("world: malformed world_config.json", world("{seed: 0", error=("world_config.json", "not valid JSON"))),
    _c("world: world_config.json with an extra key", world(json.dumps(WORLD_CONFIG | {"colour": "red"}),
                                                           error=("world_config.json", "'colour'"))),
    _c("world: world_config.json with days Infinity", world(json.dumps(WORLD_CONFIG | {"days": float("inf")}),
                                                            error=("world_config.json", "'days'"))),
    _c("world: world_config.json is a list", world("[1, 2]", error=("world_config.json", "object"))),
    _c("world: world_config.json not UTF-8", world(b"\xff\xfe{", error=("world_config.json",))),
    _c("world: truncated Parquet table", world(json.dumps(WORLD_CONFIG), {"w/customers.parquet": b"PAR1\x00\x01"},
                                               error=("customers.parquet", "not a readable Parquet"))),
    # ---- bnpl data generate
    _c("generate --days inf", (gen("--days", "inf"), {}, {"error": ("'--days'",)})),
    _c("generate --days 1e300", (gen("--days", "1e300"), {}, {"error": ("'--days'",)})),
    _c("generate --days nan", (gen("--days", "nan"), {}, {"error": ("'--days'",)})),
    _c("generate --days 3", (gen("--days", "3"), {}, {"error": ("'--days'",)})),
    _c("generate --seed -1", (gen("--seed", "-1"), {}, {"error": ("'--seed'",)})),
    _c("generate --seed 2**70", (gen("--seed", str(2**70)), {}, {"error": ("'--seed'",)})),
    _c("generate --n-transactions 10**12", (gen("--n-transactions", str(10**12)), {}, {"error": ("'--n-transactions'",)})),
    _c("generate --n-transactions 0", (gen("--n-transactions", "0"), {}, {"error": ("'--n-transactions'",)})),
    _c("generate --n-transactions abc", (gen("--n-transactions", "abc"), {}, {"error": ("--n-transactions",)})),
    _c("generate --mule-rate 2", (gen("--mule-rate", "2"), {}, {"error": ("'--mule-rate'",)})),
    _c("generate --mule-rate -0.1", (gen("--mule-rate", "-0.1"), {}, {"error": ("'--mule-rate'",)})),
    _c("generate --scam-rate nan", (gen("--scam-rate", "nan"), {}, {"error": ("'--scam-rate'",)})),
    _c("generate: rates adding up to 0.5", (gen(*[a for t in ("mule", "scam", "account-takeover", "synthetic-identity",
                                                              "merchant-collusion") for a in (f"--{t}-rate", "0.1")]),
                                            {}, {"error": ("fraud rates",)})),
    _c("generate --out under a file", (["data", "generate", "--out", "{tmp}/f/world", "--no-progress"], {"f": "x"},
                                       {"error": ("is a file",)})),
    # ---- benchmark options: checked before the data is loaded or any model runs
    _c("fraud benchmark --seeds -1", fraud_bench("--seeds", "-1", error=("'--seeds'", "-1"))),
    _c("fraud benchmark --seeds 2**40", fraud_bench("--seeds", str(2**40), error=("'--seeds'", str(2**40)))),
    _c("fraud benchmark --seeds 0 0", fraud_bench("--seeds", "0", "0", error=("'--seeds'", "twice"))),
    _c("fraud benchmark --hidden -4", fraud_bench("--hidden", "-4", error=("'--hidden'", "-4"))),
    _c("fraud benchmark --hidden 0", fraud_bench("--hidden", "0", error=("'--hidden'",))),
    _c("fraud benchmark --hidden 100000000", fraud_bench("--hidden", "100000000", error=("'--hidden'",))),
    _c("fraud benchmark --epochs 0", fraud_bench("--epochs", "0", error=("'--epochs'",))),
    _c("fraud benchmark --epochs 10**9", fraud_bench("--epochs", str(10**9), error=("'--epochs'",))),
    _c("fraud benchmark --models nope", fraud_bench("--models", "nope", error=("--models", "nope"))),
    _c("fraud benchmark --out under a file", fraud_bench(out="{tmp}/S-FFSD.csv/r.json", error=("is a file",))),
    _c("fraud benchmark --out is a folder", fraud_bench(out="{tmp}", error=("is a folder",))),
    _c("fraud latency --cutoff 1.5", (["fraud", "latency", "--dataset", "s-ffsd", "--path", "{tmp}/S-FFSD.csv",
                                       "--cutoff", "1.5"], {"S-FFSD.csv": SFFSD}, {"error": ("'--cutoff'",)})),
    _c("fraud latency --batch-size 0", (["fraud", "latency", "--dataset", "s-ffsd", "--path", "{tmp}/S-FFSD.csv",
                                         "--batch-size", "0"], {"S-FFSD.csv": SFFSD}, {"error": ("'--batch-size'",)})),
    _c("recsys benchmark --k 0", recsys_bench("--k", "0", error=("'--k'",))),
    _c("recsys benchmark --k -3", recsys_bench("--k", "-3", error=("'--k'", "-3"))),
    _c("recsys benchmark --k 1000000000000", recsys_bench("--k", str(10**12), error=("'--k'",))),
    _c("recsys benchmark --seeds -1", recsys_bench("--seeds", "-1", error=("'--seeds'",))),
    _c("recsys benchmark --seeds 1099511627776", recsys_bench("--seeds", str(2**40), error=("'--seeds'",))),
    _c("recsys benchmark --jobs 0", recsys_bench("--jobs", "0", error=("'--jobs'",))),
    _c("recsys benchmark --threads 0", recsys_bench("--threads", "0", error=("'--threads'",))),
    _c("recsys benchmark --time-budget inf", recsys_bench("--time-budget", "inf", error=("'--time-budget'",))),
    _c("recsys benchmark --time-budget -1", recsys_bench("--time-budget", "-1", error=("'--time-budget'",))),
    _c("recsys benchmark --models nope", recsys_bench("--models", "nope", error=("unknown model 'nope'",))),
    _c("recsys benchmark --out under a file", recsys_bench(out="{tmp}/inter.csv/r.json", error=("is a file",))),
    # ---- bnpl run: notebook parameters, checked before a kernel starts
    _c("run 01_data_prep -p seed true", (["run", "01_data_prep", "-p", "seed", "true", "--out-root", "{tmp}/runs"], {},
                                         {"error": ("'seed'", "boolean")})),
    _c("run 01_data_prep -p days inf", (["run", "01_data_prep", "-p", "days", "inf", "--out-root", "{tmp}/runs"], {},
                                        {"error": ("'days'",)})),
    _c("run 01_data_prep -p mule_rate -0.1", (["run", "01_data_prep", "-p", "mule_rate", "-0.1", "--out-root",
                                               "{tmp}/runs"], {}, {"error": ("'mule_rate'",)})),
    _c("run 01_data_prep: fraud rates adding up to 0.4", (["run", "01_data_prep", *[a for t in ("mule", "scam",
        "account_takeover", "synthetic_identity") for a in ("-p", f"{t}_rate", "0.1")], "--out-root", "{tmp}/runs"], {},
        {"error": ("fraud rates",)})),
    _c("run -f a folder", (["run", "01_data_prep", "-f", "{tmp}/d", "--out-root", "{tmp}/runs"], {"d/x": "x"},
                           {"error": ("d", "folder")})),
    # ---- bnpl runs clean
    _c("runs clean --older-than -1", (["runs", "clean", "--runs-dir", "{tmp}", "--older-than", "-1"], {},
                                      {"error": ("'--older-than'", "-1")})),
    _c("runs clean --older-than nan", (["runs", "clean", "--runs-dir", "{tmp}", "--older-than", "nan"], {},
                                       {"error": ("'--older-than'", "finite")})),
    _c("runs clean --runs-dir that does not exist", (["runs", "clean", "--runs-dir", "{tmp}/nope"], {},
                                                     {"error": ("nope", "no such folder")})),
    _c("generate --out a folder bnpl did not write", (["data", "generate", "--out", "{tmp}/mine", "--no-progress"],
                                                      {"mine/notes.txt": "x"}, {"error": ("did not write",)})),
]


@dataclass
class Outcome:
    rc: int
    line: str        # the first line of stderr (or of stdout if stderr is empty)
    n_lines: int     # how many lines went to stderr
    traceback: bool  # an exception escaped the CLI
    usage: bool = False  # argparse's own error: the usage lines, then one error line


def run_case(case: Case, tmp: Path) -> Outcome:
    """Write ``case.files`` under ``tmp`` and run the CLI; paths in the output are shown relative to ``tmp``."""
    from bnpl.cli import main

    for rel, content in case.files.items():
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    argv = [a.replace("{tmp}", str(tmp)) for a in case.args]
    out, err = io.StringIO(), io.StringIO()
    tb = False
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _no_pseudonym_key(tmp):
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse errors
            rc = int(e.code or 0)
        except Exception:  # noqa: BLE001 - recorded as a traceback, which the test forbids
            traceback.print_exc()
            rc, tb = 1, True
    text = err.getvalue().strip() or ("" if rc == 0 else out.getvalue().strip())
    lines = [ln for ln in text.splitlines() if ln.strip()]
    first = lines[-1] if tb else (lines[0] if lines else "")
    usage = rc == 2 and first.startswith("usage:")
    if usage:  # argparse prints usage, then the error
        first = lines[-1]
    return Outcome(rc, first.replace(str(tmp) + "/", "").replace(str(tmp), "."), len(lines), tb, usage)


@contextlib.contextmanager
def _no_pseudonym_key(tmp: Path):
    """Run as on a machine without BNPL_PSEUDONYM_KEY (neither in the environment nor in a .env file)."""
    import os

    import bnpl.config as config
    from bnpl.data.privacy import KEY_VARIABLE

    saved_key, saved_root = os.environ.pop(KEY_VARIABLE, None), config.REPO_ROOT
    config.REPO_ROOT = tmp
    try:
        yield
    finally:
        config.REPO_ROOT = saved_root
        if saved_key is not None:
            os.environ[KEY_VARIABLE] = saved_key


def expected(case: Case) -> str:
    if case.error:
        return "error"
    return "warning" if case.warning else "accepted"


def table() -> str:
    """Markdown table of every case and what the CLI answered."""
    rows = ["| # | input | command | expected | exit | what the user sees |", "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as d:
        for i, case in enumerate(CASES, 1):
            tmp = Path(d) / f"c{i}"
            tmp.mkdir()
            o = run_case(case, tmp)
            seen = o.line or "(no message)"
            if o.traceback:
                seen = "TRACEBACK " + seen
            seen = seen.replace("|", "\\|")
            rows.append(f"| {i} | {case.input} | `{case.command}` | {expected(case)} | {o.rc} | {seen} |")
    return "\n".join(rows) + "\n"


DOC = Path(__file__).resolve().parents[1] / "docs" / "bad-input.md"
MARKER = "<!-- table: generated by `.venv/bin/python -m tests.bad_inputs`; do not edit below -->\n"


def write_doc() -> Path:
    head = DOC.read_text().split(MARKER)[0] if DOC.exists() else "# Bad input\n\n"
    DOC.write_text(head + MARKER + table())
    return DOC


if __name__ == "__main__":
    print(write_doc(), file=sys.stderr)
