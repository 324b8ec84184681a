"""Trains one model with Lightning, for a fixed number of epochs or with early stopping.

Used by the single split (stage ``train``) and by every cross-validation fold. The GPU is
used when present (bf16 mixed precision, cuDNN autotuning); otherwise the CPU.

Two stopping rules (``TrainSettings.stopping``): ``fixed`` trains every patient given for
``max_epochs`` epochs and keeps the last weights, with no validation pass at all;
``early`` (the study's) stops on the validation loss with ``patience`` and keeps the best
epoch's weights. With a handful of validation patients that loss is mostly noise (see
docs/training-recipe.md).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import numpy as np
import pandas as pd
import torch
from dvclive.lightning import DVCLiveLogger
from lightning.pytorch.callbacks import Callback, EarlyStopping

from pipeline import formats
from pipeline.config.settings import TrainSettings
from pipeline.training.augmentation import augmentation
from pipeline.training.classifier import InfiltrationClassifier
from pipeline.training.datasets import Example, VolumeDataModule


@dataclass
class FitResult:
    """A trained network (best validation epoch, or the last under ``fixed``) and its loss curves."""

    network: torch.nn.Module
    best_epoch: int
    best_val_loss: float | None
    history: pd.DataFrame
    seconds: float


def load_examples(directory, patient_ids, targets: dict[str, int], mask_channel: bool = False,
                  one_hot_mask: bool = False) -> list[Example]:
    """Model inputs of ``patient_ids`` from the preprocessed cache."""
    examples = []
    for patient_id in patient_ids:
        patient = formats.read_patient(directory, patient_id, full=False)
        image = patient.model_input(one_hot_mask, mask_channel)
        examples.append(Example(patient_id, image, targets[patient_id],
                                mask_channels=len(image) - len(patient.image)))
    return examples


def resolve_precision(precision: str) -> str:
    """``auto``: bf16 mixed precision on a GPU, full precision on the CPU.

    Mixed precision is refused on a CPU: with torch 2.13's CPU build, the bf16 gradients of
    the DenseNet's small late convolutions came out non-finite in some steps and not in
    others (the same inputs, checked layer by layer), so training ended in NaN losses.
    """
    if precision == "auto":
        return "bf16-mixed" if torch.cuda.is_available() else "32-true"
    if precision.endswith("-mixed") and not torch.cuda.is_available():
        raise ValueError(f"train.precision: {precision} is for a GPU, and this machine has "
                         "none (on a CPU, bf16 training ended in NaN losses). Use auto or 32.")
    return precision


def positive_weight(setting, targets) -> float | None:
    """BCE weight of the positive class: None, a number, or ``balanced`` (negatives/positives)."""
    if setting != "balanced":
        return setting
    positives = int(np.sum(targets))
    return (len(targets) - positives) / positives if positives else None


class BestWeights(Callback):
    """Keeps a copy of the weights of the epoch with the lowest validation loss, in memory.

    Lightning's ModelCheckpoint would write each new best to disk and read it back, several
    times a fold (DenseNet121's weights are 46 MB). The copy stays on the training device;
    only a strictly lower loss replaces it.
    """

    def __init__(self, monitor: str = "val_loss"):
        self.monitor = monitor
        self.loss = float("inf")
        self.epoch: int | None = None
        self.state: dict[str, torch.Tensor] | None = None

    def on_validation_end(self, trainer, module) -> None:
        loss = trainer.callback_metrics.get(self.monitor)
        if trainer.sanity_checking or loss is None or not float(loss) < self.loss:
            return
        self.loss, self.epoch = float(loss), trainer.current_epoch
        self.state = {name: tensor.detach().clone() for name, tensor in module.state_dict().items()}


def _quiet_lightning() -> None:
    """Keeps the console to the progress bar and our own lines."""
    for name in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for message in (".*does not have many workers.*", ".*isinstance\\(treespec, LeafSpec\\).*",
                    ".*Tip.*", ".*small.*batch.*", ".*logging interval.*"):
        warnings.filterwarnings("ignore", message=message)


class EpochLogger(DVCLiveLogger):
    """DVCLive's Lightning logger, writing its summary at every call.

    Asked to log without ``sync``, DVCLive's logger decides whether to write by searching
    ``inspect.stack()`` for Lightning's epoch-end functions; that reads the source context
    of every frame, and for a frame without a source file (a ``-m`` or spawned process's
    entry point) scans every loaded module: 10-15% of the power study's network time on a
    2-core machine. Here every call comes from an epoch's end anyway (a fold logs once per
    epoch), so syncing always writes the same files.
    """

    def log_metrics(self, metrics, step=None, sync=False) -> None:
        super().log_metrics(metrics, step, sync=True)


def live_logger(live_dir: str | Path) -> DVCLiveLogger:
    """DVCLive's Lightning logger writing the epoch losses to ``live_dir``, and nothing else.

    No ``dvc.yaml`` (the stages declare their own plots), no DVC experiment of its own (the
    pipeline's runs are ``dvc repro`` / ``dvc exp run``'s to record) and no report.
    """
    return EpochLogger(dir=str(live_dir), dvcyaml=None, save_dvc_exp=False, report=None,
                       monitor_system=False)


def _trainer(settings: TrainSettings, callbacks: list[Callback], validate: bool,
             logger: DVCLiveLogger) -> L.Trainer:
    _quiet_lightning()
    return L.Trainer(
        max_epochs=settings.max_epochs, accelerator="auto", devices=1,
        limit_val_batches=1.0 if validate else 0,
        precision=resolve_precision(settings.precision), callbacks=callbacks,
        logger=logger, enable_checkpointing=False, enable_progress_bar=settings.progress_bar,
        enable_model_summary=False,
        num_sanity_val_steps=0, benchmark=torch.cuda.is_available(), deterministic=False)


def fit(train: list[Example], validation: list[Example], settings: TrainSettings,
        live_dir: str | Path, callbacks: Sequence[Callback] = ()) -> FitResult:
    """Trains a network on ``train``.

    Under ``early``, training stops, and the best epoch's weights are picked, on the
    ``validation`` loss. Under ``fixed``, ``validation`` is not used and the last epoch's
    weights are kept: whether its patients train instead is the fold's to say
    (``Fold.for_stopping``). The per-epoch losses go to a DVCLive directory ``live_dir``.
    ``callbacks`` join the run's own Lightning callbacks (the bench's timers, for one).
    """
    started = time.perf_counter()
    L.seed_everything(settings.seed, workers=True, verbose=False)
    early = settings.early_stopping
    if not early:
        validation = []
    in_channels = train[0].image.shape[0]
    weight = positive_weight(settings.pos_weight, [example.target for example in train])
    module = InfiltrationClassifier(in_channels, settings.lr, weight, settings.network)
    data = VolumeDataModule(train, validation, augmentation(settings.augment), settings.batch_size,
                            settings.val_batch_size, settings.num_workers, settings.max_epochs,
                            settings.seed)
    best = BestWeights()
    stopping = [best, EarlyStopping(monitor="val_loss", mode="min", patience=settings.patience)]
    trainer = _trainer(settings, (stopping if early else []) + list(callbacks), early,
                       live_logger(live_dir))
    trainer.fit(module, datamodule=data)
    history = formats.read_history(live_dir)
    if not early:
        return FitResult(module.network.eval(), trainer.current_epoch - 1, None, history,
                         time.perf_counter() - started)
    if best.state is None:
        raise RuntimeError(f"no finite validation loss was recorded: {len(train)} training and "
                           f"{len(validation)} validation patients with batch size "
                           f"{settings.batch_size} (too few, or training diverged)")
    module.load_state_dict(best.state)
    return FitResult(module.network.eval(), best.epoch, best.loss, history,
                     time.perf_counter() - started)


@torch.no_grad()
def predict(network: torch.nn.Module, examples: list[Example], batch_size: int = 8) -> np.ndarray:
    """Probability of the positive class for each example, in order."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    network = network.to(device).eval()
    probabilities = []
    for start in range(0, len(examples), batch_size):
        batch = torch.stack([example.image.float() for example in examples[start:start + batch_size]])
        with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            logits = network(batch.to(device))
        probabilities.append(torch.sigmoid(logits.float()).squeeze(1).cpu().numpy())
    return np.concatenate(probabilities) if probabilities else np.array([])
