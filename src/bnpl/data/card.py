"""Data cards: what a dataset holds, at a glance, for a synthetic World, a FraudData or an InteractionData.

``data_card(obj)`` returns a :class:`DataCard` with scalar facts (row counts, time span, fraud
rate), tables (rows per table, fraud per typology, degree statistics) and matplotlib figures
(degree distributions, activity over time, fraud by typology, label delays).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bnpl.data.normalised import FraudData, InteractionData
from bnpl.errors import BnplError
from bnpl.io import atomic_path, write_json


@dataclass
class DataCard:
    name: str
    facts: dict = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    degrees: dict[str, np.ndarray] = field(default_factory=dict)   # label -> degree per node
    times: np.ndarray | None = None        # event times for the activity plot
    time_unit: str = ""
    label_delays: pd.DataFrame | None = None  # typology, delay (fraud only)

    def text(self) -> str:
        """The card as plain text (facts, then each table)."""
        lines = [f"Data card: {self.name}"]
        lines += [f"  {k}: {_fmt(v)}" for k, v in self.facts.items()]
        for name, df in self.tables.items():
            lines += ["", f"{name}:", df.to_string()]
        return "\n".join(lines)

    def figures(self) -> dict[str, object]:
        """Matplotlib figures keyed by a file-friendly name."""
        import matplotlib

        if matplotlib.get_backend().lower() not in ("agg",) and not _interactive():
            matplotlib.use("Agg")
        figs = {"degree_distributions": _degree_figure(self)}
        if self.times is not None and len(self.times):
            figs["activity_over_time"] = _time_figure(self)
        if "fraud_by_typology" in self.tables:
            figs["fraud_by_typology"] = _typology_figure(self)
        if self.label_delays is not None and len(self.label_delays):
            figs["label_delay"] = _delay_figure(self)
        return figs

    def save(self, folder: str | Path) -> list[Path]:
        """Write ``card.json``, one CSV per table and one PNG per figure into ``folder`` (each atomically)."""
        import matplotlib.pyplot as plt

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [write_json(folder / "card.json", {"name": self.name, "facts": self.facts,
                                                   "tables": {k: v.reset_index().to_dict(orient="records")
                                                              for k, v in self.tables.items()}})]
        for name, df in self.tables.items():
            with atomic_path(folder / f"{name}.csv", suffix=".csv") as tmp:
                df.to_csv(tmp)
            paths.append(folder / f"{name}.csv")
        for name, fig in self.figures().items():
            with atomic_path(folder / f"{name}.png", suffix=".png") as tmp:
                fig.savefig(tmp, dpi=110, bbox_inches="tight")
            plt.close(fig)
            paths.append(folder / f"{name}.png")
        return paths


def _interactive() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None
    except ImportError:
        return False


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def data_card(obj, name: str | None = None) -> DataCard:
    """Card for a :class:`~bnpl.data.synthetic.World`, :class:`FraudData` or :class:`InteractionData`."""
    if isinstance(obj, FraudData):
        return fraud_card(obj, name)
    if isinstance(obj, InteractionData):
        return interaction_card(obj, name)
    from bnpl.data.synthetic import World

    if isinstance(obj, World):
        return world_card(obj, name)
    raise BnplError(f"no data card for a {type(obj).__name__}; expected World, FraudData or InteractionData")


def degree_stats(degrees: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = {k: {"nodes": len(d), "mean": float(np.mean(d)) if len(d) else np.nan,
                "median": float(np.median(d)) if len(d) else np.nan,
                "p99": float(np.quantile(d, 0.99)) if len(d) else np.nan, "max": int(np.max(d)) if len(d) else 0}
            for k, d in degrees.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def fraud_card(fd: FraudData, name: str | None = None) -> DataCard:
    """Node and relation counts, label balance, fraud per typology, time span and degrees."""
    lab = fd.labels
    facts = {"target": fd.target, "labelled": int(len(lab)), "fraud": int(lab["label"].sum()),
             "fraud_rate": float(lab["label"].mean()) if len(lab) else float("nan"),
             "unlabelled": int(fd.num_nodes(fd.target) - len(lab)), "time_unit": fd.time_unit}
    tnodes = fd.nodes[fd.target]
    times = tnodes["time"].to_numpy() if "time" in tnodes.columns else None
    if times is not None and len(times):
        facts.update(time_min=float(times.min()), time_max=float(times.max()),
                     time_span=float(times.max() - times.min()))
    rows = pd.DataFrame({"rows": {f"node:{k}": len(v) for k, v in fd.nodes.items()}
                         | {"relation:" + "__".join(k): len(v) for k, v in fd.relations.items()}})
    tables = {"row_counts": rows}
    if "typology" in lab.columns:
        tables["fraud_by_typology"] = _typology_table(lab, fd.num_nodes(fd.target))
    degrees = {}
    for (s, r, d), df in fd.relations.items():
        if len(df) == 0:
            continue
        degrees[f"{s}-{r}->{d} [in]"] = np.bincount(df["dst"].to_numpy(), minlength=fd.num_nodes(d))
        if s != fd.target:
            degrees[f"{s}-{r}->{d} [out]"] = np.bincount(df["src"].to_numpy(), minlength=fd.num_nodes(s))
    tables["degrees"] = degree_stats(degrees)
    delays = None
    if times is not None and "label_time" in lab.columns and lab["label"].sum():
        fr = lab[lab["label"] == 1]
        delay = fr["label_time"].to_numpy() - times[fr["node_id"].to_numpy()]
        delays = pd.DataFrame({"typology": fr["typology"].astype(str).to_numpy() if "typology" in fr else "fraud",
                               "delay": delay})
        facts["median_label_delay"] = float(np.median(delay))
    return DataCard(name=name or fd.name, facts=facts, tables=tables, degrees=degrees, times=times,
                    time_unit=fd.time_unit, label_delays=delays)


def _typology_table(lab: pd.DataFrame, n_target: int) -> pd.DataFrame:
    typ = lab["typology"].astype(str)
    out = typ.value_counts().rename("count").to_frame()
    out["share_of_labelled"] = out["count"] / max(1, len(lab))
    out["share_of_all_nodes"] = out["count"] / max(1, n_target)
    return out


def interaction_card(inter: InteractionData, name: str | None = None) -> DataCard:
    """Users, items, interactions, density, time span and per-user / per-item activity."""
    df = inter.interactions
    facts = inter.summary()
    facts.pop("name", None)
    t = df["time"].to_numpy()
    if len(t) and np.isfinite(t).any():
        facts.update(time_min=float(np.nanmin(t)), time_max=float(np.nanmax(t)),
                     time_span=float(np.nanmax(t) - np.nanmin(t)))
    degrees = {"interactions per user": np.bincount(df["user_id"].to_numpy(), minlength=inter.n_users),
               "interactions per item": np.bincount(df["item_id"].to_numpy(), minlength=inter.n_items)}
    tables = {"degrees": degree_stats(degrees),
              "weights": df["weight"].value_counts().sort_index().rename("count").to_frame()}
    if inter.item_relations is not None and len(inter.item_relations):
        tables["item_relations"] = inter.item_relations["relation"].value_counts().rename("count").to_frame()
    return DataCard(name=name or inter.name, facts=facts, tables=tables, degrees=degrees, times=t)


def world_card(world, name: str | None = None) -> DataCard:
    """Card of a synthetic world: its fraud graph and its interactions, plus rows per table and
    the planted fraud per typology next to the configured rates."""
    from bnpl.data.synthetic import world_to_fraud_data, world_to_interactions

    fc = fraud_card(world_to_fraud_data(world), name)
    ic = interaction_card(world_to_interactions(world))
    cfg = world.config
    facts = {"seed": cfg.seed, "n_transactions": cfg.n_transactions} | fc.facts
    facts |= {f"recsys_{k}": v for k, v in ic.facts.items() if k in ("users", "items", "interactions", "density")}
    typ = fc.tables["fraud_by_typology"]
    typ["configured_rate"] = pd.Series(cfg.fraud_rates())
    tables = {"world_tables": pd.DataFrame({"rows": {k: len(v) for k, v in world.tables.items()}}),
              "fraud_by_typology": typ, "graph_degrees": fc.tables["degrees"],
              "interaction_degrees": ic.tables["degrees"],
              "instalment_status": world.tables["instalments"]["status"].value_counts().rename("count").to_frame()}
    return DataCard(name=name or f"synthetic world (seed {cfg.seed})", facts=facts, tables=tables,
                    degrees=fc.degrees | ic.degrees, times=fc.times, time_unit="days", label_delays=fc.label_delays)


def _degree_figure(card: DataCard):
    """Complementary CDF of node degree per relation side, log-log."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for label, d in card.degrees.items():
        d = np.sort(d[d > 0])
        if len(d) < 2 or d[0] == d[-1]:  # nothing to see in a constant degree
            continue
        ccdf = 1.0 - np.arange(len(d)) / len(d)
        ax.loglog(d, ccdf, label=label, lw=1.2)
    ax.set(xlabel="degree", ylabel="share of nodes with degree >= x", title=f"{card.name}: degree distributions")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def _time_figure(card: DataCard):
    import matplotlib.pyplot as plt

    t = card.times[np.isfinite(card.times)]
    fig, ax = plt.subplots(figsize=(7.5, 3))
    ax.hist(t, bins=min(200, max(10, len(np.unique(np.floor(t)))) if len(t) else 10), color="tab:blue")
    ax.set(xlabel=f"time ({card.time_unit})" if card.time_unit else "time", ylabel="events",
           title=f"{card.name}: activity over time")
    return fig


def _typology_figure(card: DataCard):
    import matplotlib.pyplot as plt

    tab = card.tables["fraud_by_typology"].drop(index="legit", errors="ignore")
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.barh(tab.index.astype(str), tab["share_of_all_nodes"], color="tab:red", label="observed")
    if "configured_rate" in tab.columns:
        ax.scatter(tab["configured_rate"], tab.index.astype(str), color="black", zorder=3, label="configured")
        ax.legend(fontsize=8)
    ax.set(xlabel="share of transactions" if card.time_unit == "days" else "share of target nodes",
           title=f"{card.name}: fraud by typology")
    return fig


def _delay_figure(card: DataCard):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    for typ, grp in card.label_delays.groupby("typology"):
        ax.hist(grp["delay"], bins=40, histtype="step", label=str(typ))
    ax.set(xlabel=f"label delay ({card.time_unit})", ylabel="fraud labels", title=f"{card.name}: when labels arrive")
    ax.legend(fontsize=7)
    return fig


def load_for_card(dataset: str, path: str | Path):
    """Load ``dataset`` (a name of :data:`~bnpl.data.datasets.CARD_DATASETS`) from ``path`` in the form its
    card describes (World, FraudData or InteractionData)."""
    from bnpl.data.datasets import (
        CARD_DATASETS,
        FRAUD_DATASETS,
        INTERACTION_CARD_FORMATS,
    )
    from bnpl.data.loaders import load_interactions

    if dataset == "synthetic":
        from bnpl.data.synthetic import load_world

        return load_world(path)
    if dataset in FRAUD_DATASETS:
        return FRAUD_DATASETS[dataset].load(path)
    if dataset in INTERACTION_CARD_FORMATS:
        return load_interactions(path, INTERACTION_CARD_FORMATS[dataset])
    raise BnplError(f"unknown dataset {dataset!r}; expected one of {', '.join(CARD_DATASETS)}")
