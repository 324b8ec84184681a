"""A tiny end-to-end ``dvc repro`` and ``dvc exp run -S lr=...`` on a copy of the project."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline import artifacts
from tests.nifti_factory import write_cohort

REPO = Path(__file__).resolve().parents[1]
LABELS = {f"P{i:02d}": ("extensive" if i % 2 else "microscopic") for i in range(1, 9)}


def _run(root: Path, *command: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "DVC_NO_ANALYTICS": "1"}
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def _small_params() -> dict:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["train"].update(max_epochs=1, holdout_size=2, validation_size=2)
    params["loocv"].update(scheme="kfold", folds=2, inner_val_size=2)
    params["evaluate"].update(bootstrap=50, permutations=5)
    params["data"]["min_patients"] = 6
    return params


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    for name in ("pipeline", "report"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.html"))
    for name in ("dvc.yaml", "requirements.txt"):
        shutil.copy(REPO / name, root / name)
    (root / "params.yaml").write_text(yaml.safe_dump(_small_params(), sort_keys=False))
    write_cohort(root / "data", LABELS)
    _run(root, "git", "init", "-q")
    _run(root, "dvc", "init", "-q")
    _run(root, "git", "add", "-A")
    _run(root, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    log = _run(root, "dvc", "repro")
    return root, log


def test_repro_writes_the_spec_outputs(project):
    root, _ = project
    manifest = artifacts.read_manifest(root / "outputs/manifest.csv")
    assert manifest["included"].all() and len(manifest) == len(LABELS)
    predictions = pd.read_csv(root / "outputs/loocv/predictions.csv")
    assert list(predictions.columns[:5]) == ["patient_id", "target", "prob", "pred", "fold"]
    assert sorted(predictions["patient_id"]) == sorted(LABELS)
    for name in ("holdout", "resubstitution", "loocv"):
        metrics = artifacts.read_metrics(root / f"metrics/{name}.json")
        assert {"n", "tp", "tn", "fp", "fn", "accuracy", "auc", "ci95"} <= set(metrics)
    assert {"prior", "radiomics"} <= set(artifacts.read_metrics(root / "metrics/baselines.json"))
    assert (root / "report/report.html").stat().st_size > 10_000


def test_repro_again_does_nothing(project):
    root, _ = project
    log = _run(root, "dvc", "repro")
    assert "Running stage" not in log


def test_exp_run_with_another_lr_retrains_but_does_not_prepare(project):
    root, _ = project
    log = _run(root, "dvc", "exp", "run", "-S", "lr=0.001")
    assert "Running stage 'train'" in log and "Running stage 'loocv'" in log
    assert "Running stage 'prepare'" not in log
    assert "Running stage 'baselines'" not in log
