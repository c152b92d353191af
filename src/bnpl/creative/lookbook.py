"""Personalised lookbooks: products from the recommender, arranged for coherence, captioned for the
customer's taste, checked by the guardrails, rendered as a page; and the best-seller baseline built the
same way with generic copy. Each lookbook is saved as PNG + JSON."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from tqdm import tqdm

from bnpl.creative.backends.base import Backend
from bnpl.creative.catalogue import (
    instalment_text,
    latent_taste,
    observed_taste,
    product_catalogue,
    taste_affinity,
)
from bnpl.creative.config import CreativeConfig
from bnpl.creative.copywriter import (
    Copy,
    caption_request,
    generic_requests,
    headline_request,
    write,
)
from bnpl.creative.guardrails import Guardrails, passed
from bnpl.creative.render import render_page
from bnpl.data.synthetic import World, world_to_interactions
from bnpl.errors import BnplError, DataError
from bnpl.io import atomic_path, write_json


@dataclass
class Lookbook:
    customer_id: int
    kind: str                      # "personalised" or "baseline"
    products: pd.DataFrame
    headline: Copy
    captions: list[Copy]
    scores: dict
    image: Image.Image
    backend: str

    def to_dict(self, n_payments: int, currency: str) -> dict:
        texts = [self.headline, *self.captions]
        return {
            "customer_id": self.customer_id, "kind": self.kind, "backend": self.backend,
            "products": [{"product_id": int(r["product_id"]), "name": r["name"], "category": r["category"],
                          "style": r["style"], "colour": r["colour"], "price": round(float(r["price"]), 2),
                          "instalment": instalment_text(r["price"], n_payments, currency)}
                         for _, r in self.products.iterrows()],
            "headline": self.headline.text, "captions": [c.text for c in self.captions],
            "checks": {"headline": self.headline.to_dict()["checks"],
                       "captions": [c.to_dict()["checks"] for c in self.captions],
                       "all_passed": all(passed(t.checks) for t in texts)},
            "copy_sources": {"headline": self.headline.source, "captions": [c.source for c in self.captions]},
            "scores": self.scores,
        }


class LookbookStudio:
    """Everything fitted once per world: catalogue, recommender, product embeddings, guardrails."""

    def __init__(self, world: World, cfg: CreativeConfig, backend: Backend, model=None):
        from bnpl.recsys.models import model_class

        self.world, self.cfg, self.backend = world, cfg, backend
        self.catalogue = product_catalogue(world)
        self.guardrails = Guardrails(cfg.guardrails, self.catalogue)
        data = world_to_interactions(world)
        self.interactions = data.interactions
        if model is None:
            rec = cfg.recommender
            model = model_class(rec.model)(**rec.params).fit(data.interactions, data.n_users, data.n_items, side=data)
        self.model = model
        self.best_sellers = model_class("popularity")().fit(data.interactions, data.n_users, data.n_items)
        descs = self.catalogue["description"]
        uniq = descs.unique().tolist()
        t0 = time.perf_counter()
        emb = backend.embed(uniq)
        self.embed_seconds = time.perf_counter() - t0
        index = {d: i for i, d in enumerate(uniq)}
        self.product_emb = emb[[index[d] for d in descs]]
        try:
            self.taste: dict | None = latent_taste(world)
        except DataError:  # a world from another generator: ground-truth relevance is reported as NaN
            self.taste = None

    def customer_embedding(self, history: list[int]) -> np.ndarray | None:
        if not history:
            return None
        v = self.product_emb[np.asarray(history)].mean(axis=0)
        return v / max(np.linalg.norm(v), 1e-12)

    def arrange(self, candidates: np.ndarray) -> list[int]:
        """Greedy page: start from the top recommendation, then add the candidate that maximises
        ``w * rank score + (1 - w) * mean cosine similarity to the page so far``, at most
        ``max_per_category`` per category and no two identical (category, style, colour) pictures; the recommender's order breaks ties."""
        lb = self.cfg.lookbook
        cands = [int(c) for c in candidates if c >= 0]
        if not cands:
            return []
        rank_score = 1.0 - np.arange(len(cands)) / max(1, len(cands))
        cats = self.catalogue["category"].to_numpy()
        descs = self.catalogue["description"].to_numpy()  # identical description = identical picture: skip
        chosen = [0]
        while len(chosen) < min(lb.tiles, len(cands)):
            page = self.product_emb[[cands[i] for i in chosen]]
            best, best_s = None, -np.inf
            seen = {descs[cands[i]] for i in chosen}
            for j in range(len(cands)):
                if j in chosen or descs[cands[j]] in seen or sum(cats[cands[i]] == cats[cands[j]] for i in chosen) >= lb.max_per_category:
                    continue
                s = lb.relevance_weight * rank_score[j] + (1 - lb.relevance_weight) * float((page @ self.product_emb[cands[j]]).mean())
                if s > best_s:
                    best, best_s = j, s
            if best is None:
                break
            chosen.append(best)
        return [cands[i] for i in chosen]

    def scores(self, product_ids: list[int], profile: np.ndarray | None) -> dict:
        e = self.product_emb[product_ids]
        sim = e @ e.T
        n = len(product_ids)
        coherence = float((sim.sum() - np.trace(sim)) / max(1, n * (n - 1)))
        centre = e.mean(axis=0)
        centre /= max(np.linalg.norm(centre), 1e-12)
        return {"relevance_embedding": float(profile @ centre) if profile is not None else float("nan"),
                "coherence": coherence,
                "diversity_categories": len(set(self.catalogue["category"].to_numpy()[product_ids])) / max(1, n),
                "diversity_embedding": 1.0 - coherence}

    def build(self, customer_ids, kind: str = "personalised", seed: int = 0, progress: bool = True) -> list[Lookbook]:
        """Lookbooks for ``customer_ids``; ``kind="baseline"``: best-sellers with generic copy."""
        if kind not in ("personalised", "baseline"):
            raise BnplError(f"lookbook kind must be 'personalised' or 'baseline', got {kind!r}")
        ids = np.asarray(customer_ids, dtype=np.int64)
        if len(ids) and (ids.min() < 0 or ids.max() >= self.world.tables["customers"].shape[0]):
            raise BnplError(f"customer ids must lie in [0, {self.world.tables['customers'].shape[0]})")
        lb, g = self.cfg.lookbook, self.cfg.guardrails
        model = self.model if kind == "personalised" else self.best_sellers
        recs = model.recommend(ids, k=lb.candidates if kind == "personalised" else lb.tiles)
        tastes = observed_taste(self.world, ids, self.interactions)
        out = []
        for row, cid in enumerate(tqdm(ids, desc=f"{kind} lookbooks", disable=not progress)):
            t0 = time.perf_counter()
            taste = tastes.iloc[row]
            tiles = self.arrange(recs[row]) if kind == "personalised" else [int(i) for i in recs[row] if i >= 0]
            prods = self.catalogue.iloc[tiles].reset_index(drop=True)
            if kind == "personalised":
                reqs = [headline_request(taste["summary"], prods)] + [caption_request(p, taste["summary"])
                                                                      for _, p in prods.iterrows()]
            else:
                reqs = generic_requests(prods)
            timings: list[float] = []
            texts = write(reqs, self.backend, self.guardrails, lb.max_attempts, seed=seed + int(cid), timings=timings) \
                if kind == "personalised" else self._templates(reqs)
            page, _ = render_page(prods, texts[0].text, [t.text for t in texts[1:]], g.disclaimer, g.n_payments, g.currency)
            scores = self.scores(tiles, self.customer_embedding(taste["history_items"]))
            scores["relevance_truth"] = (float(np.nanmean(taste_affinity(self.taste, [cid], [tiles], self.catalogue)))
                                         if self.taste is not None and tiles else float("nan"))
            scores["seconds"] = time.perf_counter() - t0
            scores["seconds_per_text"] = float(np.mean(timings)) if timings else 0.0
            out.append(Lookbook(int(cid), kind, prods, texts[0], texts[1:], scores, page, self.backend.name))
        return out

    def _templates(self, reqs) -> list[Copy]:
        out = []
        for r in reqs:
            checks = self.guardrails.check(r.template, r.kind, r.product_ids)
            if not passed(checks):
                raise BnplError(f"generic template {r.template!r} fails the guardrails")
            out.append(Copy(r.kind, r.template, "template", 0, True, checks))
        return out


def lookbook_stem(lb: Lookbook) -> str:
    return f"{'lookbook' if lb.kind == 'personalised' else 'baseline'}_{lb.customer_id}"


def save_lookbook(lb: Lookbook, out_dir: str | Path, n_payments: int, currency: str) -> tuple[Path, Path]:
    """``<out>/lookbook_<customer>.png`` and ``.json`` (``baseline_<customer>.*`` for the baseline), atomically."""
    if not all(passed(t.checks) for t in [lb.headline, *lb.captions]):
        raise BnplError(f"lookbook for customer {lb.customer_id}: refusing to ship a text that failed a check")
    out_dir = Path(out_dir)
    png, js = out_dir / f"{lookbook_stem(lb)}.png", out_dir / f"{lookbook_stem(lb)}.json"
    with atomic_path(png, suffix=".png") as tmp:
        lb.image.save(tmp, format="PNG")
    write_json(js, {**lb.to_dict(n_payments, currency), "image": png.name})
    return png, js
