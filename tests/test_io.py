"""bnpl.io: strict JSON, normal file modes, and writers killed with SIGKILL mid-write never leave a
truncated file or a partial world that reads as complete."""
from __future__ import annotations

import datetime
import json
import math
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from bnpl.errors import BnplError
from bnpl.io import atomic_path, current_umask, strict_json, write_json, write_text

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- strict JSON
def _no_constants(name):
    raise ValueError(f"non-standard JSON constant {name}")


def test_non_finite_floats_are_written_as_null(tmp_path):
    obj = {"auroc": float("nan"), "loss": np.float32("inf"), "neg": -math.inf, "ok": np.float64(0.5),
           "n": np.int64(3), "flag": np.bool_(True), "arr": np.array([1.0, np.nan]), "path": tmp_path,
           "nested": {"t": (1, float("nan"))}, "day": datetime.date(2026, 1, 2), np.int64(7): "numpy key"}
    text = write_json(tmp_path / "r.json", obj).read_text()
    back = json.loads(text, parse_constant=_no_constants)  # strict: NaN/Infinity tokens would raise
    assert back == {"auroc": None, "loss": None, "neg": None, "ok": 0.5, "n": 3, "flag": True,
                    "arr": [1.0, None], "path": str(tmp_path), "nested": {"t": [1, None]}, "day": "2026-01-02",
                    "7": "numpy key"}


def test_unserialisable_value_names_its_key(tmp_path):
    with pytest.raises(BnplError, match=r"\$\.metrics\.model.*object"):
        write_json(tmp_path / "r.json", {"metrics": {"model": object()}})
    assert not (tmp_path / "r.json").exists()
    with pytest.raises(BnplError, match=r"\$\.runs\[1\]"):
        strict_json({"runs": [1, {1, 2}]})


# ---------------------------------------------------------------- file modes
@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_new_files_honour_the_umask(tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        assert current_umask() == umask
        p = write_text(tmp_path / "a.txt", "x")
        plain = tmp_path / "plain.txt"
        plain.write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == expected == stat.S_IMODE(plain.stat().st_mode)


def test_replaced_files_keep_their_mode(tmp_path):
    p = tmp_path / "secret.json"
    p.write_text("{}")
    p.chmod(0o600)
    write_json(p, {"a": 1})
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    p.chmod(0o664)
    with atomic_path(p) as tmp:
        tmp.write_text("{}")
    assert stat.S_IMODE(p.stat().st_mode) == 0o664


# ---------------------------------------------------------------- SIGKILL mid-write
def _child(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _kill_when(proc: subprocess.Popen, line: str, delay: float = 0.0) -> None:
    """SIGKILL ``proc`` ``delay`` seconds after it prints ``line``."""
    for got in proc.stdout:
        if got.strip() == line:
            break
    else:
        raise AssertionError(f"child ended before {line!r}: {proc.stderr.read()}")
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_sigkill_inside_an_atomic_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "result.json"
    write_json(target, {"version": "old"})
    proc = _child(f"""
        import sys, time
        from bnpl.io import atomic_path
        with atomic_path({str(target)!r}) as tmp:
            with open(tmp, "w") as f:
                f.write('{{"version": "new", "pad": "' + "x" * 100000)  # half a JSON document
                f.flush()
            print("half written", flush=True)
            time.sleep(60)
    """)
    _kill_when(proc, "half written")
    assert json.loads(target.read_text()) == {"version": "old"}
    leftovers = [p.name for p in tmp_path.iterdir() if p != target]
    assert all(n.startswith(".result.json.") and n.endswith(".tmp") for n in leftovers)  # ignored by git


def test_sigkill_at_random_moments_never_leaves_a_truncated_file(tmp_path):
    target = tmp_path / "result.json"
    rng = random.Random(0)
    seen = set()
    for _ in range(4):
        proc = _child(f"""
            from bnpl.io import write_json
            i = 0
            write_json({str(target)!r}, {{"i": i, "pad": "x" * 2_000_000}})
            print("looping", flush=True)
            while True:
                i += 1
                write_json({str(target)!r}, {{"i": i, "pad": "x" * 2_000_000}})
        """)
        _kill_when(proc, "looping", delay=rng.uniform(0.05, 0.4))
        obj = json.loads(target.read_text())  # complete JSON, whichever version
        assert len(obj["pad"]) == 2_000_000
        seen.add(obj["i"])
    assert max(seen) > 0  # the kills landed while the child was rewriting the file


WORLD_CHILD = """
    import sys
    from bnpl.data.synthetic import WorldConfig, generate_world, save_world
    folder = {folder!r}
    worlds = [generate_world(WorldConfig(seed=s, n_transactions=1000), progress=False) for s in (1, 2)]
    save_world(worlds[0], folder, force=True)
    {pause}
    print("saved", flush=True)
    i = 1
    while True:
        save_world(worlds[i % 2], folder, force=True)
        i += 1
"""

PAUSE_MID_SAVE = """
    import time, pandas as pd
    real, n = pd.DataFrame.to_parquet, [0]
    def slow(self, path, *a, **k):
        real(self, path, *a, **k)
        n[0] += 1
        if n[0] == 5:
            print("mid-save", flush=True)
            time.sleep(60)
    pd.DataFrame.to_parquet = slow
"""


@pytest.mark.parametrize("how", ["paused mid-save", "random moments"])
def test_sigkill_during_save_world_never_leaves_a_partial_world(tmp_path, how):
    from bnpl.data.synthetic import WorldConfig, generate_world, load_world, save_world
    from bnpl.data.synthetic.world import remove_stale_temporaries

    folder = tmp_path / "world"
    rng = random.Random(1)
    trials = 1 if how == "paused mid-save" else 3
    for _ in range(trials):
        pause = PAUSE_MID_SAVE if how == "paused mid-save" else ""
        code = WORLD_CHILD.format(folder=str(folder), pause=textwrap.indent(textwrap.dedent(pause), "    "))
        proc = _child(code)
        _kill_when(proc, "mid-save" if pause else "saved", delay=0.0 if pause else rng.uniform(0.0, 0.3))
        if folder.exists():
            world = load_world(folder)  # validates every table: a complete world, the old or the new
            assert world.config.seed in (1, 2)
            assert len(world.tables["transactions"]) == 1000
    stale = [p for p in tmp_path.iterdir() if p.name.startswith(".world.")]
    if how == "paused mid-save":
        assert load_world(folder).config.seed == 1 and stale  # the half-written copy sits beside it
    save_world(generate_world(WorldConfig(seed=3, n_transactions=1000), progress=False), folder, force=True)
    assert [p.name for p in tmp_path.iterdir()] == ["world"]  # the next save removed the leftovers
    assert remove_stale_temporaries(folder) == []


def test_check_output_fails_before_any_work(tmp_path):
    from bnpl.io import check_output

    f = tmp_path / "f.json"
    f.write_text("{}")
    assert check_output(f) == f and check_output(tmp_path / "new" / "deeper" / "r.json")
    assert check_output(tmp_path / "out", folder=True)
    with pytest.raises(BnplError, match="f.json: cannot write a folder here: it is a file"):
        check_output(f, folder=True)
    with pytest.raises(BnplError, match="cannot write a file here: it is a folder"):
        check_output(tmp_path)
    with pytest.raises(BnplError, match=r"f.json/x/r.json: .*f.json is a file, not a folder"):
        check_output(f / "x" / "r.json")


CONCURRENT_CHILD = """
    from bnpl.data.synthetic import WorldConfig, generate_world, save_world
    world = generate_world(WorldConfig(seed={seed}, n_transactions=1000), progress=False)
    for _ in range(25):
        save_world(world, {folder!r}, force=True)
    print("done", flush=True)
"""


@pytest.mark.slow  # two processes, 50 saves (about 10 s on 2 busy cores)
def test_two_processes_saving_one_world_folder_both_finish_and_leave_a_whole_world(tmp_path):
    from bnpl.data.synthetic import load_world

    folder = tmp_path / "world"
    procs = [_child(CONCURRENT_CHILD.format(seed=s, folder=str(folder))) for s in (1, 2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and out.strip() == "done", err[-600:]
    assert load_world(folder).config.seed in (1, 2)
    assert [p.name for p in tmp_path.iterdir()] == ["world"]


def test_read_yaml_mapping_gives_one_line_errors(tmp_path):
    from bnpl.errors import BnplError
    from bnpl.io import read_yaml_mapping

    (tmp_path / "ok.yaml").write_text("a: 1\n")
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "list.yaml").write_text("- 1\n")
    (tmp_path / "bad.yaml").write_text("a: [1,\n")
    assert read_yaml_mapping(tmp_path / "ok.yaml", "sweep file") == {"a": 1}
    assert read_yaml_mapping(tmp_path / "empty.yaml", "sweep file") == {}
    for name, match in [("nowhere.yaml", "not found"), ("", "it is a folder"), ("list.yaml", "got list"),
                        ("bad.yaml", "not valid YAML")]:
        with pytest.raises(BnplError, match=match) as e:
            read_yaml_mapping(tmp_path / name, "parameters file")
        assert str(e.value).startswith("parameters file ") and "\n" not in str(e.value)
