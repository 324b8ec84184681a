"""Loading one NIfTI file into a checked float32 volume."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.validation import (
    Volume,
    brainstem_mask,
    check_image,
    coverage,
    load_volume,
)
from tests.nifti_factory import grid_affine, save

AFFINE = grid_affine((2, 2, 2), (16, 16, 16))


def head(shape=(16, 16, 16)) -> np.ndarray:
    """A bright ball in a zero background, as a skull-stripped scan."""
    index = np.indices(shape) - (np.array(shape)[:, None, None, None] - 1) / 2
    return (np.sum(index ** 2, 0) < 5 ** 2).astype(np.float32) * 100


def test_trailing_singleton_dimensions_are_dropped(tmp_path):
    volume = load_volume(save(tmp_path / "t1.nii.gz", head()[..., None, None], AFFINE), "t1")
    assert volume.data.shape == (16, 16, 16) and volume.data.dtype == np.float32


def test_scale_factors_are_applied(tmp_path):
    image = nib.Nifti1Image(head().astype(np.int16), AFFINE)
    image.header.set_slope_inter(0.5, 10)
    nib.save(image, tmp_path / "t1.nii")
    assert load_volume(tmp_path / "t1.nii", "t1").data.max() == pytest.approx(60)


def test_huge_but_float32_values_stay_finite(tmp_path):
    volume = load_volume(save(tmp_path / "t1.nii", head().astype(np.float64) * 1e30, AFFINE), "t1")
    assert np.isfinite(volume.data).all() and volume.data.max() == pytest.approx(1e32, rel=1e-6)


def test_a_scan_mostly_background_is_not_empty():
    check_image(Volume(head((40, 40, 40)), AFFINE, "t1.nii"), "t1")  # 99% zeros, 1% head


def test_an_image_with_99_percent_one_value_is_empty():
    data = np.zeros((40, 40, 40), np.float32)
    data[:3, :3, :3] = 5
    with pytest.raises(Exclusion, match="99%"):
        check_image(Volume(data, AFFINE, "t1.nii"), "t1")


def test_brainstem_mask_by_label():
    labels = np.zeros((16, 16, 16))
    labels[2:8, 2:8, 2:8], labels[8:14, 8:14, 8:14] = 3, 5
    assert brainstem_mask(Volume(labels, AFFINE, "seg"), None).data.sum() == 2 * 6 ** 3
    assert brainstem_mask(Volume(labels, AFFINE, "seg"), 5).data.sum() == 6 ** 3
    with pytest.raises(Exclusion, match=r"values found: \[0.0, 3.0, 5.0\]"):
        brainstem_mask(Volume(labels, AFFINE, "seg"), 4)


def test_coverage_counts_the_share_of_the_mask_inside_the_image():
    mask = np.zeros((16, 16, 16), np.uint8)
    mask[4:12, 4:12, 4:12] = 1
    half = AFFINE.copy()
    half[0, 3] += 16  # the image starts at the mask's middle along x
    assert coverage(Volume(mask, AFFINE, "seg"), Volume(head(), AFFINE, "t1")) == 1
    assert coverage(Volume(mask, AFFINE, "seg"), Volume(head(), half, "t1")) == pytest.approx(0.5)
