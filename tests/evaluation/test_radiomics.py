"""PyRadiomics features are measured inside the brainstem mask only, named per sequence,
and a patient that cannot be measured is named instead of stopping the run."""

import numpy as np
import pytest
import torch

from pipeline import formats
from pipeline.evaluation.radiomics import (
    INTENSITY_CLASSES,
    feature_table,
    patient_features,
)

SEQUENCES = ["t1", "t1c", "t2", "flair"]
INSIDE, OUTSIDE = (8, 8, 8), (1, 1, 1)


def _patient(patient_id="P1", seed=0, empty=False) -> formats.PreprocessedPatient:
    """A 16^3 crop of four sequences in [0, 1] with an ellipsoid 'brainstem'."""
    image = torch.from_numpy(np.random.default_rng(seed).uniform(0.3, 0.7, (4, 16, 16, 16))).float()
    grid = np.stack(np.meshgrid(*[np.arange(16)] * 3, indexing="ij"))
    inside = ((grid[0] - 8) ** 2 / 16 + (grid[1] - 8) ** 2 / 16 + (grid[2] - 8) ** 2 / 36) < 1
    mask = torch.from_numpy(inside & (not empty)).to(torch.uint8)
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    return formats.PreprocessedPatient(patient_id, image, mask, affine, image.half(), mask, affine,
                                         SEQUENCES)


def _changed(before: dict, after: dict) -> set[str]:
    return {name for name in before if not np.isclose(before[name], after[name], equal_nan=True)}


def test_features_of_every_sequence_and_class_and_the_mask_shape():
    names = patient_features(_patient())
    for sequence in SEQUENCES:
        for feature_class in INTENSITY_CLASSES:
            assert any(n.startswith(f"{sequence}_{feature_class}_") for n in names)
    assert "brainstem_shape_VoxelVolume" in names
    assert all(np.isfinite(value) for value in names.values())


def test_a_voxel_outside_the_mask_changes_nothing():
    patient = _patient()
    before = patient_features(patient)
    patient.image[:, OUTSIDE[0], OUTSIDE[1], OUTSIDE[2]] = 1.0
    assert _changed(before, patient_features(patient)) == set()


def test_voxels_inside_the_mask_change_that_sequence_only():
    patient = _patient()
    before = patient_features(patient)
    patient.image[3, 7:10, 7:10, 7:10] = 0.95  # flair only
    changed = _changed(before, patient_features(patient))
    assert "flair_firstorder_Mean" in changed and "flair_glcm_Contrast" in changed
    assert all(name.startswith("flair_") for name in changed)


def test_the_shape_follows_the_mask_not_the_image():
    patient = _patient()
    before = patient_features(patient)
    patient.mask[8, 8, 2:14] = 1  # grows the brainstem along z
    changed = _changed(before, patient_features(patient))
    assert "brainstem_shape_VoxelVolume" in changed
    shape = {name for name in before if name.startswith("brainstem_shape_")}
    assert not _changed(before, patient_features(_patient(seed=1))) & shape  # another image, same mask


def test_an_empty_mask_is_named_and_the_other_patients_are_measured(tmp_path):
    for patient in (_patient("P1"), _patient("P2", seed=1, empty=True), _patient("P3", seed=2)):
        formats.write_patient(tmp_path, patient)
    with pytest.warns(UserWarning, match="patient P2 has no features"):
        table = feature_table(tmp_path, ["P1", "P2", "P3"])
    assert list(table.index) == ["P1", "P2", "P3"]
    assert table.loc["P2"].isna().all() and table.drop("P2").notna().all(axis=None)


def test_no_patient_with_features_is_an_error_naming_the_folder(tmp_path):
    formats.write_patient(tmp_path, _patient("P1", empty=True))
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="no patient in .* has features"):
        feature_table(tmp_path, ["P1"])


def test_extraction_keeps_the_console_quiet(tmp_path, capfd):
    formats.write_patient(tmp_path, _patient("P1"))
    feature_table(tmp_path, ["P1"])
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
