"""Preprocessing: one physical grid for every sequence, and a crop that holds the brainstem."""

import numpy as np
import pytest

from pipeline.config.settings import PreprocessSettings
from pipeline.ingest.cohort import load_patient
from pipeline.preprocessing.chain import brainstem_kept, preprocess
from tests.nifti_factory import BRAINSTEM_CENTRE, MARKER, write_patient

SETTINGS = PreprocessSettings(crop_mm=32, crop_voxels=16, percentiles=(0, 100))


@pytest.fixture(scope="module")
def preprocessed(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    write_patient(root / "P1")
    return preprocess(load_patient(root, "P1", "extensive", None), SETTINGS)[0]


def _world_centroid(volume, affine, threshold):
    index = np.argwhere(np.asarray(volume, dtype=float) > threshold).mean(0)
    return (affine @ [*index, 1])[:3]


def test_a_physical_point_lands_in_the_same_voxel_in_every_sequence(preprocessed):
    # The factory draws a bright marker at MARKER (mm) in each sequence's own grid:
    # thick slices and a flipped, permuted FLAIR must all put it back in the same place.
    for channel, name in enumerate(preprocessed.sequences):
        centre = _world_centroid(preprocessed.full_image[channel].float(), preprocessed.full_affine, 0.5)
        assert np.allclose(centre, MARKER, atol=SETTINGS.spacing_mm), name


def test_grid_is_ras_and_isotropic(preprocessed):
    spacing = np.diag(preprocessed.full_affine)[:3]
    assert np.allclose(spacing, SETTINGS.spacing_mm)
    assert np.allclose(preprocessed.full_affine[:3, :3], np.diag(spacing))


def test_crop_has_the_fixed_size_and_holds_the_whole_brainstem(preprocessed):
    assert tuple(preprocessed.image.shape) == (4, 16, 16, 16)
    assert brainstem_kept(preprocessed) == 1.0
    centre = _world_centroid(preprocessed.mask, preprocessed.affine, 0)
    assert np.allclose(centre, BRAINSTEM_CENTRE, atol=SETTINGS.spacing_mm)


def test_intensities_rescaled_per_sequence(preprocessed):
    for channel in range(4):
        values = preprocessed.full_image[channel].float()
        assert values.min() == pytest.approx(0, abs=1e-3) and values.max() == pytest.approx(1, abs=1e-3)
