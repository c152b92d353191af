"""``experiments/`` keeps configurations (YAML, at the top) apart from scripts (Python packages run with
``python -m experiments.<package>.<script>``), and every experiments path or module that the README, the
docs, the Makefile, the notebooks, the sources or the tests name exists."""
from __future__ import annotations

import importlib.util
import re

from bnpl.config import EXPERIMENTS_DIR, REPO_ROOT

PATH = re.compile(r"(?<![\w/#.-])experiments/[\w./-]*\w")     # not inside a URL or a longer path
MODULE = re.compile(r"python -m (experiments(?:\.\w+)+)")


def _documents():
    yield from (REPO_ROOT / n for n in ("README.md", "Makefile"))
    for folder, pattern in (("docs", "**/*.md"), ("notebooks", "*.ipynb"), ("src", "**/*.py"), ("tests", "*.py"),
                            ("experiments", "**/*")):
        yield from (p for p in (REPO_ROOT / folder).glob(pattern) if p.is_file() and p.suffix != ".pyc")


def test_configurations_at_the_top_scripts_in_packages():
    for p in EXPERIMENTS_DIR.iterdir():
        if p.name in ("__init__.py", "__pycache__"):
            continue
        if p.is_dir():
            assert (p / "__init__.py").exists(), f"{p.name}: a script folder is a package"
            assert {f.suffix for f in p.iterdir() if f.is_file()} <= {".py"}, f"{p.name}: scripts only"
        else:
            assert p.suffix == ".yaml", f"{p.name}: only YAML configurations at the top of experiments/"


def test_named_experiment_paths_and_modules_exist():
    missing = set()
    for doc in _documents():
        text = doc.read_text(errors="replace")
        for path in PATH.findall(text):
            if not (REPO_ROOT / path).exists():
                missing.add(f"{doc.relative_to(REPO_ROOT)}: {path}")
        for module in MODULE.findall(text):
            if importlib.util.find_spec(module) is None:
                missing.add(f"{doc.relative_to(REPO_ROOT)}: python -m {module}")
    assert sorted(missing) == []
