"""How long, and at which learning rate, the final model trains: as the cross-validation did.

The final model trains on every included patient, so no patient is left to stop on, and
it trains a fixed number of epochs: the median of the epochs the LOOCV folds trained. Under
``fixed`` stopping that is ``train.max_epochs``, as every fold trained. Under ``early``
each fold stopped where its inner validation loss was lowest, and the median of those
stopping points is the amount of training the LOOCV estimate describes; training
``max_epochs`` instead would be a recipe no fold ran, and one the figures say nothing
about. With a nested learning-rate choice (``loocv.lr_grid``) the final model takes the
rate most folds chose (the smaller one on a tie); without one, ``lr``.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from pipeline.config.settings import TrainSettings


def final_epochs(fold_index: pd.DataFrame) -> int:
    """The median over the folds of the epochs each trained (``best_epoch`` counts from 0),
    halves rounded up."""
    if fold_index.empty:
        raise ValueError("the LOOCV fold index is empty: the final model's epochs come from its folds")
    return max(1, math.floor(float((fold_index["best_epoch"] + 1).median()) + 0.5))


def final_lr(fold_index: pd.DataFrame, lr_grid: list[float], lr: float) -> float:
    """``lr``, or with a grid the rate most folds chose (the smaller on a tie)."""
    if not lr_grid:
        return lr
    counts = fold_index["lr"].value_counts()
    return float(min(counts[counts == counts.max()].index))


def final_settings(settings: TrainSettings, fold_index: pd.DataFrame,
                   lr_grid: list[float]) -> TrainSettings:
    """``settings`` as the final model trains: every patient, fixed epochs, the folds' rate."""
    return dataclasses.replace(settings, stopping="fixed", max_epochs=final_epochs(fold_index),
                               lr=final_lr(fold_index, lr_grid, settings.lr))
