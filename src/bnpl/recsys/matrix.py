"""Interaction frames to sparse user x item matrices."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp


def interaction_matrix(df: pd.DataFrame, n_users: int, n_items: int) -> sp.csr_matrix:
    """Binary ``(n_users, n_items)`` CSR matrix: 1 where the user interacted with the item (repeats collapse)."""
    m = sp.csr_matrix((np.ones(len(df), dtype=np.float32), (df["user_id"].to_numpy(), df["item_id"].to_numpy())),
                      shape=(n_users, n_items))
    m.data[:] = 1.0
    m.sum_duplicates()
    m.data[:] = 1.0
    return m

