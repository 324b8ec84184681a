"""Every LOOCV fold at the study's scale on the GPU: wall time, GPU busy share, GPU memory.

Issue 6's GPU targets, on one H100: the 24 folds of the built-in cohort at a 64^3 crop of
1 mm voxels, with the study's epochs and LOOCV patience, in at most 5 minutes, with the GPU
busy at least 80% of the time. Several folds train at once on the one GPU (``loocv.jobs``),
each with DataLoader workers for its augmentation, so one fold's CPU work or epoch-end
bookkeeping fills no gap that another fold's kernels cannot use.

Busy share and memory are the device's (NVML), sampled over the whole LOOCV: start-up,
data loading and validation count against it, not only the training steps. The run goes
through the stage's own ``build_jobs`` and ``run_local`` in a fresh process. On a machine
without CUDA the figures are pending: a full study-scale LOOCV on a CPU is hours of work
that says nothing about the GPU path.
"""

from __future__ import annotations

import copy
import os
from statistics import mean

from bench import gpu
from bench.context import Context
from bench.figure import Figure, Section, pending_gpu
from bench.machine import gpu_name
from bench.probe import run_probe
from bench.timing import load_average

TARGET_SECONDS = 300  # all 24 folds in at most 5 minutes
TARGET_BUSY = 80  # percent of the time the GPU runs kernels
GIB = 2**30
TITLE = "Study-scale LOOCV on the GPU"


def gpu_jobs(settings) -> tuple[int, int]:
    """Folds at once and DataLoader workers per fold: the settings', or the CPU's cores shared."""
    jobs = settings.gpu_jobs
    workers = settings.gpu_workers
    if workers is None:
        workers = max(1, (os.cpu_count() or 1) // jobs - 1)  # one core left for each fold's own process
    return jobs, workers


def study_params(params: dict, epochs: int, jobs: int, workers: int) -> dict:
    """The params as configured, at the study's epochs, with ``jobs`` folds of ``workers`` each."""
    params = copy.deepcopy(params)
    params["train"].update(max_epochs=epochs, num_workers=workers)
    params["loocv"].update(jobs=jobs, executor="local")
    return params


def measure(context: Context) -> Section:
    """All folds of the configured scheme at the study crop; pending without a GPU."""
    settings = context.settings
    if not gpu.available():
        return Section(TITLE, [pending_gpu("all LOOCV folds, study scale", "s"),
                               pending_gpu("GPU busy over the LOOCV", "%"),
                               pending_gpu("peak GPU memory, all folds' processes", "GiB")])
    jobs, workers = gpu_jobs(settings)
    params = study_params(settings.params, settings.study_epochs, jobs, workers)
    project = context.project(settings.study_crop)
    load_before = load_average()
    probe = run_probe("all_folds", {"project": str(project.root), "params": params,
                                    "cache_root": f"bench-study-folds-jobs{jobs}"})
    return summarise(probe["result"], settings, jobs, workers,
                     {"load_before": load_before, "load_after": load_average()})


def summarise(result: dict, settings, jobs: int, workers: int, details: dict) -> Section:
    """Figures and findings from one run of every fold."""
    folds, seconds, monitor = result["folds"], result["seconds"], result["gpu"]
    busy, peak = monitor["busy_percent"], monitor["peak_device_bytes"]
    voxel_mm = settings.crop_mm / settings.study_crop
    # The targets are for the study's scale only: a 64^3 crop of 1 mm voxels or larger.
    judged = settings.study_crop >= 64 and voxel_mm >= 1
    how = (f"{len(folds)} folds, {settings.study_crop}^3 at {voxel_mm:g} mm, up to "
           f"{settings.study_epochs} epochs, patience {settings.params['loocv']['patience']}, "
           f"jobs={jobs}, num_workers={workers}; {gpu_name() or 'GPU model unknown'}"
           + ("" if judged else "; not the study's scale, so not judged"))
    section = Section(f"{TITLE} ({how})", [
        Figure("all LOOCV folds, study scale", seconds, "s", "the 5-minute target",
               TARGET_SECONDS, target=f"<= {TARGET_SECONDS} s",
               holds=seconds <= TARGET_SECONDS if judged else None, note=how),
        Figure("GPU busy over the LOOCV", busy, "%", target=f">= {TARGET_BUSY}",
               holds=busy >= TARGET_BUSY if judged and busy is not None else None,
               note=f"NVML, {monitor['samples']} samples" if busy is not None
               else "no NVML: utilisation unknown"),
        Figure("peak GPU memory, all folds' processes", None if peak is None else peak / GIB,
               "GiB", note="NVML: every process's tensors, caches and CUDA context"),
        Figure("training one fold (mean)", mean(f["seconds"] for f in folds), "s",
               "wall time per fold", seconds / len(folds),
               note=f"{jobs} folds at once; best epochs "
                    f"{min(f['best_epoch'] for f in folds)} to {max(f['best_epoch'] for f in folds)}"),
    ])
    section.details.update(details, jobs=jobs, workers=workers, result=result)
    section.findings.append(
        f"{len(folds)} folds in {seconds:.0f} s ({seconds / 60:.1f} min) with {jobs} at once on "
        f"one GPU" + (f", busy {busy:.0f}% of the time." if busy is not None else "."))
    return section
