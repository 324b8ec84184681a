"""Augmentation cost per volume for each transform of ``pipeline/augment.py``, forced on (p=1).

Each transform is applied as ``VolumeDataset`` applies it (``pipeline.data.augmented``,
on one torch thread), at the default and the study-scale crop, and, for
comparison, on all of torch's threads. The reference is what a volume costs in the bare
training step at the same crop, so the ratio reads as "share of a training step".
Where the pipeline uses its own version of a TorchIO transform (``pipeline.transforms``),
TorchIO's, with the same arguments, is timed beside it.
"""

from __future__ import annotations

import copy
import time

import torch
import torchio as tio

from bench import floor
from bench.context import Context
from bench.figure import Figure, Section
from bench.timing import load_average, seconds_of
from pipeline.augment import _TRANSFORMS, augmentation
from pipeline.data import LOADING_THREADS, augmented
from pipeline.threads import loading_threads


def transform_seconds(transform, image: torch.Tensor, mask_channels: int, repeats: int) -> float:
    """Seconds of one call on ``image``: the fastest of ``repeats`` after a warm-up call.

    The fastest, because other jobs on the machine can only add time to the same work.
    """
    return min(seconds_of(lambda: augmented(transform, image, mask_channels), repeats))


def torchio_original(transform: tio.Transform) -> tio.Transform | None:
    """``transform`` as TorchIO's own class, or None if it is TorchIO's already.

    The classes of ``pipeline.transforms`` add no state to the TorchIO class they derive
    from, only an ``apply_transform`` of their own: the same object under the parent class
    is TorchIO's transform with the same arguments.
    """
    original = next(cls for cls in type(transform).__mro__ if cls.__module__.startswith("torchio"))
    if original is type(transform):
        return None
    twin = copy.copy(transform)
    twin.__class__ = original
    return twin


def costs_at(crop: int, channels: int, mask_channels: int,
             repeats: int) -> dict[str, dict[str, float]]:
    """Seconds per volume of every transform at ``crop``^3,
    ``{name: {"pipeline", "all_threads"[, "torchio"]}}``: on the threads ``VolumeDataset``
    gives it, on all of torch's, and TorchIO's own on the pipeline's threads."""
    image = torch.rand(channels, crop, crop, crop, generator=torch.Generator().manual_seed(0))
    costs = {}
    for name, build in _TRANSFORMS.items():
        transform, original = build(1.0), torchio_original(build(1.0))
        with loading_threads(LOADING_THREADS):
            costs[name] = {"pipeline": transform_seconds(transform, image, mask_channels, repeats)}
            if original is not None:
                costs[name]["torchio"] = transform_seconds(original, image, mask_channels, repeats)
        costs[name]["all_threads"] = transform_seconds(transform, image, mask_channels, repeats)
    return costs


def draw_seconds(probabilities: dict[str, float], image: torch.Tensor, mask_channels: int,
                 draws: int, passes: int) -> float:
    """Mean seconds per volume of the configured pipeline, as ``VolumeDataset`` runs it.

    Each draw is seeded and keeps the fastest of ``passes`` passes.
    """
    transform = augmentation(probabilities)
    best = [float("inf")] * draws
    for _ in range(passes):
        for draw in range(draws):
            torch.manual_seed(draw)
            started = time.perf_counter()
            with loading_threads(LOADING_THREADS):
                augmented(transform, image, mask_channels)
            best[draw] = min(best[draw], time.perf_counter() - started)
    return sum(best) / draws


def threads_label() -> str:
    """How many torch threads the pipeline's augmentation runs on, in words."""
    return f"on {LOADING_THREADS} thread{'s' if LOADING_THREADS > 1 else ''}, as the pipeline runs it"


def expected_cost(costs: dict[str, dict[str, float]], probabilities: dict[str, float],
                  key: str) -> float:
    """Mean seconds per volume of the configured pipeline: each transform's cost times its p."""
    return sum(probabilities.get(name, 0) * cost[key] for name, cost in costs.items())


def measure(context: Context) -> Section:
    """Per-transform figures at both crops, each against the bare step per volume."""
    settings = context.settings
    section = Section("Augmentation cost per volume (each transform forced on, p=1)")
    probabilities = settings.params["augment"]
    section.details["load_before"] = load_average()
    for crop, repeats in ((settings.default_crop, settings.repeats + 2),
                          (settings.study_crop, settings.repeats)):
        costs = costs_at(crop, settings.channels, settings.mask_channels, repeats)
        step = floor.seconds_per_volume(settings.channels, crop, settings.batch_size,
                                        settings.params["lr"], max(1, settings.repeats - 1),
                                        settings.network)
        for name, cost in costs.items():
            section.figures.append(Figure(
                f"{name}, {crop}^3", cost["pipeline"] * 1e3, "ms/volume",
                "bare training step per volume", step * 1e3,
                note=f"{threads_label()}; on all threads: {cost['all_threads'] * 1e3:.1f} ms"))
        for name, cost in costs.items():
            if "torchio" in cost:
                section.figures.append(Figure(
                    f"{name}, {crop}^3, pipeline.transforms", cost["pipeline"] * 1e3, "ms/volume",
                    "TorchIO's own, same arguments", cost["torchio"] * 1e3,
                    note="same arguments and draws; both on the pipeline's threads"))
        expected = {key: expected_cost(costs, probabilities, key) for key in ("pipeline", "all_threads")}
        image = torch.rand(settings.channels, crop, crop, crop)
        drawn = draw_seconds(probabilities, image, settings.mask_channels,
                             draws=max(12, 40 * 32**3 // crop**3), passes=2)
        section.figures.append(Figure(
            f"configured augmentation (params p), {crop}^3", drawn * 1e3, "ms/volume",
            "bare training step per volume", step * 1e3,
            note=f"mean over seeded draws, copying the volume once per draw; sum of p x cost "
                 f"above: {expected['pipeline'] * 1e3:.1f} ms, on all threads "
                 f"{expected['all_threads'] * 1e3:.1f} ms"))
        section.details[f"{crop}"] = {"seconds": costs, "expected_seconds": expected,
                                      "drawn_seconds": drawn, "bare_step_seconds_per_volume": step}
        dearest = max(costs, key=lambda n: probabilities.get(n, 0) * costs[n]["pipeline"])
        section.findings.append(
            f"At {crop}^3 the configured augmentation costs {drawn * 1e3:.1f} ms per volume, "
            f"{drawn / step:.0%} of a bare training step per volume. Dearest in expectation: "
            f"{dearest} ({probabilities.get(dearest, 0) * costs[dearest]['pipeline'] * 1e3:.1f} ms "
            f"per volume).")
    section.details["load_after"] = load_average()
    return section
