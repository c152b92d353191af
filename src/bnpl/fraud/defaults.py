"""Defaults of the fraud benchmark read by the benchmark, the CLI and notebook 02's parameter model
(kept free of heavy imports so that the CLI starts fast)."""
from __future__ import annotations

#: GNN training: epochs (early-stopped), hidden size, patience (epochs without a better validation AUPRC)
DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_PATIENCE = 40, 32, 10
#: default zoo, sized so a real dataset with 3 seeds fits 10 minutes on 2 cores: the boosters, one GNN
#: (direction-aware SAGE) and the hybrid on that GNN's embeddings (reused, not retrained)
FAST_MODELS = ("lgbm_tabular", "lgbm_graph", "dir_sage", "hybrid")
