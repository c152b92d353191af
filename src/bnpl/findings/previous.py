"""The previous run of a stage, read from MLflow, and what changed since then."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

# parameters whose change is bookkeeping, not a change of the experiment
_IGNORED = {"run_dir"}


@dataclass
class RunSnapshot:
    """Parameters and metrics of one MLflow run."""

    run_id: str
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    started: str = ""


def current_run() -> RunSnapshot | None:
    """The run this notebook logs into (None outside ``bnpl run``)."""
    from bnpl.tracking import active_run_id

    rid = active_run_id()
    return _snapshot(rid) if rid else None


def previous_run(run_id: str | None = None) -> RunSnapshot | None:
    """The latest FINISHED run of the same MLflow experiment started before ``run_id`` (default: the
    active run), or None (first run, or no MLflow run at all)."""
    from bnpl import store
    from bnpl.tracking import active_run_id

    rid = run_id or active_run_id()
    if rid is None:
        return None
    client = store.client()
    run = client.get_run(rid)
    query = "attributes.status = 'FINISHED'"
    if "'" not in run.data.tags.get("notebook", "'"):   # the runner tags a notebook's own runs, not their children
        query += f" and tags.notebook = '{run.data.tags['notebook']}'"
    found = client.search_runs([run.info.experiment_id], filter_string=query,
                               order_by=["attributes.start_time DESC"], max_results=50)
    for r in found:
        if r.info.run_id != rid and r.info.start_time <= run.info.start_time and \
                "mlflow.parentRunId" not in r.data.tags:
            return _from_run(r)
    return None


def _snapshot(run_id: str) -> RunSnapshot:
    from bnpl import store

    return _from_run(store.client().get_run(run_id))


def _from_run(r) -> RunSnapshot:
    import datetime as dt

    started = dt.datetime.fromtimestamp(r.info.start_time / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return RunSnapshot(r.info.run_id, dict(r.data.params), dict(r.data.metrics), started)


def changes_since(previous: RunSnapshot | None, current_params: dict[str, str],
                  numbers: dict[str, tuple[str, float]], digits: int = 3, max_params: int = 8) -> list[str]:
    """Sentences: which parameters (and data) changed, and how each headline number moved.

    ``numbers`` are this run's ``{key: (label, value)}``; the previous run's are its
    ``findings.<key>`` metrics."""
    if previous is None:
        return ["No earlier finished run of this stage to compare with."]
    out = []
    keys = sorted((set(previous.params) | set(current_params)) - _IGNORED, key=lambda k: (k.startswith("data."), k))
    changed = [k for k in keys if previous.params.get(k) != current_params.get(k)]
    if changed:
        shown = [f"`{k}` {_short(previous.params.get(k))} → {_short(current_params.get(k))}" for k in changed[:max_params]]
        more = f" and {len(changed) - max_params} more" if len(changed) > max_params else ""
        out.append("Changed settings: " + "; ".join(shown) + more + ".")
    else:
        out.append("Same settings and data as the previous run.")
    moved = []
    for key, (label, value) in numbers.items():
        old = previous.metrics.get(f"findings.{key}")
        if old is None or value is None or not math.isfinite(value):
            continue
        delta = value - old
        if abs(delta) < 0.5 * 10 ** -digits:
            moved.append(f"{label} unchanged ({_num(value, digits)})")
        else:
            moved.append(f"{label} {_num(old, digits)} → {_num(value, digits)} ({_num(delta, digits, '+')})")
    if moved:
        out.append("Compared with the run of " + previous.started + ": " + "; ".join(moved) + ".")
    else:
        out.append(f"The previous run ({previous.started}) recorded no comparable findings numbers.")
    return out


def _num(v: float, digits: int, sign: str = "") -> str:
    """Counts as integers with thousands separators, anything else with ``digits`` decimals."""
    if float(v).is_integer() and abs(v) >= 100:
        return f"{v:{sign},.0f}"
    return f"{v:{sign}.{digits}f}"


def _short(v: str | None, width: int = 40) -> str:
    if v is None:
        return "(unset)"
    return f"`{v}`" if len(v) <= width else f"`{v[: width - 1]}…`"
