"""Tests of the DVC experiments table, on JSON shaped as `dvc exp show --json` prints it."""

import pytest

from pipeline.presentation import experiments


def _revision(rev: str, name: str | None, lr: float, accuracy: float) -> dict:
    return {"rev": rev, "name": name, "data": {
        "rev": rev, "timestamp": None if rev == "workspace" else "2025-01-01T10:00:00",
        "params": {"params.yaml": {"data": {"lr": lr, "train": {"max_epochs": 8}}}},
        "metrics": {"metrics/loocv.json": {"data": {"accuracy": accuracy,
                                                    "ci95": {"accuracy": [0.4, 0.8]}}},
                    "metrics/holdout.json": {"error": {"type": "FileNotFoundError"}}}},
        "error": None}


EXP_SHOW = [
    {**_revision("workspace", None, 0.0003, 0.625), "experiments": None},
    {**_revision("a1b2c3d4e5f6", "main", 0.0003, 0.625), "experiments": [
        {"name": "fast-lr", "executor": None,
         "revs": [{**_revision("0f9e8d7c6b5a", "fast-lr", 0.001, 0.708), "experiments": None}]}]},
]


def test_one_row_per_revision_with_params_and_metrics():
    frame = experiments.experiments_frame(EXP_SHOW)
    assert frame["experiment"].tolist() == ["workspace", "main", "fast-lr"]
    assert frame["rev"].tolist() == ["workspace", "a1b2c3d", "0f9e8d7"]
    assert frame["parent"].tolist()[2] == "main"
    assert frame.attrs["params"] == ["lr", "train.max_epochs"]
    assert frame.attrs["metrics"] == ["loocv:accuracy"]  # intervals and missing files left out
    assert frame.set_index("experiment").at["fast-lr", "loocv:accuracy"] == 0.708


def test_summary_keeps_varying_params_and_headline_metrics():
    frame = experiments.experiments_frame(EXP_SHOW)
    assert experiments.summary_columns(frame) == experiments.ID_COLUMNS + ["lr", "loocv:accuracy"]


def test_compare_marks_differences():
    frame = experiments.experiments_frame(EXP_SHOW)
    comparison = experiments.compare_experiments(frame, "main", "fast-lr").set_index("name")
    assert comparison.loc["lr", ["main", "fast-lr"]].tolist() == [0.0003, 0.001]
    assert comparison["differs"].to_dict() == {"lr": True, "train.max_epochs": False,
                                               "loocv:accuracy": True}


def test_without_experiments_the_frame_is_empty(monkeypatch):
    monkeypatch.setattr(experiments, "run_exp_show", lambda **_: EXP_SHOW[:1])
    assert experiments.list_experiments().empty


@pytest.mark.parametrize("answer", [None, []])
def test_without_dvc_the_frame_is_empty(monkeypatch, answer):
    monkeypatch.setattr(experiments, "run_exp_show", lambda **_: answer)
    assert experiments.list_experiments().empty


def test_dvc_outside_a_repository_answers_none(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert experiments.run_exp_show() is None
