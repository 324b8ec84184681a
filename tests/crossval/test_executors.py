"""Folds run through Ray give the same predictions as folds run locally."""

import dataclasses

import pytest
import torch

from pipeline import formats
from pipeline.config.settings import TrainSettings
from pipeline.crossval.executors import run_local, run_ray
from pipeline.crossval.fold_jobs import FoldJob
from pipeline.crossval.splits import cross_validation_folds

SETTINGS = TrainSettings(lr=1e-3, seed=0, max_epochs=1, patience=1, batch_size=2,
                         val_batch_size=2, progress_bar=False)


def _jobs(root, cache_name):
    ids = [f"P{i}" for i in range(8)]
    targets = {pid: i % 2 for i, pid in enumerate(ids)}
    generator = torch.Generator().manual_seed(0)
    for pid in ids:
        image = torch.rand(4, 32, 32, 32, generator=generator) + 0.2 * targets[pid]
        mask = torch.zeros(32, 32, 32, dtype=torch.uint8)
        formats.write_patient(root / "pre", formats.PreprocessedPatient(
            pid, image, mask, torch.eye(4).numpy(), image.half(), mask, torch.eye(4).numpy(),
            ["t1", "t1c", "t2", "flair"]))
    folds = cross_validation_folds(ids, list(targets.values()), "kfold", 2, seed=0, folds=2)
    return [FoldJob(fold, SETTINGS, {}, targets, str(root / "pre"),
                    str(root / cache_name / str(fold.number)), torch_threads=1) for fold in folds]


def _by_fold(results):
    return {r["fold"]: (r["test_ids"], r["probabilities"]) for r in results}


@pytest.mark.slow
def test_ray_gives_the_same_predictions_as_local(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    local = _by_fold(run_local(_jobs(tmp_path, "local"), jobs=2))
    ray_jobs = _jobs(tmp_path, "ray")
    through_ray = _by_fold(run_ray(ray_jobs, jobs=2, address=None))
    assert local.keys() == through_ray.keys() == {1, 2}
    for fold, (ids, probabilities) in local.items():
        assert through_ray[fold][0] == ids
        assert through_ray[fold][1] == probabilities  # the same bits, not merely close
    # ...and Ray wrote the same per-fold cache a local run reuses.
    assert all(job.result_path.exists() for job in ray_jobs)
    reused = list(run_local([dataclasses.replace(j) for j in ray_jobs], jobs=1))
    assert all(result["cached"] for result in reused)
