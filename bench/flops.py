"""DenseNet121's FLOPs per volume and the FLOP/s the bare loop achieves, against peak.

FLOPs are counted by ``torch.utils.flop_counter.FlopCounterMode`` (convolutions and
matrix products, 2 per multiply-add; batch norm and activations are not counted, so the
figure is a slight under-count). Two ceilings, both measured in the same run: the
peak (on a CPU, a fused multiply-add loop on every core, ``bench.fma_peak``; the
theoretical peak from /proc/cpuinfo is shown beside it) and a large matrix product, the
most a tuned kernel sustains under the current load.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from bench import floor, fma_peak, gpu
from bench.context import Context
from bench.figure import Figure, Section
from bench.machine import cpu_fields, peak_flops
from bench.timing import load_average, seconds_of
from pipeline.network import DEFAULT_NETWORK, build_network

MATRIX_SIDE = 2048
GPU_MATRIX_SIDE = 8192  # a GPU needs a larger product to fill its units


def counted_flops(channels: int, crop: int, network: str = DEFAULT_NETWORK) -> dict[str, int]:
    """Forward and forward+backward FLOPs of one training volume at ``crop``^3.

    Counted on the meta device (shapes only, no arithmetic, so it is instant) on a batch of
    two (batch norm cannot train on one volume once the feature maps are 1 voxel wide, as
    they are at 32^3) and halved: FLOPs grow linearly with the batch.
    """
    with torch.device("meta"):
        model = build_network(channels, network).train()
        image = torch.rand(2, channels, crop, crop, crop)
    with FlopCounterMode(display=False) as forward:
        logits = model(image)
    with FlopCounterMode(display=False) as backward:
        F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)).backward()
    return {"forward": forward.get_total_flops() // 2,
            "training": (forward.get_total_flops() + backward.get_total_flops()) // 2}


def matmul_flops_per_second(repeats: int, side: int = MATRIX_SIDE,
                            dtype: torch.dtype = torch.float32) -> float:
    """FLOP/s of a square matrix product on this device now (fastest of ``repeats``)."""
    device = floor.device()
    left = torch.rand(side, side, device=device, dtype=dtype)
    right = torch.rand(side, side, device=device, dtype=dtype)
    seconds = min(seconds_of(lambda: left @ right, repeats, synchronise=gpu.synchronise))
    return 2 * side**3 / seconds


def ceilings(repeats: int) -> tuple[list[Figure], str, float, float]:
    """The figures of what this device can do, and the peak and matrix product that the
    bare loop is judged against: (figures, peak's name, peak FLOP/s, matrix product FLOP/s).

    CPU: the FP32 FMA loop on every core (``bench.fma_peak``) is the peak; the theoretical
    one from /proc/cpuinfo stands in where no C compiler can build that loop. GPU: the loop
    runs in bf16, so a bf16 matrix product is the measured ceiling (the bench knows no
    GPU's datasheet peak).
    """
    if gpu.available():
        matmul = matmul_flops_per_second(max(3, repeats), GPU_MATRIX_SIDE, torch.bfloat16)
        name = f"bf16 matrix product {GPU_MATRIX_SIDE}^2 on the GPU, now"
        return [Figure(name, matmul / 1e9, "GFLOP/s",
                       note="the GPU's measured ceiling; the loop trains in bf16")], \
            name, matmul, matmul
    theoretical = peak_flops(cpu_fields())["flops_per_second"]
    measured = fma_peak.measure(repeats=max(1, repeats))
    matmul = matmul_flops_per_second(max(3, repeats))
    matmul_name = f"FP32 matrix product {MATRIX_SIDE}^2, now"
    if measured["flops_per_second"] is None:
        return [Figure(matmul_name, matmul / 1e9, "GFLOP/s", "theoretical peak (CPU)",
                       theoretical / 1e9, note=f"FMA loop not run: {measured['reason']}")], \
            "theoretical peak (CPU)", theoretical, matmul
    peak_name = "FMA loop on every core (measured peak)"
    return [
        Figure(peak_name, measured["flops_per_second"] / 1e9, "GFLOP/s",
               "theoretical peak at the nominal clock", theoretical / 1e9,
               note=f"{measured['bits']}-bit FP32 fused multiply-adds, one loop per core "
                    f"at once, best of {max(1, repeats)}; above 1: the cores boost past "
                    f"the nominal clock"),
        Figure(matmul_name, matmul / 1e9, "GFLOP/s", peak_name,
               measured["flops_per_second"] / 1e9,
               note="the practical ceiling of a large, tuned kernel under the current load"),
    ], peak_name, measured["flops_per_second"], matmul


def measure(context: Context) -> Section:
    """FLOPs at both crops; achieved FLOP/s of the bare loop against the peak and a
    large matrix product measured in the same run."""
    settings = context.settings
    section = Section(f"{settings.network} FLOPs and distance to peak")
    section.details.update(load_before=load_average(), theoretical=peak_flops(cpu_fields()))
    figures, peak_name, peak, matmul = ceilings(settings.repeats)
    section.figures += figures
    for crop in dict.fromkeys((settings.default_crop, settings.study_crop)):
        counted = counted_flops(settings.channels, crop, settings.network)
        seconds = floor.seconds_per_volume(settings.channels, crop, settings.batch_size,
                                           settings.params["lr"], max(1, settings.repeats - 1),
                                           settings.network)
        achieved = counted["training"] / seconds
        section.figures += [
            Figure(f"FLOPs per volume, forward+backward, {crop}^3", counted["training"] / 1e9,
                   "GFLOP", "forward only", counted["forward"] / 1e9),
            Figure(f"achieved, bare loop, {crop}^3", achieved / 1e9, "GFLOP/s",
                   peak_name, peak / 1e9,
                   note=f"{achieved / matmul:.1%} of the matrix product measured now"),
        ]
        section.details[f"{crop}"] = {**counted, "bare_seconds_per_volume": seconds,
                                      "achieved_flops_per_second": achieved}
        section.findings.append(
            f"At {crop}^3 the bare loop runs {achieved / 1e9:.1f} GFLOP/s: "
            f"{achieved / peak:.1%} of the {peak_name}, "
            f"{achieved / matmul:.1%} of what a large matrix product gets now.")
    section.details.update(peak_name=peak_name, peak_flops_per_second=peak,
                           matmul_flops_per_second=matmul, load_after=load_average())
    return section
