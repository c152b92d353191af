"""Most-popular baseline: every user gets the items with the most training interactions."""
from __future__ import annotations

import numpy as np

from bnpl.recsys.models.base import Recommender


class Popularity(Recommender):
    name = "popularity"
    grid = [{}]

    def _fit(self, train_df, side) -> None:
        assert self.train is not None     # set by fit before _fit
        self.counts = np.asarray(self.train.sum(0)).ravel().astype(np.float32)

    def score(self, user_ids):
        return np.broadcast_to(self.counts, (len(user_ids), self.n_items))  # read-only view, no copy
