"""AMLSim diagnostics behind the fraud benchmark's claims, run as modules from the repository root,
e.g. ``.venv/bin/python -m experiments.amlsim.push_ablation PATH``. They build the benchmark's own
stages (:func:`bnpl.fraud.benchmark.make_pass`, :mod:`bnpl.fraud.models`) with switches."""
