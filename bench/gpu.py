"""Every LOOCV fold at the study's scale on one GPU: wall time (target: at most 5 min on an
H100) and the share of it the GPU is busy (target: at least 80%).

Study scale: the built-in cohort's 24 usable patients, a 64^3 crop of 1 mm voxels, the
study's recipe (``recipe: study``: DenseNet121, early stopping with patience 2 in LOOCV)
with up to 100 epochs. Several folds train at once on the one GPU (``loocv.jobs``), each
with DataLoader workers for its augmentation, so one fold's CPU work leaves no gap another
fold's kernels cannot fill. Busy share and memory are the device's (NVML, every process),
sampled over the whole stage. Without CUDA the figures are pending: a study-scale LOOCV on
a CPU is hours that say nothing about the GPU path.

``python -m bench.gpu [--jobs N] [--workers N] [--epochs N]``
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import torch

from bench import common
from pipeline import formats
from pipeline.formats import paths

TARGET_SECONDS, TARGET_BUSY = 300, 80
TITLE = "Study-scale LOOCV on the GPU"


class GpuMonitor:
    """Samples the GPU's utilisation and used memory (NVML) in a thread while a block runs,
    and this process's peak tensor memory; every figure stays None without CUDA."""

    def __init__(self, interval_seconds: float = 0.1):
        self.interval_seconds = interval_seconds
        self.samples: list[float] = []
        self.peak_device_bytes: int | None = None
        self.peak_bytes: int | None = None
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self) -> GpuMonitor:
        if common.gpu_available():
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            try:  # needs nvidia-ml-py (requirements.txt); a driver without the query: unknown
                self.samples.append(float(torch.cuda.utilization()))
                used = int(torch.cuda.device_memory_used())
            except Exception:  # noqa: BLE001 - unknown is reported as unknown, not fatal
                continue
            self.peak_device_bytes = max(used, self.peak_device_bytes or 0)

    def __exit__(self, *exc) -> None:
        if self._thread is None:
            return
        torch.cuda.synchronize()
        self._stop.set()
        self._thread.join()
        self.peak_bytes = int(torch.cuda.max_memory_allocated())

    def to_dict(self) -> dict:
        busy = sum(self.samples) / len(self.samples) if self.samples else None
        return {"busy_percent": busy, "peak_bytes": self.peak_bytes,
                "peak_device_bytes": self.peak_device_bytes, "samples": len(self.samples)}


def study_overrides(epochs: int, jobs: int, workers: int) -> dict:
    crop = common.STUDY_CROP  # at 1 mm: the crop's side in mm is its side in voxels
    return {"recipe": "study", "prepare": {"crop_mm": crop, "crop_voxels": crop},
            "train": {"max_epochs": epochs, "num_workers": workers},
            "loocv": {"jobs": jobs, "executor": "local"}}


def run_study(root: Path) -> dict:
    """The prepare and LOOCV stages in ``root``; LOOCV's seconds, folds and the GPU's figures."""
    common.run_stage(root, "prepare")
    with GpuMonitor() as monitor:
        child = common.run_stage(root, "loocv")
    index = formats.read_fold_index(root / paths.LOOCV_INDEX)
    return {"seconds": child.seconds, "folds": len(index),
            "best_epochs": [int(epoch) for epoch in index["best_epoch"]],
            "gpu": monitor.to_dict(), "peak_rss_bytes": child.peak_bytes}


def main(argv: list[str] | None = None) -> dict:
    parser = common.parser(__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=4, help="folds at once on the GPU (default 4)")
    parser.add_argument("--workers", type=int,
                        help="DataLoader workers per fold (default: the cores shared out)")
    parser.add_argument("--epochs", type=int, default=100, help="max_epochs (default 100)")
    args = parser.parse_args(argv)
    section = common.Section("gpu", TITLE, argv)
    if not common.gpu_available():
        section.add(common.pending("all LOOCV folds, study scale", "s",
                                   f"<= {TARGET_SECONDS} s on one H100"),
                    common.pending("GPU busy over the LOOCV", "%", f">= {TARGET_BUSY}%"),
                    common.pending("peak GPU memory, all folds", "GiB"))
        return section.save(args.output)
    workers = args.workers if args.workers is not None else max(1, (os.cpu_count() or 1) // args.jobs - 1)
    with common.scratch() as folder:
        root = common.make_project(folder / "project", common.cohort(folder, args.cohort), args.params,
                                   study_overrides(args.epochs, args.jobs, workers))
        result = run_study(root)
    gpu, name = result["gpu"], common.machine()["gpu"]
    how = (f"{result['folds']} folds, {args.jobs} at once, {workers} workers each, up to "
           f"{args.epochs} epochs (best epochs {min(result['best_epochs'])} to "
           f"{max(result['best_epochs'])}); {name}")
    section.add(
        common.Row("all LOOCV folds, study scale", result["seconds"], "s", "the 5-minute target",
                   TARGET_SECONDS, target=f"<= {TARGET_SECONDS} s on one H100",
                   holds=result["seconds"] <= TARGET_SECONDS, note=how),
        common.Row("GPU busy over the LOOCV", gpu["busy_percent"], "%", target=f">= {TARGET_BUSY}%",
                   holds=None if gpu["busy_percent"] is None else gpu["busy_percent"] >= TARGET_BUSY,
                   note=f"NVML, {gpu['samples']} samples"),
        common.Row("peak GPU memory, all folds", None if gpu["peak_device_bytes"] is None
                   else gpu["peak_device_bytes"] / common.GIB, "GiB",
                   note="NVML: tensors, caches and CUDA contexts of every process"))
    section.details["result"] = result
    return section.save(args.output)


if __name__ == "__main__":
    main()
