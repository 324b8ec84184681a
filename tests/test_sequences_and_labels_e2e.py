"""A T1c + FLAIR cohort and a ``grade`` cohort through prepare, train and LOOCV, end to end."""

from __future__ import annotations

import csv

import pytest
import yaml

from pipeline import formats
from tests.project_factory import make_project, run, small_params

pytestmark = pytest.mark.slow


def _stages(root):
    for stage in ("prepare", "train", "loocv"):
        run(root, "python", "-m", f"pipeline.stages.{stage}")


def test_a_t1c_and_flair_cohort_trains_on_two_image_channels(tmp_path):
    params = small_params()
    params["data"]["sequences"] = ["t1c", "flair"]
    root = make_project(tmp_path, params, git=False)
    for folder in (root / "data").iterdir():
        for name in ("t1.nii.gz", "t2.nii.gz"):
            if (folder / name).exists():
                (folder / name).unlink()
    _stages(root)
    assert formats.read_manifest(root / "outputs/manifest.csv")["included"].all()
    applied = formats.read_applied(root / "outputs/preprocessed/applied.json")
    assert applied["sequences"] == ["t1c", "flair"] and applied["reference"] == "t1c"
    crop = formats.read_model(next((root / "outputs/preprocessed").glob("*.pt")))
    assert list(crop["sequences"]) == ["t1c", "flair"] and crop["image"].shape[0] == 2
    assert (root / "outputs/loocv/predictions.csv").exists()


def test_a_grade_column_runs_end_to_end(tmp_path):
    params = small_params()
    params["data"].update(label_column="grade", classes=["low", "high"], positive_class="high")
    root = make_project(tmp_path, params, git=False)
    labels = root / "data/labels.csv"
    rows = list(csv.DictReader(labels.open()))
    with labels.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "grade"])
        for row in rows:
            writer.writerow([row["patient_id"],
                             "High" if row["infiltration"] == "extensive" else "low"])
    _stages(root)
    manifest = formats.read_manifest(root / "outputs/manifest.csv")
    assert manifest["included"].all()
    assert set(manifest["infiltration"]) == {"low", "high"}  # the label column's value
    assert list(manifest["target"]) == [int(v == "high") for v in manifest["infiltration"]]
    assert (root / "outputs/loocv/predictions.csv").exists()
    assert yaml.safe_load((root / "params.yaml").read_text())["data"]["label_column"] == "grade"
