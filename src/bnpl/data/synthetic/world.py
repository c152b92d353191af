"""Generate, save and load a synthetic BNPL world."""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from bnpl.config import DATA_DIR
from bnpl.data import (
    schemas,  # module import: schemas imports this package's vocabularies
)
from bnpl.data.synthetic.catalogue import complements, make_merchants, make_products
from bnpl.data.synthetic.config import CHANNELS, PLANS, WorldConfig
from bnpl.data.synthetic.fraud import extra_customers, plant_fraud
from bnpl.data.synthetic.payments import instalments, label_table, legit_transfers
from bnpl.data.synthetic.population import entity_tables, make_population
from bnpl.data.synthetic.shopping import (
    Catalogue,
    assemble_orders,
    legit_orders,
    sessions_and_events,
)
from bnpl.errors import DataError
from bnpl.io import process_alive

CONFIG_FILE = "world_config.json"


@dataclass
class World:
    """All tables of one synthetic world (ids are row positions) and the config that made them."""

    tables: dict[str, pd.DataFrame]
    config: WorldConfig

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def generate_world(cfg: WorldConfig | None = None, progress: bool = True) -> World:
    """Build every table of the world described by ``cfg``; the same config gives identical tables."""
    cfg = cfg or WorldConfig()
    steps = tqdm(total=6, desc="world", disable=not progress, leave=False)

    def rng(stage: int) -> np.random.Generator:
        return np.random.default_rng([cfg.seed, stage])

    merchants = make_merchants(cfg, rng(1))
    products = make_products(cfg, merchants, rng(2))
    cat = Catalogue.from_products(products, complements(products, rng(3)))
    pop = make_population(cfg, sum(extra_customers(cfg).values()), rng(4))
    steps.update()
    planted = plant_fraud(cfg, pop, cat, merchants["size"].to_numpy(), rng(5))
    n_legit = cfg.n_transactions - sum(cfg.fraud_counts().values())
    blocks = [legit_orders(cfg, pop, cat, n_legit, rng(6), planted.cover_customers)] + planted.blocks
    steps.update()
    orders, order_items = assemble_orders(blocks, cat, rng(7))
    steps.update()
    sessions, events = sessions_and_events(cfg, pop, cat, orders, rng(8))
    steps.update()
    inst = instalments(cfg, orders, pop.credit_score, rng(9))
    flows = [legit_transfers(cfg, pop, rng(10))] + planted.transfers
    transfers = {k: np.concatenate([f[k] for f in flows]) for k in flows[0]}
    labels = label_table(cfg, orders, rng(11))
    steps.update()
    tables = _tables(cfg, pop, planted, merchants, products, orders, order_items, sessions, events, inst,
                     transfers, labels, rng(12))
    steps.update()
    steps.close()
    return World(tables=tables, config=cfg)


def _remap(ids: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """New ids for raw ids (``-1`` stays ``-1``)."""
    ids = np.asarray(ids)
    return np.where(ids >= 0, perm[np.maximum(ids, 0)], -1)


def _reindex(df: pd.DataFrame, id_col: str, perm: np.ndarray) -> pd.DataFrame:
    """Give rows their shuffled ids and sort by them, so ids stay row positions but carry no ordering."""
    df = df.assign(**{id_col: perm[df[id_col].to_numpy()]})
    return df.sort_values(id_col, kind="stable").reset_index(drop=True)


def _tables(cfg, pop, planted, merchants, products, orders, order_items, sessions, events, inst, transfers,
            labels, rng) -> dict[str, pd.DataFrame]:
    """Assemble the final tables. Customers, accounts, devices, addresses and instruments are shuffled
    so that fraud-only entities (generated last) cannot be spotted by their id."""
    ents = entity_tables(pop)
    perm = {"customer": rng.permutation(pop.n), "account": rng.permutation(pop.n),
            "device": rng.permutation(pop.devices.size), "address": rng.permutation(pop.addresses.size),
            "instrument": rng.permutation(pop.instruments.size)}
    c, a, d, ad, ins = (perm[k] for k in ("customer", "account", "device", "address", "instrument"))

    first_seen = np.full(pop.n, np.inf)
    np.minimum.at(first_seen, sessions["customer_id"].to_numpy(), sessions["start_time"].to_numpy())
    never = ~np.isfinite(first_seen)
    first_seen[never] = rng.uniform(0, cfg.days, size=int(never.sum()))
    signup = np.round(first_seen - rng.exponential(90.0, size=pop.n), 4)
    raw = np.arange(pop.n)
    customers = pd.DataFrame({"customer_id": raw, "home_address_id": _remap(pop.home_address, ad), "age": pop.age,
                              "region": pop.region, "income_band": pop.income_band,
                              "credit_score": pop.credit_score, "signup_time": signup})
    accounts = pd.DataFrame({"account_id": raw, "customer_id": c,
                             "opening_balance": np.round(rng.lognormal(6.0, 1.0, size=pop.n), 2),
                             "opened_time": signup})
    has_desk = pop.desktop >= 0
    cust_dev = pd.DataFrame({"customer_id": c[np.concatenate([raw, raw[has_desk]])],
                             "device_id": _remap(np.concatenate([pop.phone, pop.desktop[has_desk]]), d)})
    has2 = pop.instrument2 >= 0
    cust_ins = pd.DataFrame({"customer_id": c[np.concatenate([raw, raw[has2]])],
                             "instrument_id": _remap(np.concatenate([pop.instrument, pop.instrument2[has2]]), ins)})
    transactions = pd.DataFrame({
        "transaction_id": np.arange(len(orders["time"])), "customer_id": c[orders["customer"]],
        "account_id": a[orders["customer"]], "merchant_id": orders["merchant"],
        "device_id": _remap(orders["device"], d), "instrument_id": _remap(orders["instrument"], ins),
        "ship_address_id": _remap(orders["ship_address"], ad),
        "channel": pd.Categorical.from_codes(orders["channel"].astype(np.int8), CHANNELS),
        "plan": pd.Categorical.from_codes(orders["plan"], PLANS), "amount": orders["amount"],
        "n_items": orders["n_items"], "time": orders["time"]})
    sessions = sessions.assign(customer_id=c[sessions["customer_id"].to_numpy()],
                               device_id=_remap(sessions["device_id"].to_numpy(), d))
    events = events.assign(customer_id=c[events["customer_id"].to_numpy()])
    order = np.lexsort((transfers["dst"], transfers["src"], transfers["time"]))
    transfers = pd.DataFrame({"transfer_id": np.arange(len(order)), "src_account_id": a[transfers["src"][order]],
                              "dst_account_id": a[transfers["dst"][order]], "time": transfers["time"][order],
                              "amount": transfers["amount"][order]})
    tables = {
        "customers": _reindex(customers, "customer_id", c), "accounts": _reindex(accounts, "account_id", a),
        "devices": _reindex(ents["devices"], "device_id", d), "addresses": _reindex(ents["addresses"], "address_id", ad),
        "instruments": _reindex(ents["instruments"], "instrument_id", ins),
        "customer_devices": cust_dev.sort_values(["customer_id", "device_id"], ignore_index=True),
        "customer_instruments": cust_ins.drop_duplicates().sort_values(["customer_id", "instrument_id"],
                                                                      ignore_index=True),
        "merchants": merchants, "products": products.drop(columns=[]), "sessions": sessions, "events": events,
        "transactions": transactions, "order_items": order_items, "instalments": inst, "transfers": transfers,
        "transaction_labels": labels, "fraud_entities": _fraud_entities(planted, perm),
    }
    return tables


def _fraud_entities(planted, perm: dict[str, np.ndarray]) -> pd.DataFrame:
    """Ground truth: which entity played which role in which typology (ids after shuffling)."""
    rows = []
    for entity, ids, typology, role, group in planted.entities:
        new = perm[entity][ids] if entity in perm else ids
        rows.append(pd.DataFrame({"entity_type": entity, "entity_id": new.astype(np.int64), "typology": typology,
                                  "role": role, "group_id": np.asarray(group, dtype=np.int64)}))
        if entity == "customer":  # every fraud customer's account plays the same role
            rows.append(pd.DataFrame({"entity_type": "account", "entity_id": perm["account"][ids].astype(np.int64),
                                      "typology": typology, "role": role,
                                      "group_id": np.asarray(group, dtype=np.int64)}))
    if not rows:
        return pd.DataFrame({"entity_type": pd.Series([], dtype=str), "entity_id": pd.Series([], dtype=np.int64),
                             "typology": pd.Series([], dtype=str), "role": pd.Series([], dtype=str),
                             "group_id": pd.Series([], dtype=np.int64)})
    return pd.concat(rows, ignore_index=True)


def validate_world(tables: dict[str, pd.DataFrame], source: str = "world") -> None:
    """Every table present and valid, and every id reference inside its target table."""
    missing = [t for t in schemas.WORLD_TABLES if t not in tables]
    if missing:
        raise DataError(f"{source}: missing table(s) {', '.join(missing)}")
    for name in schemas.WORLD_TABLES:
        schemas.validate_table(name, tables[name], source)
    schemas.check_references(tables, source)


def save_world(world: World, folder: str | Path, force: bool = False) -> Path:
    """Validate and write every table as Parquet under ``folder``, atomically (temp folder, then rename).

    An existing ``folder`` is replaced only when it is empty or is a world this function wrote (it holds
    ``world_config.json`` and nothing but the world's own files); anything else is refused, so a wrong
    ``--out`` can never delete a user's files. Replacing a world outside the project's ``data/`` folder
    also needs ``force=True``.
    """
    folder = Path(folder)
    check_world_target(folder, force=force)
    validate_world(world.tables, str(folder))
    folder.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for name in schemas.WORLD_TABLES:
            world.tables[name].to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / CONFIG_FILE).write_text(json.dumps(world.config.model_dump(), indent=2) + "\n")
        old = folder.parent / f".{folder.name}.old-{os.getpid()}"
        with _swap_lock(folder):  # two processes saving one folder swap in turn; the last one wins
            if folder.exists():
                check_world_target(folder, force=force)  # re-check: another process may have written there
                os.replace(folder, old)
            os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


@contextmanager
def _swap_lock(folder: Path):
    """An exclusive flock on ``folder``'s parent directory itself (no lock file is left behind)."""
    import fcntl

    fd = os.open(folder.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove ``.<name>.tmp-<pid>`` / ``.<name>.old-<pid>`` folders that a killed :func:`save_world` left
    beside ``folder`` (only those whose process is gone). They are never read as a world: a world is
    only ever the folder itself, which appears by an atomic rename once every table is written."""
    removed = []
    for p in folder.parent.glob(f".{folder.name}.*-*"):
        kind, _, pid = p.name[len(folder.name) + 2:].partition("-")
        if kind in ("tmp", "old") and pid.isdigit() and p.is_dir() and not process_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def check_world_target(folder: str | Path, force: bool = False) -> None:
    """Raise :class:`DataError` unless ``save_world`` may write ``folder`` (see its docstring)."""
    folder = Path(folder)
    if not folder.exists():
        if folder.parent.exists() and not folder.parent.is_dir():
            raise DataError(f"{folder}: cannot write a world here: {folder.parent} is a file, not a folder")
        return
    if not folder.is_dir():
        raise DataError(f"{folder}: refusing to replace a file with a world folder; choose another output path")
    entries = sorted(p.name for p in folder.iterdir())
    if not entries:
        return
    world_files = {CONFIG_FILE, *(f"{name}.parquet" for name in schemas.WORLD_TABLES)}
    foreign = [e for e in entries if e not in world_files]
    if CONFIG_FILE not in entries or foreign:
        shown = ", ".join((foreign or entries)[:3]) + (" …" if len(foreign or entries) > 3 else "")
        raise DataError(f"{folder}: refusing to replace a folder that bnpl did not write (it holds {shown}); "
                        "choose a new or empty output folder")
    resolved, data_dir = folder.resolve(), DATA_DIR.resolve()
    if not force and data_dir not in resolved.parents:
        raise DataError(f"{folder}: replacing a world outside the project's data folder ({data_dir}) "
                        "needs --force (force=True)")


def load_world(folder: str | Path, validate: bool = True) -> World:
    """Read a world written by :func:`save_world`, checking every table against its schema."""
    folder = Path(folder)
    cfg_path = folder / CONFIG_FILE
    if not cfg_path.exists():
        raise DataError(f"{folder}: not a synthetic world folder (no {CONFIG_FILE}); "
                        f"make one with `bnpl data generate --out {folder}`")
    cfg = read_world_config(cfg_path)
    tables = {}
    for name in schemas.WORLD_TABLES:
        path = folder / f"{name}.parquet"
        if not path.exists():
            raise DataError(f"{folder}: missing table file {path.name}")
        try:
            tables[name] = pd.read_parquet(path)
        except Exception as e:  # pyarrow raises several types for corrupt files
            raise DataError(f"{path}: not a readable Parquet file ({e.__class__.__name__})") from e
    if validate:
        validate_world(tables, str(folder))
    return World(tables=tables, config=cfg)


def read_world_config(path: Path) -> WorldConfig:
    """The :class:`WorldConfig` in ``path``; DataError naming the file and the bad key on any fault."""
    from pydantic import ValidationError

    from bnpl.params import validation_message

    try:
        obj = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise DataError(f"{path}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from None
    if not isinstance(obj, dict):
        raise DataError(f"{path}: expected a JSON object of WorldConfig fields; found a {type(obj).__name__}")
    try:
        return WorldConfig(**obj)
    except ValidationError as e:
        raise DataError(f"{path}: {validation_message(e).replace('parameter ', 'key ')}") from None


def ensure_world(folder: str | Path, seed: int = 0, n_transactions: int = 200_000) -> Path:
    """``folder`` if it already holds a world, else a world generated there with this seed and size.

    Stage notebooks call this so they run standalone (and in smoke tests) when the data-prep stage
    has not written ``data/synthetic/default`` yet.
    """
    folder = Path(folder)
    if not folder.exists():
        # no progress bar: notebooks call this, and their rendered pages must not carry a stderr bar
        save_world(generate_world(WorldConfig(seed=seed, n_transactions=n_transactions), progress=False), folder)
    return folder
