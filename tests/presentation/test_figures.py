"""Tests of the shared Plotly figures, on small hand-made frames."""

import pandas as pd
import pytest

from pipeline.presentation import figures


@pytest.fixture
def history():
    return pd.DataFrame({"epoch": [0, 1, 2, 3], "train_loss": [0.9, 0.6, 0.4, 0.3],
                         "val_loss": [0.8, 0.55, 0.5431, 0.7]})


@pytest.fixture
def fold_histories():
    frames = []
    for fold, patient in ((1, "GBM-001"), (2, "GBM-002"), (3, "GBM-003")):
        frames.append(pd.DataFrame({"fold": fold, "test_patients": patient, "epoch": [0, 1, 2],
                                    "train_loss": [0.7, 0.5, 0.4],
                                    "val_loss": [0.8, 0.6 + 0.01 * fold, 0.65]}))
    return pd.concat(frames, ignore_index=True)


def _names(figure):
    return [trace.name for trace in figure.data]


def test_loss_curve_marks_minimum_validation_loss(history):
    figure = figures.loss_curve_figure(history, "lr 3e-4")
    assert figure.layout.title.text == "lr 3e-4"
    assert figure.layout.annotations[0].text == "min validation loss 0.5431 (epoch 2)"
    marker = figure.data[-1]
    assert (marker.x[0], marker.y[0]) == (2, 0.5431)


def test_loss_curve_without_validation_loss_has_no_marker(history):
    figure = figures.loss_curve_figure(history.assign(val_loss=float("nan")), "t")
    assert len(figure.data) == 2 and not figure.layout.annotations


def test_fold_loss_one_line_per_fold(fold_histories):
    figure = figures.fold_loss_figure(fold_histories)
    assert _names(figure) == ["fold 1 (GBM-001)", "fold 2 (GBM-002)", "fold 3 (GBM-003)"]


def test_fold_loss_highlight_greys_the_others(fold_histories):
    figure = figures.fold_loss_figure(fold_histories, highlight_fold=2)
    greyed = [trace for trace in figure.data if trace.line.color == figures.OTHER_FOLDS_COLOUR]
    assert len(greyed) == 2
    train = next(trace for trace in figure.data if trace.name == "fold 2 (GBM-002) train loss")
    assert train.line.dash == "dot"
    assert "min validation loss 0.6200 (epoch 1)" in figure.layout.annotations[0].text


def test_roc_legend_shows_auc_and_chance_line():
    perfect = pd.DataFrame({"target": [0, 0, 1, 1], "prob": [0.1, 0.2, 0.8, 0.9]})
    one_class = pd.DataFrame({"target": [1, 1], "prob": [0.4, 0.6]})
    figure = figures.roc_figure({"LOOCV": perfect, "Hold-out": one_class})
    assert _names(figure) == ["chance", "LOOCV (AUC 1.00, n=4)",
                              "Hold-out (AUC undefined: one class)"]


def test_confusion_matrix_rows_are_truth():
    metrics = {"tn": 7, "fp": 2, "fn": 4, "tp": 11}
    heatmap = figures.confusion_matrix_figure(metrics, "Resubstitution").data[0]
    assert [list(row) for row in heatmap.z] == [[7, 2], [4, 11]]
    assert list(heatmap.y) == ["negative", "positive"]
    assert heatmap.text[0][1] == "FP 2"


def test_probability_figure_colours_by_class_and_marks_errors():
    predictions = pd.DataFrame({"patient_id": ["a", "b", "c"], "target": [0, 1, 1],
                                "prob": [0.7, 0.9, 0.2], "pred": [1, 1, 0]})
    figure = figures.probability_figure(predictions, threshold=0.5)
    negatives, positives = figure.data
    assert (negatives.name, list(negatives.x), list(negatives.marker.symbol)) == \
        ("negative", ["a"], ["x"])
    assert list(positives.x) == ["c", "b"]  # by probability within the class
    assert figure.layout.shapes[0].y0 == 0.5


def test_permutation_figure_marks_observed():
    figure = figures.permutation_figure(pd.Series([0.4, 0.5, 0.6]), observed=0.83)
    assert figure.layout.shapes[0].x0 == 0.83
    assert "observed AUC 0.83" in figure.layout.annotations[0].text
    assert not figures.permutation_figure(pd.Series([0.5]), observed=None).layout.shapes


def test_the_spike_in_figure_marks_each_located_threshold_with_its_interval(tmp_path):
    from tests.outputs_factory import write_power_cohort

    write_power_cohort(tmp_path)
    cohort = pd.read_json(tmp_path / "metrics/power_cohort.json", typ="series").to_dict()
    figure = figures.cohort_power_figure(cohort)
    assert _names(figure) == ["densenet_small", "densenet_small: power 0.8", "radiomics",
                              "radiomics: power 0.8", "prior"]  # prior reaches power 0.8 nowhere
    marker = figure.data[1]
    threshold = cohort["arms"]["densenet_small"]["threshold"]
    assert marker.x[0] == threshold["effect"] and marker.y[0] == 0.8
    assert marker.error_x.arrayminus[0] == pytest.approx(threshold["effect"] - threshold["ci95"][0])
