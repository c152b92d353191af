"""Taste-driven shopping: orders (one BNPL transaction each), their items, sessions and browsing events."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnpl.data.synthetic.config import (
    CATEGORIES,
    CHANNELS,
    EVENT_TYPES,
    STYLES,
    WorldConfig,
)
from bnpl.data.synthetic.population import Population
from bnpl.data.synthetic.sampling import (
    categorical_rows,
    uniform_times,
    weighted_in_groups,
)

APP, WEB, IN_STORE = 0, 1, 2


@dataclass
class Catalogue:
    """Arrays the samplers need about products."""

    cell: np.ndarray        # category * n_styles + style
    band: np.ndarray
    popularity: np.ndarray
    merchant: np.ndarray
    category: np.ndarray
    price: np.ndarray
    complements: np.ndarray  # (n_products, 2)

    @classmethod
    def from_products(cls, products: pd.DataFrame, complements: np.ndarray) -> Catalogue:
        cat = products["category"].cat.codes.to_numpy().astype(np.int64)
        style = products["style"].cat.codes.to_numpy().astype(np.int64)
        return cls(cell=cat * len(STYLES) + style, band=products["price_band"].to_numpy().astype(np.int64),
                   popularity=products["popularity"].to_numpy(), merchant=products["merchant_id"].to_numpy(),
                   category=cat, price=products["price"].to_numpy(), complements=complements)


def taste_products(pop: Population, cat: Catalogue, customers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One product per entry of ``customers``, drawn from that customer's latent taste.

    Category and style come from the customer's preferences; within that cell the product is the
    best of three popularity-weighted candidates by closeness to the customer's price band.
    """
    c = categorical_rows(pop.cat_pref, customers, rng)
    s = categorical_rows(pop.style_pref, customers, rng)
    cell = c * len(STYLES) + s
    n_cells = len(CATEGORIES) * len(STYLES)
    cands = np.stack([weighted_in_groups(cat.cell, cat.popularity, n_cells, cell, rng) for _ in range(3)])
    score = np.abs(cat.band[cands] - pop.band_pref[customers]) + rng.random(cands.shape) * 1.5
    return cands[np.argmin(score, axis=0), np.arange(len(customers))]


def choose_channel_device(pop: Population, customers: np.ndarray, time: np.ndarray,
                          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Channel from the customer's preference; the phone for app and in-store, often the desktop for web,
    now and then a public computer for web. Customers who replace their phone use the new one after
    the switch."""
    channel = categorical_rows(pop.channel_pref, customers, rng)
    desk = pop.desktop[customers]
    u = rng.random(len(customers))
    phone = pop.phone[customers]
    new = pop.new_phone[customers]
    phone = np.where((new >= 0) & (time > pop.switch_time[customers]), new, phone)
    device = np.where((channel == WEB) & (desk >= 0) & (u < 0.7), desk, phone)
    public = (channel == WEB) & (u > 0.93)
    device[public] = rng.choice(pop.public_devices, size=int(public.sum()))
    return channel, device


def own_instrument(pop: Population, customers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    second = pop.instrument2[customers]
    return np.where((second >= 0) & (rng.random(len(customers)) < 0.2), second, pop.instrument[customers])


def own_ship_address(pop: Population, customers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Home, or the customer's parcel locker (40% of the time) or office (30%) when they have one."""
    lock, office = pop.locker[customers], pop.office[customers]
    u = rng.random(len(customers))
    return np.where((lock >= 0) & (u < 0.4), lock,
                    np.where((office >= 0) & (u > 0.7), office, pop.home_address[customers]))


def legit_orders(cfg: WorldConfig, pop: Population, cat: Catalogue, n: int, rng: np.random.Generator,
                 cover: np.ndarray | None = None) -> dict:
    """``n`` ordinary orders; every ordinary customer gets at least one when ``n`` allows.

    ``cover`` customers (complicit in fraud elsewhere) also make about four genuine orders each.
    """
    cover = np.zeros(0, np.int64) if cover is None else cover
    cover_orders = rng.choice(cover, size=min(4 * len(cover), n // 10)) if len(cover) else cover
    base = np.arange(min(n - len(cover_orders), pop.n_legit))
    w = pop.activity[: pop.n_legit]
    extra = rng.choice(pop.n_legit, size=n - len(base) - len(cover_orders), p=w / w.sum())
    customers = np.concatenate([base, extra, cover_orders])
    time = uniform_times(n, 0.0, cfg.days, rng)
    channel, device = choose_channel_device(pop, customers, time, rng)
    return {"customer": customers, "time": time, "channel": channel,
            "device": device, "instrument": own_instrument(pop, customers, rng),
            "ship_address": own_ship_address(pop, customers, rng),
            "product": taste_products(pop, cat, customers, rng),
            "n_views": 1 + rng.poisson(cfg.views_per_session - 1, size=n), "typology": np.zeros(n, np.int8)}


def assemble_orders(blocks: list[dict], cat: Catalogue, rng: np.random.Generator) -> tuple[dict, pd.DataFrame]:
    """Concatenate order blocks, sort by time, add basket items, merchant, amount and BNPL plan.

    Returns the order columns (index = transaction id) and the ``order_items`` table.
    """
    cols = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    order = np.lexsort((rng.random(len(cols["time"])), cols["time"]))
    cols = {k: v[order] for k, v in cols.items()}
    n = len(order)
    first = cols["product"]
    second = np.where(rng.random(n) < 0.3, cat.complements[first, 0], -1)
    third = np.where((second >= 0) & (rng.random(n) < 0.3), cat.complements[first, 1], -1)
    second[second == first] = -1
    third[(third == first) | (third == second)] = -1
    items = np.stack([first, second, third], axis=1)
    tx = np.repeat(np.arange(n), 3)
    flat = items.ravel()
    keep = flat >= 0
    order_items = pd.DataFrame({"transaction_id": tx[keep], "product_id": flat[keep],
                                "price": cat.price[flat[keep]]})
    amount = np.bincount(order_items["transaction_id"].to_numpy(), weights=order_items["price"].to_numpy(),
                         minlength=n)
    cols["n_items"] = keep.reshape(n, 3).sum(axis=1).astype(np.int8)
    cols["merchant"] = cat.merchant[first]
    cols["amount"] = np.round(amount, 2)
    cols["plan"] = choose_plan(cols["amount"], rng)
    return cols, order_items


def choose_plan(amount: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pay in 30 days is popular for small baskets, pay in 3 / 4 for large ones."""
    p30 = np.select([amount < 50, amount < 200], [0.5, 0.2], 0.05)
    p3 = (1 - p30) * 0.55
    u = rng.random(len(amount))
    return np.where(u < p30, 2, np.where(u < p30 + p3, 0, 1)).astype(np.int8)


def sessions_and_events(cfg: WorldConfig, pop: Population, cat: Catalogue, orders: dict,
                        rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One session per order (views, then add-to-cart of the purchased product) plus browse-only sessions."""
    n_orders = len(orders["time"])
    n_browse = int(round(cfg.browse_sessions_per_order * n_orders))
    w = pop.activity / pop.activity.sum()
    b_cust = rng.choice(pop.n, size=n_browse, p=w)
    b_time = uniform_times(n_browse, 0.0, cfg.days, rng)
    b_channel, b_device = choose_channel_device(pop, b_cust, b_time, rng)
    s_cust = np.concatenate([orders["customer"], b_cust])
    s_views = np.concatenate([orders["n_views"], 1 + rng.poisson(cfg.views_per_session - 1, size=n_browse)])
    s_end = np.concatenate([orders["time"], b_time])
    s_len = s_views * rng.uniform(0.5, 3.0, size=len(s_views)) / (24 * 60)  # minutes, in days
    s_start = np.maximum(s_end - s_len, 0.0)
    sessions = pd.DataFrame({
        "session_id": np.arange(len(s_cust)), "customer_id": s_cust,
        "device_id": np.concatenate([orders["device"], b_device]),
        "channel": pd.Categorical.from_codes(np.concatenate([orders["channel"], b_channel]).astype(np.int8), CHANNELS),
        "start_time": s_start, "end_time": s_end,
        "transaction_id": np.concatenate([np.arange(n_orders), np.full(n_browse, -1)]),
    })
    # Views: the first view of an order session is the purchased product, the rest follow taste.
    v_sess = np.repeat(np.arange(len(s_cust)), s_views)
    v_rank = np.arange(len(v_sess)) - np.repeat(np.cumsum(s_views) - s_views, s_views)
    v_prod = taste_products(pop, cat, s_cust[v_sess], rng)
    is_first_of_order = (v_rank == 0) & (v_sess < n_orders)
    v_prod[is_first_of_order] = orders["product"][v_sess[is_first_of_order]]
    v_time = s_start[v_sess] + (v_rank + rng.random(len(v_sess))) / s_views[v_sess] * s_len[v_sess]
    # Add-to-cart: the purchased product of each order, and sometimes the last view of a browse session.
    last_view = np.cumsum(s_views) - 1
    browse_cart = np.flatnonzero(rng.random(n_browse) < 0.15) + n_orders
    c_sess = np.concatenate([np.arange(n_orders), browse_cart])
    c_prod = np.concatenate([orders["product"], v_prod[last_view[browse_cart]]])
    events = pd.DataFrame({
        "session_id": np.concatenate([v_sess, c_sess]),
        "customer_id": s_cust[np.concatenate([v_sess, c_sess])],
        "product_id": np.concatenate([v_prod, c_prod]),
        "event_type": pd.Categorical.from_codes(
            np.concatenate([np.zeros(len(v_sess), np.int8), np.ones(len(c_sess), np.int8)]), EVENT_TYPES),
        "time": np.concatenate([np.minimum(v_time, s_end[v_sess]), s_end[c_sess]]),
    })
    return sessions, events


