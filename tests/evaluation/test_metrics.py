"""The metrics object equals scikit-learn's values and flags a single predicted class."""

import numpy as np
import pytest
from sklearn import metrics as skm

from pipeline.evaluation.metrics import (
    evaluate,
    mann_whitney_test,
    permutation_p_value,
    roc_points,
    wilson_interval,
)

TARGET = np.array([1, 1, 1, 1, 1, 0, 0, 0, 1, 0])
PROB = np.array([0.9, 0.8, 0.4, 0.7, 0.55, 0.3, 0.6, 0.2, 0.45, 0.1])


def test_rates_equal_scikit_learn():
    result = evaluate(TARGET, PROB, threshold=0.5, bootstrap=50)
    pred = (PROB >= 0.5).astype(int)
    assert result["accuracy"] == pytest.approx(skm.accuracy_score(TARGET, pred), abs=1e-4)
    assert result["sensitivity"] == pytest.approx(skm.recall_score(TARGET, pred), abs=1e-4)
    assert result["specificity"] == pytest.approx(skm.recall_score(TARGET, pred, pos_label=0), abs=1e-4)
    assert result["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(TARGET, pred), abs=1e-4)
    assert result["auc"] == pytest.approx(skm.roc_auc_score(TARGET, PROB), abs=1e-4)
    tn, fp, fn, tp = skm.confusion_matrix(TARGET, pred).ravel()
    assert (result["tn"], result["fp"], result["fn"], result["tp"]) == (tn, fp, fn, tp)


def test_intervals_contain_the_estimate():
    result = evaluate(TARGET, PROB, bootstrap=200)
    for metric in ("accuracy", "sensitivity", "specificity", "balanced_accuracy", "auc"):
        low, high = result["ci95"][metric]
        assert low <= result[metric] <= high


def test_wilson_interval_known_value():
    # 0 successes out of 9 (the study's LOOCV specificity): Wilson gives [0, 0.299].
    assert wilson_interval(0, 9) == pytest.approx([0.0, 0.2991], abs=1e-4)


def test_single_class_is_flagged_and_auc_undefined_with_one_class():
    everyone_positive = evaluate(TARGET, np.full(len(TARGET), 0.7), bootstrap=0)
    assert everyone_positive["single_class"] and everyone_positive["single_class_predicted"] == 1
    assert everyone_positive["specificity"] == 0.0
    one_class = evaluate(np.ones(4, int), [0.2, 0.6, 0.7, 0.9], bootstrap=0)
    assert one_class["auc"] is None and one_class["specificity"] is None


def test_mann_whitney_small_for_separated_large_for_reversed():
    target = np.array([1] * 8 + [0] * 8)
    assert mann_whitney_test(target, target + 0.01 * np.arange(16))["p_value"] < 0.01
    assert mann_whitney_test(target, 1 - target)["p_value"] > 0.9


def test_permutation_p_value_counts_the_observed():
    assert permutation_p_value(0.9, [0.5, 0.6, 0.95]) == pytest.approx(2 / 4)
    assert permutation_p_value(None, [0.5]) is None


def test_roc_points_match_scikit_learn():
    fpr, tpr, _ = skm.roc_curve(TARGET, PROB)
    points = roc_points(TARGET, PROB)
    assert np.allclose(points["fpr"], fpr) and np.allclose(points["tpr"], tpr)


def test_a_one_class_model_that_ranks_the_patients_is_not_said_to_have_learned_nothing():
    from pipeline.presentation.formatting import describe_single_class

    target = [0, 0, 1, 1, 1]
    ranked = evaluate(target, [0.80, 0.85, 0.95, 0.97, 0.99], bootstrap=0)
    message = describe_single_class("Hold-out", ranked)
    assert "ranks them (AUC 1.00)" in message and "learned nothing" not in message
    flat = evaluate(target, [0.90, 0.97, 0.95, 0.91, 0.93], bootstrap=0)
    assert "learned nothing" in describe_single_class("Hold-out", flat)
