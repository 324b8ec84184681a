"""PyRadiomics features of each preprocessed patient inside its brainstem mask.

The features are computed once per patient without looking at any label, so computing
them for the whole cohort before the folds leaks nothing; everything fitted on them
(selection, scaling, the classifier) is refitted inside each fold
(``pipeline.evaluation.reference_models``).
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk
from radiomics import featureextractor

from pipeline import formats

# PyRadiomics logs every step of an extraction, and a traceback for any feature it cannot
# compute (that value is then NaN): the console gets one line per such patient instead.
logging.getLogger("radiomics").setLevel(logging.CRITICAL)

# Preprocessing rescales each sequence to [0, 1] between percentiles of the whole head and
# a brainstem spans about a third of that: bins of 0.01 give it some 30-40 grey levels,
# within the 30-130 that PyRadiomics advises, and a fixed width (not a fixed count) keeps
# a grey level the same intensity in every patient.
BIN_WIDTH = 0.01
# First-order statistics and three texture matrices: co-occurrence of neighbouring grey
# levels (GLCM), runs (GLRLM) and zones (GLSZM). Left out: GLDM and NGTDM, which largely
# restate these on a thousand voxels, and filtered images (wavelet, LoG), which would
# multiply the features several-fold for two dozen patients.
INTENSITY_CLASSES = ("firstorder", "glcm", "glrlm", "glszm")
# Shape describes the mask alone, so it is computed once per patient, not per sequence.
SHAPE_CLASSES = ("shape",)


@functools.cache
def _extractor(classes: tuple[str, ...]) -> featureextractor.RadiomicsFeatureExtractor:
    """A PyRadiomics extractor of the feature ``classes`` on the unfiltered image."""
    configured = featureextractor.RadiomicsFeatureExtractor(binWidth=BIN_WIDTH, label=1,
                                                            additionalInfo=False)
    configured.disableAllFeatures()
    for name in classes:
        configured.enableFeatureClassByName(name)
    return configured


def _sitk_volume(array: np.ndarray, spacing: tuple[float, ...]) -> sitk.Image:
    """A SimpleITK image of an (x, y, z) array (SimpleITK reads arrays as z, y, x)."""
    image = sitk.GetImageFromArray(np.ascontiguousarray(array.transpose(2, 1, 0)))
    image.SetSpacing(spacing)
    return image


def _named(prefix: str, result: dict) -> dict[str, float]:
    """PyRadiomics' ``original_<class>_<feature>`` values as ``<prefix>_<class>_<feature>``."""
    return {f"{prefix}_{name.removeprefix('original_')}": float(value) for name, value in result.items()}


def patient_features(patient: formats.PreprocessedPatient) -> dict[str, float]:
    """``brainstem_shape_<feature>`` and ``<sequence>_<class>_<feature>`` for every sequence,
    over the brainstem voxels of the crop.

    Raises:
        ValueError: PyRadiomics' reason when the mask cannot be measured (empty, one voxel).
    """
    spacing = tuple(float(step) for step in np.linalg.norm(patient.affine[:3, :3], axis=0))
    mask = _sitk_volume(patient.mask.bool().numpy().astype(np.uint8), spacing)
    images = [_sitk_volume(channel.numpy(), spacing) for channel in patient.image]
    features = _named("brainstem", _extractor(SHAPE_CLASSES).execute(images[0], mask))
    for sequence, image in zip(patient.sequences, images):
        features.update(_named(sequence, _extractor(INTENSITY_CLASSES).execute(image, mask)))
    return features


def features_or_none(patient: formats.PreprocessedPatient) -> dict[str, float]:
    """:func:`patient_features`, or no features at all (a warning says why) when PyRadiomics
    cannot measure the patient: each fold then imputes them from its training patients."""
    try:
        return patient_features(patient)
    except (ValueError, RuntimeError) as error:
        warnings.warn(f"radiomics: patient {patient.patient_id} has no features ({error}); each fold "
                      f"imputes them from its training patients", stacklevel=2)
        return {}


def feature_table(directory: str | Path, patient_ids: Iterable[str]) -> pd.DataFrame:
    """One row of features per patient (index: patient_id).

    A patient whose features cannot all be computed keeps NaN where they are missing
    (each fold imputes them from its own training patients) and is named in a warning.
    """
    patient_ids = list(patient_ids)
    rows = {patient_id: features_or_none(formats.read_patient(directory, patient_id, full=False))
            for patient_id in patient_ids}
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(patient_ids)
    if table.empty or table.isna().all(axis=None):
        raise ValueError(f"radiomics: no patient in {directory} has features")
    for patient_id, missing in table.isna().sum(axis=1).items():
        if 0 < missing < table.shape[1]:
            warnings.warn(f"radiomics: {missing} of {table.shape[1]} features of patient "
                          f"{patient_id} could not be computed; each fold imputes them", stacklevel=2)
    return table
