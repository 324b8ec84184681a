"""DenseNet121's FLOPs per volume and the FLOP/s the bare loop achieves, against peak.

FLOPs are counted by ``torch.utils.flop_counter.FlopCounterMode`` (convolutions and
matrix products, 2 per multiply-add; batch norm and activations are not counted, so the
figure is a slight under-count). Two ceilings: the theoretical peak from /proc/cpuinfo
(see ``bench.machine.peak_flops`` for the assumption) and a large FP32 matrix product
measured now, under the same load, which is what this machine really sustains.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from bench import floor, gpu
from bench.context import Context
from bench.figure import Figure, Section
from bench.machine import cpu_fields, peak_flops
from bench.timing import load_average, seconds_of
from pipeline.network import build_network

MATRIX_SIDE = 2048


def counted_flops(channels: int, crop: int) -> dict[str, int]:
    """Forward and forward+backward FLOPs of one training volume at ``crop``^3.

    Counted on the meta device (shapes only, no arithmetic, so it is instant) on a batch of
    two (batch norm cannot train on one volume once the feature maps are 1 voxel wide, as
    they are at 32^3) and halved: FLOPs grow linearly with the batch.
    """
    with torch.device("meta"):
        network = build_network(channels).train()
        image = torch.rand(2, channels, crop, crop, crop)
    with FlopCounterMode(display=False) as forward:
        logits = network(image)
    with FlopCounterMode(display=False) as backward:
        F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)).backward()
    return {"forward": forward.get_total_flops() // 2,
            "training": (forward.get_total_flops() + backward.get_total_flops()) // 2}


def matmul_flops_per_second(repeats: int) -> float:
    """FP32 FLOP/s of a square matrix product on this device now (fastest of ``repeats``)."""
    device = floor.device()
    left = torch.rand(MATRIX_SIDE, MATRIX_SIDE, device=device)
    right = torch.rand(MATRIX_SIDE, MATRIX_SIDE, device=device)
    seconds = min(seconds_of(lambda: left @ right, repeats, synchronise=gpu.synchronise))
    return 2 * MATRIX_SIDE**3 / seconds


def measure(context: Context) -> Section:
    """FLOPs at both crops; achieved FLOP/s of the bare loop against both ceilings."""
    settings = context.settings
    section = Section("DenseNet121 FLOPs and distance to peak")
    peak = peak_flops(cpu_fields())
    section.details.update(load_before=load_average(), peak=peak)
    matmul = matmul_flops_per_second(max(3, settings.repeats))
    section.figures.append(Figure(
        f"FP32 matrix product {MATRIX_SIDE}^2, now", matmul / 1e9, "GFLOP/s",
        "theoretical peak (CPU)", peak["flops_per_second"] / 1e9,
        note="the practical ceiling under the current load"))
    for crop in dict.fromkeys((settings.default_crop, settings.study_crop)):
        counted = counted_flops(settings.channels, crop)
        seconds = floor.seconds_per_volume(settings.channels, crop, settings.batch_size,
                                           settings.params["lr"], max(1, settings.repeats - 1))
        achieved = counted["training"] / seconds
        section.figures += [
            Figure(f"FLOPs per volume, forward+backward, {crop}^3", counted["training"] / 1e9,
                   "GFLOP", "forward only", counted["forward"] / 1e9),
            Figure(f"achieved, bare loop, {crop}^3", achieved / 1e9, "GFLOP/s",
                   "theoretical peak (CPU)", peak["flops_per_second"] / 1e9,
                   note=f"{achieved / matmul:.1%} of the matrix product measured now"),
        ]
        section.details[f"{crop}"] = {**counted, "bare_seconds_per_volume": seconds,
                                      "achieved_flops_per_second": achieved}
        section.findings.append(
            f"At {crop}^3 the bare loop runs {achieved / 1e9:.1f} GFLOP/s: "
            f"{achieved / peak['flops_per_second']:.1%} of the theoretical peak, "
            f"{achieved / matmul:.1%} of what a large matrix product gets now.")
    section.details.update(matmul_flops_per_second=matmul, load_after=load_average())
    return section
