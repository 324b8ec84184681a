"""Walking a cohort: one entry per patient named anywhere, label problems first."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from pipeline.ingest.cohort import iter_cohort, load_patient
from pipeline.ingest.labels import LabelsFileError
from tests.nifti_factory import (
    DEFAULT_GRIDS,
    DEFAULT_SHAPES,
    brainstem,
    world_coordinates,
    write_cohort,
    write_patient,
)

HEADER = "patient_id,infiltration"


def entries(root, seg_label=None) -> dict:
    return {entry.patient_id: entry for entry in iter_cohort(root, root / "labels.csv", seg_label)}


def test_every_id_from_labels_or_folders_once_hidden_folders_skipped(tmp_path):
    root = write_cohort(tmp_path, {"B": "none", "A": "extensive"})
    write_patient(root / "C")
    (root / ".dvc").mkdir()
    (root / "notes.txt").write_text("x")
    (root / "labels.csv").write_text("patient_id,infiltration\nA,extensive\nB,none\nD,none\n")
    found = entries(root)
    assert list(found) == ["A", "B", "C", "D"]
    assert found["A"].patient is not None and found["A"].infiltration == "extensive"
    assert [found[pid].exclusion.code for pid in "CD"] == ["label:missing", "missing:all"]


def test_a_folder_differing_only_in_case_is_pointed_at(tmp_path):
    root = write_cohort(tmp_path, {"GBM01": "none"}, lines=[HEADER, "gbm01,none"])
    found = entries(root)
    assert found["gbm01"].exclusion.code == "missing:all"
    assert "there is 'GBM01'" in found["gbm01"].exclusion.detail


def test_a_file_where_the_folder_should_be(tmp_path):
    root = write_cohort(tmp_path, {"A": "none"}, lines=[HEADER, "A,none", "B,none"])
    (root / "B").write_text("not a folder")
    assert entries(root)["B"].exclusion.code == "missing:all"


def test_an_unusable_labels_file_stops_before_any_patient(tmp_path):
    root = write_cohort(tmp_path, {"A": "none"}, lines=["id,label", "A,none"])
    with pytest.raises(LabelsFileError, match="patient_id and infiltration"):
        next(iter_cohort(root, root / "labels.csv"))


def test_brats_style_prefixed_names(tmp_path):
    names = {name: f"GBM-7_{name.upper()}.nii" for name in ("t1", "t2", "flair", "seg")}
    write_patient(tmp_path / "GBM-7", names={**names, "t1c": "GBM-7-t1gd.nii.gz"})
    (tmp_path / "labels.csv").write_text("patient_id,infiltration\nGBM-7,microscopic\n")
    assert entries(tmp_path)["GBM-7"].patient is not None


def _aseg_like(folder):
    """A FreeSurfer-style aseg.mgz on the seg grid: cerebral white matter 2 and 41, lateral
    ventricles 4 and 43, Brain-Stem 16; returns the label array written."""
    affine, shape = DEFAULT_GRIDS["seg"], DEFAULT_SHAPES["seg"]
    world = world_coordinates(affine, shape)
    head = np.sum((world / [30, 36, 32]) ** 2, -1) < 1
    labels = np.where(head, np.where(world[..., 0] < 0, 2, 41), 0).astype(np.int32)
    labels[head & (np.abs(world[..., 0] - 8) < 4) & (world[..., 2] > 5)] = 43
    labels[head & (np.abs(world[..., 0] + 8) < 4) & (world[..., 2] > 5)] = 4
    labels[brainstem(world) > 0] = 16
    nib.save(nib.MGHImage(labels, affine), folder / "aseg.mgz")
    return labels


def test_a_freesurfer_aseg_mgz_with_seg_label_16_keeps_only_the_brainstem(tmp_path):
    write_patient(tmp_path / "P01", skip=("seg",))
    labels = _aseg_like(tmp_path / "P01")
    assert set(np.unique(labels)) == {0, 2, 4, 16, 41, 43}
    patient = load_patient(tmp_path, "P01", "none", seg_label=16)
    assert patient.files["seg"].name == "aseg.mgz"
    np.testing.assert_array_equal(patient.mask.data, labels == 16)
    np.testing.assert_allclose(patient.mask.affine, DEFAULT_GRIDS["seg"], atol=1e-4)
    whole_head = load_patient(tmp_path, "P01", "none", seg_label=None).mask.data
    assert whole_head.sum() > 5 * patient.mask.data.sum()  # without the label: every structure


def test_an_mgh_label_map_without_orientation_is_refused(tmp_path):
    write_patient(tmp_path / "P01", skip=("seg",))
    _aseg_like(tmp_path / "P01")
    image = nib.load(tmp_path / "P01" / "aseg.mgz")
    image = nib.MGHImage(np.asarray(image.dataobj), image.affine)
    image.header["goodRASFlag"] = 0  # nibabel would read FreeSurfer's default orientation
    nib.save(image, tmp_path / "P01" / "aseg.mgz")
    (tmp_path / "labels.csv").write_text("patient_id,infiltration\nP01,none\n")
    exclusion = entries(tmp_path, seg_label=16)["P01"].exclusion
    assert exclusion.code == "invalid:seg" and "goodRASFlag is 0" in exclusion.detail
    assert "P01/aseg.mgz" in exclusion.detail


def test_without_labels_every_folder_is_a_patient_and_labels_csv_is_ignored(tmp_path):
    root = write_cohort(tmp_path, {"A": "extensive", "B": "none"},
                        lines=[HEADER, "A,unknown-class", "Z,none"])
    write_patient(root / "C")
    (root / "bad id").mkdir()
    found = {entry.patient_id: entry for entry in iter_cohort(root, None)}
    assert list(found) == ["A", "B", "C", "bad id"]  # Z has a row but no folder: not scored
    assert all(found[pid].patient is not None and found[pid].infiltration is None for pid in "ABC")
    assert found["bad id"].exclusion.code == "label:unsafe-id"


def test_without_labels_no_labels_file_is_needed(tmp_path):
    write_patient(tmp_path / "A", skip=("t2",))
    (entry,) = iter_cohort(tmp_path, None)
    assert entry.exclusion.code == "missing:t2"
