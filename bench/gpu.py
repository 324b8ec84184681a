"""GPU utilisation and peak GPU memory while a block runs; inert on a CPU-only machine.

Utilisation and the device's used memory come from NVML (``nvidia-ml-py``, in
requirements.txt): they cover every process on the GPU, so several folds trained at once
in worker processes are measured together.
"""

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


def device_memory_used() -> int | None:
    """Bytes in use on the GPU by all processes (NVML), or None if unknown."""
    try:
        return int(torch.cuda.device_memory_used())
    except Exception:  # noqa: BLE001 - as above
        return None


class GpuMonitor:
    """Samples utilisation and device memory in a thread; reads ``max_memory_allocated`` at the end.

    ``busy_percent``, ``peak_bytes`` (this process's tensors) and ``peak_device_bytes``
    (all processes, with CUDA contexts and caches) stay None on a machine without CUDA.
    """

    def __init__(self, interval_seconds: float = 0.1):
        self.interval_seconds = interval_seconds
        self.samples: list[float] = []
        self.busy_percent: float | None = None
        self.peak_bytes: int | None = None
        self.peak_device_bytes: int | None = None
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
            value, used = utilisation_percent(), device_memory_used()
            if value is not None:
                self.samples.append(value)
            if used is not None:
                self.peak_device_bytes = max(used, self.peak_device_bytes or 0)

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
                "peak_device_bytes": self.peak_device_bytes, "samples": len(self.samples)}
