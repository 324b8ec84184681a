"""The spike-in study end to end on a tiny cohort: the contract's outputs, resume after SIGKILL."""

import json
import sys

import pandas as pd
import pytest

from pipeline import formats
from tests.project_factory import kill_after_first, make_project, run, small_params

pytestmark = pytest.mark.slow

FOLD_RESULTS = "outputs/power/spikein/folds/*/result.json"
STAGE = [sys.executable, "-m", "pipeline.stages.power_cohort"]


def _params() -> dict:
    params = small_params()
    params["power"].update(folds=2, jobs=1)
    params["power"]["cohort"].update(networks=["densenet_small"], largest_effect=3, control_replicates=1,
                                     probes=1, replicates=1, reference_replicates=2)
    return params


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """The stage SIGKILLed after its first finished fold, then run again to the end."""
    root = make_project(tmp_path_factory.mktemp("power_cohort"), _params(), git=False)
    run(root, sys.executable, "-m", "pipeline.stages.prepare")
    data_before = {path: path.stat().st_mtime_ns for path in (root / "data").rglob("*")}
    finished = kill_after_first(root, STAGE, FOLD_RESULTS)
    output = run(root, *STAGE)
    return root, finished, output, data_before


def test_finished_folds_are_not_trained_again(killed_and_resumed):
    root, finished, _, _ = killed_and_resumed
    assert finished, "the run was killed before any fold finished"
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in finished.items())
    assert len(list(root.glob(FOLD_RESULTS))) > len(finished)  # and the rest were trained


def test_the_table_follows_the_contract(killed_and_resumed):
    root, _, output, _ = killed_and_resumed
    path = root / "outputs/power/cohort.csv"
    table = pd.read_csv(path)
    assert list(table.columns) == ["arm", "effect", "replicate", "auc", "p_value", "detected", "d_flair", "d_t2"]
    assert set(table["arm"]) == {"densenet_small", "radiomics", "prior"}
    assert {0.0, 3.0} <= set(table["effect"])
    assert {line.split(",")[5] for line in path.read_text().splitlines()[1:]} <= {"true", "false"}
    assert formats.read_cohort_power_table(path)["detected"].dtype == bool
    # a larger planted effect, a larger standardised difference between the pseudo-classes
    radiomics = table[table["arm"] == "radiomics"].groupby("effect")["d_flair"].mean()
    assert radiomics[3.0] > radiomics[0.0] + 1
    assert "spike-in densenet_small effect 3 replicate 1" in output


def test_the_metrics_follow_the_contract(killed_and_resumed):
    root, _, output, _ = killed_and_resumed
    metrics = json.loads((root / "metrics/power_cohort.json").read_text())
    assert metrics["patients"] == 8 and metrics["alpha"] == 0.05
    assert set(metrics["observed"]) == {"d_flair", "d_t2"}
    assert set(metrics["arms"]) == {"densenet_small", "radiomics", "prior"}
    for arm, summary in metrics["arms"].items():
        assert set(summary) == {"cells", "threshold", "controls"}
        for cell in summary["cells"]:
            assert set(cell) == {"effect", "replicates", "power", "power_ci95", "auc_mean", "d_flair"}
        assert set(summary["threshold"]) == {"effect", "ci95", "d_flair"}
        assert summary["controls"]["positive"]["expected"] is (arm != "prior")
        assert summary["controls"]["negative"]["effect"] == 0 and summary["controls"]["negative"]["passed"] in (True, False)
        assert f"spike-in {arm}: " in output
    assert metrics["arms"]["prior"]["threshold"]["effect"] is None


def test_the_cohort_in_data_is_untouched(killed_and_resumed):
    root, _, _, data_before = killed_and_resumed
    assert {path: path.stat().st_mtime_ns for path in (root / "data").rglob("*")} == data_before
