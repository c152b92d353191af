"""The fraud model zoo with one interface (:mod:`bnpl.fraud.models.base`), by name.

* ``lgbm_tabular`` own columns only; ``lgbm_graph`` graph features (GADBench-style); ``lgbm_stacked``
  lgbm_graph + neighbours' out-of-fold scores; ``lgbm_collective`` lgbm_graph + label features on soft
  labels, leakage-free (:mod:`bnpl.fraud.models.boosters`);
* the GNNs ``sage``, ``gatv2``, ``rgcn``, ``ego_neigh``, ``dir_sage`` and ``hybrid`` (a GNN's
  embeddings + graph features -> LightGBM) (:mod:`bnpl.fraud.models.gnns`).
"""
from __future__ import annotations

from bnpl.errors import BnplError
from bnpl.fraud.defaults import FAST_MODELS
from bnpl.fraud.models.base import FraudModel, Pass
from bnpl.fraud.models.boosters import (
    CollectiveBooster,
    GraphBooster,
    StackedBooster,
    TabularBooster,
)
from bnpl.fraud.models.gnns import RGCN, DirSage, EgoNeigh, GATv2, Gnn, Hybrid, Sage

MODELS: dict[str, type[FraudModel]] = {m.name: m for m in (
    TabularBooster, GraphBooster, StackedBooster, CollectiveBooster, Sage, GATv2, RGCN, EgoNeigh, DirSage, Hybrid)}
GNN_MODELS = tuple(name for name, m in MODELS.items() if issubclass(m, Gnn) and m is not Hybrid)


def model_class(name: str) -> type[FraudModel]:
    """The fraud model called ``name``; BnplError listing the choices otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise BnplError(f"unknown model {name!r}; expected one of {list(MODELS)}") from None


__all__ = ["FAST_MODELS", "GNN_MODELS", "MODELS", "FraudModel", "Pass", "model_class"]
