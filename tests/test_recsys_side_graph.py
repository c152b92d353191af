"""Item-item relations used by the side-information GNN never include pairs first seen after training ends."""
import numpy as np
import pandas as pd

from bnpl.recsys.side_graph import item_item_matrix


def test_item_item_matrix_drops_relations_after_the_cutoff_and_keeps_static_ones():
    rel = pd.DataFrame({"src_item": [0, 1, 2, 3], "dst_item": [1, 2, 3, 4], "time": [1.0, 5.0, 9.0, np.nan],
                        "relation": ["complement", "complement", "complement", "same_brand"]})
    m = item_item_matrix(rel, 5, until=5.0).toarray()
    assert m[0, 1] == m[1, 0] == 1 and m[1, 2] == 1 and m[3, 4] == 1
    assert m[2, 3] == 0 and m[3, 2] == 0  # first bought together at t=9, after training ended at t=5


def test_synthetic_world_complement_edges_are_timed_and_none_post_cutoff_is_used():
    from bnpl.data.splits import temporal_interaction_split
    from bnpl.data.synthetic import WorldConfig, generate_world, world_to_interactions

    world = generate_world(WorldConfig(seed=0, n_transactions=2000))
    data = world_to_interactions(world)
    rel = data.item_relations
    comp = rel[rel["relation"] == "complement"]
    assert comp["time"].notna().all() and rel.loc[rel["relation"] == "same_brand", "time"].isna().all()
    # each complement pair's time is the first order containing both items
    t = world.tables
    oi, tx = t["order_items"], t["transactions"]
    orders = oi.assign(time=tx["time"].to_numpy()[oi["transaction_id"].to_numpy()])
    row = comp.iloc[len(comp) // 2]
    with_src = set(orders.loc[orders["product_id"] == row["src_item"], "transaction_id"])
    both = orders[orders["transaction_id"].isin(with_src) & (orders["product_id"] == row["dst_item"])]
    assert np.isclose(both["time"].min(), row["time"])

    train, _ = temporal_interaction_split(data.interactions, test_frac=0.3)
    until = float(train["time"].max())
    late = comp[comp["time"] > until]
    assert len(late) > 0, "the world should have co-purchases first seen in the test period"
    m = item_item_matrix(rel, data.n_items, until=until)
    known = set(zip(comp.loc[comp["time"] <= until, "src_item"], comp.loc[comp["time"] <= until, "dst_item"], strict=True))
    brand = rel[rel["relation"] == "same_brand"]
    known |= set(zip(brand["src_item"], brand["dst_item"], strict=True))
    known |= {(d, s) for s, d in known}
    r, c = m.nonzero()
    assert set(zip(r.tolist(), c.tolist(), strict=True)) <= known
    assert any(m[s, d] == 0 for s, d in zip(late["src_item"], late["dst_item"], strict=True) if (s, d) not in known)
