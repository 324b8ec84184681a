"""The training loop (``pipeline.training.fit.fit``: Lightning, augmentation, logging) against a bare
PyTorch loop on the same volumes: the floor. Target: at most 1.20x the floor's time.

The floor trains the same network, batch size, crop, Adam and loss on tensors already in
memory: no augmentation, no Lightning, no logging (on a GPU, with fit's bf16 autocast).
Counted: each epoch's training batches, the wait for data before each included, the first
epoch left out in both (a fresh network pays one-off allocation). Each repeat runs the floor
and the real loop back to back; on a shared machine identical repeats differ by a tenth or
more, so the headline is the median over repeats of each pair's ratio: a burst of other
work hits one pair, not the median.

``python -m bench.loop [--crop N] [--repeats N] [--epochs N]``
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
import time

import torch
from lightning.pytorch.callbacks import Callback
from torch.nn import functional as F
from torch.utils import benchmark

from bench import common
from bench.gpu import GpuMonitor
from pipeline.config.settings import TrainSettings, train_settings
from pipeline.crossval.splits import Fold
from pipeline.training.fit import fit
from pipeline.training.network import build_network

TARGET = 1.20
TRAIN_VOLUMES, VALIDATION_VOLUMES = 19, 4  # a LOOCV fold of the study: 24 - 1 tested - 4


class BareLoop:
    """The floor: the pipeline's network trained on in-memory ``images`` (N, C, X, Y, Z)."""

    def __init__(self, images: torch.Tensor, targets: torch.Tensor, batch_size: int, lr: float,
                 network: str, seed: int = 0):
        torch.manual_seed(seed)
        self.device = "cuda" if common.gpu_available() else "cpu"
        torch.backends.cudnn.benchmark = self.device == "cuda"
        self.images = images.float().to(self.device)
        self.targets = targets.float().reshape(-1, 1).to(self.device)
        self.network = build_network(images.shape[1], network).to(self.device).train()
        self.optimizer = torch.optim.Adam(self.network.parameters(), lr=lr)
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def step(self, index: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device, dtype=torch.bfloat16, enabled=self.device == "cuda"):
            logits = self.network(self.images[index])
        F.binary_cross_entropy_with_logits(logits.float(), self.targets[index]).backward()
        self.optimizer.step()

    def epoch(self) -> list[float]:
        """Seconds of each batch of one shuffled epoch (a last batch of one dropped, as the
        pipeline's loader drops it)."""
        batches = list(torch.randperm(len(self.images), generator=self.generator).split(self.batch_size))
        if len(batches) > 1 and len(batches[-1]) == 1:
            batches.pop()
        seconds = []
        for index in batches:
            started = time.perf_counter()
            self.step(index)
            common.synchronise()
            seconds.append(time.perf_counter() - started)
        return seconds

    @classmethod
    def on(cls, examples, settings: TrainSettings) -> BareLoop:
        return cls(torch.stack([e.image for e in examples]), torch.tensor([e.target for e in examples]),
                   settings.batch_size, settings.lr, settings.network, settings.seed)


def step_seconds(params: dict, crop: int, min_run_time: float = 1.0) -> float:
    """Median seconds of one bare training step of the params' network and batch at
    ``crop``^3, on random volumes (the cost does not depend on the values), after two
    warm-up steps (a fresh network's first is several times slower)."""
    batch_size = params["train"]["batch_size"]
    images = torch.rand(batch_size, common.channels(params), crop, crop, crop,
                        generator=torch.Generator().manual_seed(0))
    loop = BareLoop(images, torch.arange(batch_size) % 2, batch_size, params["lr"],
                    params["model"]["network"])
    index = torch.arange(batch_size)
    for _ in range(2):
        loop.step(index)
    timer = benchmark.Timer("loop.step(index); synchronise()", num_threads=torch.get_num_threads(),
                            globals={"loop": loop, "index": index, "synchronise": common.synchronise})
    return timer.blocked_autorange(min_run_time=min_run_time).median


class StepTimes(Callback):
    """Per training batch of each epoch: its volumes, the wait before it (data not ready) and
    the step."""

    def __init__(self):
        self.epochs: list[list[tuple[int, float, float]]] = []

    def on_train_epoch_start(self, trainer, module) -> None:
        self.epochs.append([])
        self._mark = time.perf_counter()

    def on_train_batch_start(self, trainer, module, batch, batch_index) -> None:
        now = time.perf_counter()
        self._wait, self._mark = now - self._mark, now

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_index) -> None:
        common.synchronise()
        now = time.perf_counter()
        self.epochs[-1].append((len(batch[1]), self._wait, now - self._mark))
        self._mark = now


def fit_inputs(train: list, validation: list, settings: TrainSettings) -> tuple[list, list]:
    """The examples a fold trains and stops on under ``settings``' stopping rule, split by
    the pipeline's own rule (``Fold.for_stopping``)."""
    fold = Fold(0, (), tuple(e.patient_id for e in train), tuple(e.patient_id for e in validation))
    fold = fold.for_stopping(settings.early_stopping)
    by_id = {example.patient_id: example for example in [*train, *validation]}
    return [by_id[i] for i in fold.train_ids], [by_id[i] for i in fold.validation_ids]


def real_run(train, validation, settings: TrainSettings) -> dict:
    """One ``fit``; seconds of the counted batches (wait and step apart) and of all of fit."""
    timer = StepTimes()
    train, validation = fit_inputs(train, validation, settings)
    with tempfile.TemporaryDirectory(prefix="bench-live-") as live, GpuMonitor() as monitor:
        started = time.perf_counter()
        fit(train, validation, settings, live, callbacks=[timer])
        total = time.perf_counter() - started
    counted = [batch for epoch in timer.epochs[1:] for batch in epoch]
    return {"wait": sum(wait for _, wait, _ in counted), "step": sum(step for _, _, step in counted),
            "batches": len(counted), "fit": total, "gpu": monitor.to_dict()}


def bare_run(loop: BareLoop, epochs: int) -> dict:
    """``epochs`` epochs of the floor; the batches of all but the first counted."""
    timed = [loop.epoch() for _ in range(epochs)]
    counted = [seconds for epoch in timed[1:] for seconds in epoch]
    return {"step": sum(counted), "batches": len(counted)}


def pair_ratios(pairs: list[tuple[dict, dict]]) -> list[float]:
    """Each (floor, real) pair's real time over the floor's, per batch."""
    return [(real["wait"] + real["step"]) / real["batches"] / (bare["step"] / bare["batches"])
            for bare, real in pairs]


def measure(train, validation, settings: TrainSettings, repeats: int) -> list[tuple[dict, dict]]:
    """``repeats`` back-to-back (floor, real loop) pairs after a warm-up of the floor."""
    trained, _ = fit_inputs(train, validation, settings)  # the floor trains what fit trains
    bare_run(BareLoop.on(trained, settings), 2)
    return [(bare_run(BareLoop.on(trained, settings), settings.max_epochs),
             real_run(train, validation, settings)) for _ in range(repeats)]


def main(argv: list[str] | None = None) -> dict:
    parser = common.parser(__doc__.splitlines()[0])
    parser.add_argument("--crop", type=int, help="crop side in voxels (default: params)")
    parser.add_argument("--repeats", type=int, default=5, help="(floor, real) pairs (default 5)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit (default 3)")
    parser.add_argument("--volumes", type=int, nargs=2, default=[TRAIN_VOLUMES, VALIDATION_VOLUMES],
                        metavar=("TRAIN", "VALIDATION"), help="volumes per fit (default: "
                        f"{TRAIN_VOLUMES} {VALIDATION_VOLUMES}, a LOOCV fold of the study)")
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs: at least 2 (the first epoch is not counted)")
    repeats = 2 if args.quick else args.repeats
    section = common.Section("loop", "Training loop against the bare floor", argv)
    with common.scratch() as folder:
        overrides = {"prepare": {"crop_voxels": args.crop}} if args.crop else {}
        root = common.make_project(folder / "project", common.cohort(folder, args.cohort),
                                   args.params, overrides)
        common.run_stage(root, "prepare")
        params = common.project_params(root)
        n_train, n_validation = args.volumes
        chosen = common.examples(root, n_train + n_validation)
    settings = dataclasses.replace(train_settings(params, args.epochs + 1, progress_bar=False),
                                   max_epochs=args.epochs)
    pairs = measure(chosen[:n_train], chosen[n_train:], settings, repeats)
    ratios = pair_ratios(pairs)
    per_batch = [(real["wait"] + real["step"]) / real["batches"] for _, real in pairs]
    floor = [bare["step"] / bare["batches"] for bare, _ in pairs]
    waits = [real["wait"] / real["batches"] for _, real in pairs]
    crop, median = params["prepare"]["crop_voxels"], statistics.median
    volumes = settings.batch_size
    section.add(
        common.Row(f"real loop, {crop}^3, per volume", median(per_batch) / volumes, "s",
                   "bare loop (floor)", median(floor) / volumes, ratio=median(ratios),
                   target=f"<= {TARGET}x the floor", holds=median(ratios) <= TARGET,
                   note=f"ratio: median of {len(ratios)} pairs "
                        f"({', '.join(f'{r:.2f}' for r in sorted(ratios))})"),
        common.Row("the floor's slowest repeat, per batch", max(floor), "s",
                   "its fastest repeat", min(floor),
                   note="identical runs: how much the machine's other work moved one"),
        common.Row("waiting for data, per batch", median(waits), "s",
                   "real loop, per batch", median(per_batch),
                   note="augmentation not finished ahead, collation"),
        common.Row("all of fit", median(real["fit"] for _, real in pairs), "s",
                   "the floor over every epoch", median(floor) * pairs[0][1]["batches"]
                   * args.epochs / (args.epochs - 1),
                   note="first epoch, validation, Lightning's set-up, DVCLive included"))
    if common.gpu_available():
        busy = [r["gpu"]["busy_percent"] for _, r in pairs if r["gpu"]["busy_percent"] is not None]
        section.add(
            common.Row("GPU busy, real loop", median(busy) if busy else None, "%",
                       target=">= 80%", holds=bool(busy) and median(busy) >= 80,
                       note="NVML" if busy else "no NVML: utilisation unknown"),
            common.Row("peak GPU memory, real loop",
                       max(r["gpu"]["peak_bytes"] for _, r in pairs) / common.GIB, "GiB"))
    else:
        section.add(common.pending("GPU busy, real loop", "%", ">= 80%"),
                    common.pending("peak GPU memory, real loop", "GiB"))
    section.notes.append(
        f"{n_train} training and {n_validation} validation volumes, batch "
        f"{volumes}, {settings.network}, {args.epochs} epochs per fit, the first not counted; "
        f"augmentation as configured ({', '.join(f'{k} {v:g}' for k, v in settings.augment.items() if v)}).")
    section.details["pairs"] = pairs
    return section.save(args.output)


if __name__ == "__main__":
    main()
