"""Sweeps: a YAML file → a grid or an Optuna search → notebook trials in parallel processes → MLflow parent and child runs.

``spec`` reads and checks sweep files, ``study`` keeps the Optuna ledger (journal file or
PostgreSQL), ``run`` runs the trials, ``trial`` is one trial's process, ``summary`` records
the best trial on the parent run. See docs/sweeps.md.
"""
from bnpl.sweep.spec import Sweep, load_sweep

__all__ = ["Sweep", "load_sweep"]
