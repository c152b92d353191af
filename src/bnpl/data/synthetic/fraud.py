"""Planted fraud. Each typology returns order blocks plus ground-truth entity rows.

Fraudsters draw their own attributes (amount via products, time of day, channel) from the same
distributions as ordinary customers; the signal they leave is mostly in links:

* ``account_takeover``: a victim's account used from an attacker's device, shipping to the
  attacker's drop address; one attacker hits several victims; unusually expensive resale goods.
* ``synthetic_identity``: rings of fake customers living at, logging in from and paying with a
  small shared pool of addresses, devices and cards; they default on their instalments.
* ``mule``: accounts that receive money from many accounts (fan-in) and pass it to a few
  collector accounts (fan-out); mules of one herder share a device; their purchases are labelled.
* ``merchant_collusion``: small merchants with a circle of complicit customers who buy there
  (and almost only there), partly from shared devices.
* ``scam``: victims tricked into buying gift cards / electronics shipped to a scammer's drop
  address that many unrelated victims share; half of them also send money to a mule.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bnpl.data.synthetic.config import (
    CATEGORIES,
    RESALE_CATEGORIES,
    SCAM_CATEGORIES,
    TYPOLOGIES,
    WorldConfig,
)
from bnpl.data.synthetic.population import N_REGIONS, Population
from bnpl.data.synthetic.sampling import (
    day_times,
    groups_of,
    spread,
    weighted_choice,
    weighted_in_groups,
)
from bnpl.data.synthetic.shopping import (
    APP,
    IN_STORE,
    WEB,
    Catalogue,
    choose_channel_device,
    own_instrument,
    own_ship_address,
    taste_products,
)

CODE = {t: i + 1 for i, t in enumerate(TYPOLOGIES)}  # 0 is legit


@dataclass
class Planted:
    """What fraud planting produced: order blocks, ground-truth rows, money transfers."""

    blocks: list[dict] = field(default_factory=list)
    entities: list[tuple[str, np.ndarray, str, str, np.ndarray]] = field(default_factory=list)
    transfers: list[dict] = field(default_factory=list)
    cover_customers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # also shop honestly

    def mark(self, entity: str, ids: np.ndarray, typology: str, role: str, group: np.ndarray | int) -> None:
        ids = np.asarray(ids)
        self.entities.append((entity, ids, typology, role, np.broadcast_to(group, ids.shape).copy()))


def extra_customers(cfg: WorldConfig) -> dict[str, int]:
    """How many fraud-only customers each typology needs (taken from the tail of the population)."""
    c = cfg.fraud_counts()
    n_mules = int(np.ceil(c["mule"] / 4))
    return {"synthetic_identity": int(np.ceil(c["synthetic_identity"] / 4)), "mule": n_mules,
            "collector": 2 * (n_mules // 5 + 1) if n_mules else 0,
            "merchant_collusion": int(np.ceil(c["merchant_collusion"] / 8))}


def plant_fraud(cfg: WorldConfig, pop: Population, cat: Catalogue, merchant_size: np.ndarray,
                rng: np.random.Generator) -> Planted:
    """Plant every typology with exactly ``cfg.fraud_counts()`` transactions each."""
    counts, extra = cfg.fraud_counts(), extra_customers(cfg)
    tail = pop.n_legit + np.concatenate([[0], np.cumsum(list(extra.values()))])
    slices = {k: np.arange(tail[i], tail[i + 1]) for i, k in enumerate(extra)}
    victims = rng.permutation(pop.n_legit)
    n_ato_v = int(np.ceil(counts["account_takeover"] / 2))
    n_scam_v = int(np.ceil(counts["scam"] / 1.5))
    out = Planted()
    _account_takeover(cfg, pop, cat, counts["account_takeover"], victims[:n_ato_v], out, rng)
    scam_victims = victims[n_ato_v:n_ato_v + n_scam_v]
    _scam(cfg, pop, cat, counts["scam"], scam_victims, out, rng)
    _synthetic_identity(cfg, pop, cat, counts["synthetic_identity"], slices["synthetic_identity"], out, rng)
    _mules(cfg, pop, cat, counts["mule"], slices["mule"], slices["collector"], scam_victims, out, rng)
    _collusion(cfg, pop, cat, merchant_size, counts["merchant_collusion"], slices["merchant_collusion"], out, rng)
    return out


def _block(customer, time, channel, device, instrument, ship, product, n_views, typology) -> dict:
    n = len(customer)
    return {"customer": customer, "time": time, "channel": channel, "device": device, "instrument": instrument,
            "ship_address": ship, "product": product, "n_views": np.broadcast_to(n_views, (n,)).copy(),
            "typology": np.full(n, CODE[typology], np.int8)}


def _burst_times(t0: np.ndarray, cfg: WorldConfig, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Times on the days shortly after each ``t0`` (exponential gaps), with the usual daily curve."""
    day = np.floor(np.minimum(t0 + rng.exponential(scale, size=len(t0)), cfg.days - 1))
    return day_times(day, rng)


def _window_times(start: np.ndarray, length: float | np.ndarray, cfg: WorldConfig,
                  rng: np.random.Generator) -> np.ndarray:
    """Times on days drawn uniformly in [start, start + length), with the usual daily curve."""
    day = np.floor(np.clip(start + rng.random(len(start)) * length, 0, cfg.days - 1))
    return day_times(day, rng)


def _products_in(cat: Catalogue, categories: tuple[str, ...], min_band: int, n: int,
                 rng: np.random.Generator) -> np.ndarray:
    codes = [CATEGORIES.index(c) for c in categories]
    pool = np.flatnonzero(np.isin(cat.category, codes) & (cat.band >= min_band))
    if len(pool) == 0:
        pool = np.flatnonzero(np.isin(cat.category, codes))
    return weighted_choice(pool, cat.popularity[pool], n, rng)


def _remote_channel(channel: np.ndarray) -> np.ndarray:
    """In-store purchases become app purchases (the fraudster is not in the shop)."""
    return np.where(channel == IN_STORE, APP, channel)


def _account_takeover(cfg, pop, cat, n, victims, out: Planted, rng) -> None:
    if n == 0:
        return
    vi = spread(n, len(victims), rng)
    victim = victims[vi]
    attacker_of = groups_of(len(victims), 2, 6, rng)
    n_att = int(attacker_of.max()) + 1
    att_dev = pop.devices.add(device_type=rng.integers(0, 2, size=2 * n_att).astype(np.int8),
                              os=rng.integers(0, 4, size=2 * n_att))
    att_addr = pop.addresses.add(address_type=rng.choice([0, 2], size=n_att).astype(np.int8),
                                 region=rng.integers(0, N_REGIONS, size=n_att))
    att_instr = pop.instruments.add(kind=np.zeros(n_att, np.int64), issuer=rng.integers(0, 10, size=n_att))
    att = attacker_of[vi]
    t0 = rng.uniform(0, cfg.days - 1, size=len(victims))[vi]
    channel = np.where(rng.random(n) < 0.6, APP, WEB)
    device = att_dev[2 * att + rng.integers(0, 2, size=n)]
    instrument = np.where(rng.random(n) < 0.3, att_instr[att], own_instrument(pop, victim, rng))
    product = _products_in(cat, RESALE_CATEGORIES, 3, n, rng)
    out.blocks.append(_block(victim, _burst_times(t0, cfg, 0.5, rng), channel, device, instrument, att_addr[att],
                             product, 1, "account_takeover"))
    out.mark("customer", np.unique(victim), "account_takeover", "victim", -1)
    out.mark("device", att_dev, "account_takeover", "attacker_device", np.repeat(np.arange(n_att), 2))
    out.mark("address", att_addr, "account_takeover", "drop_address", np.arange(n_att))
    out.mark("instrument", att_instr, "account_takeover", "attacker_instrument", np.arange(n_att))


def _scam(cfg, pop, cat, n, victims, out: Planted, rng) -> None:
    if n == 0:
        return
    vi = spread(n, len(victims), rng)
    victim = victims[vi]
    scammer_of = groups_of(len(victims), 5, 15, rng)
    n_sc = int(scammer_of.max()) + 1
    drop = pop.addresses.add(address_type=rng.choice([0, 2], size=n_sc).astype(np.int8),
                             region=rng.integers(0, N_REGIONS, size=n_sc))
    scammer = scammer_of[vi]
    t0 = rng.uniform(0, cfg.days - 1, size=len(victims))[vi]
    time = _burst_times(t0, cfg, 1.0, rng)
    channel, device = choose_channel_device(pop, victim, time, rng)
    channel = _remote_channel(channel)
    product = _products_in(cat, SCAM_CATEGORIES, 0, n, rng)
    out.blocks.append(_block(victim, time, channel, device,
                             own_instrument(pop, victim, rng), drop[scammer], product,
                             1 + rng.poisson(cfg.views_per_session - 1, size=n), "scam"))
    out.mark("customer", np.unique(victim), "scam", "victim", -1)
    out.mark("address", drop, "scam", "drop_address", np.arange(n_sc))


def _synthetic_identity(cfg, pop, cat, n, members, out: Planted, rng) -> None:
    if n == 0:
        return
    ring = groups_of(len(members), 3, 8, rng)
    n_r = int(ring.max()) + 1
    r_dev = pop.devices.add(device_type=np.zeros(2 * n_r, np.int8), os=rng.integers(0, 2, size=2 * n_r))
    r_addr = pop.addresses.add(address_type=np.zeros(2 * n_r, np.int8),
                               region=rng.integers(0, N_REGIONS, size=2 * n_r))
    r_instr = pop.instruments.add(kind=np.zeros(3 * n_r, np.int64), issuer=rng.integers(0, 10, size=3 * n_r))
    addr_regions = pop.addresses.frame()["region"]
    pop.home_address[members] = r_addr[2 * ring + rng.integers(0, 2, size=len(members))]
    pop.region[members] = addr_regions[pop.home_address[members]]
    pop.locker[members] = -1
    pop.office[members] = -1
    pop.desktop[members] = -1
    shared_card = rng.random(len(members)) < 0.4
    pop.instrument[members] = np.where(shared_card, r_instr[3 * ring + rng.integers(0, 3, size=len(members))],
                                       pop.instrument[members])
    who = spread(n, len(members), rng)
    customer, r = members[who], ring[who]
    window = min(45.0, cfg.days / 2)  # rings bust out within about six weeks
    start = rng.uniform(0, cfg.days - window, size=n_r)
    time = _window_times(start[r], window, cfg, rng)
    channel, device = choose_channel_device(pop, customer, time, rng)
    device = np.where(rng.random(n) < 0.5, r_dev[2 * r + rng.integers(0, 2, size=n)], device)
    out.blocks.append(_block(customer, time, channel, device,
                             own_instrument(pop, customer, rng), own_ship_address(pop, customer, rng),
                             taste_products(pop, cat, customer, rng),
                             1 + rng.poisson(cfg.views_per_session - 1, size=n), "synthetic_identity"))
    out.mark("customer", members, "synthetic_identity", "fake_customer", ring)
    out.mark("device", r_dev, "synthetic_identity", "shared_device", np.repeat(np.arange(n_r), 2))
    out.mark("address", r_addr, "synthetic_identity", "shared_address", np.repeat(np.arange(n_r), 2))
    out.mark("instrument", r_instr, "synthetic_identity", "shared_instrument", np.repeat(np.arange(n_r), 3))


def _mules(cfg, pop, cat, n, mules, collectors, scam_victims, out: Planted, rng) -> None:
    if n == 0:
        return
    group = groups_of(len(mules), 5, 10, rng)
    n_g = int(group.max()) + 1
    herder_dev = pop.devices.add(device_type=np.zeros(n_g, np.int8), os=rng.integers(0, 2, size=n_g))
    who = spread(n, len(mules), rng)
    customer, g = mules[who], group[who]
    time = _window_times(np.zeros(n), cfg.days, cfg, rng)
    channel, device = choose_channel_device(pop, customer, time, rng)
    device = np.where(rng.random(n) < 0.4, herder_dev[g], device)
    out.blocks.append(_block(customer, time, channel, device,
                             own_instrument(pop, customer, rng), own_ship_address(pop, customer, rng),
                             taste_products(pop, cat, customer, rng),
                             1 + rng.poisson(cfg.views_per_session - 1, size=n), "mule"))
    # Money flow: fan-in from many accounts, fan-out to the group's two collectors within days.
    k_in = 3 + rng.poisson(6, size=len(mules))
    dst = np.repeat(mules, k_in)
    m_group = np.repeat(group, k_in)
    src = rng.integers(0, pop.n_legit, size=len(dst))
    from_victim = (rng.random(len(dst)) < 0.3) & (len(scam_victims) > 0)
    if len(scam_victims):
        src = np.where(from_victim, rng.choice(scam_victims, size=len(dst)), src)
    t_in = rng.uniform(0, cfg.days - 3, size=len(dst))
    amt_in = np.round(rng.lognormal(5.5, 0.5, size=len(dst)), 2)
    collector = collectors[np.minimum(2 * m_group + rng.integers(0, 2, size=len(dst)), len(collectors) - 1)]
    # Fan-out: each mule forwards its takings in 1-3 batches, each to one of its group's collectors.
    batch = np.minimum(rng.integers(0, 3, size=len(dst)), np.repeat(rng.integers(0, 3, size=len(mules)), k_in))
    key = np.repeat(np.arange(len(mules)), k_in) * 3 + batch
    uniq, inv = np.unique(key, return_inverse=True)
    out_src = mules[uniq // 3]
    out_dst = collector[np.unique(inv, return_index=True)[1]]
    out_amt = np.round(np.bincount(inv, weights=amt_in) * 0.9, 2)
    out_t = np.minimum(np.maximum.reduceat(t_in[np.argsort(inv, kind="stable")],
                                           np.searchsorted(np.sort(inv), np.arange(len(uniq)))) +
                       rng.uniform(0.1, 3.0, size=len(uniq)), cfg.days - 1e-6)
    out.transfers.append({"src": np.concatenate([src, out_src]), "dst": np.concatenate([dst, out_dst]),
                          "time": np.concatenate([t_in, out_t]), "amount": np.concatenate([amt_in, out_amt])})
    out.mark("customer", mules, "mule", "mule", group)
    out.mark("customer", collectors[: 2 * n_g], "mule", "collector", np.repeat(np.arange(n_g), 2))
    out.mark("device", herder_dev, "mule", "herder_device", np.arange(n_g))


def _collusion(cfg, pop, cat, merchant_size, n, members, out: Planted, rng) -> None:
    if n == 0:
        return
    n_g = max(1, int(round(len(members) / 12)))
    has_products = np.bincount(cat.merchant, minlength=len(merchant_size)) > 0
    small = np.flatnonzero(has_products & (merchant_size <= np.quantile(merchant_size[has_products], 0.3)))
    if len(small) < n_g:
        small = np.flatnonzero(has_products)
    merchants = rng.choice(small, size=min(n_g, len(small)), replace=False)
    n_g = len(merchants)
    group = spread(len(members), n_g, rng)
    g_dev = pop.devices.add(device_type=np.zeros(2 * n_g, np.int8), os=rng.integers(0, 2, size=2 * n_g))
    who = spread(n, len(members), rng)
    customer, g = members[who], group[who]
    start = rng.uniform(0, cfg.days / 2, size=n_g)  # a scheme starts, then runs until the world ends
    time = _window_times(start[g], cfg.days - start[g], cfg, rng)
    channel, device = choose_channel_device(pop, customer, time, rng)
    device = np.where(rng.random(n) < 0.5, g_dev[2 * g + rng.integers(0, 2, size=n)], device)
    product = weighted_in_groups(cat.merchant, np.ones(len(cat.merchant)), len(merchant_size), merchants[g], rng)
    out.blocks.append(_block(customer, time, channel, device,
                             own_instrument(pop, customer, rng), own_ship_address(pop, customer, rng), product,
                             1 + rng.poisson(cfg.views_per_session - 1, size=n), "merchant_collusion"))
    out.cover_customers = members
    out.mark("merchant", merchants, "merchant_collusion", "colluding_merchant", np.arange(n_g))
    out.mark("customer", members, "merchant_collusion", "complicit_customer", group)
    out.mark("device", g_dev, "merchant_collusion", "shared_device", np.repeat(np.arange(n_g), 2))
