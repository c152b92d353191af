"""Tuning of the sequential models on validation only (docs/recsys-benchmarks.md, section 1).

Splits an interaction dataset leave-last-out, carves each user's last training item as validation
(the benchmark's own carve), and either

- ``fit``: fits one model configuration on the carve, printing validation NDCG@10 after every
  evaluation and, with ``time_prior``, the validation NDCG of each prior weight tried; or
- ``prior``: ranks the unseen items by the time-local prior alone (``log(1 + n)`` of each item's count
  near the time bin of the user's last training item), for a few bin counts and windows; or
- ``parts``: fits like ``fit``, then scores each part of the fitted model alone and in pairs on
  validation (the network, the time-local prior, the transition counts), to show what each is worth.

The test items are never read.

    .venv/bin/python -m experiments.sequential.tune_on_carve ../shared/data/recsys/amazon-grocery fit \\
        --model sasrec --params '{"max_len": 50, "windows": 10}' --threads 1
    .venv/bin/python -m experiments.sequential.tune_on_carve ../shared/data/recsys/amazon-grocery prior
    .venv/bin/python -m experiments.sequential.tune_on_carve ../shared/data/recsys/amazon-grocery parts --threads 1

``--params`` are added to the model's grid configuration (its first grid point).
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from bnpl.data.loaders import load_interactions
from bnpl.data.splits import carve_validation, leave_last_out_split
from bnpl.errors import BnplError
from bnpl.recsys.evaluate import validation_ndcg
from bnpl.recsys.models import model_class
from bnpl.recsys.models.base import Recommender
from bnpl.recsys.models.sequential import time_prior


class _Prior(Recommender):
    """The time-local prior alone as a recommender."""

    def __init__(self, bins: int, window: int):
        super().__init__(0)
        self.bins, self.window = bins, window

    def _fit(self, train_df, side) -> None:
        prior = time_prior(train_df, self.n_users, self.n_items, self.bins, self.window)
        if prior is None:
            raise BnplError("prior: the interactions have no usable 'time' column")
        self.last, self.prior = prior

    def score(self, user_ids):
        last = self.last[np.asarray(user_ids)]
        return self.prior[np.maximum(last, 0)] * (last >= 0)[:, None]


class _Parts(Recommender):
    """Some parts of a fitted sequential model: its network's logits (or none), and its two priors at the weights given."""

    def __init__(self, model, network: bool, prior_weight: float, transition_weight: float):
        super().__init__(0)
        self.model, self.network = model, network
        self.weights = (prior_weight, transition_weight)

    def _fit(self, train_df, side) -> None:
        pass

    def score(self, user_ids):
        m = self.model
        saved = (m.prior_weight, m.transition_weight)
        m.prior_weight, m.transition_weight = self.weights
        try:
            scores = m.score(user_ids)
            if not self.network:  # the same call with the network's logits taken out
                m.prior_weight = m.transition_weight = 0.0
                scores = scores - m.score(user_ids)
        finally:
            m.prior_weight, m.transition_weight = saved
        return scores


def parts(model, fit_df, n_users: int, n_items: int, validate) -> None:
    """Validation NDCG@10 of each part of ``model`` alone and in pairs: a part alone at weight 1, pairs with the
    network at the model's chosen weights, and the two priors without the network at transition weights 1 to 16."""
    pw, tw = model.prior_weight, model.transition_weight
    rows = [("network alone", True, 0.0, 0.0), ("prior alone", False, 1.0, 0.0), ("transitions alone", False, 0.0, 1.0),
            ("network + prior", True, pw, 0.0), ("network + transitions", True, 0.0, tw), ("all three", True, pw, tw)]
    for label, network, p, t in rows:
        print(f"{label} (weights {p}, {t}): validation NDCG@10 "
              f"{validate(_Parts(model, network, p, t).fit(fit_df, n_users, n_items)):.4f}", flush=True)
    for t in (1.0, 2.0, 4.0, 8.0, 16.0):
        print(f"prior + transitions, no network (weights 1.0, {t}): validation NDCG@10 "
              f"{validate(_Parts(model, False, 1.0, t).fit(fit_df, n_users, n_items)):.4f}", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="interaction dataset (folder or file; bnpl.data.loaders.load_interactions)")
    ap.add_argument("what", choices=["fit", "prior", "parts"])
    ap.add_argument("--model", default="sasrec")
    ap.add_argument("--params", default="{}", help="JSON object added to the model's first grid configuration")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load_interactions(args.data)
    train, _ = leave_last_out_split(data.interactions)
    fit_df, val_df = carve_validation(train, "leave_last_out")
    validate = validation_ndcg(val_df, 10)
    if args.what == "prior":
        for bins, window in ((64, 0), (128, 1), (256, 2), (512, 3)):
            print(f"prior alone, {bins} bins, window {window}: validation NDCG@10 "
                  f"{validate(_Prior(bins, window).fit(fit_df, data.n_users, data.n_items)):.4f}", flush=True)
        return
    cls = model_class(args.model)
    params = cls.grid[0] | json.loads(args.params)
    start = time.time()
    model = cls(seed=args.seed, verbose=True, **params).fit(fit_df, data.n_users, data.n_items, validate=validate)
    print(f"{args.model} {params}: tuned {model.tuned}, validation NDCG@10 {validate(model):.4f}, "
          f"{time.time() - start:.0f} s", flush=True)
    if args.what == "parts":
        if model.prior is None or model.transitions is None:
            raise BnplError("parts: the configuration needs both time_prior and transitions on")
        parts(model, fit_df, data.n_users, data.n_items, validate)


if __name__ == "__main__":
    main()
