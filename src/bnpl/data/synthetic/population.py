"""Customers with latent taste, their households, addresses, devices, payment instruments and accounts."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bnpl.data.synthetic.config import (
    ADDRESS_TYPES,
    BAND_PRICES,
    CATEGORIES,
    DEVICE_TYPES,
    INSTRUMENT_KINDS,
    OS_NAMES,
    STYLES,
    WorldConfig,
)

N_REGIONS = 20


@dataclass
class EntityPool:
    """Rows of one entity table, grown in blocks; ids are row positions."""

    columns: dict[str, list[np.ndarray]] = field(default_factory=dict)
    size: int = 0

    def add(self, **cols: np.ndarray) -> np.ndarray:
        n = len(next(iter(cols.values())))
        for k, v in cols.items():
            self.columns.setdefault(k, []).append(np.asarray(v))
        ids = np.arange(self.size, self.size + n)
        self.size += n
        return ids

    def frame(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.columns.items()}


@dataclass
class Population:
    """Everything known about customers while the world is generated (raw, unshuffled ids)."""

    cat_pref: np.ndarray       # (n, categories) latent taste
    style_pref: np.ndarray     # (n, styles)
    band_pref: np.ndarray      # preferred price band
    channel_pref: np.ndarray   # (n, channels)
    activity: np.ndarray       # relative shopping frequency
    age: np.ndarray
    income_band: np.ndarray
    credit_score: np.ndarray
    region: np.ndarray
    home_address: np.ndarray
    locker: np.ndarray         # parcel locker address or -1
    office: np.ndarray         # work (business) address or -1
    phone: np.ndarray          # device id
    desktop: np.ndarray        # device id or -1
    new_phone: np.ndarray      # phone the customer switches to at ``switch_time`` (-1: never)
    switch_time: np.ndarray
    public_devices: np.ndarray  # shared computers (libraries, shops) anyone may use for web sessions
    instrument: np.ndarray     # primary instrument
    instrument2: np.ndarray    # secondary instrument or -1
    household: np.ndarray
    devices: EntityPool
    addresses: EntityPool
    instruments: EntityPool
    n_legit: int

    @property
    def n(self) -> int:
        return len(self.age)


def make_population(cfg: WorldConfig, n_extra: int, rng: np.random.Generator) -> Population:
    """``cfg.n_customers`` ordinary customers plus ``n_extra`` (single-person households) for fraud roles.

    The extra customers draw every attribute from the same distributions as everyone else.
    """
    n_legit = cfg.n_customers
    n = n_legit + n_extra
    k, s = len(CATEGORIES), len(STYLES)
    global_cat = rng.dirichlet(np.full(k, 4.0))
    cat_pref = 0.85 * rng.dirichlet(np.full(k, 0.25), size=n) + 0.15 * global_cat
    style_pref = 0.85 * rng.dirichlet(np.full(s, 0.3), size=n) + 0.15 / s
    income_band = rng.choice(len(BAND_PRICES), size=n, p=[0.2, 0.3, 0.25, 0.17, 0.08])
    band_pref = np.clip(income_band + rng.choice([-1, 0, 0, 1], size=n), 0, len(BAND_PRICES) - 1)

    household = _households(n_legit, n_extra, rng)
    n_house = int(household.max()) + 1
    addresses = EntityPool()
    house_region = rng.integers(0, N_REGIONS, size=n_house)
    house_addr = addresses.add(address_type=np.zeros(n_house, np.int8), region=house_region)
    # Apartment buildings: 15% of ordinary households share one street address with 4-25 others.
    in_building = (rng.random(n_house) < 0.15) & (np.arange(n_house) < household[n_legit - 1] + 1)
    n_build = max(1, int(in_building.sum()) // 10)
    building = addresses.add(address_type=np.zeros(n_build, np.int8), region=rng.integers(0, N_REGIONS, size=n_build))
    house_addr[in_building] = building[rng.integers(0, n_build, size=int(in_building.sum()))]
    n_lockers = max(1, n // 150)
    lockers = addresses.add(address_type=np.ones(n_lockers, np.int8),
                            region=rng.integers(0, N_REGIONS, size=n_lockers))
    locker = np.where(rng.random(n) < 0.25, rng.choice(lockers, size=n), -1)
    n_offices = max(1, n // 20)
    offices = addresses.add(address_type=np.full(n_offices, 2, np.int8),
                            region=rng.integers(0, N_REGIONS, size=n_offices))
    office = np.where(rng.random(n) < 0.3, rng.choice(offices, size=n), -1)

    devices = EntityPool()
    phone = devices.add(device_type=np.zeros(n, np.int8), os=rng.choice(2, size=n, p=[0.55, 0.45]))
    has_desktop = rng.random(n_house) < 0.5
    desk_ids = devices.add(device_type=np.ones(int(has_desktop.sum()), np.int8),
                           os=rng.choice([2, 3, 4], size=int(has_desktop.sum()), p=[0.6, 0.35, 0.05]))
    house_desktop = np.full(n_house, -1)
    house_desktop[has_desktop] = desk_ids
    desktop = house_desktop[household]
    switches = rng.random(n) < 0.1
    new_ids = devices.add(device_type=np.zeros(int(switches.sum()), np.int8),
                          os=rng.choice(2, size=int(switches.sum()), p=[0.55, 0.45]))
    new_phone = np.full(n, -1)
    new_phone[switches] = new_ids
    public = devices.add(device_type=np.ones(max(1, n // 100), np.int8), os=np.full(max(1, n // 100), 2))

    instruments = EntityPool()
    instrument = instruments.add(kind=rng.choice(2, size=n, p=[0.7, 0.3]), issuer=rng.integers(0, 10, size=n))
    has2 = rng.random(n) < 0.3
    second = instruments.add(kind=rng.choice(2, size=int(has2.sum()), p=[0.7, 0.3]),
                             issuer=rng.integers(0, 10, size=int(has2.sum())))
    instrument2 = np.full(n, -1)
    instrument2[has2] = second
    head = np.searchsorted(household, household)  # first member of each household (households are contiguous)
    shares_card = (rng.random(n) < 0.1) & (head != np.arange(n))
    instrument2[shares_card] = instrument[head[shares_card]]
    # A few people also use a relative's card from another household.
    relative = rng.random(n_legit) < 0.03
    instrument2[:n_legit][relative] = instrument[rng.integers(0, n_legit, size=int(relative.sum()))]

    return Population(
        cat_pref=cat_pref, style_pref=style_pref, band_pref=band_pref,
        channel_pref=rng.dirichlet([3.0, 2.0, 1.0], size=n), activity=rng.lognormal(0.0, 0.8, size=n),
        age=np.clip(18 + rng.gamma(3.0, 6.0, size=n), 18, 90).astype(np.int16),
        income_band=income_band.astype(np.int8),
        credit_score=np.clip(rng.normal(650, 80, size=n), 300, 850).round().astype(np.int16),
        region=house_region[household].astype(np.int16), home_address=house_addr[household], locker=locker,
        office=office, phone=phone, desktop=desktop, new_phone=new_phone,
        switch_time=rng.uniform(0, cfg.days, size=n), public_devices=public, instrument=instrument, instrument2=instrument2, household=household,
        devices=devices, addresses=addresses, instruments=instruments, n_legit=n_legit)


def _households(n_legit: int, n_extra: int, rng: np.random.Generator) -> np.ndarray:
    """Household index per customer: ordinary customers live alone or in twos and threes, contiguously."""
    sizes = rng.choice([1, 2, 3], size=n_legit, p=[0.7, 0.2, 0.1])
    house = np.repeat(np.arange(n_legit), sizes)[:n_legit]
    return np.concatenate([house, house[-1] + 1 + np.arange(n_extra)]) if n_extra else house


def entity_tables(pop: Population) -> dict[str, pd.DataFrame]:
    """Device, address and instrument tables (raw ids) from the pools."""
    d, a, i = pop.devices.frame(), pop.addresses.frame(), pop.instruments.frame()
    devices = pd.DataFrame({"device_id": np.arange(pop.devices.size),
                            "device_type": pd.Categorical.from_codes(d["device_type"], DEVICE_TYPES),
                            "os": pd.Categorical.from_codes(d["os"], OS_NAMES)})
    addresses = pd.DataFrame({"address_id": np.arange(pop.addresses.size),
                              "address_type": pd.Categorical.from_codes(a["address_type"], ADDRESS_TYPES),
                              "region": a["region"].astype(np.int16)})
    instruments = pd.DataFrame({"instrument_id": np.arange(pop.instruments.size),
                                "kind": pd.Categorical.from_codes(i["kind"], INSTRUMENT_KINDS),
                                "issuer": i["issuer"].astype(np.int16)})
    return {"devices": devices, "addresses": addresses, "instruments": instruments}
