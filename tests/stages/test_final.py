"""The final model, its card and the external validation, on a tiny cohort.

The stages run in this process, in a throwaway project: ``prepare`` for real, the LOOCV's
outputs written through the formats (the final stage reads only its fold index and the
card its metrics), then ``final`` (one epoch), ``external`` and ``model_card``.
``python -m pipeline.predict`` runs as a user runs it, in a process of its own.
"""

from __future__ import annotations

import contextlib
import shutil
import sys

import pandas as pd
import pytest
import torch

from pipeline import formats
from pipeline.evaluation.metrics import evaluate, mann_whitney_test
from pipeline.formats import paths
from pipeline.stages import external, final, model_card, prepare
from tests.nifti_factory import write_cohort, write_patient
from tests.project_factory import LABELS, REPO, make_project, run
from tests.test_bad_inputs import snapshot

EXTERNAL = {f"E{i}": ("extensive" if i % 2 else "none") for i in range(1, 5)}




def fake_loocv(best_epochs: list[int]) -> None:
    """The LOOCV outputs the final stage and the card read: the fold index, the metrics."""
    ids = sorted(LABELS)
    formats.write_fold_index(paths.LOOCV_INDEX, pd.DataFrame({
        "fold": range(1, len(best_epochs) + 1), "test_patients": ids[:len(best_epochs)],
        "run_dir": "x", "seconds": 1.0, "best_epoch": best_epochs, "lr": 1e-3}))
    target = [int(LABELS[i] == "extensive") for i in ids]
    prob = [0.3 + 0.4 * t for t in target]
    formats.write_metrics(paths.LOOCV_METRICS, {**evaluate(target, prob, bootstrap=20),
                                                **mann_whitney_test(target, prob)})


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("final"), git=False)
    write_cohort(root / "data_external", EXTERNAL, lines=["patient_id,infiltration,site"] + [
        f"{pid},{label},B" for pid, label in EXTERNAL.items()] + ["E9,none,B"])
    write_patient(root / "data_external" / "E9", skip=("t2",))
    with contextlib.chdir(root):
        prepare.main([])
        fake_loocv([0, 0])  # one epoch per fold, as params' max_epochs: 1
        final.main()
        external.main()
        model_card.main()
    return root


@pytest.mark.slow
def test_the_model_file_loads_without_pickles_and_names_its_training_data(project):
    record = torch.load(project / paths.FINAL_MODEL, weights_only=True)
    settings = record["settings"]
    assert settings["epochs"] == 1 and settings["training"]["stopping"] == "fixed"
    assert settings["preprocessing"]["crop_voxels"] == 32 and settings["mask_channel"] is True
    assert settings["task"] == {"positive_class": "extensive", "threshold": 0.5,
                                "label_column": "infiltration",
                                "classes": ["none", "microscopic", "extensive"]}
    data = settings["data"]
    assert (data["patients"], data["positives"]) == (len(LABELS), 4)
    assert data["manifest_sha256"] == formats.file_digest(project / paths.MANIFEST)
    assert data["preprocessed_sha256"] == {
        pid: formats.file_digest(formats.patient_path(project / paths.PREPROCESSED, pid))
        for pid in LABELS}


@pytest.mark.slow
def test_external_validation_writes_the_contracts_files(project):
    metrics = formats.read_metrics(project / paths.EXTERNAL_METRICS)
    assert metrics["done"] is True and metrics["n"] == 4 and metrics["evaluation"] == "external"
    assert {"auc", "balanced_accuracy", "ci95", "p_value", "test", "single_class"} <= set(metrics)
    predictions = pd.read_csv(project / paths.EXTERNAL_PREDICTIONS)
    assert predictions.columns.tolist() == ["patient_id", "target", "prob", "pred"]
    assert predictions["target"].tolist() == [1, 0, 1, 0]
    manifest = formats.read_manifest(project / paths.EXTERNAL_MANIFEST).set_index("patient_id")
    assert manifest["included"].to_dict() == {**dict.fromkeys(EXTERNAL, True), "E9": False}
    assert manifest.loc["E9", "reason"].startswith("missing:t2")


@pytest.mark.slow
def test_predict_reproduces_the_external_stages_probabilities_exactly(project):
    before = snapshot(project / "data_external")
    run(project, sys.executable, "-m", "pipeline.predict", "data_external", "--out", "scores.csv")
    assert snapshot(project / "data_external") == before
    scores = formats.read_scores(project / "scores.csv").set_index("patient_id")
    stage = formats.read_predictions(project / paths.EXTERNAL_PREDICTIONS).set_index("patient_id")
    assert scores.loc[stage.index, "prob"].tolist() == stage["prob"].tolist()
    assert scores.loc[stage.index, "pred"].tolist() == stage["pred"].tolist()
    assert scores.loc["E9", "reason"].startswith("missing:t2")


@pytest.mark.slow
def test_the_card_has_the_cohort_both_evaluations_and_the_warnings(project):
    card = (project / paths.MODEL_CARD).read_text()
    assert f"{len(LABELS)} in all: 4 positive" in card
    assert "| | LOOCV (internal) | external |" in card and "| patients | 8 | 4 |" in card
    assert "not a medical device" in card


@pytest.mark.parametrize(("setup", "reason"), [
    (lambda root: None, "holds no patients"),
    (lambda root: write_patient(root / "data_external" / "X1"), "no labels.csv"),
], ids=["empty", "unlabelled"])
def test_without_an_external_cohort_nothing_fails_and_the_stage_says_why(tmp_path, setup, reason):
    # No model file here: with nothing to score, the stage must not need one.
    (tmp_path / "data_external").mkdir()
    (tmp_path / "data_external" / "README.md").write_text("put a cohort here")
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    setup(tmp_path)
    with contextlib.chdir(tmp_path):
        external.main()
    metrics = formats.read_metrics(tmp_path / paths.EXTERNAL_METRICS)
    assert metrics["done"] is False and reason in metrics["reason"]
    assert formats.read_manifest(tmp_path / paths.EXTERNAL_MANIFEST).empty
    assert formats.read_predictions(tmp_path / paths.EXTERNAL_PREDICTIONS).empty
