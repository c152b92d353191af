"""repo_path resolves notebook path parameters; ensure_world generates only when the folder is missing."""
from __future__ import annotations

from bnpl.config import REPO_ROOT, repo_path
from bnpl.data.synthetic import ensure_world, load_world


def test_repo_path(tmp_path):
    assert repo_path("data/synthetic/default") == REPO_ROOT / "data" / "synthetic" / "default"
    assert repo_path(tmp_path) == tmp_path


def test_ensure_world_generates_once(tmp_path):
    folder = tmp_path / "world"
    assert ensure_world(folder, seed=3, n_transactions=2000) == folder
    first = load_world(folder).tables["transactions"]
    assert len(first) == 2000
    marker = folder / "transactions.parquet"
    mtime = marker.stat().st_mtime_ns
    ensure_world(folder, seed=4, n_transactions=5000)  # existing world is kept, not regenerated
    assert marker.stat().st_mtime_ns == mtime
    assert len(load_world(folder).tables["transactions"]) == 2000


def test_atomic_write_leaves_nothing_half_written(tmp_path):
    import pytest

    from bnpl.io import atomic_path, write_json

    target = tmp_path / "out" / "result.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("crash mid-write")
    assert target.read_text().strip().startswith("{") and '"a": 1' in target.read_text()
    assert sorted(p.name for p in target.parent.iterdir()) == ["result.json"]  # no temp file left behind
