"""Guardrails on hand-written good and bad copy; regeneration and template fallback."""
import pandas as pd
import pytest

from bnpl.creative.config import load_config
from bnpl.creative.copywriter import Request, pass_rates, tidy, write
from bnpl.creative.guardrails import Guardrails, checks_dict
from tests.creative_fakes import FakeBackend

CATALOGUE = pd.DataFrame({"product_id": [0, 1, 2], "name": ["Red bold sneakers", "Beige minimal lamp", "Blue classic jacket"],
                          "colour": ["red", "beige", "blue"], "price": [99.00, 45.50, 120.00]})


@pytest.fixture(scope="module")
def guard():
    return Guardrails(load_config().guardrails, CATALOGUE)


DISCLAIMER = load_config().guardrails.disclaimer


@pytest.mark.parametrize("text, kind, ids", [
    ("Bold steps for bright days", "headline", None),
    ("Red bold sneakers: pay in 3 × 33.00 EUR (total 99.00 EUR).", "caption", [0]),
    (f"Fresh picks for you. Pay in 3 × 33.00 EUR, total 99.00 EUR. {DISCLAIMER}", "message", [0]),
    ("The Beige minimal lamp, 45.50 EUR, warms any room", "caption", [1]),
    ("Appleton green and sonyas blue for spring", "headline", None),                 # brand names inside words
])
def test_good_copy_passes_every_check(guard, text, kind, ids):
    checks = checks_dict(guard.check(text, kind, ids))
    assert all(checks.values()), checks


@pytest.mark.parametrize("text, kind, ids, failing", [
    ("Free money for your wardrobe!", "headline", None, "no_misleading_credit_claims"),
    ("Shop now, no-credit-check needed", "headline", None, "no_misleading_credit_claims"),
    ("Pay in 3 easy instalments today", "caption", [0], "instalment_wording"),        # no amounts, no total
    ("Pay 3 × 30.00 EUR (total 99.00 EUR)", "caption", [0], "instalment_wording"),    # amounts disagree
    ("Sneakers 3 × 33.00 EUR for you", "caption", [0], "instalment_wording"),         # no total
    ("Fresh picks for you, shop the edit", "message", None, "disclaimer"),
    ("Cheap thrills for the weekend", "headline", None, "brand_safety"),
    ("Nike-style red kicks for game day", "headline", None, "brand_safety"),           # a third-party brand
    ("Layer up like an H&M insider", "headline", None, "brand_safety"),
    ("Green bold sneakers are back", "caption", None, "catalogue"),                   # no such product
    ("Red bold sneakers for only 59.99 EUR", "caption", [0], "catalogue"),            # wrong price
    ("Blue classic jacket for your style", "caption", [0], "catalogue"),              # exists, not on this page
    ("x" * 200, "headline", None, "length"),
    ("great great great picks", "headline", None, "well_formed"),
])
def test_bad_copy_fails_the_right_check(guard, text, kind, ids, failing):
    checks = checks_dict(guard.check(text, kind, ids))
    assert checks[failing] is False, checks


def test_failed_text_is_regenerated_then_templated_and_rates_are_reported(guard):
    backend = FakeBackend(["Free money, no credit check!", "\"Bright bold picks\"\nmore text", "Free money again"])
    reqs = [Request("headline", "p1", "Your bold edit"), Request("headline", "p2", "Your minimal edit")]
    out = write(reqs, backend, guard, max_attempts=2)
    # attempt 1: r0 <- bad, r1 <- good (tidied to its first line); attempt 2: r0 <- bad again -> template
    assert [c.source for c in out] == ["template", "model"]
    assert out[0].text == "Your bold edit" and out[1].text == "Bright bold picks"
    assert len(out[0].rejected) == 2 and len(backend.calls) == 2 and backend.calls[1] == ["p1"]
    rates = pass_rates(out)
    assert rates["pass_rate_first"] == 0.5 and rates["pass_rate_after_fallback"] == 1.0


def test_tidy_keeps_the_first_line_without_quotes():
    assert tidy('Headline: "Bold looks"\nThis headline...') == "Bold looks"
