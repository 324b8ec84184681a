"""Pseudo-labels for the spike-in study: the cohort's class balance, nothing else of its labels.

Each replicate draws which patients are pseudo-positive uniformly among all ways of picking
as many as the cohort has positives, from ``(seed, replicate)`` alone. Only the count of
the real positives is used, so a replicate's pseudo-labels are independent of who is
really positive: whatever signal the real classes carry is spread evenly over the
pseudo-classes and cannot pass for the planted one.
"""

from __future__ import annotations

import numpy as np


def pseudo_labels(targets: dict[str, int], seed: int, replicate: int) -> dict[str, int]:
    """``{patient_id: 0 or 1}`` for ``replicate``, with as many 1s as ``targets`` has."""
    patient_ids = sorted(targets)
    positives = int(sum(targets.values()))
    chosen = np.random.default_rng([seed, replicate]).choice(len(patient_ids), positives, replace=False)
    picked = set(chosen.tolist())
    return {patient_id: int(index in picked) for index, patient_id in enumerate(patient_ids)}
