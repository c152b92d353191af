"""Figures of the recommendation ablation (notebook 03)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def cold_start_figure(cold: pd.DataFrame, table: pd.DataFrame):
    """Left: NDCG per cell for cold-start and for all customers, side-by-side bars whose colours are the
    legend's. Right: catalogue coverage against popularity bias, each cell a numbered point with the
    numbers explained in a key beside the plot (names written on the points overlap)."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, max(4.0, 0.32 * len(cold) + 1.5)),
                                  gridspec_kw={"width_ratios": [1.1, 1]})
    y = np.arange(len(cold))
    h = 0.4
    ax.barh(y - h / 2, cold["cold_ndcg"], height=h, color="tab:blue", label="cold-start customers")
    ax.barh(y + h / 2, cold["ndcg"], height=h, color="tab:orange", label="all customers")
    ax.set_yticks(y, cold.index, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("NDCG@K")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("ranking quality per cell")
    ax2.scatter(table["popularity_bias"], table["coverage"], color="tab:blue", zorder=3)
    for i, (x, c) in enumerate(zip(table["popularity_bias"], table["coverage"], strict=True), start=1):
        ax2.annotate(str(i), (x, c), xytext=(4, 3), textcoords="offset points", fontsize=8)
    key = "\n".join(f"{i}  {name}" for i, name in enumerate(table.index, start=1))
    ax2.text(1.03, 1.0, key, transform=ax2.transAxes, va="top", fontsize=7, family="monospace")
    ax2.set_xlabel("popularity bias (mean popularity percentile of recommendations)")
    ax2.set_ylabel("catalogue coverage")
    ax2.set_title("coverage vs popularity bias")
    fig.tight_layout()
    return fig
