"""Notebook 03's cold-start figure: bar colours match the legend, point labels do not overlap."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bnpl.recsys.plots import cold_start_figure


def test_bars_match_the_legend_and_labels_do_not_collide():
    cells = [f"cell {i}" for i in range(8)]
    cold = pd.DataFrame({"cold_ndcg": np.linspace(0.01, 0.05, 8), "ndcg": np.linspace(0.02, 0.07, 8)}, index=cells)
    table = pd.DataFrame({"popularity_bias": [0.95, 0.951, 0.952, 0.953, 0.8, 0.9, 0.96, 0.961],
                          "coverage": [0.2, 0.201, 0.202, 0.2, 0.6, 0.4, 0.21, 0.2]}, index=cells)
    fig = cold_start_figure(cold, table)
    ax = fig.axes[0]
    legend = {t.get_text(): h.patches[0].get_facecolor() for t, h in zip(ax.get_legend().texts,
                                                                        ax.get_legend_handles_labels()[0], strict=True)}
    bars = {tuple(p.get_facecolor()) for p in ax.patches}
    assert {tuple(c) for c in legend.values()} == bars and len(bars) == 2   # two colours, both in the legend
    fig.canvas.draw()
    boxes = [a.get_window_extent() for a in fig.axes[1].texts if a.get_text().isdigit()]
    assert len(boxes) == 8
    overlaps = [(i, j) for i in range(8) for j in range(i + 1, 8) if boxes[i].overlaps(boxes[j])]
    assert overlaps == []                # four points sit within a label's size of each other
    plt.close(fig)
