"""The network's FLOPs per volume and the FLOP/s the bare training step achieves, against a
large matrix product measured in the same run: the most a tuned kernel sustains on this
machine now, so the distance to peak is visible.

FLOPs are counted by ``torch.utils.flop_counter.FlopCounterMode`` (convolutions and matrix
products, 2 per multiply-add; batch norm and activations are not counted, a slight
under-count). Times are ``torch.utils.benchmark`` medians on every torch thread.

``python -m bench.flops [--crops N N]``
"""

from __future__ import annotations

import torch
from torch.nn import functional as F
from torch.utils import benchmark
from torch.utils.flop_counter import FlopCounterMode

from bench import common
from bench.loop import step_seconds
from pipeline.config.params import read_params
from pipeline.training.network import build_network


def counted_flops(channels: int, crop: int, network: str) -> dict[str, int]:
    """Forward and forward+backward FLOPs of one training volume at ``crop``^3, counted on
    the meta device (shapes only: instant) for a batch of two, halved (batch norm cannot
    train on one volume once feature maps are one voxel wide; FLOPs grow with the batch)."""
    with torch.device("meta"):
        model = build_network(channels, network).train()
        image = torch.rand(2, channels, crop, crop, crop)
    with FlopCounterMode(display=False) as forward:
        logits = model(image)
    with FlopCounterMode(display=False) as backward:
        F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)).backward()
    return {"forward": forward.get_total_flops() // 2,
            "training": (forward.get_total_flops() + backward.get_total_flops()) // 2}


def matmul_flops_per_second(min_run_time: float) -> tuple[str, float]:
    """FLOP/s of a large square matrix product now: FP32 on a CPU, bf16 on a GPU (where the
    loop trains in bf16 and needs a larger product to fill its units)."""
    gpu = common.gpu_available()
    side, dtype = (8192, torch.bfloat16) if gpu else (2048, torch.float32)
    device = "cuda" if gpu else "cpu"
    left, right = (torch.rand(side, side, device=device, dtype=dtype) for _ in range(2))
    timer = benchmark.Timer("left @ right", globals={"left": left, "right": right},
                            num_threads=torch.get_num_threads())
    seconds = timer.blocked_autorange(min_run_time=min_run_time).median
    return f"{'bf16' if gpu else 'FP32'} matrix product {side}^2", 2 * side**3 / seconds


def main(argv: list[str] | None = None) -> dict:
    parser = common.parser(__doc__.splitlines()[0])
    common.add_crops(parser)
    args = parser.parse_args(argv)
    params = read_params(args.params)
    network, batch = params["model"]["network"], params["train"]["batch_size"]
    section = common.Section("flops", f"{network} FLOPs against a large matrix product", argv)
    run_time = 0.3 if args.quick else 1.5
    matmul_name, matmul = matmul_flops_per_second(run_time)
    section.add(common.Row(matmul_name, matmul / 1e9, "GFLOP/s",
                           note="the practical ceiling of a tuned kernel under the current load"))
    channels = common.channels(params)
    for crop in common.crops(args, params):
        counted = counted_flops(channels, crop, network)
        seconds = step_seconds(params, crop, run_time)
        achieved = counted["training"] * batch / seconds
        section.add(
            common.Row(f"FLOPs per volume, forward+backward, {crop}^3", counted["training"] / 1e9,
                       "GFLOP", "forward only", counted["forward"] / 1e9),
            common.Row(f"achieved, bare training step, {crop}^3", achieved / 1e9, "GFLOP/s",
                       matmul_name, matmul / 1e9,
                       note=f"batch {batch}, step {seconds * 1e3:.0f} ms (median)"))
        section.details[str(crop)] = {**counted, "step_seconds": seconds}
    return section.save(args.output)


if __name__ == "__main__":
    main()
