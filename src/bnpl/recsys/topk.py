"""Top-k of a batch of score rows with each user's training items masked (``torch.topk``: several
times faster than ``numpy.argpartition`` plus a sort on catalogue-wide rows)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch


def top_k_unseen(scores: np.ndarray, seen: sp.csr_matrix, k: int) -> np.ndarray:
    """``(rows, k)`` item ids, best first, never an item of that row of ``seen``; rows with fewer than
    ``k`` unseen items are padded with ``-1``. ``k`` must not exceed the number of columns."""
    s = torch.from_numpy(np.array(scores, dtype=np.float32, copy=True))
    rows = np.repeat(np.arange(s.shape[0]), np.diff(seen.indptr))
    s[torch.from_numpy(rows), torch.from_numpy(seen.indices.astype(np.int64))] = -torch.inf
    values, top = torch.topk(s, k, dim=1, sorted=True)
    top[values == -torch.inf] = -1
    return top.numpy()
