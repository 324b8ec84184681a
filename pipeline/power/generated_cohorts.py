"""A generated cohort, written and preprocessed in one folder: the unit of the power study.

The positive and negative controls and every cell of the power grid are cohorts of the
built-in generator (``pipeline.synth``) with a chosen planted effect, size and seed,
preprocessed exactly as a user's cohort is by the ``prepare`` stage.

The generator writes the study's four sequences and labels (``infiltration``, positive
``extensive``): the cohorts keep those labels whatever ``data.label_column`` says, and
their channels are the chosen sequences when ``data.sequences`` is a subset of the four
(:func:`power_settings`), else the four.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pipeline
from pipeline import formats
from pipeline.config.settings import PreprocessSettings
from pipeline.preprocessing.cohort import prepare_cohort
from pipeline.synth import Composition, write_cohort
from pipeline.synth.contrasts import SEQUENCES as GENERATED_SEQUENCES

# The study's class balance: 15 extensive, 7 microscopic, 2 none in 24.
_POSITIVE_SHARE, _NONE_SHARE = 15 / 24, 2 / 24
DONE_FILE = "cohort.json"
# The packages that write and read a generated cohort (its key hashes their source).
COHORT_CODE = ("synth", "ingest", "preprocessing")


def power_settings(settings: PreprocessSettings) -> tuple[PreprocessSettings, str | None]:
    """The preprocessing of the generated cohorts: the chosen sequences if the generator
    writes them all, else its four; with a note saying so in the second case."""
    if set(settings.sequences) <= set(GENERATED_SEQUENCES):
        return settings, None
    others = [name for name in settings.sequences if name not in GENERATED_SEQUENCES]
    note = (f"power study: the generated cohorts have no {', '.join(others)} (data.sequences); "
            f"they use the generator's {', '.join(GENERATED_SEQUENCES)}")
    return dataclasses.replace(settings, sequences=GENERATED_SEQUENCES), note


def composition(patients: int) -> Composition:
    """``patients`` complete patients in the study's class balance, nobody excluded."""
    extensive = round(patients * _POSITIVE_SHARE)
    none = min(patients - extensive, max(1, round(patients * _NONE_SHARE)))
    return Composition(extensive=extensive, microscopic=patients - extensive - none, none=none,
                       missing_sequence=0, empty_folder=0, no_folder=0, seg_only=0)


def cohort_key(effect: float, patients: int, seed: int, settings: PreprocessSettings,
               spacing_mm: float) -> str:
    """A hash of everything a generated cohort depends on, the generator's, the reading's and
    the preprocessing's code included, so that a cached cohort is never a stale one."""
    root = Path(pipeline.__file__).parent
    sources = sorted(path for package in COHORT_CODE for path in (root / package).rglob("*.py"))
    description = {"effect": effect, "patients": patients, "seed": seed, "spacing_mm": spacing_mm,
                   "settings": dataclasses.asdict(settings),
                   "code": [formats.file_digest(path) for path in sources]}
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:16]


def preprocessed_dir(folder: str | Path) -> Path:
    """Where a generated cohort's preprocessed patients are."""
    return Path(folder) / "preprocessed"


def generated_cohort(folder: str | Path, effect: float, patients: int, seed: int,
                     settings: PreprocessSettings, spacing_mm: float = 2.0,
                     workers: int = 1) -> dict[str, int]:
    """Writes, preprocesses and records one generated cohort; returns ``{patient_id: target}``.

    Cached: a folder whose record holds the same key (:func:`cohort_key`) is read back,
    not regenerated. The NIfTI files and the whole-head volumes are removed once
    preprocessed: only the model crops are used afterwards, and a grid's whole heads were
    gigabytes for DVC to hash and cache.
    """
    folder = Path(folder)
    record = folder / DONE_FILE
    key = cohort_key(effect, patients, seed, settings, spacing_mm)
    if record.exists() and formats.read_json(record).get("key") == key:
        return formats.read_json(record)["targets"]
    if folder.exists():  # killed half-way, or made with other settings or code: make it again
        shutil.rmtree(folder)
    data = folder / "data"
    # Uncompressed: the files live only until preprocessed, and gzip took a third of the writing.
    write_cohort(data, effect=effect, seed=seed, composition=composition(patients),
                 spacing_mm=spacing_mm, name_variants=False, workers=workers, compress=False)
    rows, _ = prepare_cohort(data, preprocessed_dir(folder), settings, "extensive")
    targets = {row["patient_id"]: int(row["target"]) for row in rows if row["included"]}
    shutil.rmtree(data)
    for patient_id in targets:  # the viewers' whole heads: 7 MB a patient, never read here
        formats.full_volume_path(preprocessed_dir(folder), patient_id).unlink(missing_ok=True)
    formats.write_json(record, {"effect": effect, "patients": patients, "seed": seed,
                                  "key": key, "targets": targets})
    return targets
