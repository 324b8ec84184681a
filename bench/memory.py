"""Peak memory (RSS) of ``prepare`` and of one training process, and prepare's growth with cohort size.

Every figure comes from a fresh process (``bench.probe``): its own peak from ``getrusage``.
``prepare`` streams patients, so its peak should not depend on how many there are; the
growth is measured on copies of the built-in cohort cut to a few sizes, prepared at the
default crop, against the smallest. The training process is ``fit`` for one epoch on
prepared patients; its peak is reached in the first steps (activations plus Adam's state).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bench import gpu
from bench.context import Context, Prepared
from bench.figure import Figure, Section, pending_gpu
from bench.machine import gpu_name
from bench.probe import run_probe
from bench.timing import load_average

GIB, MIB = 2**30, 2**20
BUDGET_GIB = 4.0  # issue 6: the default `make run` under 4 GiB
FLAT = 1.10  # prepare's peak at the largest size at most 10 % above the smallest


def training_peak(context: Context, prepared: Prepared) -> dict:
    """One epoch of ``fit`` in a fresh process on the bench's training and validation counts."""
    settings = context.settings
    ids = list(prepared.targets)
    needed = settings.train_volumes + settings.validation_volumes
    train_settings = dataclasses.asdict(settings.train_settings(1))
    return run_probe("train", {
        "preprocessed": str(prepared.preprocessed), "targets": {i: prepared.targets[i] for i in ids[:needed]},
        "inputs": settings.inputs, "settings": train_settings,
        "train_ids": ids[:settings.train_volumes], "validation_ids": ids[settings.train_volumes:needed],
        "live_dir": str(prepared.root / "bench-live")})


def growth(context: Context) -> dict[int, dict]:
    """Prepare's probe report for sub-cohorts of ``cohort_sizes`` usable patients, and the full one."""
    usable = list(context.project(context.settings.default_crop).targets)
    reports = {}
    for size in [size for size in context.settings.cohort_sizes if size < len(usable)]:
        cohort = context.sub_cohort(usable[:size], f"cohort-{size}")
        reports[size] = context.prepare(cohort, context.scratch / f"growth-{size}",
                                        context.settings.default_crop)
    reports[len(usable)] = context.project(context.settings.default_crop).probe
    return reports


def measure(context: Context) -> Section:
    """Peaks of prepare and training at both crops, prepare's growth, GPU peak where there is one."""
    settings = context.settings
    section = Section("Peak memory (RSS) of prepare and of one training process")
    section.details["load_before"] = load_average()
    for scale, crop in (("default", settings.default_crop), ("study", settings.study_crop)):
        prepared = context.project(crop)
        trained = training_peak(context, prepared)
        section.figures += [
            Figure(f"prepare, {scale} ({crop}^3)", prepared.probe["peak_rss_bytes"] / GIB, "GiB",
                   "the 4 GiB budget of make run", BUDGET_GIB,
                   target=f"< {BUDGET_GIB:g} GiB" if scale == "default" else "",
                   holds=prepared.probe["peak_rss_bytes"] / GIB < BUDGET_GIB if scale == "default" else None),
            Figure(f"one training process, {scale} ({crop}^3)", trained["peak_rss_bytes"] / GIB,
                   "GiB", "the 4 GiB budget of make run", BUDGET_GIB,
                   target=f"< {BUDGET_GIB:g} GiB" if scale == "default" else "",
                   holds=trained["peak_rss_bytes"] / GIB < BUDGET_GIB if scale == "default" else None,
                   note=f"batch {settings.batch_size}, fit for one epoch"),
            gpu_figure(trained, scale, crop),
        ]
        section.details[scale] = {"prepare": prepared.probe, "train": trained}
    reports = growth(context)
    sizes = sorted(reports)
    peaks = [reports[size]["peak_rss_bytes"] for size in sizes]
    slope = float(np.polyfit(sizes, peaks, 1)[0]) if len(sizes) > 1 else 0.0
    ratio = peaks[-1] / peaks[0]
    section.figures.append(Figure(
        f"prepare peak, {sizes[-1]} usable patients", peaks[-1] / GIB, "GiB",
        f"prepare peak, {sizes[0]} patients", peaks[0] / GIB, target=f"<= {FLAT}x (flat)",
        holds=ratio <= FLAT, note=f"slope {slope / MIB:+.1f} MiB per patient over sizes "
                                  f"{', '.join(map(str, sizes))}"))
    section.details["growth"] = {str(size): reports[size] for size in sizes}
    section.details.update(growth_slope_bytes_per_patient=slope, load_after=load_average())
    section.findings.append(
        f"prepare's peak goes from {peaks[0] / MIB:.0f} MiB ({sizes[0]} patients) to "
        f"{peaks[-1] / MIB:.0f} MiB ({sizes[-1]}): {slope / MIB:+.1f} MiB per patient, "
        + ("flat, as streaming promises." if ratio <= FLAT else "it grows with the cohort."))
    return section


def gpu_figure(trained: dict, scale: str, crop: int) -> Figure:
    name = f"peak GPU memory, training, {scale} ({crop}^3)"
    peak = trained["result"]["gpu"]["peak_bytes"]
    if not gpu.available() or peak is None:
        return pending_gpu(name, "GiB")
    return Figure(name, peak / GIB, "GiB", note=gpu_name() or "")
