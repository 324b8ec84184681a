"""One cross-validation fold as a self-contained, cached job.

A fold's result is stored under a key that hashes everything it depends on (its patient
ids, the preprocessed files' contents, the training settings, the training code and the
versions of the libraries it runs on). A finished fold is never recomputed while that key
is unchanged, so a killed run resumes where it stopped, and the same job gives the same
file whether it ran here, in a process pool or on Ray.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import importlib.metadata
import importlib.util
import json
import time
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import log_loss

from pipeline import artifacts
from pipeline.data import Example
from pipeline.fit import FitResult, fit, load_examples, predict
from pipeline.settings import TrainSettings
from pipeline.splits import Fold
from pipeline.threads import pinned_threads

RESULT_FILE = "result.json"


@dataclass(frozen=True)
class FoldJob:
    """Everything a worker needs to train and test one fold (plain, picklable values).

    ``torch_threads``: the CPU threads the fold trains on. The fold's numbers depend on it,
    so it is one of the fold's inputs (in its key), fixed by params, never by how many
    folds run at once or how many cores the machine has.
    """

    fold: Fold
    settings: TrainSettings
    inputs: dict
    targets: dict
    preprocessed_dir: str
    cache_dir: str
    torch_threads: int = 1
    lr_grid: tuple[float, ...] = ()  # two or more: the fold picks its lr (``select_lr``)

    @property
    def result_path(self) -> Path:
        return Path(self.cache_dir) / RESULT_FILE

    @property
    def live_dir(self) -> Path:
        return Path(self.cache_dir) / "dvclive"


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Every pipeline module a fold's training imports (tests/test_fold_cache.py checks this list
# against the real imports). The LOOCV stage's output persists between runs so that a killed
# run resumes; without the code in the key, a stage re-run after a code change would reuse
# every fold trained by the old code.
TRAINING_MODULES = ("pipeline.artifacts", "pipeline.augment", "pipeline.classifier",
                    "pipeline.data", "pipeline.fit", "pipeline.fold_cache", "pipeline.network",
                    "pipeline.prefetch", "pipeline.settings", "pipeline.splits", "pipeline.threads",
                    "pipeline.transforms", "pipeline.transforms.noise")
TRAINING_LIBRARIES = ("torch", "lightning", "monai", "torchio", "SimpleITK", "numpy")


@functools.cache
def training_code_digest() -> str:
    """SHA-256 over the training modules' source and the libraries' versions."""
    digest = hashlib.sha256()
    for name in TRAINING_MODULES:
        digest.update(name.encode())
        digest.update(file_digest(importlib.util.find_spec(name).origin).encode())
    for library in TRAINING_LIBRARIES:
        digest.update(f"{library}=={importlib.metadata.version(library)}".encode())
    return digest.hexdigest()


def fold_key(fold: Fold, settings: TrainSettings, inputs: dict, digests: dict[str, str],
             threads: int, lr_grid: tuple[float, ...] = ()) -> str:
    """The hash naming a fold's cache: ids, their preprocessed contents, the settings, the
    learning-rate grid, the thread count, the code."""
    used = sorted(set(fold.test_ids) | set(fold.fitting_ids))
    description = {
        "fold": dataclasses.asdict(fold),
        "settings": {k: v for k, v in dataclasses.asdict(settings).items() if k != "progress_bar"},
        "inputs": inputs,
        "threads": threads,
        "lr_grid": list(lr_grid),
        "data": {patient_id: digests[patient_id] for patient_id in used},
        "code": training_code_digest(),
    }
    text = json.dumps(description, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fold_jobs(folds: list[Fold], settings: TrainSettings, inputs: dict, targets: dict[str, int],
              preprocessed_dir: str | Path, cache_root: str | Path, threads: int,
              lr_grid: tuple[float, ...] = ()) -> list[FoldJob]:
    """One cached job per fold, each in ``cache_root/<its key>``."""
    digests = {pid: file_digest(artifacts.patient_path(preprocessed_dir, pid)) for pid in targets}
    lr_grid = tuple(lr_grid)
    return [FoldJob(fold, settings, inputs, targets, str(preprocessed_dir),
                    str(Path(cache_root) / fold_key(fold, settings, inputs, digests, threads, lr_grid)),
                    threads, lr_grid)
            for fold in folds]


def cached_result(job: FoldJob) -> dict | None:
    """The stored result of ``job`` (with its ``cache_dir``), or None if the fold has not finished."""
    if not job.result_path.exists():
        return None
    return {**artifacts.read_json(job.result_path), "cache_dir": job.cache_dir}


def run_fold(job: FoldJob) -> dict:
    """Trains and tests one fold unless its result is cached; returns the result."""
    cached = cached_result(job)
    if cached is not None:
        return {**cached, "cached": True}
    # The thread counts are the job's, not whatever this process's earlier work left.
    with pinned_threads(job.torch_threads):
        record = _train_and_test(job)
    # Lightning's trainer and module refer to each other, so a finished fold's network and
    # optimiser state are freed only by a cyclic collection: without one, memory grows with
    # every fold, and on a GPU dead folds' tensors crowd the folds trained beside them.
    gc.collect()
    return {**record, "cache_dir": job.cache_dir, "cached": False}


def select_lr(job: FoldJob, train: list[Example], validation: list[Example]) -> tuple[FitResult, dict]:
    """The fold's model after choosing its learning rate on its own inner split.

    Each rate of ``job.lr_grid`` trains on ``train`` only and is scored by its log loss on
    ``validation`` (the fold's inner patients, never its test patients); the lowest wins,
    the first listed on a tie. Under ``early`` the winner's inner model is what a fold
    without a grid would have trained at that rate, so it is kept; under ``fixed`` the
    winner is retrained on ``train`` and ``validation`` together, as every fixed fold is.

    Returns:
        The final fit and ``{"lr": chosen, "lr_losses": {rate: inner log loss}}``.
    """
    early = job.settings.stopping == "early"
    targets = [example.target for example in validation]
    fits, losses = {}, {}
    for lr in job.lr_grid:
        settings = dataclasses.replace(job.settings, lr=lr)
        inner = fit(train, validation if early else [], settings, job.live_dir / f"lr-{lr:g}")
        fits[lr] = inner
        losses[lr] = float(log_loss(targets, predict(inner.network, validation), labels=[0, 1]))
    chosen = min(job.lr_grid, key=lambda lr: losses[lr])
    final = fits[chosen] if early else fit(train, validation, dataclasses.replace(job.settings, lr=chosen),
                                           job.live_dir)
    return final, {"lr": chosen, "lr_losses": {f"{lr:g}": round(loss, 6) for lr, loss in losses.items()}}


def _train_and_test(job: FoldJob) -> dict:
    """Trains the fold, tests it and stores its result; returns the stored record."""
    examples = load_examples(job.preprocessed_dir, sorted(set(job.fold.test_ids) | set(job.fold.fitting_ids)),
                             job.targets, **job.inputs)
    by_id = {example.patient_id: example for example in examples}
    train = [by_id[i] for i in job.fold.train_ids]
    validation = [by_id[i] for i in job.fold.validation_ids]
    if job.lr_grid:
        result, chosen = select_lr(job, train, validation)
    else:
        result, chosen = fit(train, validation, job.settings, job.live_dir), {"lr": job.settings.lr}
    probabilities = predict(result.network, [by_id[i] for i in job.fold.test_ids])
    record = {"fold": job.fold.number, "test_ids": list(job.fold.test_ids),
              "probabilities": [float(p) for p in probabilities],
              "best_epoch": result.best_epoch, "best_val_loss": result.best_val_loss, **chosen,
              "seconds": round(result.seconds, 2), "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
    artifacts.write_json(job.result_path, record)  # written last: its presence means done
    return record
