"""Scaling benchmark of the fraud pipeline (``make bench``): per-step time and peak memory
(:mod:`~bnpl.bench.probe`), the steps on one world (:mod:`~bnpl.bench.steps`), sizes, slopes and the
report (:mod:`~bnpl.bench.scaling`)."""
