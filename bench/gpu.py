"""GPU utilisation and peak GPU memory while a block runs; inert on a CPU-only machine."""

from __future__ import annotations

import threading

import torch


def available() -> bool:
    return torch.cuda.is_available()


def synchronise() -> None:
    """Waits for queued GPU work, so wall-clock times include it (no-op on the CPU)."""
    if available():
        torch.cuda.synchronize()


def utilisation_percent() -> float | None:
    """The GPU's busy percentage over the driver's last sample period, or None if unknown."""
    try:
        return float(torch.cuda.utilization())  # needs nvidia-ml-py
    except Exception:  # noqa: BLE001 - no NVML, or a driver without the query: unknown, not fatal
        return None


class GpuMonitor:
    """Samples utilisation in a thread and reads ``max_memory_allocated`` at the end.

    ``busy_percent`` and ``peak_bytes`` stay None on a machine without CUDA.
    """

    def __init__(self, interval_seconds: float = 0.1):
        self.interval_seconds = interval_seconds
        self.samples: list[float] = []
        self.busy_percent: float | None = None
        self.peak_bytes: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> GpuMonitor:
        if available():
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            value = utilisation_percent()
            if value is not None:
                self.samples.append(value)

    def __exit__(self, *exc) -> None:
        if self._thread is None:
            return
        torch.cuda.synchronize()
        self._stop.set()
        self._thread.join()
        self.peak_bytes = int(torch.cuda.max_memory_allocated())
        if self.samples:
            self.busy_percent = sum(self.samples) / len(self.samples)

    def to_dict(self) -> dict:
        return {"busy_percent": self.busy_percent, "peak_bytes": self.peak_bytes,
                "samples": len(self.samples)}
