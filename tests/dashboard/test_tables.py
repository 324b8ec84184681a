"""Tests of the frames the pages show."""

import pandas as pd
import pytest

from dashboard import tables


@pytest.fixture
def manifest():
    return pd.DataFrame({
        "patient_id": ["A", "B", "C", "X"], "infiltration": ["none", "extensive", "microscopic", ""],
        "target": pd.array([0, 1, 0, None], dtype="Int64"), "included": [True, True, True, False],
        "reason": ["", "", "", "missing:all: no folder"]})


def _predictions(probabilities, folds):
    targets = [0, 1, 0]
    return pd.DataFrame({"patient_id": ["A", "B", "C"], "target": targets, "prob": probabilities,
                         "pred": [int(p >= 0.5) for p in probabilities], "fold": folds})


def test_patient_table_joins_both_evaluations(manifest):
    table = tables.patient_table(manifest, _predictions([0.7, 0.8, 0.2], [1, 2, 3]),
                                 _predictions([0.1, 0.4, 0.3], ["train", "holdout", "train"]))
    assert table["patient_id"].tolist() == ["A", "B", "C"]
    assert table["loocv_correct"].tolist() == [False, True, True]
    assert table["single_split_correct"].tolist() == [True, False, True]
    assert table.loc[1, "split"] == "holdout" and table.loc[1, "label"] == "positive"


def test_patient_table_without_predictions_leaves_them_empty(manifest):
    table = tables.patient_table(manifest, None, None)
    assert table["loocv_prob"].isna().all() and list(table.columns) == tables.PATIENT_COLUMNS
    assert tables.filter_patients(table, "all", loocv_errors_only=True).empty


def test_filter_negatives_missed_by_loocv(manifest):
    table = tables.patient_table(manifest, _predictions([0.7, 0.3, 0.2], [1, 2, 3]), None)
    assert tables.filter_patients(table, "negative", True)["patient_id"].tolist() == ["A"]
    assert tables.filter_patients(table, "all", True)["patient_id"].tolist() == ["A", "B"]
    assert tables.filter_patients(table, "positive")["patient_id"].tolist() == ["B"]


def test_roc_inputs_split_hold_out_and_baselines():
    train = _predictions([0.1, 0.4, 0.3], ["train", "holdout", "train"])
    baselines = pd.concat([_predictions([0.5] * 3, [1, 2, 3]).assign(baseline=name)
                           for name in ("prior", "radiomics")])
    curves = tables.roc_inputs(None, train, baselines)
    assert list(curves) == ["Hold-out", "Resubstitution (optimistic)", "Baseline: prior",
                            "Baseline: radiomics"]
    assert len(curves["Hold-out"]) == 1 and len(curves["Resubstitution (optimistic)"]) == 3


def test_excluded_patients_keep_their_reason(manifest):
    assert tables.excluded_patients(manifest)["reason"].tolist() == ["missing:all: no folder"]
