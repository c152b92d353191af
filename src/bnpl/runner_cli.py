"""``bnpl run``: execute a notebook through :func:`bnpl.runner.run_notebook`."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from bnpl.errors import BnplError
from bnpl.io import read_yaml_mapping


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="execute a notebook with papermill, tracked in MLflow",
                       description="Execute NOTEBOOK (a path or a short name such as 01_data_prep) on the bnpl kernel.")
    p.add_argument("notebook", nargs="?", help="notebook path or name; omit with --all")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[],
                   help="override a parameter; VALUE is read as YAML (3, 0.5, true, [0, 1], text)")
    p.add_argument("-f", "--parameters-file", type=Path, help="YAML file of parameter overrides")
    p.add_argument("--all", action="store_true", help="run every stage notebook (notebooks/NN_*.ipynb) in order")
    p.add_argument("--out-root", type=Path, default=None, help="folder for run outputs (default: runs/)")
    p.add_argument("--log-output", action="store_true", help="stream the notebook's output to this terminal")
    p.add_argument("--list-params", action="store_true",
                   help="print the notebook's parameters (name, type, default, meaning) and exit")
    p.set_defaults(func=_run)


def parse_overrides(pairs: list[list[str]], file: Path | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if file is not None:
        params.update(read_yaml_mapping(file, "parameters file"))
    for name, raw in pairs:
        try:
            params[name] = yaml.safe_load(raw)
        except yaml.YAMLError:
            params[name] = raw
    return params


def parameter_rows(nb: Path) -> list[dict[str, str]]:
    """One row per parameters-cell name: its type and meaning from the notebook's params model (when it
    names one and the model has the field), its default from the parameters cell."""
    from bnpl.params import load_params_model
    from bnpl.runner import notebook_defaults

    defaults, spec = notebook_defaults(nb)
    fields = load_params_model(spec).model_fields if spec else {}
    rows = []
    for name, default in defaults.items():
        f = fields.get(name)
        kind = _type_name(f.annotation) if f is not None else type(default).__name__
        rows.append({"name": name, "type": kind, "default": repr(default), "meaning": (f.description or "") if f else ""})
    return rows


def _type_name(annotation) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    return text or str(annotation).replace("typing.", "").replace("NoneType", "None")


def _list_params(nb: Path) -> int:
    rows = parameter_rows(nb)
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in ("name", "type", "default")}
    print(f"{nb.stem}: parameters (override with -p NAME VALUE)")
    print("  ".join(k.ljust(widths[k]) for k in widths) + "  meaning")
    for r in rows:
        print(("  ".join(r[k].ljust(widths[k]) for k in widths) + f"  {r['meaning']}").rstrip())
    return 0


def _run(args: argparse.Namespace) -> int:
    from bnpl.runner import (
        NotebookFailed,
        resolve_notebook,
        run_notebook,
        stage_notebooks,
    )

    if args.list_params:
        if not args.notebook:
            raise BnplError("--list-params needs a NOTEBOOK")
        return _list_params(resolve_notebook(args.notebook))
    params = parse_overrides(args.parameter, args.parameters_file)
    if args.all:
        if args.notebook or params:
            raise BnplError("--all runs every stage with its defaults: give no notebook and no parameters")
        notebooks = stage_notebooks()
    elif args.notebook:
        notebooks = [resolve_notebook(args.notebook)]
    else:
        raise BnplError("give a NOTEBOOK or --all")
    for nb in notebooks:
        print(f"==> {nb.stem}", flush=True)
        try:
            r = run_notebook(nb, params, out_root=args.out_root, log_output=args.log_output)
        except NotebookFailed as e:
            raise BnplError(str(e)) from None
        print(f"    finished in {r.seconds:.0f}s  MLflow run {r.run_id}\n    {r.html_path}", flush=True)
    return 0
