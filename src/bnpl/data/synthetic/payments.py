"""After the purchase: instalment repayments, person-to-person transfers and late-arriving labels."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl.data.synthetic.config import INSTALMENT_STATUS, TYPOLOGIES, WorldConfig
from bnpl.data.synthetic.population import Population

# Plan -> (number of instalments, days between them, days until the first one).
PLAN_TERMS = {0: (3, 30.0, 0.0), 1: (4, 14.0, 0.0), 2: (1, 30.0, 30.0)}
# Days from the fraudulent transaction until the chargeback / report arrives: (minimum, mean extra).
LABEL_DELAY = {"account_takeover": (1.0, 7.0), "synthetic_identity": (30.0, 15.0), "mule": (10.0, 25.0),
               "merchant_collusion": (20.0, 25.0), "scam": (2.0, 10.0)}
PAID, MISSED, DISPUTED, PENDING = range(4)


def instalments(cfg: WorldConfig, orders: dict, credit_score: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """One row per instalment with its due time and status (paid, missed, disputed, pending)."""
    plan, n = orders["plan"], len(orders["plan"])
    k = np.array([PLAN_TERMS[p][0] for p in range(3)])[plan]
    gap = np.array([PLAN_TERMS[p][1] for p in range(3)])[plan]
    first = np.array([PLAN_TERMS[p][2] for p in range(3)])[plan]
    tx = np.repeat(np.arange(n), k)
    j = np.arange(len(tx)) - np.repeat(np.cumsum(k) - k, k)
    due = orders["time"][tx] + first[tx] + j * gap[tx]
    typ = orders["typology"][tx]
    risk = 2.0 / (1.0 + np.exp((credit_score[orders["customer"][tx]] - 650.0) / 50.0))
    u = rng.random(len(tx))
    later = j > 0
    missed_p = np.full(len(tx), 0.0)
    missed_p[typ == 0] = np.minimum(1.0, cfg.missed_payment_rate * risk[typ == 0])
    for name, p in (("synthetic_identity", 1.0), ("merchant_collusion", 0.7), ("mule", 0.5)):
        sel = (typ == TYPOLOGIES.index(name) + 1) & ((j > 0) | (first[tx] > 0))
        missed_p[sel] = p
    status = np.where(u < missed_p, MISSED, PAID)
    victim_fraud = np.isin(typ, [TYPOLOGIES.index("account_takeover") + 1, TYPOLOGIES.index("scam") + 1])
    status[victim_fraud & (later | (first[tx] > 0))] = DISPUTED
    status[due > cfg.days] = PENDING
    paid_time = np.where(status == PAID, due + rng.exponential(1.0, size=len(tx)), np.nan)
    return pd.DataFrame({"transaction_id": tx, "instalment": j.astype(np.int8), "due_time": due,
                         "amount": np.round(orders["amount"][tx] / k[tx], 2),
                         "status": pd.Categorical.from_codes(status.astype(np.int8), INSTALMENT_STATUS),
                         "paid_time": paid_time})


def legit_transfers(cfg: WorldConfig, pop: Population, rng: np.random.Generator) -> dict:
    """Person-to-person transfers between ordinary accounts, often within a household."""
    n = pop.n_legit
    k = rng.poisson(cfg.transfers_per_account, size=n)
    src = np.repeat(np.arange(n), k)
    hh = pop.household
    nxt = np.where(np.arange(n) + 1 < n, np.arange(n) + 1, 0)
    prv = np.maximum(np.arange(n) - 1, 0)
    mate = np.where(hh[nxt] == hh[:n], nxt, np.where((hh[prv] == hh[:n]) & (prv != np.arange(n)), prv, -1))
    dst = np.where((mate[src] >= 0) & (rng.random(len(src)) < 0.4), mate[src], rng.integers(0, n, size=len(src)))
    # A few popular receivers (landlords, club treasurers, small sellers) collect from many accounts,
    # and some of them pass part of it on, so fan-in alone does not mark a mule.
    hubs = rng.choice(n, size=max(1, n // 50), replace=False)
    k_hub = rng.poisson(10, size=len(hubs))
    hub_dst = np.repeat(hubs, k_hub)
    hub_src = rng.integers(0, n, size=len(hub_dst))
    fwd = hubs[rng.random(len(hubs)) < 0.3]
    fwd_dst = rng.integers(0, n, size=len(fwd))
    src = np.concatenate([src, hub_src, np.repeat(fwd, 2)])
    dst = np.concatenate([dst, hub_dst, np.repeat(fwd_dst, 2)])
    keep = dst != src
    amount = rng.lognormal(3.5, 1.0, size=len(src))
    amount[len(amount) - 2 * len(fwd):] = rng.lognormal(5.5, 0.7, size=2 * len(fwd))
    return {"src": src[keep], "dst": dst[keep], "time": rng.uniform(0, cfg.days, size=int(keep.sum())),
            "amount": np.round(amount[keep], 2)}


def label_table(cfg: WorldConfig, orders: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Transaction labels with the time each became known (chargeback, report, or end of dispute window)."""
    typ = orders["typology"]
    delay = np.full(len(typ), cfg.legit_label_delay_days)
    for i, name in enumerate(TYPOLOGIES, start=1):
        sel = typ == i
        lo, mean = LABEL_DELAY[name]
        delay[sel] = lo + rng.exponential(mean, size=int(sel.sum()))
    names = np.array(("legit",) + TYPOLOGIES)
    return pd.DataFrame({"transaction_id": np.arange(len(typ)), "label": (typ > 0).astype(np.int8),
                         "typology": pd.Categorical(names[typ], categories=list(names)),
                         "label_time": orders["time"] + delay})
