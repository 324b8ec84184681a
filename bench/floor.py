"""The floor every training figure is judged against: a bare PyTorch loop.

The same network (``pipeline.network.build_network``), batch size, crop, Adam and
binary cross-entropy as the pipeline, on tensors already in memory: no augmentation, no
Lightning, no logging, no validation. On a GPU it uses what ``fit`` uses there (bf16
autocast, cuDNN autotuning), so the comparison stays like for like.
"""

from __future__ import annotations

import functools
import time

import torch
from torch.nn import functional as F

from bench import gpu
from pipeline.network import DEFAULT_NETWORK, build_network


def device() -> str:
    return "cuda" if gpu.available() else "cpu"


class BareLoop:
    """Trains the pipeline's network on in-memory ``images`` (N, C, X, Y, Z) and ``targets``."""

    def __init__(self, images: torch.Tensor, targets: torch.Tensor, batch_size: int, lr: float,
                 seed: int, network: str = DEFAULT_NETWORK):
        torch.manual_seed(seed)
        torch.backends.cudnn.benchmark = gpu.available()
        self.device = device()
        self.images = images.float().to(self.device)
        self.targets = targets.float().reshape(-1, 1).to(self.device)
        self.network = build_network(images.shape[1], network).to(self.device).train()
        self.optimizer = torch.optim.Adam(self.network.parameters(), lr=lr)
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def step(self, index: torch.Tensor) -> None:
        """One optimisation step on the volumes at ``index``."""
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device, dtype=torch.bfloat16, enabled=self.device == "cuda"):
            logits = self.network(self.images[index])
        loss = F.binary_cross_entropy_with_logits(logits.float(), self.targets[index])
        loss.backward()
        self.optimizer.step()

    def batches(self) -> list[torch.Tensor]:
        """A shuffled epoch; a remainder of one is dropped, as the pipeline's loader does."""
        order = torch.randperm(len(self.images), generator=self.generator)
        batches = list(order.split(self.batch_size))
        return batches[:-1] if len(batches[-1]) == 1 and len(batches) > 1 else batches

    def epoch(self) -> list[tuple[int, float]]:
        """Runs one epoch; returns (volumes, seconds) of each batch."""
        timed = []
        for index in self.batches():
            started = time.perf_counter()
            self.step(index)
            gpu.synchronise()
            timed.append((len(index), time.perf_counter() - started))
        return timed


@functools.cache
def seconds_per_volume(channels: int, crop: int, batch_size: int, lr: float, steps: int,
                       network: str = DEFAULT_NETWORK) -> float:
    """Seconds per volume of the bare loop at ``crop``^3: the fastest of ``steps`` identical
    steps (other jobs can only add time), after two warm-up steps (a fresh network's first
    step is several times slower). Random tensors: the cost does not depend on the values.

    Cached: several measurements use it as their reference within one run.
    """
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(batch_size, channels, crop, crop, crop, generator=generator)
    loop = BareLoop(images, torch.arange(batch_size) % 2, batch_size, lr, seed=0, network=network)
    index = torch.arange(batch_size)
    for _ in range(2):
        loop.step(index)
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        loop.step(index)
        gpu.synchronise()
        times.append(time.perf_counter() - started)
    return min(times) / batch_size
