"""Findings: what a run found, in sentences generated from its own numbers.

Each stage notebook ends with one cell that builds a :class:`Findings` from its results (the
per-area builders: :mod:`bnpl.findings.data`, :mod:`bnpl.findings.fraud`,
:mod:`bnpl.findings.recsys`), compares it with the stage's previous run
(:func:`bnpl.findings.previous.previous_run`) and calls :func:`publish`: the findings are
shown as Markdown, saved as ``findings.json`` in the run folder (the report site reads it)
and their headline numbers logged to MLflow as ``findings.<key>`` metrics, which is what the
next run compares itself with.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

FINDINGS_FILE = "findings.json"


@dataclass
class Card:
    """One headline number: ``label`` (what), ``value`` (formatted), ``detail`` (interval, comparison)."""

    label: str
    value: str
    detail: str = ""


@dataclass
class Findings:
    """Headline sentence, supporting bullets, cards for the report, and the numbers behind them.

    ``numbers`` maps a stable key (``best_auprc``) to ``(label, value)``: logged as MLflow metrics
    and compared with the previous run's."""

    stage: str
    headline: str
    bullets: list[str] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    numbers: dict[str, tuple[str, float]] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        lines = [f"**{self.headline}**", ""]        # under the notebook's own "Findings" heading
        lines += [f"- {b}" for b in self.bullets]
        if self.changes:
            lines += ["", "**Since the previous run of this stage**", ""] + [f"- {c}" for c in self.changes]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["numbers"] = {k: {"label": lab, "value": v} for k, (lab, v) in self.numbers.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Findings:
        return cls(stage=d["stage"], headline=d["headline"], bullets=list(d.get("bullets", [])),
                   cards=[Card(**c) for c in d.get("cards", [])],
                   numbers={k: (v["label"], math.nan if v["value"] is None else float(v["value"]))  # JSON null = NaN
                            for k, v in d.get("numbers", {}).items()},
                   changes=list(d.get("changes", [])))


def publish(findings: Findings, compare: bool = True):
    """Add what changed since the stage's previous run (``compare``, under ``bnpl run``), save
    ``findings.json`` in the run folder (and to MLflow), log its numbers as ``findings.*`` metrics,
    and return the Markdown for the notebook to display."""
    from IPython.display import Markdown

    from bnpl import tracking
    from bnpl.findings.previous import changes_since, current_run, previous_run

    now = current_run() if compare else None
    if now is not None:
        findings.changes = changes_since(previous_run(now.run_id), now.params, findings.numbers)
    tracking.log_dict(findings.to_dict(), FINDINGS_FILE)
    tracking.log_metrics({f"findings.{k}": v for k, (_, v) in findings.numbers.items()
                          if v is not None and math.isfinite(v)})
    return Markdown(findings.to_markdown())
