"""Explanation for an investigator: the features that drove one node's score (LightGBM SHAP
contributions) and its neighbourhood drawn as a picture (entities, known labels, model scores)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd

from bnpl.data.normalised import FraudData
from bnpl.data.subset import label_vector
from bnpl.display import homogeneous_input_names, readable_feature


def feature_contributions(model, x: pd.DataFrame, node: int, top: int = 10) -> pd.Series:
    """Top SHAP contributions (log-odds) of a fitted LightGBM for one row, largest magnitude first."""
    contrib = model.predict(x.iloc[[node]], pred_contrib=True)[0][:-1]
    s = pd.Series(contrib, index=x.columns)
    return s.reindex(s.abs().sort_values(ascending=False).index[:top])


def neighbourhood(data: FraudData, node: int, hops: int = 2, max_nodes: int = 60, per_node: int = 15) -> nx.Graph:
    """Undirected typed neighbourhood of a target node: nodes are (type, id), edges carry the relation.
    Grown hop by hop from the node over the edges touching the frontier only (no graph of the whole
    dataset); at most ``per_node`` edges per frontier node and relation (so a hub such as a big merchant
    does not crowd out the rest) and ``max_nodes`` nodes in all, in first-come order."""
    start = (data.target, node)
    g = nx.Graph()
    g.add_node(start)
    frontier = {data.target: np.array([node])}
    for _ in range(hops):
        found: dict[str, list] = {}
        for (s, r, d), df in data.relations.items():
            for near, far, nc, fc in ((s, d, "src", "dst"), (d, s, "dst", "src")):
                if near not in frontier:
                    continue
                hit = df[df[nc].isin(frontier[near])].groupby(nc, sort=False).head(per_node)
                for a, b in zip(hit[nc].to_numpy(), hit[fc].to_numpy(), strict=True):
                    u, v = (near, int(a)), (far, int(b))
                    if v not in g and g.number_of_nodes() >= max_nodes:
                        continue
                    if v not in g:
                        found.setdefault(far, []).append(int(b))
                    g.add_edge(u, v, relation=r)
        frontier = {t: np.unique(ids) for t, ids in found.items()}
    return g


def draw_explanation(data: FraudData, node: int, scores: np.ndarray, contributions: pd.Series,
                     known_ids: np.ndarray, hops: int = 2):
    """Figure: left the neighbourhood (targets coloured by score, known-fraud outlined red), right the
    top feature contributions."""
    sub = neighbourhood(data, node, hops)
    y = label_vector(data)
    known = set(np.asarray(known_ids).tolist())
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [1.3, 1]})
    pos = nx.spring_layout(sub, seed=0)
    targets = [v for v in sub if v[0] == data.target]
    others = [v for v in sub if v[0] != data.target]
    nx.draw_networkx_edges(sub, pos, ax=ax1, alpha=0.3)
    nx.draw_networkx_nodes(sub, pos, nodelist=others, node_shape="s", node_color="lightgrey", node_size=120, ax=ax1)
    col = [scores[v[1]] for v in targets]
    edge = ["red" if v[1] in known and y[v[1]] == 1 else "black" for v in targets]
    nodes = nx.draw_networkx_nodes(sub, pos, nodelist=targets, node_color=col, cmap="coolwarm", vmin=0, vmax=1,
                                   node_size=[400 if v[1] == node else 90 for v in targets], edgecolors=edge, ax=ax1)
    nx.draw_networkx_labels(sub, pos, labels={v: f"{v[0][:3]}{v[1]}" for v in others}, font_size=6, ax=ax1)
    fig.colorbar(nodes, ax=ax1, label="fraud score")
    ax1.set_title(f"{data.target} {node}: score {scores[node]:.2f} ({hops}-hop neighbourhood;\n"
                  "squares = shared entities, red outline = known fraud from training)")
    ax1.axis("off")
    c = contributions.iloc[::-1]
    ax2.barh(range(len(c)), c.to_numpy(), color=["tab:red" if v > 0 else "tab:blue" for v in c])
    inputs = homogeneous_input_names(data)
    ax2.set_yticks(range(len(c)), [readable_feature(n, inputs) for n in c.index], fontsize=8)
    ax2.set_xlabel("contribution to log-odds (SHAP)")
    ax2.set_title("features that drove the score")
    fig.tight_layout()
    return fig
