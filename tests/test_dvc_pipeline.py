"""A tiny end-to-end ``dvc repro`` and ``dvc exp run -S lr=...`` on a copy of the project."""

import pandas as pd
import pytest

from pipeline import formats
from tests.project_factory import LABELS, make_project, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("project"))
    return root, run(root, "dvc", "repro")


def test_repro_writes_the_spec_outputs(project):
    root, _ = project
    manifest = formats.read_manifest(root / "outputs/manifest.csv")
    assert manifest["included"].all() and len(manifest) == len(LABELS)
    predictions = pd.read_csv(root / "outputs/loocv/predictions.csv")
    assert list(predictions.columns[:5]) == ["patient_id", "target", "prob", "pred", "fold"]
    assert sorted(predictions["patient_id"]) == sorted(LABELS)
    for name in ("holdout", "resubstitution", "loocv"):
        metrics = formats.read_metrics(root / f"metrics/{name}.json")
        assert {"n", "tp", "tn", "fp", "fn", "accuracy", "auc", "ci95"} <= set(metrics)
    assert {"prior", "radiomics"} <= set(formats.read_metrics(root / "metrics/baselines.json"))
    assert (root / "outputs/final/model.pt").exists() and (root / "outputs/final/model_card.md").exists()
    # The test project's data_external/ holds only its README: no external validation, no failure.
    assert formats.read_metrics(root / "metrics/external.json")["done"] is False
    assert (root / "report/report.html").stat().st_size > 10_000


def test_repro_again_does_nothing(project):
    root, _ = project
    log = run(root, "dvc", "repro")
    assert "Running stage" not in log


def test_exp_run_with_another_lr_retrains_but_does_not_prepare(project):
    root, _ = project
    log = run(root, "dvc", "exp", "run", "-S", "lr=0.0003")  # the default is 1e-3
    assert "Running stage 'train'" in log and "Running stage 'loocv'" in log
    assert "Running stage 'final'" in log
    assert "Running stage 'prepare'" not in log
    assert "Running stage 'baselines'" not in log
