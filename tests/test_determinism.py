"""Same seed, same world: equal content hashes of every table and byte-identical Parquet files,
in-process and through two separate `bnpl data generate` processes."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bnpl.data.synthetic import WorldConfig, generate_world, save_world


def content_hashes(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """sha256 of each table's values, column names and dtypes (row order included)."""
    out = {}
    for name, df in tables.items():
        h = hashlib.sha256(repr([(c, str(df[c].dtype)) for c in df.columns]).encode())
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
        out[name] = h.hexdigest()
    return out


def file_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_equal_content_hashes_and_identical_parquet(tmp_path):
    a, b = (generate_world(WorldConfig(seed=5, n_transactions=2000), progress=False) for _ in range(2))
    assert content_hashes(a.tables) == content_hashes(b.tables)
    save_world(a, tmp_path / "a")
    save_world(b, tmp_path / "b")
    fa = file_hashes(tmp_path / "a")
    assert len(fa) == len(a.tables) + 1  # every table and world_config.json
    assert fa == file_hashes(tmp_path / "b")
    c = generate_world(WorldConfig(seed=6, n_transactions=2000), progress=False)
    differ = {k for k, v in content_hashes(c.tables).items() if v != content_hashes(a.tables)[k]}
    assert {"transactions", "customers", "events"} <= differ  # the hash does see the seed


@pytest.mark.slow  # two CLI processes, each importing every area (about 10 s on 2 busy cores)
def test_bnpl_data_generate_twice_gives_byte_identical_parquet(tmp_path):
    bnpl = Path(sys.executable).parent / "bnpl"
    assert bnpl.exists(), f"no console script {bnpl}: the package is not installed (`make setup`)"
    procs = [subprocess.Popen([str(bnpl), "data", "generate", "--seed", "11", "--n-transactions", "1500",
                               "--out", str(tmp_path / name), "--no-progress"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    fa = file_hashes(tmp_path / "a")
    assert any(n.endswith(".parquet") for n in fa) and fa == file_hashes(tmp_path / "b")
