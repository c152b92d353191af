"""What a sweep records when it ends: the trials table, the objective plot, and the parent run's best.

The parent MLflow run gets the best trial's parameters (tags ``best.param.<name>`` and
``best_params`` as JSON), every metric of that trial's run under its own name (the validation
metric it was chosen by and its test metrics), plus ``best_trial``, ``trials_complete`` and
``trials_failed``. It ends FINISHED when every trial of the sweep finished, otherwise FAILED
with tag ``sweep.pending`` (rerun the sweep to retry), or KILLED after Ctrl-C; while other
processes still run trials of the sweep, the last of them to end sets the status.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from optuna.trial import TrialState

from bnpl.io import atomic_path, write_json
from bnpl.sweep import study as st
from bnpl.sweep.spec import Sweep, decode_choice


def summarise(study, sweep: Sweep, client, parent: str, folder: Path, status: str | None = None) -> dict[str, Any]:
    import pandas as pd

    from bnpl.tracking import log_metrics, set_tags

    rows = st.trial_rows(study)
    table = pd.DataFrame(rows)
    complete = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    failed = sum(r["state"] == "FAIL" for r in rows)
    running = len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))  # in other processes
    pruned = len(study.get_trials(deepcopy=False, states=(TrialState.PRUNED,)))
    pending = max(0, sweep.n_trials - len(complete) - pruned - running)
    out: dict[str, Any] = {"sweep": sweep.name, "study": study.study_name, "objective": sweep.objective.metric,
                           "direction": sweep.objective.direction, "n_trials": sweep.n_trials,
                           "complete": len(complete), "pruned": pruned, "failed": failed, "running": running, "pending": pending,
                           "parent_run_id": parent}
    if complete:
        best = max(complete, key=lambda t: t.value) if sweep.objective.direction == "maximize" else \
            min(complete, key=lambda t: t.value)
        params = {k: decode_choice(v) for k, v in best.params.items()}
        run_id = best.user_attrs.get("mlflow_run_id")
        metrics = client.get_run(run_id).data.metrics if run_id else {}
        out.update(best_trial=best.number, best_value=best.value, best_params=params, best_run_id=run_id,
                   best_metrics=metrics)
        set_tags(client, parent, {"best_params": json.dumps(params, default=str),
                                  **{f"best.param.{k}": json.dumps(v, default=str) for k, v in params.items()},
                                  "best_run_id": str(run_id)})  # other workers may be tagging the parent too
        log_metrics({**metrics, "best_trial": best.number}, run_id=parent)
    log_metrics({"trials_complete": len(complete), "trials_pruned": pruned, "trials_failed": failed}, run_id=parent)
    write_json(folder / "summary.json", out)
    if len(table):
        with atomic_path(folder / "trials.csv", ".csv") as tmp:
            table.to_csv(tmp, index=False)
        client.log_artifact(parent, str(folder / "trials.csv"))
        if complete:
            client.log_artifact(parent, str(_plot(table, sweep, folder)))
    set_tags(client, parent, {"sweep.pending": str(pending)})
    if status or not running:  # while other processes still run trials, the last one to end sets the status
        client.set_terminated(parent, status or ("FINISHED" if pending == 0 else "FAILED"))
    return out


def _plot(table, sweep: Sweep, folder: Path) -> Path:
    """Objective of each finished trial by trial number, with the best so far."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = table[table["state"] == "COMPLETE"].sort_values("number")
    best = done["value"].cummax() if sweep.objective.direction == "maximize" else done["value"].cummin()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(done["number"], done["value"], "o", label="trial")
    ax.step(done["number"], best, where="post", label="best so far")
    ax.set_xlabel("trial number")
    ax.set_ylabel(sweep.objective.metric)
    ax.set_title(f"sweep {sweep.name}")
    ax.legend()
    path = folder / "objective.png"
    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path
