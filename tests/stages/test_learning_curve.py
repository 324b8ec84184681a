"""The learning-curve stage on a small cohort: the contract's output, sizes that grow, test patients untouched."""

import json
import sys

import pandas as pd
import pytest

from pipeline.crossval.splits import cross_validation_folds
from pipeline.stages.learning_curve import subsampled_folds
from tests.nifti_factory import write_cohort
from tests.project_factory import make_project, run, small_params

pytestmark = pytest.mark.slow

LABELS = {f"P{i:02d}": ("extensive" if i % 3 else "none") for i in range(1, 17)}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    params = small_params()
    params["learning_curve"].update(arms=["radiomics"], fractions=[0.5, 0.75, 1.0], repeats=3,
                                    folds=2, bootstrap=50, project_to=[50, 100])
    root = make_project(tmp_path_factory.mktemp("curve"), params, git=False)
    for path in (root / "data").iterdir():
        if path.is_dir():
            for file in path.iterdir():
                file.unlink()
            path.rmdir()
    (root / "data" / "labels.csv").unlink()
    write_cohort(root / "data", LABELS)
    run(root, sys.executable, "-m", "pipeline.stages.prepare")
    output = run(root, sys.executable, "-m", "pipeline.stages.learning_curve")
    return root, output


def test_the_metrics_follow_the_spec(project):
    root, output = project
    curves = json.loads((root / "metrics/learning_curve.json").read_text())
    assert set(curves) == {"radiomics"}
    points = curves["radiomics"]["points"]
    assert [set(point) for point in points] == [{"train_patients", "auc_mean", "auc_sd", "repeats"}] * 3
    assert [point["train_patients"] for point in points] == [4, 6, 8]  # half of 8, 3/4, all
    assert all(point["repeats"] == 3 for point in points)
    assert set(curves["radiomics"]["projected"]) == {"50", "100"}
    assert all(set(value) == {"auc", "ci95"} for value in curves["radiomics"]["projected"].values())
    assert "learning curve radiomics: projected AUC" in output


def test_one_point_per_share_and_repeat(project):
    root, _ = project
    points = pd.read_csv(root / "outputs/learning_curve/points.csv")
    assert len(points) == 9 and set(points["arm"]) == {"radiomics"}


def test_subsamples_never_take_a_test_patient_and_grow_with_the_share():
    ids = sorted(LABELS)
    targets = {pid: int(label == "extensive") for pid, label in LABELS.items()}
    folds = cross_validation_folds(ids, [targets[i] for i in ids], "kfold", 2, seed=0, folds=4)
    sizes = []
    for fraction in (0.5, 0.75, 1.0):
        plan = subsampled_folds(folds, targets, fraction, repeat=1, inner_val_size=2, seed=0)
        for outer, inner in zip(folds, plan):
            assert inner.test_ids == outer.test_ids
            assert not set(inner.fitting_ids) & set(outer.test_ids)
        sizes.append(sum(len(fold.fitting_ids) for fold in plan))
    assert sizes[0] < sizes[1] < sizes[2]
