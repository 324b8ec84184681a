"""Which affine is trusted, and which headers are refused: see pipeline/ingest/header.py."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.header import (
    check_rectangular,
    max_distance_mm,
    shear_degrees,
    trusted_affine,
)
from tests.nifti_factory import grid_affine

AFFINE = grid_affine((2, 2, 2), (20, 20, 20))


def image(qform=None, qcode=0, sform=AFFINE, scode=2) -> nib.Nifti1Image:
    result = nib.Nifti1Image(np.zeros((20, 20, 20), np.int16), AFFINE)
    result.set_qform(AFFINE if qform is None else qform, code=qcode)
    result.set_sform(sform, code=scode)
    return result


def rotation(degrees: float) -> np.ndarray:
    angle = np.radians(degrees)
    turn = np.eye(4)
    turn[:2, :2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    return turn


def test_the_sform_is_trusted_as_nibabel_does(tmp_path):
    moved = AFFINE.copy()
    moved[:3, 3] += 50
    assert np.allclose(trusted_affine(image(sform=moved), tmp_path, "t1"), moved)


def test_the_qform_is_used_when_there_is_no_sform(tmp_path):
    turned = rotation(30) @ AFFINE
    nib.save(image(qform=turned, qcode=1, scode=0), tmp_path / "t1.nii")  # pixdims come from disk
    loaded = nib.load(tmp_path / "t1.nii")
    assert np.allclose(trusted_affine(loaded, tmp_path / "t1.nii", "t1"), turned, atol=1e-4)


def test_forms_agreeing_to_float_precision_pass(tmp_path):
    turned = rotation(13) @ AFFINE  # the qform stores a float32 quaternion
    trusted_affine(image(qform=turned, qcode=1, sform=turned), tmp_path, "t1")


def test_forms_disagreeing_are_refused(tmp_path):
    with pytest.raises(Exclusion, match="disagree by up to") as caught:
        trusted_affine(image(qform=rotation(5) @ AFFINE, qcode=1), tmp_path, "t2")
    assert caught.value.code == "invalid:t2"


def test_max_distance_is_at_the_far_corner():
    moved = AFFINE.copy()
    moved[0, 0] *= 1.1  # 2.2 mm voxels instead of 2: the far corner moves by 19 * 0.2 mm
    assert max_distance_mm(AFFINE, moved, (20, 20, 20)) == pytest.approx(3.8)


def test_shear_is_zero_for_rotations_and_flips():
    assert shear_degrees(rotation(37) @ AFFINE @ np.diag([-1, 1, 1, 1])) < 1e-6


def test_sheared_reference_is_refused(tmp_path):
    skew = AFFINE.copy()
    skew[0, 1] = 0.2
    assert shear_degrees(skew) == pytest.approx(np.degrees(np.arctan(0.1)))
    with pytest.raises(Exclusion, match="sheared"):
        check_rectangular(skew, tmp_path, "t1")
