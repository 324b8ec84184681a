"""prepare.crop_mm checked against the cohort's fields of view, from headers only."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.ingest.field_of_view import (
    CropTooLarge,
    check_crop_fits,
    field_of_view_mm,
)
from tests.nifti_factory import grid_affine, save, write_cohort, write_patient

T1_FIELD_OF_VIEW = 72  # the factory's t1: 18 x 20 x 18 voxels of 4 mm


def test_a_crop_inside_the_field_of_view_passes(tmp_path):
    check_crop_fits(write_cohort(tmp_path, {"A": "none"}), T1_FIELD_OF_VIEW)


def test_a_crop_larger_than_every_field_of_view_names_the_key(tmp_path):
    root = write_cohort(tmp_path, {"A": "none", "B": "none"})
    with pytest.raises(CropTooLarge, match=r"^100 mm .* largest is 72 mm"):
        check_crop_fits(root, 100)


def test_one_patient_with_a_large_enough_field_of_view_is_enough(tmp_path):
    root = write_cohort(tmp_path, {"A": "none"})
    write_patient(root / "B", skip=("t1",))
    save(root / "B" / "B_T1w.nii", np.ones((30, 30, 30), np.int16), grid_affine(shape=(30, 30, 30)))
    check_crop_fits(root, 100)  # B's t1 is 120 mm wide, A's only 72


def test_only_the_header_is_read(tmp_path):
    root = write_cohort(tmp_path, {"A": "none"})
    t1 = root / "A" / "t1.nii.gz"
    t1.write_bytes(t1.read_bytes()[:400])  # the voxels are gone, the header is still there
    assert field_of_view_mm(t1) == T1_FIELD_OF_VIEW


def test_unreadable_or_outside_files_are_left_to_the_ingest(tmp_path):
    root = write_cohort(tmp_path / "data", {"A": "none"})
    (root / "A" / "t1.nii.gz").write_text("not an image")
    write_patient(tmp_path / "elsewhere", skip=("t1c", "t2", "flair", "seg"))
    write_patient(root / "B", skip=("t1",))
    (root / "B" / "t1.nii.gz").symlink_to(tmp_path / "elsewhere" / "t1.nii.gz")
    check_crop_fits(root, 500)  # nothing readable inside the cohort: nothing to compare with
