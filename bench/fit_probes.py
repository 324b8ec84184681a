"""Instruments for ``pipeline.fit.fit`` that leave its loop untouched.

``StepTimes`` is a Lightning callback timing each training batch and the wait before it;
``timed_trainer`` adds it to the Trainer ``fit`` builds; ``loading_on_all_threads``
makes ``fit`` augment and stack batches on all of torch's threads (the ablation that shows
what keeping the loading thread to one is worth).
"""

from __future__ import annotations

import contextlib
import time

from lightning.pytorch.callbacks import Callback

import pipeline.fit as fit_module
from bench import gpu
from pipeline.data import VolumeDataset


class StepTimes(Callback):
    """Per epoch: the wait before each training batch (data), the batch itself, validation.

    The gap between one batch's end and the next one's start is the time the step waited
    for data: with ``num_workers=0`` the part of the next batch's augmentation that the
    background thread had not finished while the previous step ran, and all of it for
    an epoch's first batch.
    """

    def __init__(self):
        self.epochs: list[dict] = []
        self._mark = 0.0
        self._validation_started = 0.0

    def on_train_epoch_start(self, trainer, module) -> None:
        self.epochs.append({"batches": [], "validation": 0.0, "cpu": -time.process_time()})
        self._mark = time.perf_counter()

    def on_train_batch_start(self, trainer, module, batch, batch_index) -> None:
        now = time.perf_counter()
        self._wait, self._mark = now - self._mark, now

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_index) -> None:
        gpu.synchronise()
        now = time.perf_counter()
        self.epochs[-1]["batches"].append(
            {"volumes": len(batch[1]), "wait": self._wait, "step": now - self._mark})
        self._mark = now
        if batch_index == trainer.num_training_batches - 1:
            self.epochs[-1]["cpu"] += time.process_time()

    def on_validation_epoch_start(self, trainer, module) -> None:
        self._validation_started = time.perf_counter()

    def on_validation_epoch_end(self, trainer, module) -> None:
        if self.epochs:
            self.epochs[-1]["validation"] += time.perf_counter() - self._validation_started


@contextlib.contextmanager
def timed_trainer(callback: Callback):
    """Adds ``callback`` to the Trainer that ``fit`` builds."""
    original = fit_module._trainer
    fit_module._trainer = lambda settings, callbacks, *rest: original(
        settings, [*callbacks, callback], *rest)
    try:
        yield
    finally:
        fit_module._trainer = original


@contextlib.contextmanager
def loading_on_all_threads():
    """``fit`` augments and stacks batches on all of torch's and SimpleITK's threads, not on one."""
    original = VolumeDataset.loading_threads
    VolumeDataset.loading_threads = None
    try:
        yield
    finally:
        VolumeDataset.loading_threads = original
