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
    for i, (xy, off) in enumerate(zip(zip(table["popularity_bias"], table["coverage"], strict=True),
                                      label_offsets(ax2, table["popularity_bias"], table["coverage"]), strict=True), start=1):
        ax2.annotate(str(i), xy, xytext=off, textcoords="offset points", fontsize=8)
    key = "\n".join(f"{i}  {name}" for i, name in enumerate(table.index, start=1))
    ax2.text(1.03, 1.0, key, transform=ax2.transAxes, va="top", fontsize=7, family="monospace")
    ax2.set_xlabel("popularity bias (mean popularity percentile of recommendations)")
    ax2.set_ylabel("catalogue coverage")
    ax2.set_title("coverage vs popularity bias")
    fig.tight_layout()
    return fig


_OFFSETS = ((4, 3), (4, -10), (-13, 3), (-13, -10), (4, 12), (-13, 12), (12, -3), (-20, -3))


def label_offsets(ax, x, y, width: float = 14.0, height: float = 10.0) -> list[tuple[int, int]]:
    """For each point, the first offset (points) from ``_OFFSETS`` whose label box overlaps no label
    placed before it (the first offset when all collide): greedy, enough for a few dozen labels."""
    ax.figure.canvas.draw()          # fixes the axes limits, so data -> display coordinates are final
    scale = ax.figure.dpi / 72.0     # points -> pixels
    pts = ax.transData.transform(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for px, py in pts:
        chosen = _OFFSETS[0]
        for dx, dy in _OFFSETS:
            box = (px + dx * scale, py + dy * scale, px + (dx + width) * scale, py + (dy + height) * scale)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                chosen = (dx, dy)
                break
        dx, dy = chosen
        placed.append((px + dx * scale, py + dy * scale, px + (dx + width) * scale, py + (dy + height) * scale))
        out.append(chosen)
    return out
