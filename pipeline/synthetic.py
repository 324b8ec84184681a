"""A generated cohort, written and preprocessed in one folder: the unit of the power study.

The positive and negative controls and every cell of the power grid are cohorts of the
built-in generator (``pipeline.synth``) with a chosen planted effect, size and seed,
preprocessed exactly as a user's cohort is by the ``prepare`` stage.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

from pipeline import artifacts, preparation, preprocess, synth
from pipeline.fold_cache import file_digest
from pipeline.preparation import prepare_cohort
from pipeline.preprocess import PreprocessSettings
from pipeline.synth import Composition, write_cohort

# The study's class balance: 15 extensive, 7 microscopic, 2 none in 24.
_POSITIVE_SHARE, _NONE_SHARE = 15 / 24, 2 / 24
DONE_FILE = "cohort.json"


def composition(patients: int) -> Composition:
    """``patients`` complete patients in the study's class balance, nobody excluded."""
    extensive = round(patients * _POSITIVE_SHARE)
    none = min(patients - extensive, max(1, round(patients * _NONE_SHARE)))
    return Composition(extensive=extensive, microscopic=patients - extensive - none, none=none,
                       missing_sequence=0, empty_folder=0, no_folder=0, seg_only=0)


def cohort_key(effect: float, patients: int, seed: int, settings: PreprocessSettings,
               spacing_mm: float) -> str:
    """A hash of everything a generated cohort depends on, the generator's and the
    preprocessing's code included, so that a cached cohort is never a stale one."""
    sources = sorted(Path(synth.__file__).parent.glob("*.py")) + [Path(preprocess.__file__),
                                                                  Path(preparation.__file__)]
    description = {"effect": effect, "patients": patients, "seed": seed, "spacing_mm": spacing_mm,
                   "settings": dataclasses.asdict(settings),
                   "code": [file_digest(path) for path in sources]}
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:16]


def preprocessed_dir(folder: str | Path) -> Path:
    """Where a generated cohort's preprocessed patients are."""
    return Path(folder) / "preprocessed"


def generated_cohort(folder: str | Path, effect: float, patients: int, seed: int,
                     settings: PreprocessSettings, spacing_mm: float = 2.0,
                     workers: int = 1) -> dict[str, int]:
    """Writes, preprocesses and records one generated cohort; returns ``{patient_id: target}``.

    Cached: a folder whose record holds the same key (:func:`cohort_key`) is read back,
    not regenerated. The NIfTI files
    are removed once preprocessed (only the tensors are used afterwards).
    """
    folder = Path(folder)
    record = folder / DONE_FILE
    key = cohort_key(effect, patients, seed, settings, spacing_mm)
    if record.exists() and artifacts.read_json(record).get("key") == key:
        return artifacts.read_json(record)["targets"]
    if folder.exists():  # killed half-way, or made with other settings or code: make it again
        shutil.rmtree(folder)
    data = folder / "data"
    # Uncompressed: the files live only until preprocessed, and gzip took a third of the writing.
    write_cohort(data, effect=effect, seed=seed, composition=composition(patients),
                 spacing_mm=spacing_mm, name_variants=False, workers=workers, compress=False)
    rows, _ = prepare_cohort(data, preprocessed_dir(folder), settings, "extensive")
    targets = {row["patient_id"]: int(row["target"]) for row in rows if row["included"]}
    shutil.rmtree(data)
    artifacts.write_json(record, {"effect": effect, "patients": patients, "seed": seed,
                                  "key": key, "targets": targets})
    return targets
