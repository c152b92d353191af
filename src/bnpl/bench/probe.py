"""Time and peak resident memory of the steps of one process: a background thread samples the process's
resident set size (``/proc/self/statm``, falling back to ``resource.getrusage``'s lifetime peak where
``/proc`` is absent) while a step runs, so each step gets its own peak, not the process's lifetime peak.

    probe = StepProbe()
    with probe.step("generate"):
        ...
    probe.steps["generate"]  # {"seconds": ..., "peak_mb": ..., "start_mb": ...}
"""
from __future__ import annotations

import gc
import os
import resource
import threading
import time
from contextlib import contextmanager

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_mb() -> float:
    """The process's resident set size now, in MB (10^6 bytes)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE / 1e6
    except OSError:                     # no /proc (macOS): the lifetime peak is the best available
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


class StepProbe:
    """Seconds, resident memory at the start and peak resident memory of named steps."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.steps: dict[str, dict[str, float]] = {}

    @contextmanager
    def step(self, name: str):
        gc.collect()
        start = rss_mb()
        peak = [start]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(self.interval):
                peak[0] = max(peak[0], rss_mb())

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        t0 = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - t0
            done.set()
            thread.join()
            peak[0] = max(peak[0], rss_mb())
            self.steps[name] = {"seconds": seconds, "start_mb": start, "peak_mb": peak[0]}
