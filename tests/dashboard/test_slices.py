"""Tests of the slice viewer's drawing on tiny synthetic volumes."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from dashboard import slices
from pipeline import artifacts, paths
from tests.outputs_factory import write_fake_outputs


def test_axial_slice_shows_anterior_on_top_and_right_on_the_right():
    volume = np.zeros((4, 5, 6))
    volume[3, 4, 2] = 1  # rightmost x, most anterior y
    section = slices.take_slice(volume, "axial", 2)
    assert section.shape == (5, 4)
    assert section[0, 3] == 1


@pytest.mark.parametrize("plane, index, expected_shape", [
    ("coronal", 4, (6, 4)), ("sagittal", 3, (6, 5))])
def test_coronal_and_sagittal_slices_show_superior_on_top(plane, index, expected_shape):
    volume = np.zeros((4, 5, 6))
    volume[3, 4, 5] = 1  # most superior voxel
    section = slices.take_slice(volume, plane, index)
    assert section.shape == expected_shape
    assert section[0].any() and not section[1:].any()


def test_outline_keeps_only_the_boundary():
    mask = np.zeros((7, 7), bool)
    mask[1:6, 1:6] = True
    edge = slices.outline(mask)
    assert edge.sum() == 16 and not edge[2:5, 2:5].any()


def test_compose_applies_the_window_and_draws_the_mask_outline():
    section = np.array([[0.2, 0.5], [0.8, 1.0]])
    rgb = slices.compose(section, (0.2, 0.8))
    assert rgb[..., 0].tolist() == [[0, 127], [255, 255]]
    mask = np.array([[True, False], [False, False]])
    assert slices.compose(section, (0.2, 0.8), mask=mask)[0, 0].tolist() == [255, 40, 40]


def test_saliency_tints_only_where_it_is_high():
    section = np.full((1, 2), 0.5)
    rgb = slices.compose(section, (0, 1), saliency=np.array([[0.0, 0.5]]))
    assert rgb[0, 0].tolist() == [127, 127, 127]
    red, green, blue = rgb[0, 1].tolist()
    assert red > green > blue  # orange over grey


def test_panels_travel_as_png_images():
    panel = np.random.default_rng(0).integers(0, 255, (8, 8, 3), dtype=np.uint8)
    figure = slices.panels_figure([panel, panel], ["T1", "FLAIR"])
    source = figure.data[1].source
    decoded = Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))
    assert np.array_equal(np.asarray(decoded), panel)
    assert [annotation.text for annotation in figure.layout.annotations] == ["T1", "FLAIR"]


@pytest.fixture(scope="module")
def patient(tmp_path_factory):
    root = tmp_path_factory.mktemp("volumes")
    write_fake_outputs(root, n_patients=3, with_model=False)
    return artifacts.read_patient(root / paths.PREPROCESSED, "GBM-001")


def test_patient_volumes_place_the_crop_box_on_the_full_grid(patient):
    volumes = slices.patient_volumes(patient)
    crop, full = volumes["crop"], volumes["full"]
    assert crop.shape == (16, 16, 16) and full.shape == (32, 32, 32)
    assert full.box.sum() == 16 ** 3 and full.box[8:24, 8:24, 8:24].all()
    assert not crop.images.flags.writeable


def test_centre_is_the_brainstem_centre(patient):
    full = slices.patient_volumes(patient)["full"]
    assert full.centre("axial") == 16 and full.centre("sagittal") == 16


def test_slice_panels_one_per_sequence(patient):
    crop = slices.patient_volumes(patient)["crop"]
    panels = slices.slice_panels(crop, "coronal", 5, (0.0, 1.0))
    assert len(panels) == 4 and panels[0].shape == (16, 16, 3)


def test_patient_read_without_the_whole_head_has_the_crop_only(tmp_path):
    write_fake_outputs(tmp_path, n_patients=3, with_model=False)
    patient = artifacts.read_patient(tmp_path / paths.PREPROCESSED, "GBM-002", full=False)
    assert list(slices.patient_volumes(patient)) == ["crop"]
