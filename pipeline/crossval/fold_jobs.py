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
import json
from dataclasses import dataclass
from pathlib import Path

import pipeline
from pipeline import formats
from pipeline.config.settings import TrainSettings
from pipeline.crossval.fold_training import train_and_test
from pipeline.crossval.splits import Fold
from pipeline.training.threads import pinned_threads

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


# The packages a fold's training runs (tests/crossval/test_fold_jobs.py checks them against the real
# imports, tests/test_stage_deps.py against dvc.yaml's deps). The LOOCV stage's output
# persists between runs so that a killed run resumes; without the code in the key, a stage
# re-run after a code change would reuse every fold trained by the old code.
TRAINING_CODE = ("config", "crossval", "formats", "training")
TRAINING_LIBRARIES = ("torch", "lightning", "monai", "torchio", "SimpleITK", "numpy")


def training_sources() -> list[Path]:
    """Every source file of :data:`TRAINING_CODE`, in a fixed order."""
    root = Path(pipeline.__file__).parent
    return sorted(path for package in TRAINING_CODE for path in (root / package).rglob("*.py"))


@functools.cache
def training_code_digest() -> str:
    """SHA-256 over the training packages' source and the libraries' versions."""
    digest = hashlib.sha256()
    root = Path(pipeline.__file__).parent
    for path in training_sources():
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(formats.file_digest(path).encode())
    for library in TRAINING_LIBRARIES:
        digest.update(f"{library}=={importlib.metadata.version(library)}".encode())
    return digest.hexdigest()


def fold_key(fold: Fold, settings: TrainSettings, inputs: dict, digests: dict[str, str],
             threads: int, lr_grid: tuple[float, ...] = (), targets: dict[str, int] | None = None) -> str:
    """The hash naming a fold's cache: ids, their labels, their preprocessed contents, the
    settings, the learning-rate grid, the thread count, the code.

    The labels count because the same files can be trained with others: a relabelled
    patient in ``labels.csv``, or the spike-in's pseudo-labels at effect 0.
    """
    used = sorted(set(fold.test_ids) | set(fold.fitting_ids))
    description = {
        "fold": dataclasses.asdict(fold),
        "targets": None if targets is None else {patient_id: targets[patient_id] for patient_id in used},
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
    digests = {pid: formats.file_digest(formats.patient_path(preprocessed_dir, pid)) for pid in targets}
    lr_grid = tuple(lr_grid)
    return [FoldJob(fold, settings, inputs, targets, str(preprocessed_dir),
                    str(Path(cache_root) / fold_key(fold, settings, inputs, digests, threads, lr_grid, targets)),
                    threads, lr_grid)
            for fold in folds]


def cached_result(job: FoldJob) -> dict | None:
    """The stored result of ``job`` (with its ``cache_dir``), or None if the fold has not finished."""
    if not job.result_path.exists():
        return None
    return {**formats.read_json(job.result_path), "cache_dir": job.cache_dir}


def run_fold(job: FoldJob) -> dict:
    """Trains and tests one fold unless its result is cached; returns the result."""
    cached = cached_result(job)
    if cached is not None:
        return {**cached, "cached": True}
    # The thread counts are the job's, not whatever this process's earlier work left.
    with pinned_threads(job.torch_threads):
        record = train_and_test(job)
    # Lightning's trainer and module refer to each other, so a finished fold's network and
    # optimiser state are freed only by a cyclic collection: without one, memory grows with
    # every fold, and on a GPU dead folds' tensors crowd the folds trained beside them.
    gc.collect()
    return {**record, "cache_dir": job.cache_dir, "cached": False}
