"""Pandera schemas for every table of the synthetic world, checked on write and on read.

``validate_table(name, df)`` raises :class:`bnpl.errors.DataError` with one line naming the
table and the offending column; ``check_references(tables)`` checks that every id column
points inside the table it refers to.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

from bnpl.data.synthetic.config import (
    ADDRESS_TYPES,
    CATEGORIES,
    CHANNELS,
    COLOURS,
    DEVICE_TYPES,
    EVENT_TYPES,
    INSTALMENT_STATUS,
    INSTRUMENT_KINDS,
    OS_NAMES,
    PLANS,
    STYLES,
    TYPOLOGIES,
)
from bnpl.errors import DataError

ENTITY_TYPES = ("customer", "account", "device", "address", "instrument", "merchant")


def _is_int(s: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(s)


def _is_num(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def ident(optional: bool = False) -> pa.Column:
    """An integer id column; ``optional`` ids use -1 for "none"."""
    return pa.Column(checks=[pa.Check(_is_int, error="must have an integer dtype"),
                             pa.Check.ge(-1 if optional else 0)])


def number(lo: float | None = None, hi: float | None = None, nullable: bool = False) -> pa.Column:
    checks = [pa.Check(_is_num, error="must have a numeric dtype")]
    if lo is not None:
        checks.append(pa.Check.ge(lo))
    if hi is not None:
        checks.append(pa.Check.le(hi))
    return pa.Column(checks=checks, nullable=nullable)


def one_of(values: tuple[str, ...]) -> pa.Column:
    return pa.Column(checks=pa.Check.isin(list(values)))


def _unique_id(col: str) -> pa.Check:
    return pa.Check(lambda df: bool(np.array_equal(df[col].to_numpy(), np.arange(len(df)))),
                    error=f"{col} must equal the row position 0..n-1")


def _table(name: str, columns: dict, id_col: str | None = None) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns, strict=True, name=name, checks=[_unique_id(id_col)] if id_col else None)


_BYTES = pa.Column(checks=pa.Check(lambda v: isinstance(v, bytes) and v[:4] == b"\x89PNG", element_wise=True,
                                   error="must hold PNG bytes"))

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "customers": _table("customers", {
        "customer_id": ident(), "home_address_id": ident(), "age": number(18, 110), "region": number(0),
        "income_band": number(0, 4), "credit_score": number(300, 850), "signup_time": number()}, "customer_id"),
    "accounts": _table("accounts", {
        "account_id": ident(), "customer_id": ident(), "opening_balance": number(0), "opened_time": number()},
        "account_id"),
    "devices": _table("devices", {"device_id": ident(), "device_type": one_of(DEVICE_TYPES), "os": one_of(OS_NAMES)},
                      "device_id"),
    "addresses": _table("addresses", {"address_id": ident(), "address_type": one_of(ADDRESS_TYPES),
                                      "region": number(0)}, "address_id"),
    "instruments": _table("instruments", {"instrument_id": ident(), "kind": one_of(INSTRUMENT_KINDS),
                                          "issuer": number(0)}, "instrument_id"),
    "customer_devices": _table("customer_devices", {"customer_id": ident(), "device_id": ident()}),
    "customer_instruments": _table("customer_instruments", {"customer_id": ident(), "instrument_id": ident()}),
    "merchants": _table("merchants", {
        "merchant_id": ident(), "category": one_of(CATEGORIES), "size": number(0), "region": number(0),
        "onboarded_time": number()}, "merchant_id"),
    "products": _table("products", {
        "product_id": ident(), "merchant_id": ident(), "category": one_of(CATEGORIES), "brand_id": ident(),
        "price_band": number(0, 4), "price": number(0), "colour": one_of(COLOURS), "style": one_of(STYLES),
        "popularity": number(0), "thumbnail_png": _BYTES}, "product_id"),
    "sessions": _table("sessions", {
        "session_id": ident(), "customer_id": ident(), "device_id": ident(), "channel": one_of(CHANNELS),
        "start_time": number(0), "end_time": number(0), "transaction_id": ident(optional=True)}, "session_id"),
    "events": _table("events", {
        "session_id": ident(), "customer_id": ident(), "product_id": ident(), "event_type": one_of(EVENT_TYPES),
        "time": number(0)}),
    "transactions": _table("transactions", {
        "transaction_id": ident(), "customer_id": ident(), "account_id": ident(), "merchant_id": ident(),
        "device_id": ident(), "instrument_id": ident(), "ship_address_id": ident(), "channel": one_of(CHANNELS),
        "plan": one_of(PLANS), "amount": number(0), "n_items": number(1, 3), "time": number(0)}, "transaction_id"),
    "order_items": _table("order_items", {"transaction_id": ident(), "product_id": ident(), "price": number(0)}),
    "instalments": _table("instalments", {
        "transaction_id": ident(), "instalment": number(0, 3), "due_time": number(0), "amount": number(0),
        "status": one_of(INSTALMENT_STATUS), "paid_time": number(nullable=True)}),
    "transfers": _table("transfers", {
        "transfer_id": ident(), "src_account_id": ident(), "dst_account_id": ident(), "time": number(0),
        "amount": number(0)}, "transfer_id"),
    "transaction_labels": _table("transaction_labels", {
        "transaction_id": ident(), "label": number(0, 1), "typology": one_of(("legit",) + TYPOLOGIES),
        "label_time": number(0)}, "transaction_id"),
    "fraud_entities": _table("fraud_entities", {
        "entity_type": one_of(ENTITY_TYPES), "entity_id": ident(), "typology": one_of(TYPOLOGIES),
        "role": pa.Column(str), "group_id": ident(optional=True)}),
}
WORLD_TABLES = tuple(SCHEMAS)

# (table, id column) -> table whose row positions it refers to.
REFERENCES = {
    ("customers", "home_address_id"): "addresses", ("accounts", "customer_id"): "customers",
    ("customer_devices", "customer_id"): "customers", ("customer_devices", "device_id"): "devices",
    ("customer_instruments", "customer_id"): "customers", ("customer_instruments", "instrument_id"): "instruments",
    ("products", "merchant_id"): "merchants", ("sessions", "customer_id"): "customers",
    ("sessions", "device_id"): "devices", ("sessions", "transaction_id"): "transactions",
    ("events", "session_id"): "sessions", ("events", "product_id"): "products",
    ("transactions", "customer_id"): "customers", ("transactions", "account_id"): "accounts",
    ("transactions", "merchant_id"): "merchants", ("transactions", "device_id"): "devices",
    ("transactions", "instrument_id"): "instruments", ("transactions", "ship_address_id"): "addresses",
    ("order_items", "transaction_id"): "transactions", ("order_items", "product_id"): "products",
    ("instalments", "transaction_id"): "transactions", ("transfers", "src_account_id"): "accounts",
    ("transfers", "dst_account_id"): "accounts", ("transaction_labels", "transaction_id"): "transactions",
}


def validate_table(name: str, df: pd.DataFrame, source: str = "world") -> pd.DataFrame:
    """Check ``df`` against the schema of table ``name``; raise DataError naming the column on failure."""
    if name not in SCHEMAS:
        raise DataError(f"{source}: unknown table {name!r} (expected one of {', '.join(WORLD_TABLES)})")
    try:
        return SCHEMAS[name].validate(df)
    except SchemaErrors as e:
        raise DataError(f"{source}: table {name!r}: {_errors_line(e)}") from None
    except SchemaError as e:
        raise DataError(f"{source}: table {name!r}: {_error_line(e)}") from None


def _error_line(e: SchemaError) -> str:
    text = str(e).splitlines()[0]
    col = getattr(e, "column_name", None)
    if col is not None and not text.startswith("Column"):
        text = f"column {col!r}: {text}"
    return text[:300]


def _errors_line(e: SchemaErrors) -> str:
    fc = e.failure_cases
    row = fc.iloc[0]
    if row.get("check") == "column_in_schema":
        return f"column {row['failure_case']!r} is not in the schema"
    return f"column {row.get('column')!r} failed {row.get('check')} (e.g. {row.get('failure_case')!r})"[:300]


def check_references(tables: dict[str, pd.DataFrame], source: str = "world") -> None:
    """Every id column must refer to an existing row of its target table (-1 = none where allowed)."""
    for (table, col), target in REFERENCES.items():
        if table not in tables or target not in tables:
            continue
        values = tables[table][col].to_numpy()
        n = len(tables[target])
        if len(values) and (values.max() >= n or values.min() < (-1 if col == "transaction_id" and
                                                                  table == "sessions" else 0)):
            raise DataError(f"{source}: table {table!r} column {col!r} refers to {target} outside 0..{n - 1}")
    fe = tables.get("fraud_entities")
    if fe is not None:
        for et in ENTITY_TYPES:
            ids = fe.loc[fe["entity_type"] == et, "entity_id"].to_numpy()
            n = len(tables[et + "s" if et != "address" else "addresses"])
            if len(ids) and ids.max() >= n:
                raise DataError(f"{source}: table 'fraud_entities' refers to {et} ids outside 0..{n - 1}")
