"""Every test that reads ../shared/data carries the ``realdata`` marker, so ``pytest -m "not realdata"``
runs exactly the tests that build their own data."""
from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
READERS = {"shared_data", "needs_shared", "SHARED_DATA_DIR"}


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
           {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def unmarked_readers(source: str) -> list[str]:
    """Test functions of a module that read the shared data (directly, through the module's helpers, or
    through a decorator) without the ``realdata`` marker (a ``pytest.mark.realdata`` or ``needs_shared``
    decorator, or a module ``pytestmark``)."""
    tree = ast.parse(source)
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    module_marked = any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in n.targets)
                        and "realdata" in _names(n.value) for n in tree.body)
    readers = set(READERS)
    changed = True
    while changed:                                   # helpers that read shared data, transitively
        grown = {name for name, f in funcs.items() if _names(f) & readers}
        changed = not grown <= readers
        readers |= grown
    bad = []
    for name, f in funcs.items():
        if not name.startswith("test_") or not (_names(f) & readers):
            continue
        marked = any(_names(d) & {"realdata", "needs_shared"} for d in f.decorator_list)
        if not (marked or module_marked):
            bad.append(name)
    return bad


def test_every_real_data_test_is_marked():
    bad = {p.name: unmarked_readers(p.read_text()) for p in sorted(TESTS.glob("test_*.py"))}
    assert {k: v for k, v in bad.items() if v} == {}


def test_the_check_sees_an_unmarked_reader():
    source = '''
import pytest
from bnpl.config import shared_data

def _load():
    return shared_data("fraud", "s-ffsd")

def test_unmarked():
    assert _load() is not None

@pytest.mark.realdata
def test_marked():
    assert shared_data("x") is None

def test_own_data():
    assert 1 + 1 == 2
'''
    assert unmarked_readers(source) == ["test_unmarked"]
    assert unmarked_readers("import pytest\npytestmark = pytest.mark.realdata\n" + source.split("\n", 2)[2]) == []
