"""Every bad or odd input in tests/bad_inputs.py, through the real CLI: a one-line error naming the file,
column or row with a non-zero exit, or a documented repair with a one-line warning, never a traceback."""
from __future__ import annotations

import pytest

from tests.bad_inputs import CASES, DOC, MARKER, run_case, table


@pytest.mark.parametrize("case", CASES, ids=[c.input for c in CASES])
def test_bad_input(case, tmp_path):
    o = run_case(case, tmp_path)
    assert not o.traceback, o.line
    if case.error:
        assert o.rc != 0
        assert "error:" in o.line and (o.n_lines == 1 or o.usage), o.line
        for s in case.error:
            assert s in o.line, f"{s!r} not in {o.line!r}"
    else:
        assert o.rc == 0, o.line
        if case.warning:
            assert "warning:" in o.line and o.n_lines == 1, o.line
            for s in case.warning:
                assert s in o.line, f"{s!r} not in {o.line!r}"
        else:
            assert o.n_lines == 0, o.line


def test_doc_table_is_current():
    """docs/bad-input.md holds the table this catalogue produces today (regenerate: python -m tests.bad_inputs)."""
    assert DOC.read_text().split(MARKER)[1] == table()
