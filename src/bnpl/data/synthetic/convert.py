"""Turn a world into the normalised forms the fraud and recommendation stages consume."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl.data.normalised import FraudData, InteractionData
from bnpl.data.synthetic.config import CATEGORIES, TYPOLOGIES
from bnpl.data.synthetic.world import World

# Interaction weights: how strongly each kind of event says "this customer likes this product".
EVENT_WEIGHTS = {"view": 1.0, "add_to_cart": 2.0, "order": 4.0}


def _onehot(values: pd.Series, prefix: str) -> dict[str, np.ndarray]:
    cats = values.cat.categories
    codes = values.cat.codes.to_numpy()
    return {f"{prefix}_{c}": (codes == i).astype(np.float32) for i, c in enumerate(cats)}


def _nodes(df: pd.DataFrame, **cols) -> pd.DataFrame:
    return pd.DataFrame({"node_id": np.arange(len(df)), **cols})


def world_to_fraud_data(world: World) -> FraudData:
    """Heterogeneous graph with transactions as the labelled target.

    Node tables carry numeric, label-free features only. Transactions of mule accounts carry
    typology ``mule`` like every other typology, so per-typology recall works on transactions.
    Times are in days since the world started.
    """
    t = world.tables
    tx, cu, me = t["transactions"], t["customers"], t["merchants"]
    tx_time = tx["time"].to_numpy()
    merchant_cat = me["category"].cat.codes.to_numpy()[tx["merchant_id"].to_numpy()]
    nodes = {
        "transaction": _nodes(tx, time=tx_time, amount=tx["amount"].to_numpy(),
                              log_amount=np.log1p(tx["amount"].to_numpy()),
                              hour=np.floor((tx_time % 1) * 24), day_of_week=np.floor(tx_time) % 7,
                              n_items=tx["n_items"].to_numpy().astype(np.float32),
                              merchant_category=merchant_cat.astype(np.int16),
                              **_onehot(tx["channel"], "channel"), **_onehot(tx["plan"], "plan")),
        "customer": _nodes(cu, time=cu["signup_time"].to_numpy(), age=cu["age"].to_numpy(),
                           region=cu["region"].to_numpy(), income_band=cu["income_band"].to_numpy(),
                           credit_score=cu["credit_score"].to_numpy()),
        "account": _nodes(t["accounts"], time=t["accounts"]["opened_time"].to_numpy(),
                          log_opening_balance=np.log1p(t["accounts"]["opening_balance"].to_numpy())),
        "device": _nodes(t["devices"], **_onehot(t["devices"]["device_type"], "type"),
                         **_onehot(t["devices"]["os"], "os")),
        "address": _nodes(t["addresses"], **_onehot(t["addresses"]["address_type"], "type"),
                          region=t["addresses"]["region"].to_numpy()),
        "instrument": _nodes(t["instruments"], **_onehot(t["instruments"]["kind"], "kind"),
                             issuer=t["instruments"]["issuer"].to_numpy()),
        "merchant": _nodes(me, **_onehot(me["category"], "category"), log_size=np.log(me["size"].to_numpy()),
                           region=me["region"].to_numpy(), onboarded_time=me["onboarded_time"].to_numpy()),
    }
    tid = tx["transaction_id"].to_numpy()

    def tx_rel(col: str) -> pd.DataFrame:
        return pd.DataFrame({"src": tid, "dst": tx[col].to_numpy(), "time": tx_time})

    tr = t["transfers"]
    relations = {
        ("transaction", "made_by", "customer"): tx_rel("customer_id"),
        ("transaction", "billed_to", "account"): tx_rel("account_id"),
        ("transaction", "paid_with", "instrument"): tx_rel("instrument_id"),
        ("transaction", "at", "merchant"): tx_rel("merchant_id"),
        ("transaction", "from_device", "device"): tx_rel("device_id"),
        ("transaction", "ships_to", "address"): tx_rel("ship_address_id"),
        ("customer", "lives_at", "address"): pd.DataFrame({"src": cu["customer_id"].to_numpy(),
                                                           "dst": cu["home_address_id"].to_numpy()}),
        ("customer", "owns", "account"): pd.DataFrame({"src": t["accounts"]["customer_id"].to_numpy(),
                                                       "dst": t["accounts"]["account_id"].to_numpy()}),
        ("customer", "uses", "device"): t["customer_devices"].set_axis(["src", "dst"], axis=1),
        ("customer", "holds", "instrument"): t["customer_instruments"].set_axis(["src", "dst"], axis=1),
        ("account", "transfer", "account"): pd.DataFrame({"src": tr["src_account_id"].to_numpy(),
                                                          "dst": tr["dst_account_id"].to_numpy(),
                                                          "time": tr["time"].to_numpy(),
                                                          "amount": tr["amount"].to_numpy()}),
    }
    lab = t["transaction_labels"]
    labels = pd.DataFrame({"node_id": lab["transaction_id"].to_numpy(), "label": lab["label"].to_numpy().astype(np.int64),
                           "label_time": lab["label_time"].to_numpy(),
                           "typology": lab["typology"].astype(str).to_numpy()})
    return FraudData(name="synthetic", nodes=nodes, relations=relations, target="transaction", labels=labels,
                     time_unit="days", meta={"source": "synthetic", "typologies": list(TYPOLOGIES),
                                             "config": world.config.model_dump()})


def world_to_interactions(world: World) -> InteractionData:
    """Customer-product interactions: views (weight 1), add-to-cart (2) and ordered items (4).

    Item features are integer codes (category, brand, price band, merchant, colour, style) plus
    the price; item relations link products bought together ("complement", with ``time`` = the
    first order that had both, so a model can keep only pairs known by the end of its training
    period) and products of the same brand ("same_brand", a chain through each brand's products;
    static catalogue facts, ``time`` NaN).
    """
    t = world.tables
    ev, oi, tx, pr, cu = t["events"], t["order_items"], t["transactions"], t["products"], t["customers"]
    ev_w = np.where(ev["event_type"].cat.codes.to_numpy() == 0, EVENT_WEIGHTS["view"], EVENT_WEIGHTS["add_to_cart"])
    oi_tx = oi["transaction_id"].to_numpy()
    interactions = pd.DataFrame({
        "user_id": np.concatenate([ev["customer_id"].to_numpy(), tx["customer_id"].to_numpy()[oi_tx]]),
        "item_id": np.concatenate([ev["product_id"].to_numpy(), oi["product_id"].to_numpy()]),
        "time": np.concatenate([ev["time"].to_numpy(), tx["time"].to_numpy()[oi_tx]]),
        "weight": np.concatenate([ev_w, np.full(len(oi), EVENT_WEIGHTS["order"])]),
        "event": pd.Categorical.from_codes(np.concatenate([ev["event_type"].cat.codes.to_numpy(),
                                                           np.full(len(oi), 2, np.int8)]),
                                           ["view", "add_to_cart", "order"]),
    }).sort_values(["time", "user_id"], kind="stable", ignore_index=True)
    item_features = pd.DataFrame({
        "category": pr["category"].cat.codes.to_numpy().astype(np.int64), "brand": pr["brand_id"].to_numpy(),
        "price_band": pr["price_band"].to_numpy().astype(np.int64), "merchant": pr["merchant_id"].to_numpy(),
        "colour": pr["colour"].cat.codes.to_numpy().astype(np.int64),
        "style": pr["style"].cat.codes.to_numpy().astype(np.int64), "price": pr["price"].to_numpy()})
    user_features = pd.DataFrame({"age": cu["age"].to_numpy(), "region": cu["region"].to_numpy(),
                                  "income_band": cu["income_band"].to_numpy()})
    return InteractionData(name="synthetic", interactions=interactions, n_users=len(cu), n_items=len(pr),
                           user_features=user_features, item_features=item_features,
                           item_relations=_item_relations(oi, pr, tx),
                           meta={"source": "synthetic", "weights": EVENT_WEIGHTS,
                                 "categories": list(CATEGORIES), "config": world.config.model_dump()})


def _item_relations(order_items: pd.DataFrame, products: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """Distinct co-purchase pairs within one order (``time``: the first order with both), and a
    chain through each brand's products (``time`` NaN: known from the catalogue, not from orders)."""
    first = order_items.drop_duplicates("transaction_id")[["transaction_id", "product_id"]]
    rest = order_items[order_items.duplicated("transaction_id")][["transaction_id", "product_id"]]
    pairs = rest.merge(first, on="transaction_id", suffixes=("", "_first"))
    comp = pd.DataFrame({"src_item": pairs["product_id_first"].to_numpy(), "dst_item": pairs["product_id"].to_numpy(),
                         "time": transactions["time"].to_numpy()[pairs["transaction_id"].to_numpy()].astype(np.float64)})
    comp = comp[comp["src_item"] != comp["dst_item"]]
    comp = comp.groupby(["src_item", "dst_item"], as_index=False, sort=True)["time"].min()
    by_brand = products.sort_values(["brand_id", "product_id"])
    same = by_brand["brand_id"].to_numpy()[1:] == by_brand["brand_id"].to_numpy()[:-1]
    ids = by_brand["product_id"].to_numpy()
    brand = pd.DataFrame({"src_item": ids[:-1][same], "dst_item": ids[1:][same], "time": np.nan})
    return pd.concat([comp.assign(relation="complement"), brand.assign(relation="same_brand")], ignore_index=True)
