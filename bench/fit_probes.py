"""Instruments for ``pipeline.fit.fit`` that leave its loop untouched.

``StepTimes`` is a Lightning callback timing each training batch and the wait before it,
given to ``fit`` as one of its ``callbacks``.
"""

from __future__ import annotations

import time

from lightning.pytorch.callbacks import Callback

from bench import gpu


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
