"""The reference models a network must beat, and their cross-validation through given folds.

``prior`` predicts each fold's training prevalence; ``radiomics`` is a logistic regression
on a few PyRadiomics features of the brainstem (``pipeline.evaluation.radiomics``). Everything the
radiomics model learns (imputation, which features are constant, scaling, which features
to keep, the weights) is refitted inside each fold, so no test patient is ever seen while
fitting.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.feature_selection import SelectKBest, VarianceThreshold, f_classif
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from pipeline.crossval.splits import Fold
from pipeline.evaluation.metrics import evaluate
from pipeline.evaluation.predictions import predictions_frame

# A few features for about twenty training patients: a logistic regression on many more of
# the three hundred or so would fit noise.
SELECTED_FEATURES = 10


def radiomics_model() -> Pipeline:
    """Median imputation, constant features dropped, standardisation, the ANOVA F-test's
    ``SELECTED_FEATURES`` best, logistic regression."""
    # liblinear: exact and ~10x faster than lbfgs on a few dozen patients (permutation test)
    return make_pipeline(SimpleImputer(strategy="median"), VarianceThreshold(0.0), StandardScaler(),
                         SelectKBest(f_classif, k=SELECTED_FEATURES),
                         LogisticRegression(C=1.0, solver="liblinear"))


MODELS = {
    "prior": lambda: DummyClassifier(strategy="prior"),
    "radiomics": radiomics_model,
}


def fitted_model(model_name: str, features: pd.DataFrame, targets: dict, fold: Fold):
    """``model_name`` fitted on ``fold``'s fitting patients only."""
    fitting = list(fold.fitting_ids)
    # arrays, not frames: sklearn's column-name checks would double the permutation test's time
    return MODELS[model_name]().fit(features.loc[fitting].to_numpy(), [targets[i] for i in fitting])


def cross_validated_probabilities(model_name: str, features: pd.DataFrame, targets: dict,
                                  folds: list[Fold]) -> pd.DataFrame:
    """Held-out probability of every patient, the model refitted inside each fold."""
    ids, probabilities, numbers = [], [], []
    for fold in folds:
        model = fitted_model(model_name, features, targets, fold)
        ids += fold.test_ids
        probabilities += model.predict_proba(features.loc[list(fold.test_ids)].to_numpy())[:, 1].tolist()
        numbers += [fold.number] * len(fold.test_ids)
    return predictions_frame(ids, probabilities, numbers, targets)


def permutation_aucs(model_name: str, features: pd.DataFrame, targets: dict,
                     folds_for: Callable[[dict], list[Fold]], count: int, seed: int) -> list[float]:
    """``model_name``'s cross-validated AUC re-run ``count`` times with the labels shuffled.

    ``folds_for(shuffled_targets)`` gives each shuffle its folds, drawn as the real run's
    are: a stratified or rebalanced scheme must follow the shuffled labels.
    """
    rng = np.random.default_rng(seed)
    patient_ids = list(targets)
    aucs = []
    for _ in range(count):
        shuffled = dict(zip(patient_ids, rng.permutation([targets[i] for i in patient_ids]).tolist()))
        predictions = cross_validated_probabilities(model_name, features, shuffled, folds_for(shuffled))
        aucs.append(evaluate(predictions["target"], predictions["prob"], bootstrap=0)["auc"])
    return aucs
