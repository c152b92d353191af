"""Recommenders with one interface (see :mod:`bnpl.recsys.models.base`), by name."""
from __future__ import annotations

from bnpl.errors import BnplError
from bnpl.recsys.models.base import Recommender
from bnpl.recsys.models.bpr import BPR
from bnpl.recsys.models.ease import EASE
from bnpl.recsys.models.gru4rec import GRU4Rec
from bnpl.recsys.models.itemknn import ItemKNN
from bnpl.recsys.models.lightgcn import LightGCN
from bnpl.recsys.models.popularity import Popularity
from bnpl.recsys.models.rerank import TwoStage
from bnpl.recsys.models.rp3beta import RP3beta
from bnpl.recsys.models.sasrec import SASRec
from bnpl.recsys.models.session_ease import SessionEASE
from bnpl.recsys.models.side_gnn import SideGNN

MODELS: dict[str, type[Recommender]] = {m.name: m for m in (Popularity, ItemKNN, RP3beta, EASE, SessionEASE, BPR, LightGCN, SideGNN, TwoStage,
                                                  SASRec, GRU4Rec)}


def model_class(name: str) -> type[Recommender]:
    """The recommender called ``name``; BnplError listing the choices otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise BnplError(f"unknown model {name!r}; choose from {', '.join(MODELS)}") from None


__all__ = ["MODELS", "Recommender", "model_class"]
