"""Checks that a world carries the signals later stages rely on: learnable taste, fraud in the links."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl.data.synthetic.world import World


def taste_vs_popularity(world: World, k: int = 10, max_users: int = 2000, seed: int = 0) -> dict[str, float]:
    """Hit rate @k on each customer's last ordered product: popularity vs a per-customer category-taste model.

    Both models see everything the customer did before that order (views, carts, earlier orders).
    The taste model scores an item by popularity times the customer's share of interest in its
    category (smoothed). Evaluated on up to ``max_users`` customers with at least two orders.
    """
    t = world.tables
    oi = t["order_items"].merge(t["transactions"][["transaction_id", "customer_id", "time"]], on="transaction_id")
    n_orders = oi.groupby("customer_id")["transaction_id"].nunique()
    eligible = n_orders.index[n_orders >= 2].to_numpy()
    rng = np.random.default_rng(seed)
    users = np.sort(rng.choice(eligible, size=min(max_users, len(eligible)), replace=False))
    last = oi[oi["customer_id"].isin(users)].sort_values("time").groupby("customer_id").tail(1)
    cutoff = pd.Series(last["time"].to_numpy(), index=last["customer_id"].to_numpy())
    category = t["products"]["category"].cat.codes.to_numpy()
    n_items, n_cat = len(t["products"]), int(category.max()) + 1
    ev = t["events"][["customer_id", "product_id", "time"]]
    before = pd.concat([ev, oi[["customer_id", "product_id", "time"]]], ignore_index=True)
    train_pop = np.bincount(oi["product_id"].to_numpy()[~oi.index.isin(last.index)], minlength=n_items) + 1.0
    mine = before[before["customer_id"].isin(users)]
    mine = mine[mine["time"].to_numpy() < cutoff.reindex(mine["customer_id"]).to_numpy()]
    row = np.searchsorted(users, mine["customer_id"].to_numpy())
    taste = np.zeros((len(users), n_cat))
    np.add.at(taste, (row, category[mine["product_id"].to_numpy()]), 1.0)
    taste = (taste + 0.1) / (taste + 0.1).sum(axis=1, keepdims=True)
    target = last.set_index("customer_id").loc[users, "product_id"].to_numpy()
    top_pop = np.argsort(-train_pop)[:k]
    scores = taste[:, category] * train_pop[None, :]
    top_taste = np.argpartition(-scores, k, axis=1)[:, :k]
    return {"users": int(len(users)), f"popularity_hit@{k}": float(np.isin(target, top_pop).mean()),
            f"taste_hit@{k}": float((top_taste == target[:, None]).any(axis=1).mean())}


def link_signal_table(world: World) -> pd.DataFrame:
    """Per typology: the share of transactions showing each link pattern, next to own attributes.

    Fraudsters' own attributes (amount, hour, channel) look ordinary; the links do not.
    """
    t = world.tables
    tx = t["transactions"].copy()
    tx["typology"] = t["transaction_labels"]["typology"].astype(str).to_numpy()
    dev_cust = tx.groupby("device_id")["customer_id"].nunique()
    ship_cust = tx.groupby("ship_address_id")["customer_id"].nunique()
    indeg = np.bincount(t["transfers"]["dst_account_id"].to_numpy(), minlength=len(t["accounts"]))
    own = t["customer_devices"].assign(own=True).set_index(["customer_id", "device_id"])["own"]
    is_own = own.reindex(pd.MultiIndex.from_arrays([tx["customer_id"], tx["device_id"]])).notna().to_numpy()
    home = t["customers"]["home_address_id"].to_numpy()[tx["customer_id"].to_numpy()]
    feats = pd.DataFrame({
        "typology": tx["typology"],
        "median_amount": tx["amount"],
        "share_in_app": (tx["channel"] == "app").astype(float),
        "mean_hour": (tx["time"] % 1) * 24,
        "device_shared_3plus_customers": (dev_cust.reindex(tx["device_id"]).to_numpy() >= 3).astype(float),
        "device_not_registered": (~is_own).astype(float),
        "ships_to_address_of_4plus_customers": (ship_cust.reindex(tx["ship_address_id"]).to_numpy() >= 4).astype(float),
        "ships_away_from_home": (tx["ship_address_id"].to_numpy() != home).astype(float),
        "account_fan_in_5plus": (indeg[tx["account_id"].to_numpy()] >= 5).astype(float),
    })
    agg = {c: ("median" if c == "median_amount" else "mean") for c in feats.columns if c != "typology"}
    out = feats.groupby("typology").agg(agg)
    out.insert(0, "transactions", feats.groupby("typology").size())
    return out


def thumbnail_grid(world: World, n: int = 24, seed: int = 0):
    """A figure with ``n`` random product thumbnails and their category / style / colour."""
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    pr = world.tables["products"]
    rows = pr.sample(n=min(n, len(pr)), random_state=seed)
    cols = 8
    fig, axes = plt.subplots(int(np.ceil(len(rows) / cols)), cols, figsize=(cols * 1.3, 1.5 * np.ceil(len(rows) / cols)))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, (_, r) in zip(np.ravel(axes), rows.iterrows(), strict=False):
        ax.imshow(Image.open(io.BytesIO(r["thumbnail_png"])))
        ax.set_title(f"{r['category']}\n{r['style']}/{r['colour']}", fontsize=6)
    return fig
