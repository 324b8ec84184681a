"""A fold's result depends on its inputs only, not on what its process did before it.

The same fold is trained in a fresh interpreter, after two other folds in one process, and
in a worker of the process pool that ``loocv.jobs: 2`` uses; the jobs are built by the
stage's own ``build_jobs``, so each run has the settings the stage would give it.
"""

import contextlib
import dataclasses
import pickle
import subprocess
import sys

import pytest
import torch
import yaml

from pipeline import formats
from pipeline.crossval.executors import run_local
from pipeline.crossval.fold_jobs import run_fold
from pipeline.crossval.splits import cross_validation_folds
from pipeline.stages.loocv import build_jobs
from tests.project_factory import REPO, environment

pytestmark = pytest.mark.slow

IDS = [f"P{i}" for i in range(8)]
TARGETS = {pid: i % 2 for i, pid in enumerate(IDS)}
FOLDS = cross_validation_folds(IDS, list(TARGETS.values()), "loo", inner_val_size=2, seed=0)


def _params(jobs: int) -> dict:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["train"].update(max_epochs=2, batch_size=2, val_batch_size=2)
    params["loocv"].update(scheme="loo", inner_val_size=2, jobs=jobs)
    return params


def _jobs(root, jobs: int, cache: str):
    with contextlib.chdir(root):  # the stage's paths are relative to the project root
        built = build_jobs(_params(jobs), FOLDS, TARGETS)
    return [dataclasses.replace(job, cache_dir=f"{cache}/{job.fold.number}") for job in built]


def _outcome(result: dict) -> tuple:
    """What must not change: the probabilities (as exact bit patterns) and the chosen epoch."""
    loss = result["best_val_loss"]  # None under the fixed-epoch rule
    return ([float(p).hex() for p in result["probabilities"]], result["best_epoch"],
            None if loss is None else float(loss).hex())


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    generator = torch.Generator().manual_seed(0)
    for pid in IDS:
        image = torch.rand(4, 32, 32, 32, generator=generator) + 0.2 * TARGETS[pid]
        mask = torch.zeros(32, 32, 32, dtype=torch.uint8)
        formats.write_patient(root / "outputs/preprocessed", formats.PreprocessedPatient(
            pid, image, mask, torch.eye(4).numpy(), image.half(), mask, torch.eye(4).numpy(),
            ["t1", "t1c", "t2", "flair"]))
    return root


@pytest.fixture(scope="module")
def fresh(project):
    """Fold 3 trained first, and alone, in a new interpreter."""
    job = _jobs(project, 1, str(project / "fresh"))[2]
    (project / "job.pickle").write_bytes(pickle.dumps(job))
    code = ("import pickle, sys; from pipeline.crossval.fold_jobs import run_fold; "
            "job = pickle.load(open(sys.argv[1], 'rb')); run_fold(job)")
    subprocess.run([sys.executable, "-c", code, str(project / "job.pickle")], cwd=project,
                   env={**environment(), "PYTHONPATH": str(REPO)}, check=True,
                   capture_output=True)
    return formats.read_json(job.result_path)


def test_after_other_folds_in_the_same_process(project, fresh, monkeypatch):
    monkeypatch.chdir(project)
    jobs = _jobs(project, 1, str(project / "after"))
    results = [run_fold(job) for job in (jobs[0], jobs[1], jobs[2])]
    assert _outcome(results[2]) == _outcome(fresh)


def test_in_a_worker_of_the_pool_of_two_jobs(project, fresh, monkeypatch):
    monkeypatch.chdir(project)
    jobs = _jobs(project, 2, str(project / "pool"))
    results = {r["fold"]: r for r in run_local([jobs[0], jobs[2]], jobs=2)}
    assert _outcome(results[3]) == _outcome(fresh)
