"""The power study end to end on a tiny grid: the contract's outputs, controls, resume after SIGKILL."""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline import formats
from tests.project_factory import kill_after_first, make_project, run, small_params

pytestmark = pytest.mark.slow

FOLD_RESULTS = "outputs/power/folds/*/result.json"


def _params() -> dict:
    params = small_params()
    params["power"].update(folds=2, jobs=1, grids={
        "cpu": {"effects": [3], "patients": [8], "replicates": 1, "networks": ["densenet_small"]},
        "study": params["power"]["grids"]["study"]})
    params["power"]["controls"].update(effect=3, patients=8)
    return params


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """A power run SIGKILLed after its first finished fold, then run again to the end."""
    root = make_project(tmp_path_factory.mktemp("power"), _params(), git=False)
    finished = kill_after_first(root, [sys.executable, "-m", "pipeline.stages.power"], FOLD_RESULTS)
    output = run(root, sys.executable, "-m", "pipeline.stages.power")
    return root, finished, output


def test_finished_folds_are_not_trained_again(killed_and_resumed):
    root, finished, output = killed_and_resumed
    assert finished, "the run was killed before any fold finished"
    assert f"densenet_small: {len(finished)} of 4 folds cached" in output
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in finished.items())
    assert len(list(root.glob(FOLD_RESULTS))) == 4


def test_a_progress_line_per_cell(killed_and_resumed):
    _, _, output = killed_and_resumed
    cells = [line for line in output.splitlines() if line.startswith("cell ")]
    assert len(cells) == 2 and all("densenet_small effect" in line for line in cells)


def test_the_outputs_follow_the_spec(killed_and_resumed):
    root, _, _ = killed_and_resumed
    table = pd.read_csv(root / "outputs/power/power.csv")
    assert list(table.columns) == ["arm", "effect", "patients", "replicate", "auc", "p_value", "detected"]
    assert set(table["arm"]) == {"densenet_small", "radiomics", "prior"}
    assert set(table["effect"]) == {0.0, 3.0} and set(table["patients"]) == {8}
    lines = (root / "outputs/power/power.csv").read_text().splitlines()[1:]
    assert {line.rsplit(",", 1)[1] for line in lines} <= {"true", "false"}
    metrics = json.loads((root / "metrics/power.json").read_text())
    assert metrics["alpha"] == 0.05
    for summary in metrics["arms"].values():
        assert set(summary["smallest_effect_power80"]) == {"8"}
        for cell in summary["cells"]:
            assert {"effect", "patients", "replicates", "power", "power_ci95", "auc_mean",
                    "auc_ci95"} <= set(cell)
    # Read back through the pipeline's reader as the report and dashboard do.
    assert formats.read_power_table(root / "outputs/power/power.csv")["detected"].dtype == bool


def test_every_arm_has_both_controls_with_a_verdict(killed_and_resumed):
    root, _, output = killed_and_resumed
    controls = json.loads((root / "metrics/power.json").read_text())["controls"]
    assert set(controls) == {"densenet_small", "radiomics", "prior"}
    for arm, verdicts in controls.items():
        assert verdicts["negative"]["effect"] == 0 and verdicts["positive"]["effect"] == 3
        assert verdicts["positive"]["expected"] is (arm != "prior")
        assert verdicts["negative"]["passed"] in (True, False)
    for arm in controls:
        assert f"positive control {arm}, effect 3, n = 8: " in output


def test_no_generated_nifti_is_kept(killed_and_resumed):
    root, _, _ = killed_and_resumed
    assert not list(Path(root, "outputs/power/cohorts").rglob("*.nii*"))
    assert not (root / "data" / "labels.csv").read_text().count("GBM")  # the user's cohort is untouched
