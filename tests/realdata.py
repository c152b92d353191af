"""``needs_shared(*parts)``: the ``realdata`` marker plus a skip naming the path when
``../shared/data/<parts>`` is absent, for every test that reads the shared datasets
(``pytest -m "not realdata"`` runs everything else)."""
from __future__ import annotations

import pytest

from bnpl.config import shared_data


def needs_shared(*parts: str):
    skip = pytest.mark.skipif(shared_data(*parts) is None, reason=f"../shared/data/{'/'.join(parts)} absent")

    def mark(test):
        return pytest.mark.realdata(skip(test))

    return mark
