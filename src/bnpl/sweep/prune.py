"""Pruning from inside a trial's notebook: intermediate validation values go to the trial's Optuna study.

``bnpl.sweep.trial`` passes the study to the notebook's kernel through the environment. When the
notebook logs the sweep's objective with a step (``tracking.log_metrics({"val_auprc": v}, step=epoch)``),
:func:`report` records it as the trial's intermediate value and asks the sweep's pruner; a trial the
pruner stops raises ``optuna.TrialPruned``, the notebook ends there, and the sweep records the trial
as PRUNED (not retried). Outside a sweep, or with ``pruner: none``, nothing happens.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping

ENV = "BNPL_SWEEP_PRUNING"  # JSON: storage, study, trial number, objective metric, pruner settings


def make_pruner(spec: Mapping):
    import optuna

    if spec["type"] == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=spec["n_startup_trials"], n_warmup_steps=spec["n_warmup_steps"])
    return optuna.pruners.NopPruner()


def report(metrics: Mapping[str, float], step: int) -> None:
    """Record the objective's value at ``step`` and raise ``optuna.TrialPruned`` if the pruner says so."""
    raw = os.environ.get(ENV)
    if not raw:
        return
    ctx = json.loads(raw)
    if ctx["metric"] not in metrics:
        return
    import optuna

    from bnpl.sweep.storage import make_storage

    storage = make_storage(ctx["storage"])
    study = optuna.load_study(study_name=ctx["study"], storage=storage, pruner=make_pruner(ctx["pruner"]))
    trial_id = storage.get_trial_id_from_study_id_trial_number(study._study_id, ctx["number"])
    storage.set_trial_intermediate_value(trial_id, step, float(metrics[ctx["metric"]]))
    if study.pruner.prune(study, storage.get_trial(trial_id)):
        raise optuna.TrialPruned(f"trial {ctx['number']} pruned at step {step}")
