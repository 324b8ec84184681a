"""The radiomics model learns everything, feature selection included, from a fold's
training patients only."""

import numpy as np
import pandas as pd

from pipeline.crossval.splits import cross_validation_folds
from pipeline.evaluation.reference_models import (
    SELECTED_FEATURES,
    cross_validated_probabilities,
    fitted_model,
)

IDS = [f"P{i:02d}" for i in range(20)]
TARGETS = dict(zip(IDS, [1] * 12 + [0] * 8))


def _features(seed=0) -> pd.DataFrame:
    """60 noise features, a constant one, and three that carry the label."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.standard_normal((20, 60)), index=IDS, columns=[f"noise{i}" for i in range(60)])
    labels = np.array([TARGETS[i] for i in IDS])
    for k in range(3):
        frame[f"signal{k}"] = labels + 0.3 * rng.standard_normal(20)
    frame["constant"] = 1.0
    return frame


def _selected(model, columns) -> list[str]:
    return model[:-1].get_feature_names_out(list(columns)).tolist()


FOLD = cross_validation_folds(IDS, list(TARGETS.values()), "loo", inner_val_size=2, seed=0)[0]


def test_the_selection_keeps_the_signal_and_never_a_constant():
    features = _features()
    selected = _selected(fitted_model("radiomics", features, TARGETS, FOLD), features.columns)
    assert len(selected) == SELECTED_FEATURES
    assert {"signal0", "signal1", "signal2"} <= set(selected) and "constant" not in selected


def test_the_selection_ignores_the_test_patient():
    features = _features()
    model = fitted_model("radiomics", features, TARGETS, FOLD)
    test_id = FOLD.test_ids[0]
    altered = features.copy()
    altered.loc[test_id] = 100.0
    flipped = {**TARGETS, test_id: 1 - TARGETS[test_id]}
    again = fitted_model("radiomics", altered, flipped, FOLD)
    assert _selected(again, features.columns) == _selected(model, features.columns)
    assert np.allclose(again[-1].coef_, model[-1].coef_)


def test_the_selection_follows_the_training_patients():
    features = _features()
    shuffled = dict(zip(IDS, np.random.default_rng(3).permutation(list(TARGETS.values())).tolist()))
    before = _selected(fitted_model("radiomics", features, TARGETS, FOLD), features.columns)
    after = _selected(fitted_model("radiomics", features, shuffled, FOLD), features.columns)
    assert before != after


def test_a_patient_without_features_is_imputed_inside_each_fold():
    features = _features()
    features.loc["P03"] = np.nan
    folds = cross_validation_folds(IDS, list(TARGETS.values()), "loo", inner_val_size=2, seed=0)
    predictions = cross_validated_probabilities("radiomics", features, TARGETS, folds)
    assert predictions["prob"].notna().all() and len(predictions) == 20
