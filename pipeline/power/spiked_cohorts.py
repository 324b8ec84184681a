"""The cohort of one spike-in replicate: pseudo-positives planted at an effect, the rest as they are.

For the networks, which train from files, each (effect, replicate) is written once as model
crops into its own folder and reused while its key holds (the effect, the pseudo-labels,
the source files' contents, the pattern's seed and the code that plants it), so a killed
run finds every finished cohort, and the fold cache, keyed on the files' contents, every
finished fold. The reference arms need no files: their radiomics features are computed in
memory, once per patient and effect, since a planted patient is the same at that effect
whatever the replicate.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd

import pipeline
from pipeline import formats
from pipeline.evaluation.radiomics import features_or_none
from pipeline.power.spike_in import planted

DONE_FILE = "cohort.json"
# The code a planted crop depends on: the planting and the generator's pattern and units.
SPIKE_CODE = ("power/spike_in.py", "synth/anatomy.py", "synth/contrasts.py", "synth/shapes.py")


def cohort_key(effect: float, labels: dict[str, int], digests: dict[str, str], seed: int) -> str:
    """A hash of everything one replicate's files depend on."""
    root = Path(pipeline.__file__).parent
    description = {"effect": effect, "labels": labels, "digests": digests, "seed": seed,
                   "code": [formats.file_digest(root / path) for path in SPIKE_CODE]}
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:16]


def spiked_cohort(folder: str | Path, patients: dict, strengths: dict, labels: dict[str, int],
                  effect: float, key: str) -> Path:
    """Writes the replicate's model crops into ``folder`` (unless its record holds ``key``).

    Args:
        patients: ``{patient_id: PreprocessedPatient}``, the cohort as prepared.
        strengths: each patient's ``pipeline.power.spike_in.pattern_strength``.
        labels: the pseudo-labels; 1 is planted at ``effect``, 0 is copied unchanged.
    """
    folder = Path(folder)
    record = folder / DONE_FILE
    if record.exists() and formats.read_json(record).get("key") == key:
        return folder
    if folder.exists():  # killed half-way, or made from other inputs: make it again
        shutil.rmtree(folder)
    for patient_id, patient in patients.items():
        spiked = planted(patient, strengths[patient_id], effect if labels[patient_id] else 0.0)
        formats.write_patient(folder, spiked)
    formats.write_json(record, {"effect": effect, "labels": labels, "key": key})  # last: done
    return folder


class PlantedFeatures:
    """Radiomics features of each patient as planted at each effect, each computed once."""

    def __init__(self, patients: dict, strengths: dict):
        self.patients, self.strengths = patients, strengths
        self.computed: dict[tuple[str, float], dict] = {}

    def features(self, patient_id: str, effect: float) -> dict:
        if (patient_id, effect) not in self.computed:
            patient = planted(self.patients[patient_id], self.strengths[patient_id], effect)
            self.computed[patient_id, effect] = features_or_none(patient)
        return self.computed[patient_id, effect]

    def table(self, labels: dict[str, int], effect: float) -> pd.DataFrame:
        """One replicate's feature table (index: patient_id), pseudo-positives planted."""
        rows = {patient_id: self.features(patient_id, effect if label else 0.0)
                for patient_id, label in labels.items()}
        return pd.DataFrame.from_dict(rows, orient="index").reindex(list(labels))
