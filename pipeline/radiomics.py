"""First-order intensity features of each sequence inside the brainstem mask."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from pipeline import artifacts

STATISTICS = {
    "mean": np.mean, "std": np.std,
    "p10": lambda v: np.percentile(v, 10), "median": np.median,
    "p90": lambda v: np.percentile(v, 90),
    "skewness": stats.skew, "kurtosis": stats.kurtosis,
}


def patient_features(patient: artifacts.PreprocessedPatient) -> dict[str, float]:
    """``<sequence>_<statistic>`` for every sequence, over the brainstem voxels of the crop."""
    inside = patient.mask.bool()
    features = {}
    for channel, sequence in enumerate(patient.sequences):
        values = patient.image[channel][inside].double().numpy()
        for name, statistic in STATISTICS.items():
            features[f"{sequence}_{name}"] = float(statistic(values))
    return features


def feature_table(directory, patient_ids) -> pd.DataFrame:
    """One row of features per patient (index: patient_id)."""
    rows = {pid: patient_features(artifacts.read_patient(directory, pid, full=False)) for pid in patient_ids}
    return pd.DataFrame.from_dict(rows, orient="index")
