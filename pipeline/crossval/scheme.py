"""The folds of params ``loocv``'s scheme, one definition for every evaluation that uses it."""

from __future__ import annotations

from pipeline.crossval.splits import Fold, cross_validation_folds


def cv_folds(params: dict, patient_ids: list[str], targets: dict[str, int]) -> list[Fold]:
    """The folds of the ``loocv`` scheme: the loocv and baselines stages (and the
    permutation test's shuffles) draw theirs here, so all share one definition."""
    loocv = params["loocv"]
    return cross_validation_folds(patient_ids, [targets[i] for i in patient_ids], loocv["scheme"],
                                  loocv["inner_val_size"], params["seed"], loocv["folds"])
