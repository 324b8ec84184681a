"""Cohen's d of mean brainstem intensity between two groups: the spike-in's effect in units a
reader can set beside the real classes' difference.

A planted effect's d depends on the cohort (its noise, its anatomy, its spread of brainstem
signal between patients), which is why it is measured on the cohort, not taken from the
generator. Planting multiplies each mask voxel by 1 + effect x gain x strength, so a
patient's mean brainstem intensity is linear in the effect: ``base + effect x slope``, two
numbers per patient and sequence, from which d at any effect and labels follows without
building the images.
"""

from __future__ import annotations

import numpy as np

from pipeline.formats import PreprocessedPatient
from pipeline.power.spike_in import gains

# The sequences the planted pattern raises, reported as d_<sequence>.
D_SEQUENCES = ("flair", "t2")


def cohens_d(group, reference) -> float | None:
    """(mean of ``group`` - mean of ``reference``) / pooled standard deviation; None when it is
    undefined (fewer than two in a group, or no spread at all)."""
    group, reference = np.asarray(group, dtype=float), np.asarray(reference, dtype=float)
    if len(group) < 2 or len(reference) < 2:
        return None
    pooled = ((len(group) - 1) * group.var(ddof=1) + (len(reference) - 1) * reference.var(ddof=1)) / (
        len(group) + len(reference) - 2)
    if pooled <= 0:
        return None
    return float((group.mean() - reference.mean()) / np.sqrt(pooled))


def brainstem_response(patient: PreprocessedPatient, strength: np.ndarray) -> dict[str, tuple[float, float]]:
    """``{sequence: (mean brainstem intensity, its increase per unit of effect)}``."""
    inside = patient.mask.numpy().astype(bool)
    image = patient.image.numpy()
    response = {}
    for channel, (sequence, gain) in enumerate(zip(patient.sequences, gains(patient.sequences))):
        values = image[channel][inside]
        response[sequence] = (float(values.mean()), float((values * gain * strength[inside]).mean()))
    return response


def cohort_d(responses: dict[str, dict], labels: dict[str, int], effect: float) -> dict[str, float | None]:
    """``{"d_flair", "d_t2"}`` between label 1 (planted at ``effect``) and label 0 (untouched)."""
    result = {}
    for sequence in D_SEQUENCES:
        means = {patient_id: base + effect * slope * labels[patient_id]
                 for patient_id, (base, slope) in ((p, r[sequence]) for p, r in responses.items())}
        d = cohens_d([m for p, m in means.items() if labels[p]], [m for p, m in means.items() if not labels[p]])
        result[f"d_{sequence}"] = None if d is None else round(d, 4)
    return result
