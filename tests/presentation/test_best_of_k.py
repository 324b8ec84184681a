"""The best of k experiments and its selection-adjusted p-value."""

import math

import pandas as pd
import pytest

from pipeline.presentation import best_of_k


def _frame(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame([{"experiment": name, "lr": lr, "loocv:auc": auc, "loocv:p_value": p,
                           "loocv:n": 24} for name, lr, auc, p in rows])
    frame.attrs.update(params=["lr"], metrics=["loocv:auc", "loocv:p_value", "loocv:n"])
    return frame


@pytest.mark.parametrize("p_values, expected", [
    ([0.01], [0.01]),
    ([0.01, 0.04, 0.03], [0.03, 0.06, 0.06]),  # 3*0.01; max(2*0.03, 0.03); max(1*0.04, 0.06)
    ([0.5, 0.6], [1.0, 1.0]),
    ([0.04, 0.01], [0.04, 0.02]),
])
def test_holm_by_hand(p_values, expected):
    assert best_of_k.holm(p_values) == pytest.approx(expected)


def test_holm_never_below_the_raw_p_values_and_keeps_their_order():
    p_values = [0.2, 0.001, 0.03, 0.03, 0.9]
    adjusted = best_of_k.holm(p_values)
    assert all(a >= p for a, p in zip(adjusted, p_values))
    assert sorted(range(5), key=p_values.__getitem__) == sorted(range(5), key=adjusted.__getitem__)


def test_the_workspace_repeating_a_commit_counts_once():
    frame = _frame([("workspace", 3e-4, 0.6, 0.1), ("main", 3e-4, 0.6, 0.1), ("fast", 1e-3, 0.7, 0.02)])
    assert best_of_k.distinct_runs(frame)["experiment"].tolist() == ["workspace", "fast"]


def test_best_of_k_adjusts_the_winner_for_the_choice():
    frame = _frame([("main", 3e-4, 0.60, 0.10), ("fast", 1e-3, 0.72, 0.02), ("slow", 1e-4, 0.55, 0.30)])
    best = best_of_k.best_of_k(frame)
    assert (best.k, best.best, best.patients, best.chosen) == (3, "fast", 24, {"lr": 1e-3})
    assert best.p_value == 0.02 and best.adjusted_p_value == pytest.approx(0.06)


def test_one_experiment_needs_no_adjustment():
    assert best_of_k.best_of_k(_frame([("main", 3e-4, 0.6, 0.1)])) is None
    assert best_of_k.best_of_k(_frame([("a", 3e-4, 0.6, 0.1), ("b", 3e-4, 0.6, 0.1)])) is None


def test_runs_without_a_p_value_are_not_counted():
    frame = _frame([("main", 3e-4, 0.6, 0.1), ("broken", 1e-3, math.nan, math.nan)])
    assert best_of_k.best_of_k(frame) is None


def test_note_says_selection_on_the_same_patients_and_both_p_values():
    frame = _frame([("main", 3e-4, 0.60, 0.10), ("fast", 1e-3, 0.72, 0.02)])
    note = best_of_k.selection_note(best_of_k.best_of_k(frame))
    assert "best of 2 experiments is selected on the same 24 patients it is scored on" in note
    assert "0.020 unadjusted" in note and "0.040 adjusted for choosing among 2" in note
    assert "`lr=0.001`" in note


def test_adjusted_column_gives_repeated_runs_the_same_value():
    frame = _frame([("workspace", 3e-4, 0.6, 0.1), ("main", 3e-4, 0.6, 0.1), ("fast", 1e-3, 0.7, 0.02)])
    column = best_of_k.adjusted_column(frame)
    assert column.tolist() == pytest.approx([0.1, 0.1, 0.04])
    assert column.name == "loocv:p_value (Holm over 2)"


def test_frames_without_loocv_metrics_give_nothing():
    frame = pd.DataFrame({"experiment": ["a", "b"], "lr": [1, 2]})
    assert best_of_k.best_of_k(frame) is None and best_of_k.adjusted_column(frame).isna().all()


def test_a_null_param_neither_breaks_nor_splits_the_runs():
    frame = _frame([("workspace", 3e-4, 0.6, 0.1), ("main", 3e-4, 0.6, 0.1), ("fast", 1e-3, 0.7, 0.02)])
    frame["data.seg_label"] = [None, None, None]  # params.yaml's `seg_label: null`
    frame.attrs["params"] = ["lr", "data.seg_label"]
    assert best_of_k.distinct_runs(frame)["experiment"].tolist() == ["workspace", "fast"]
    assert best_of_k.adjusted_column(frame).tolist() == pytest.approx([0.1, 0.1, 0.04])
