"""LOOCV resumes: a killed run retrains only the folds that had not finished."""

import pytest
import torch

from pipeline import formats
from pipeline.config.settings import TrainSettings
from pipeline.crossval.fold_jobs import FoldJob, fold_key, run_fold
from pipeline.crossval.splits import cross_validation_folds

SETTINGS = TrainSettings(lr=1e-3, seed=0, max_epochs=1, patience=1, batch_size=2,
                         val_batch_size=2, progress_bar=False)


@pytest.fixture()
def jobs(tmp_path):
    ids = [f"P{i}" for i in range(6)]
    targets = {pid: i % 2 for i, pid in enumerate(ids)}
    generator = torch.Generator().manual_seed(0)
    for pid in ids:
        image = torch.rand(4, 32, 32, 32, generator=generator)
        mask = torch.zeros(32, 32, 32, dtype=torch.uint8)
        formats.write_patient(tmp_path / "pre", formats.PreprocessedPatient(
            pid, image, mask, torch.eye(4).numpy(), image.half(), mask, torch.eye(4).numpy(),
            ["t1", "t1c", "t2", "flair"]))
    folds = cross_validation_folds(ids, list(targets.values()), "loo", inner_val_size=2, seed=0)[:4]
    digests = {pid: pid for pid in ids}
    return [FoldJob(fold, SETTINGS, {}, targets, str(tmp_path / "pre"),
                    str(tmp_path / "folds" / fold_key(fold, SETTINGS, {}, digests, 1)))
            for fold in folds]


def test_finished_folds_are_reused_and_only_the_rest_trained(jobs, monkeypatch):
    first = [run_fold(job) for job in jobs[:2]]  # then the run is "killed"
    trained = []
    import pipeline.crossval.fold_training as fold_training
    real_fit = fold_training.fit
    monkeypatch.setattr(fold_training, "fit", lambda *a, **k: trained.append(1) or real_fit(*a, **k))
    second = [run_fold(job) for job in jobs]
    assert len(trained) == 2
    assert [r["cached"] for r in second] == [True] * 2 + [False] * 2
    assert [r["probabilities"] for r in second[:2]] == [r["probabilities"] for r in first]


def test_key_changes_with_settings_data_and_threads(jobs):
    fold, digests = jobs[0].fold, {f"P{i}": "a" for i in range(6)}
    base = fold_key(fold, SETTINGS, {}, digests, 1)
    other_lr = TrainSettings(**{**SETTINGS.__dict__, "lr": 3e-4})
    assert fold_key(fold, other_lr, {}, digests, 1) != base
    assert fold_key(fold, SETTINGS, {}, {**digests, "P3": "b"}, 1) != base
    assert fold_key(fold, SETTINGS, {}, digests, 2) != base  # other threads, other sums
    quiet = TrainSettings(**{**SETTINGS.__dict__, "progress_bar": True})
    assert fold_key(fold, quiet, {}, digests, 1) == base


def test_key_changes_with_a_patients_label(jobs):
    fold, digests = jobs[0].fold, {pid: "a" for pid in jobs[0].targets}
    targets = dict(jobs[0].targets)
    base = fold_key(fold, SETTINGS, {}, digests, 1, targets=targets)
    relabelled = {**targets, fold.train_ids[0]: 1 - targets[fold.train_ids[0]]}
    assert fold_key(fold, SETTINGS, {}, digests, 1, targets=relabelled) != base


def test_an_unfinished_fold_leaves_no_result(jobs, monkeypatch):
    import pipeline.crossval.fold_training as fold_training

    def killed(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(fold_training, "fit", killed)
    with pytest.raises(KeyboardInterrupt):
        run_fold(jobs[0])
    assert not jobs[0].result_path.exists()


def test_a_finished_fold_leaves_no_model_in_memory(jobs):
    import gc

    from pipeline.training.classifier import InfiltrationClassifier

    gc.collect()
    gc.disable()  # only run_fold's own collection may free the fold's model
    try:
        run_fold(jobs[0])
        alive = [o for o in gc.get_objects() if type(o) is InfiltrationClassifier]
    finally:
        gc.enable()
    assert alive == []


def test_key_changes_with_the_training_code(jobs, monkeypatch):
    # outputs/loocv persists between DVC runs: a code change must not reuse old folds.
    import pipeline.crossval.fold_jobs as fold_cache

    digests = {f"P{i}": "a" for i in range(6)}
    base = fold_key(jobs[0].fold, SETTINGS, {}, digests, 1)
    monkeypatch.setattr(fold_cache, "training_code_digest", lambda: "edited")
    assert fold_key(jobs[0].fold, SETTINGS, {}, digests, 1) != base


def test_the_code_digest_reads_every_training_source_and_library(monkeypatch, tmp_path):
    import pipeline.crossval.fold_jobs as fold_cache

    base = fold_cache.training_code_digest()
    sources = fold_cache.training_sources()
    edited = tmp_path / "fit.py"
    edited.write_text("# an edit\n")
    fit_source = next(path for path in sources if path.as_posix().endswith("training/fit.py"))
    real_digest = fold_cache.formats.file_digest
    monkeypatch.setattr(fold_cache.formats, "file_digest", lambda path: (
        real_digest(edited) if path == fit_source else real_digest(path)))
    fold_cache.training_code_digest.cache_clear()
    try:
        assert fold_cache.training_code_digest() != base
    finally:
        fold_cache.training_code_digest.cache_clear()


@pytest.mark.slow
def test_the_training_code_is_every_pipeline_package_a_fold_imports():
    # A fresh interpreter: which pipeline modules does training pull in?
    import subprocess
    import sys

    import pipeline.crossval.fold_jobs as fold_cache

    code = ("import sys, pipeline.crossval.fold_jobs; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('pipeline.'))))")
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True).stdout.split()
    packages = {name.split(".")[1] for name in imported}
    assert packages == set(fold_cache.TRAINING_CODE)
    hashed = {path.stem for path in fold_cache.training_sources()}
    assert {name.rsplit(".", 1)[1] for name in imported} <= hashed | set(fold_cache.TRAINING_CODE)


@pytest.mark.parametrize("stopping, fits", [("fixed", 3), ("early", 2)])
def test_a_grid_fold_chooses_its_lr_on_its_inner_patients_only(jobs, monkeypatch, stopping, fits):
    import dataclasses

    import pipeline.crossval.fold_training as fold_training

    job = dataclasses.replace(jobs[0], settings=dataclasses.replace(SETTINGS, stopping=stopping),
                              lr_grid=(1e-4, 1e-2))
    seen, scored, looked_at = [], [], []
    real_fit, real_predict = fold_training.fit, fold_training.predict

    def recorded_fit(train, validation, settings, live_dir):
        # what the model learns from: the training patients, and under early the stopping ones
        used = train + validation if settings.early_stopping else train
        seen.append(({e.patient_id for e in used}, settings.lr))
        looked_at.append({e.patient_id for e in train + validation})
        return real_fit(train, validation, settings, live_dir)
    monkeypatch.setattr(fold_training, "fit", recorded_fit)
    monkeypatch.setattr(fold_training, "predict", lambda network, examples: scored.append(
        {e.patient_id for e in examples}) or real_predict(network, examples))
    result = run_fold(job)
    test_ids = set(job.fold.test_ids)
    assert len(seen) == fits and all(not ids & test_ids for ids in looked_at)
    assert [lr for _, lr in seen[:2]] == [1e-4, 1e-2]
    assert scored[:2] == [set(job.fold.validation_ids)] * 2  # the choice looks at inner patients
    assert scored[-1] == test_ids  # the test patients are scored once, by the final model
    losses = result["lr_losses"]
    assert set(losses) == {"0.0001", "0.01"} and result["lr"] == min((1e-4, 1e-2), key=lambda lr: losses[f"{lr:g}"])
    if stopping == "fixed":  # inner models never train on the inner patients; the winner
        assert seen[0][0] == set(job.fold.train_ids)  # is retrained on all of the fold's
        assert seen[-1] == (set(job.fold.fitting_ids), result["lr"])


def test_the_grid_is_part_of_the_key(jobs):
    fold, digests = jobs[0].fold, {f"P{i}": "a" for i in range(6)}
    assert (fold_key(fold, SETTINGS, {}, digests, 1, (1e-4, 1e-3))
            != fold_key(fold, SETTINGS, {}, digests, 1))


def test_the_loocv_metrics_count_the_chosen_rates():
    import pandas as pd

    from pipeline.stages.loocv import lr_selection

    counts = lr_selection([3e-4, 1e-3, 3e-3], pd.Series([1e-3, 1e-3, 3e-4]))
    assert counts == {"grid": [3e-4, 1e-3, 3e-3], "chosen": [
        {"lr": 3e-4, "folds": 1}, {"lr": 1e-3, "folds": 2}, {"lr": 3e-3, "folds": 0}]}
