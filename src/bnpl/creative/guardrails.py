"""Checks every generated text passes before it is shipped.

* ``length``: within the limit for its kind (headline, caption, message).
* ``well_formed``: at least two words, no chat-template tokens, no word repeated three times in a row.
* ``instalment_wording``: a text that offers instalments states the number of payments and the total,
  and they agree (``3 × 33.00 EUR`` with ``total 99.00 EUR``).
* ``no_misleading_credit_claims``: none of the prohibited phrases ("free money", "no credit check", ...).
* ``disclaimer``: campaign messages carry the required disclaimer word for word.
* ``brand_safety``: none of the brand-unsafe words, and no third-party brand or trademark (Nike, Apple, ...).
* ``catalogue``: every product named ("Red bold sneakers") and every price exists in the catalogue
  (and, when the text is about given products, among those products).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from bnpl.creative.catalogue import NOUNS, instalment_amount
from bnpl.creative.config import GuardrailConfig
from bnpl.data.synthetic.config import COLOURS

KINDS = ("headline", "caption", "message")
AMOUNT = r"(\d{1,6}(?:[.,]\d{2})?)"
_INSTALMENT_CLAIM = re.compile(r"instal+ments?|pay(?:ments?)?\s+(?:in|of)\s+\d|\b\d+\s*(?:×|x)\s*\d|"
                               r"\b\d+\s+(?:interest[- ]free\s+)?payments", re.I)
_N_TIMES = re.compile(r"\b(\d{1,2})\s*(?:×|x)\s*" + AMOUNT, re.I)
_TOTAL = re.compile(r"\btotal\s*(?:of\s*)?" + AMOUNT, re.I)
_PRICE = re.compile(r"(?<![\d.,])(\d{1,6}[.,]\d{2})(?![\d])")


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str = ""


def _norm(text: str) -> str:
    return re.sub(r"[\s\-‐‑–—]+", " ", text.lower().replace("’", "'"))


def _product_names_in(text: str) -> list[str]:
    """Phrases shaped like a product name: '<colour> <style> <noun>' for any known noun."""
    nouns = "|".join(re.escape(n) for n in sorted(set(NOUNS.values()), key=len, reverse=True))
    return [m.group(0).lower() for m in re.finditer(r"\b[a-z]+\s+[a-z]+\s+(?:" + nouns + r")\b", text, re.I)]


class Guardrails:
    """``check(text, kind, products)`` -> list of :class:`Check`; ``passed(checks)`` -> all passed."""

    def __init__(self, cfg: GuardrailConfig, catalogue: pd.DataFrame):
        self.cfg = cfg
        self.names = set(catalogue["name"].str.lower())
        self.colours = set(COLOURS) | set(catalogue["colour"].str.lower())
        self.prices = {round(float(p), 2) for p in catalogue["price"]}
        self.catalogue = catalogue.set_index("product_id", drop=False)
        brands = sorted({_norm(b).strip() for b in cfg.third_party_brands if b.strip()}, key=len, reverse=True)
        self._brands = re.compile(r"(?<![\w&])(?:" + "|".join(map(re.escape, brands)) + r")(?![\w&])") if brands else None

    def limit(self, kind: str) -> int:
        return {"headline": self.cfg.headline_max_chars, "caption": self.cfg.caption_max_chars,
                "message": self.cfg.message_max_chars}[kind]

    def allowed_amounts(self, product_ids: Iterable[int] | None) -> set[float]:
        """Prices, instalments and the sum of the given products (every catalogue price when None)."""
        if product_ids is None:
            prices = self.prices
            return prices | {instalment_amount(p, self.cfg.n_payments) for p in prices}
        prices = [float(self.catalogue.loc[int(i), "price"]) for i in product_ids]
        totals = set(prices) | ({round(sum(prices), 2)} if len(prices) > 1 else set())
        return {round(x, 2) for x in totals} | {instalment_amount(t, self.cfg.n_payments) for t in totals}

    def check(self, text: str, kind: str, product_ids: Iterable[int] | None = None) -> list[Check]:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        ids = None if product_ids is None else [int(i) for i in product_ids]
        norm = _norm(text)
        words = re.findall(r"[a-z']+", norm)
        limit = self.limit(kind)
        checks = [Check("length", 0 < len(text) <= limit, f"{len(text)} chars, limit {limit}")]
        repeated = any(words[i] == words[i + 1] == words[i + 2] for i in range(len(words) - 2))
        checks.append(Check("well_formed", len(words) >= 2 and "<|" not in text and not repeated,
                            "" if len(words) >= 2 else "fewer than two words"))
        checks.append(self._instalments(text))
        bad = [p for p in self.cfg.prohibited_phrases if _norm(p) in norm]
        checks.append(Check("no_misleading_credit_claims", not bad, ", ".join(bad)))
        if kind == "message":
            checks.append(Check("disclaimer", self.cfg.disclaimer in text, "" if self.cfg.disclaimer in text
                                else "required disclaimer missing"))
        unsafe = sorted({w for w in words if w in set(self.cfg.brand_unsafe_words)})
        unsafe += sorted({m.group(0) for m in self._brands.finditer(norm)}) if self._brands else []
        checks.append(Check("brand_safety", not unsafe, ", ".join(unsafe)))
        checks.append(self._catalogue(text, ids))
        return checks

    def _instalments(self, text: str) -> Check:
        if not _INSTALMENT_CLAIM.search(text):
            return Check("instalment_wording", True, "no instalment offer")
        n_times, total = _N_TIMES.search(text), _TOTAL.search(text)
        if not n_times or not total:
            return Check("instalment_wording", False, "instalment offer without "
                         + ("the number of payments" if not n_times else "the total"))
        n, each = int(n_times.group(1)), float(n_times.group(2).replace(",", "."))
        tot = float(total.group(1).replace(",", "."))
        ok = n == self.cfg.n_payments and abs(instalment_amount(tot, n) - each) < 0.005
        return Check("instalment_wording", ok, "" if ok else f"{n} × {each:.2f} does not match total {tot:.2f} "
                     f"in {self.cfg.n_payments} payments")

    def _catalogue(self, text: str, ids: list[int] | None) -> Check:
        problems = []
        named = [n for n in _product_names_in(text) if n.split()[0] in self.colours]
        allowed_names = self.names if ids is None else {self.catalogue.loc[i, "name"].lower() for i in ids}
        problems += [f"unknown product {n!r}" for n in named if n not in allowed_names]
        allowed = self.allowed_amounts(ids)
        for m in _PRICE.finditer(text):
            x = round(float(m.group(1).replace(",", ".")), 2)
            if x not in allowed:
                problems.append(f"price {m.group(1)} not in the catalogue")
        return Check("catalogue", not problems, "; ".join(problems))


def passed(checks: list[Check]) -> bool:
    return all(c.passed for c in checks)


def checks_dict(checks: list[Check]) -> dict[str, bool]:
    return {c.name: c.passed for c in checks}
