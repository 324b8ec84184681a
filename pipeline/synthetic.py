"""A generated cohort, written and preprocessed in one folder: the unit of the power study.

The positive and negative controls and every cell of the power grid are cohorts of the
built-in generator (``pipeline.synth``) with a chosen planted effect, size and seed,
preprocessed exactly as a user's cohort is by the ``prepare`` stage.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline import artifacts
from pipeline.prepare import prepare_cohort
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


def preprocessed_dir(folder: str | Path) -> Path:
    """Where a generated cohort's preprocessed patients are."""
    return Path(folder) / "preprocessed"


def generated_cohort(folder: str | Path, effect: float, patients: int, seed: int,
                     settings: PreprocessSettings, spacing_mm: float = 2.0,
                     workers: int = 1) -> dict[str, int]:
    """Writes, preprocesses and records one generated cohort; returns ``{patient_id: target}``.

    Cached: a folder whose record exists is read back, not regenerated. The NIfTI files
    are removed once preprocessed (only the tensors are used afterwards).
    """
    folder = Path(folder)
    record = folder / DONE_FILE
    if record.exists():
        return artifacts.read_json(record)["targets"]
    data = folder / "data"
    if data.exists():  # a run killed while writing or preprocessing: start the cohort again
        shutil.rmtree(data)
    # Uncompressed: the files live only until preprocessed, and gzip took a third of the writing.
    write_cohort(data, effect=effect, seed=seed, composition=composition(patients),
                 spacing_mm=spacing_mm, name_variants=False, workers=workers, compress=False)
    rows, _ = prepare_cohort(data, preprocessed_dir(folder), settings, "extensive")
    targets = {row["patient_id"]: int(row["target"]) for row in rows if row["included"]}
    shutil.rmtree(data)
    artifacts.write_json(record, {"effect": effect, "patients": patients, "seed": seed,
                                  "targets": targets})
    return targets
