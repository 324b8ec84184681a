"""Net benefit against the definition, on hand-made predictions."""

import numpy as np
import pandas as pd
import pytest

from pipeline.evaluation.decision_curve import net_benefit, useful_thresholds

IDS = [f"P{i}" for i in range(8)]
TARGET = [1, 1, 1, 1, 0, 0, 0, 0]


def _frame(prob, ids=IDS):
    return pd.DataFrame({"patient_id": ids, "target": TARGET, "prob": prob})


def test_net_benefit_is_true_positives_less_weighted_false_positives():
    prob = [0.9, 0.8, 0.6, 0.2, 0.7, 0.3, 0.1, 0.1]
    curves = net_benefit({"model": _frame(prob)}, thresholds=np.array([0.5]))
    model = curves[curves["model"] == "model"]["net_benefit"].item()
    # at 0.5: 3 true positives, 1 false positive, weight 0.5 / 0.5
    assert model == pytest.approx(3 / 8 - 1 / 8 * 1.0)
    everyone = curves[curves["model"] == "treat all"]["net_benefit"].item()
    assert everyone == pytest.approx(4 / 8 - 4 / 8)
    assert curves[curves["model"] == "treat none"]["net_benefit"].item() == 0


def test_a_perfect_model_beats_both_references_at_every_threshold():
    prob = [0.95, 0.9, 0.85, 0.8, 0.2, 0.15, 0.1, 0.05]
    curves = net_benefit({"model": _frame(prob)})
    assert useful_thresholds(curves, "model") == sorted(curves["threshold"].unique().tolist())


def test_models_scored_on_other_patients_are_refused():
    other = _frame([0.5] * 8, ids=[f"Q{i}" for i in range(8)])
    with pytest.raises(ValueError, match="same patients"):
        net_benefit({"a": _frame([0.5] * 8), "b": other})
