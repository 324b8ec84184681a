"""Training and testing one fold: its learning rate chosen on its inner split if asked, its
model trained, its test patients scored, the result stored."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from sklearn.metrics import log_loss

from pipeline import formats
from pipeline.training.datasets import Example
from pipeline.training.fit import FitResult, fit, load_examples, predict

if TYPE_CHECKING:
    from pipeline.crossval.fold_jobs import FoldJob


def select_lr(job: FoldJob, by_id: dict[str, Example]) -> tuple[FitResult, dict]:
    """The fold's model after choosing its learning rate on its own inner split.

    Each rate of ``job.lr_grid`` is fitted on the fold's training patients only and scored
    by its log loss on its validation patients (never its test patients); the lowest wins,
    the first listed on a tie. Under ``early`` the winner's inner model is what a fold
    without a grid would have trained at that rate, so it is kept; under ``fixed`` the
    winner is retrained as every fixed fold is (``Fold.for_stopping``).

    Returns:
        The final fit and ``{"lr": chosen, "lr_losses": {rate: inner log loss}}``.
    """
    early = job.settings.early_stopping
    train = [by_id[i] for i in job.fold.train_ids]
    validation = [by_id[i] for i in job.fold.validation_ids]
    targets = [example.target for example in validation]
    fits, losses = {}, {}
    for lr in job.lr_grid:
        inner = fit(train, validation, dataclasses.replace(job.settings, lr=lr),
                    job.live_dir / f"lr-{lr:g}")
        fits[lr] = inner
        losses[lr] = float(log_loss(targets, predict(inner.network, validation), labels=[0, 1]))
    chosen = min(job.lr_grid, key=lambda lr: losses[lr])
    final = fits[chosen] if early else _fit_fold(job, by_id, dataclasses.replace(job.settings, lr=chosen))
    return final, {"lr": chosen, "lr_losses": {f"{lr:g}": round(loss, 6) for lr, loss in losses.items()}}


def _fit_fold(job: FoldJob, by_id: dict[str, Example], settings) -> FitResult:
    """The fold's model at ``settings``, its patients split as its stopping rule uses them."""
    fold = job.fold.for_stopping(settings.early_stopping)
    return fit([by_id[i] for i in fold.train_ids], [by_id[i] for i in fold.validation_ids],
               settings, job.live_dir)


def train_and_test(job: FoldJob) -> dict:
    """Trains the fold, tests it and stores its result; returns the stored record."""
    examples = load_examples(job.preprocessed_dir, sorted(set(job.fold.test_ids) | set(job.fold.fitting_ids)),
                             job.targets, **job.inputs)
    by_id = {example.patient_id: example for example in examples}
    if job.lr_grid:
        result, chosen = select_lr(job, by_id)
    else:
        result, chosen = _fit_fold(job, by_id, job.settings), {"lr": job.settings.lr}
    probabilities = predict(result.network, [by_id[i] for i in job.fold.test_ids])
    record = {"fold": job.fold.number, "test_ids": list(job.fold.test_ids),
              "probabilities": [float(p) for p in probabilities],
              "best_epoch": result.best_epoch, "best_val_loss": result.best_val_loss, **chosen,
              "seconds": round(result.seconds, 2), "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
    formats.write_json(job.result_path, record)  # written last: its presence means done
    return record
