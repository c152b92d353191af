"""Experiments: configurations are YAML files at this level (sweeps, ablation grids, the creative config),
read by ``bnpl sweep``, the notebooks and the CLI; scripts are Python packages below it, run as modules
from the repository root (``.venv/bin/python -m experiments.<package>.<script>``)."""
