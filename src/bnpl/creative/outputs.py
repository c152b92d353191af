"""Output folders of the creative commands: never the input folder, never a folder holding foreign files."""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from bnpl.errors import BnplError


def check_out_dir(out: str | Path, ours: str, inputs: Iterable[str | Path] = ()) -> Path:
    """Raise unless ``out`` is new, empty, or holds only files whose relative path matches the regex ``ours``;
    ``out`` may not be, contain or lie inside any of ``inputs``."""
    out = Path(out)
    res = out.resolve()
    for inp in inputs:
        i = Path(inp).resolve()
        if res == i or i in res.parents or res in i.parents:
            raise BnplError(f"--out {out} overlaps the input folder {inp}: choose a separate output folder")
    if out.exists() and not out.is_dir():
        raise BnplError(f"--out {out} is a file, not a folder")
    if out.exists():
        pattern = re.compile(ours)
        foreign = sorted(str(p.relative_to(out)) for p in out.rglob("*")
                         if p.is_file() and not pattern.fullmatch(str(p.relative_to(out))))
        if foreign:
            shown = ", ".join(foreign[:3]) + (" …" if len(foreign) > 3 else "")
            raise BnplError(f"--out {out} holds files bnpl did not write ({shown}); choose a new or empty folder")
    return out
