"""The viewer's volumes as in-memory NIfTI: voxels, geometry, and nothing else."""

import gzip

import nibabel as nib
import numpy as np
import pytest

from dashboard import nifti
from pipeline import formats
from pipeline.formats import paths
from tests.outputs_factory import write_fake_outputs


def _read(blob: bytes) -> nib.Nifti1Image:
    return nib.Nifti1Image.from_bytes(gzip.decompress(blob))


@pytest.fixture(scope="module")
def patient(tmp_path_factory):
    root = tmp_path_factory.mktemp("volumes")
    write_fake_outputs(root, n_patients=3, with_model=False)
    return formats.read_patient(root / paths.PREPROCESSED, "GBM-001")


def test_nifti_bytes_keep_values_and_affine():
    rng = np.random.default_rng(0)
    volume = rng.random((5, 6, 7), dtype=np.float32)
    affine = np.array([[2, 0, 0, -10], [0, 2, 0, 4], [0, 0, 3, 7], [0, 0, 0, 1]], float)
    image = _read(nifti.nifti_bytes(volume, affine))
    assert image.get_data_dtype() == np.int16
    np.testing.assert_allclose(image.get_fdata(), volume, atol=2e-5)
    np.testing.assert_array_equal(image.affine, affine)
    assert image.header["sform_code"] == 1 and image.header["qform_code"] == 1


def test_nifti_header_carries_no_free_text():
    header = _read(nifti.nifti_bytes(np.ones((2, 2, 2)), np.eye(4))).header
    for field in ("descrip", "aux_file", "intent_name", "db_name"):
        assert not header[field].tobytes().strip(b"\0"), field


def test_mask_stays_integer_labels():
    mask = np.zeros((4, 4, 4), np.uint8)
    mask[1:3, 1:3, 1:3] = 1
    image = _read(nifti.nifti_bytes(mask, np.eye(4), integer_labels=True))
    assert image.get_data_dtype() == np.uint8
    np.testing.assert_array_equal(np.asarray(image.dataobj), mask)


def test_a_blank_volume_encodes():
    image = _read(nifti.nifti_bytes(np.zeros((3, 3, 3), np.float32), np.eye(4)))
    assert not image.get_fdata().any()


def test_patient_grids_hold_the_crop_and_the_whole_head(patient):
    grids = nifti.patient_grids(patient)
    assert grids["crop"].shape == (16, 16, 16) and grids["full"].shape == (32, 32, 32)
    np.testing.assert_array_equal(grids["crop"].image("t2"), patient.image[2].numpy())
    np.testing.assert_array_equal(grids["full"].affine, patient.full_affine)


def test_patient_read_without_the_whole_head_has_the_crop_only(tmp_path):
    write_fake_outputs(tmp_path, n_patients=3, with_model=False)
    patient = formats.read_patient(tmp_path / paths.PREPROCESSED, "GBM-002", full=False)
    assert list(nifti.patient_grids(patient)) == ["crop"]


def test_resample_to_grid_places_the_crop_in_the_whole_head(patient):
    ones = np.ones(tuple(patient.mask.shape), np.float32)
    placed = nifti.resample_to_grid(ones, patient.affine, patient.full_affine,
                                    tuple(patient.full_mask.shape), order=0)
    assert placed.sum() == 16 ** 3 and placed[8:24, 8:24, 8:24].all()
