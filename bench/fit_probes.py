"""Instruments for ``pipeline.fit.fit`` that leave its loop untouched.

``StepTimes`` is a Lightning callback timing each training batch and the wait before it;
``timed_trainer`` adds it to the Trainer ``fit`` builds; ``augmentation_on_one_thread``
makes ``fit`` run its augmentation on one thread (a candidate fix, measured).
"""

from __future__ import annotations

import contextlib
import time

from lightning.pytorch.callbacks import Callback

import pipeline.fit as fit_module
from bench import gpu
from bench.threads import one_thread


class StepTimes(Callback):
    """Per epoch: the wait before each training batch (data), the batch itself, validation.

    With ``num_workers=0`` the loader runs between one batch's end and the next one's
    start, so that gap is the time spent waiting for data (augmentation, collation).
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
    fit_module._trainer = lambda settings, callbacks: original(settings, [*callbacks, callback])
    try:
        yield
    finally:
        fit_module._trainer = original


class _OnOneThread:
    """A transform run with torch limited to one thread (small FFTs and element-wise ops on
    one crop gain nothing from a second thread, and waiting for it costs)."""

    def __init__(self, transform):
        self.transform = transform

    def __call__(self, data):
        with one_thread():
            return self.transform(data)


@contextlib.contextmanager
def augmentation_on_one_thread():
    """``fit`` builds its augmentation wrapped to run on one thread (the candidate fix)."""
    original = fit_module.augmentation

    def wrapped(probabilities):
        transform = original(probabilities)
        return None if transform is None else _OnOneThread(transform)

    fit_module.augmentation = wrapped
    try:
        yield
    finally:
        fit_module.augmentation = original
