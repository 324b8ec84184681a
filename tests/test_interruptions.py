"""A stage killed with SIGKILL and run again gives the results of an uninterrupted run.

LOOCV is killed after several folds, and resumed with two jobs: the folds trained after
the kill, first in a fresh process or in a pool worker, must match the uninterrupted
run's, trained one after another in one process, byte for byte.
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.project_factory import environment, make_project, run, small_params

pytestmark = pytest.mark.slow

STAGES = ["prepare", "train", "loocv", "baselines"]
FOLDS_BEFORE_KILL = 3
RESULTS = ["outputs/manifest.csv", "outputs/train/predictions.csv", "metrics/holdout.json",
           "outputs/loocv/predictions.csv", "metrics/loocv.json", "metrics/baselines.json"]


def _stage(name: str) -> list[str]:
    return [sys.executable, "-m", "report.render"] if name == "report" else \
        [sys.executable, "-m", f"pipeline.stages.{name}"]


def _run_all(root: Path) -> None:
    for name in STAGES:
        run(root, *_stage(name))


def _params(jobs: int = 1) -> dict:
    """Leave-one-out over the 8 patients: 8 folds, enough to kill after several."""
    params = small_params()
    params["loocv"].update(scheme="loo", jobs=jobs, threads=1)
    return params


def _project(root: Path) -> Path:
    return make_project(root, _params(), git=False)


def _kill_after(root: Path, name: str, seconds: float, until_any: Path | None = None,
                pattern: str = "*", count: int = 1) -> None:
    """Starts a stage and SIGKILLs it after ``seconds``, or once ``until_any`` holds
    ``count`` files matching ``pattern``."""
    process = subprocess.Popen(_stage(name), cwd=root, env=environment(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    while process.poll() is None and time.monotonic() - started < 600:
        if until_any is None and time.monotonic() - started > seconds:
            break
        if until_any is not None and len(list(until_any.glob(pattern))) >= count:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _read(root: Path, path: str):
    file = root / path
    return json.loads(file.read_text()) if file.suffix == ".json" else pd.read_csv(file)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = _project(tmp_path_factory.mktemp("reference"))
    _run_all(root)
    return root


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    root = _project(tmp_path_factory.mktemp("interrupted"))
    _kill_after(root, "prepare", 1.5)
    run(root, *_stage("prepare"))
    _kill_after(root, "train", 4.0)
    run(root, *_stage("train"))
    # Killed once several folds are stored, while it trains the next; resumed on two jobs.
    _kill_after(root, "loocv", 0, until_any=root / "outputs/loocv/folds", pattern="*/result.json",
                count=FOLDS_BEFORE_KILL)
    (root / "params.yaml").write_text(yaml.safe_dump(_params(jobs=2), sort_keys=False))
    loocv_log = run(root, *_stage("loocv"))
    (root / "params.yaml").write_text(yaml.safe_dump(_params(), sort_keys=False))
    _kill_after(root, "baselines", 1.0)
    run(root, *_stage("baselines"))
    _kill_after(root, "report", 2.0)
    assert not (root / "report/report.html").exists()  # killed: no partial report
    run(root, *_stage("report"))
    return root, loocv_log


@pytest.mark.parametrize("path", RESULTS)
def test_results_equal_an_uninterrupted_run(reference, interrupted, path):
    expected, got = _read(reference, path), _read(interrupted[0], path)
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(expected, got)
    else:
        assert expected == got


def test_no_temporary_file_is_left_looking_like_a_result(interrupted):
    leftovers = [p for p in (interrupted[0] / "outputs").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_finished_folds_are_reused_and_the_rest_trained(interrupted):
    assert FOLDS_BEFORE_KILL <= interrupted[1].count("(cached)") < 8


def test_report_after_an_interrupted_render_is_complete(interrupted):
    html = (interrupted[0] / "report/report.html").read_text()
    assert html.rstrip().endswith("</html>") and "Reproducibility" in html
