"""Which patients train, stop and test: the single split and the cross-validation schemes.

Every scheme returns :class:`Fold` objects; the DenseNet and the baselines iterate over
the same folds, so their results are comparable patient by patient.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from rebalancedcv import RebalancedLeaveOneOut
from sklearn.model_selection import LeaveOneOut, StratifiedKFold, train_test_split


@dataclass(frozen=True)
class Fold:
    """One fold: ids to test, to train on, to early-stop on, and any dropped to rebalance."""

    number: int
    test_ids: tuple[str, ...]
    train_ids: tuple[str, ...]
    validation_ids: tuple[str, ...]
    dropped_ids: tuple[str, ...] = field(default=())

    @property
    def fitting_ids(self) -> tuple[str, ...]:
        """Everything a model of this fold may learn from (training + validation)."""
        return self.train_ids + self.validation_ids

    def for_stopping(self, early: bool) -> Fold:
        """This fold as a stopping rule uses it. Under ``fixed`` (``early`` False) nothing
        stops on the validation patients, so they are trained on too."""
        return self if early else replace(self, train_ids=self.fitting_ids, validation_ids=())


def stratified_split(ids, targets, test_size: int, seed: int) -> tuple[list[str], list[str]]:
    """Splits ``ids`` into (kept, taken) with ``test_size`` taken, class balance preserved."""
    ids, targets = list(ids), np.asarray(targets)
    stratify = targets if min(np.bincount(targets, minlength=2)) >= 2 else None
    kept, taken = train_test_split(ids, test_size=test_size, random_state=seed, stratify=stratify)
    return sorted(kept), sorted(taken)


def holdout_fold(ids, targets, holdout_size: int, validation_size: int, seed: int) -> Fold:
    """The study's single split: ``holdout_size`` held out; validation taken from the rest."""
    target_of = dict(zip(ids, targets))
    rest, holdout = stratified_split(ids, targets, holdout_size, seed)
    train, validation = stratified_split(rest, [target_of[i] for i in rest], validation_size, seed)
    return Fold(0, tuple(holdout), tuple(train), tuple(validation))


def _with_validation(number, test, rest, target_of, size, seed, dropped=()) -> Fold:
    # rebalancedcv splits test from training only; the inner validation split is ours.
    train, validation = stratified_split(rest, [target_of[i] for i in rest], size, seed + number)
    return Fold(number, tuple(test), tuple(train), tuple(validation), tuple(dropped))


def rebalanced_leave_one_out(targets: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``RebalancedLeaveOneOut``'s (training, test) index pairs, drawn with ``seed``.

    The splitter seeds NumPy's global generator; its state is put back afterwards, so
    choosing folds changes no other random draw of the run.
    """
    counts = np.bincount(targets, minlength=2)
    if counts.min() < 2:
        raise ValueError(f"rebalanced_loo needs at least two patients of each class; this cohort "
                         f"has {counts[1]} positive and {counts[0]} negative")
    state = np.random.get_state()
    try:
        return list(RebalancedLeaveOneOut().split(np.zeros((len(targets), 1)), targets, seed=seed))
    finally:
        np.random.set_state(state)


def cross_validation_folds(ids, targets, scheme: str, inner_val_size: int, seed: int,
                           folds: int = 5) -> list[Fold]:
    """The folds of ``scheme``: ``loo``, ``rebalanced_loo`` or ``kfold``.

    ``rebalanced_loo`` drops one random training patient of the other class in each fold,
    so every fold trains on the same class balance whatever the held-out class (the
    remedy for leave-one-out's distributional bias, Austin et al., Sci. Adv. 2025).
    """
    ids, targets = np.asarray(list(ids)), np.asarray(list(targets), dtype=int)
    target_of = dict(zip(ids.tolist(), targets.tolist()))
    if scheme == "rebalanced_loo":
        splits = rebalanced_leave_one_out(targets, seed)
    else:
        splitter = (StratifiedKFold(folds, shuffle=True, random_state=seed) if scheme == "kfold"
                    else LeaveOneOut())
        splits = splitter.split(ids, targets)
    result = []
    for number, (rest_index, test_index) in enumerate(splits, start=1):
        test, rest = ids[test_index].tolist(), ids[rest_index].tolist()
        dropped = [i for i in ids.tolist() if i not in rest and i not in test]
        result.append(_with_validation(number, test, rest, target_of, inner_val_size, seed, dropped))
    return result


def usable_folds(targets, requested: int) -> int:
    """``requested`` stratified folds, or fewer where a class has fewer patients (at least 2)."""
    smallest = min(np.bincount(np.asarray(list(targets), dtype=int), minlength=2))
    return max(2, min(requested, int(smallest)))


def subsampled_fold(fold: Fold, targets: dict[str, int], fraction: float, inner_val_size: int,
                    seed: int, minimum: int = 4) -> Fold:
    """``fold`` with only a stratified ``fraction`` of its fitting patients (at least
    ``minimum``), re-split into training and validation; its test patients are untouched."""
    ids = list(fold.fitting_ids)
    size = min(len(ids), max(minimum, round(fraction * len(ids))))
    kept = ids if size == len(ids) else stratified_split(ids, [targets[i] for i in ids],
                                                         len(ids) - size, seed)[0]
    train, validation = stratified_split(kept, [targets[i] for i in kept], inner_val_size, seed)
    return Fold(fold.number, fold.test_ids, tuple(train), tuple(validation), fold.dropped_ids)
