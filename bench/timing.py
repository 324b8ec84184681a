"""Wall-clock helpers: a stopwatch, medians, the machine's load while measuring."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable, Iterable


class Stopwatch:
    """``with Stopwatch() as watch: ...`` then ``watch.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started


def median(values: Iterable[float]) -> float:
    """The median, or NaN for no values."""
    values = list(values)
    return statistics.median(values) if values else float("nan")


def seconds_of(function: Callable[[], object], repeats: int, warmup: int = 1,
               synchronise: Callable[[], None] | None = None) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``function`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        if synchronise is not None:
            synchronise()
        times.append(time.perf_counter() - started)
    return times


def load_average() -> float:
    """The one-minute load average (runnable processes; 2 means both cores busy here)."""
    return round(os.getloadavg()[0], 2)


class LoadSampler:
    """The one-minute load average every few seconds while a block runs."""

    def __init__(self, interval_seconds: float = 5.0):
        self.samples = [load_average()]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval_seconds,), daemon=True)

    def _run(self, interval_seconds: float) -> None:
        while not self._stop.wait(interval_seconds):
            self.samples.append(load_average())

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()

    def summary(self) -> dict:
        return {"min": min(self.samples), "median": statistics.median(self.samples),
                "max": max(self.samples), "samples": len(self.samples)}
