"""Recommendation stage: models, one metric implementation, validation tuning, benchmark and ablations.

* :mod:`bnpl.recsys.models`: Popularity, ItemKNN, RP3beta, EASE (with EDLAE's dropout penalty), BPR-MF,
  LightGCN (PyG), SideGNN (LightGCN propagation over users, items, attribute nodes and item-item
  relations) and ``rerank`` (EASE candidates re-ranked by LightGBM LambdaRank with time-aware
  features, trained on a carve of the training data), one interface:
  ``fit(train_df, n_users, n_items, side=None)``, ``score(user_ids)``, ``recommend(user_ids, k)``.
* :mod:`bnpl.recsys.metrics`: precision / recall / NDCG / MAP at k (Microsoft Recommenders' definitions),
  catalogue coverage, popularity bias; :mod:`bnpl.recsys.evaluate` applies them with training items masked.
* :mod:`bnpl.recsys.tune`: hyperparameters chosen on a validation carve of the training data (at most
  three configurations per model; BPR/LightGCN/SideGNN also stop early on that carve).
* :mod:`bnpl.recsys.benchmark`: all models x seeds on one protocol (``bnpl recsys benchmark``).
* :mod:`bnpl.recsys.ablation`: the grid in ``experiments/recsys_ablation.yaml`` (notebook 03).

Recommending for the creative stage::

    from bnpl.recsys.models import model_class
    model = model_class("ease")(l2=300.0).fit(data.interactions, data.n_users, data.n_items, side=data)
    top = model.recommend([0, 1, 2], k=10)   # item ids, best first, training items never repeated
"""
