"""The reference models a network must beat, and their cross-validation through given folds.

``prior`` predicts each fold's training prevalence; ``radiomics`` is a standardised
logistic regression on the brainstem intensity features (``pipeline.radiomics``), refitted
inside each fold so no test patient is ever seen while fitting.
"""

from __future__ import annotations

import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipeline.splits import Fold

MODELS = {
    "prior": lambda: DummyClassifier(strategy="prior"),
    # liblinear: exact and ~10x faster than lbfgs on a few dozen patients (permutation test)
    "radiomics": lambda: make_pipeline(StandardScaler(), LogisticRegression(C=1.0, solver="liblinear")),
}


def cross_validated_probabilities(model_name: str, features: pd.DataFrame, targets: dict,
                                  folds: list[Fold]) -> pd.DataFrame:
    """Held-out probability of every patient, the model refitted inside each fold."""
    rows = []
    for fold in folds:
        fitting = list(fold.fitting_ids)
        model = MODELS[model_name]().fit(features.loc[fitting].to_numpy(),
                                         [targets[i] for i in fitting])
        probabilities = model.predict_proba(features.loc[list(fold.test_ids)].to_numpy())[:, 1]
        rows += [{"patient_id": pid, "target": targets[pid], "prob": float(p), "fold": fold.number}
                 for pid, p in zip(fold.test_ids, probabilities)]
    return pd.DataFrame(rows)
