"""The headline metrics file and the documented `dvc exp show` on one 160-column screen."""

import shlex
import shutil

import pytest
import yaml

from pipeline import formats
from pipeline.formats import paths
from pipeline.stages import headline
from tests.outputs_factory import write_fake_outputs
from tests.project_factory import REPO, run

pytestmark = pytest.mark.slow

COLUMNS = 160


def test_headline_takes_each_figure_from_its_file(tmp_path, monkeypatch):
    write_fake_outputs(tmp_path, n_patients=6, with_model=False)
    monkeypatch.chdir(tmp_path)
    headline.main()
    figures = formats.read_metrics(paths.HEADLINE_METRICS)
    loocv = formats.read_metrics(paths.LOOCV_METRICS)
    radiomics = formats.read_metrics(paths.BASELINE_METRICS)["radiomics"]
    assert list(figures) == list(headline.FIGURES)
    assert figures["loocv_auc"] == loocv["auc"] and figures["loocv_p"] == loocv["p_value"]
    assert figures["radiomics_p"] == radiomics["permutation_p_value"]


def test_missing_figures_are_none():
    assert headline.headline({paths.LOOCV_METRICS: {"auc": 0.7}})["loocv_auc"] == 0.7
    assert headline.headline({})["radiomics_auc"] is None


def test_headline_names_are_in_no_other_metrics_file(tmp_path):
    # A name unique across the metrics files is what DVC prints without a file prefix.
    write_fake_outputs(tmp_path, n_patients=6, with_model=False)
    keys = set()
    for path in (paths.LOOCV_METRICS, paths.HOLDOUT_METRICS, paths.BASELINE_METRICS):
        data = formats.read_metrics(tmp_path / path)
        keys |= set(data) | {key for value in data.values() if isinstance(value, dict) for key in value}
    assert not keys & set(headline.FIGURES)


def _documented_exp_show() -> list[str]:
    """The experiments command of docs/experiments.md (the line that starts so), as arguments."""
    line = next(line.strip() for line in (REPO / "docs" / "experiments.md").read_text().splitlines()
                if line.strip().startswith("dvc exp show --only-changed"))
    return shlex.split(line)


MAKE_METRICS = """\
import json, pathlib, yaml
from pipeline.stages import headline
lr = yaml.safe_load(open("params.yaml"))["lr"]
pathlib.Path("metrics").mkdir(exist_ok=True)
for path in pathlib.Path("template").glob("*.json"):
    metrics = json.loads(path.read_text())
    if "auc" in metrics:
        metrics["auc"] = round(0.5 + 100 * lr, 4)
    pathlib.Path("metrics", path.name).write_text(json.dumps(metrics))
headline.main()
"""


@pytest.fixture
def project_with_two_experiments(tmp_path):
    """A DVC repository with the real params and metrics files' shapes, two lr experiments.

    Its one stage writes the metrics (from fake outputs, AUC moved by ``lr``) and the
    headline file: training for real would take minutes.
    """
    root = tmp_path / "project"
    (tmp_path / "fake").mkdir()
    write_fake_outputs(tmp_path / "fake", n_patients=6, with_model=False)
    shutil.copytree(tmp_path / "fake" / "metrics", root / "template")
    shutil.copytree(REPO / "pipeline", root / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "params.yaml", root / "params.yaml")
    (root / "make_metrics.py").write_text(MAKE_METRICS)
    declared = yaml.safe_load((REPO / "dvc.yaml").read_text())["metrics"]
    (root / "dvc.yaml").write_text(yaml.safe_dump({"metrics": declared, "stages": {"metrics": {
        "cmd": "python make_metrics.py", "deps": ["make_metrics.py", "template", "pipeline"],
        "params": ["lr"], "outs": [{"metrics": {"cache": False}}]}}}))
    commit = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", "commit", "-qm"]
    for command in (["git", "init", "-q"], ["dvc", "init", "-q"],
                    ["dvc", "config", "core.analytics", "false"], ["dvc", "repro", "-q"],
                    ["git", "add", "-A"], commit + ["baseline"],
                    ["dvc", "exp", "run", "-q", "-S", "lr=1e-4"],
                    ["dvc", "exp", "run", "-q", "-S", "lr=3e-4"]):
        run(root, *command)
    return root


def test_documented_exp_show_fits_160_columns(project_with_two_experiments, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(COLUMNS))
    table = run(project_with_two_experiments, *_documented_exp_show(), "--no-pager")
    lines = [line for line in table.splitlines() if line.strip()]
    assert max(len(line) for line in lines) <= COLUMNS, table
    header = lines[1].split()
    assert {"lr", *headline.FIGURES} <= set(header), table
    assert len(lines) == 2 + 2 + 4  # rules around the header and the rows, 4 rows
