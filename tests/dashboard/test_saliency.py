"""Tests of the Grad-CAM target layer choice and map shape."""

import pytest
import torch

from dashboard import saliency
from pipeline.training.network import build_network


@pytest.fixture(scope="module")
def network():
    torch.manual_seed(0)
    return build_network(4).eval()


@pytest.mark.parametrize("side, layer, shape", [
    (32, "features.denseblock2", (4, 4, 4)), (64, "features.denseblock3", (4, 4, 4))])
def test_target_layer_keeps_four_voxels_per_side(network, side, layer, shape):
    assert saliency.target_layer(network, torch.rand(4, side, side, side)) == (layer, shape)


@pytest.mark.slow
def test_grad_cam_map_lies_on_the_crop_grid(network):
    class Patient:  # the one method grad_cam uses of PreprocessedPatient
        def model_input(self):
            return torch.rand(4, 32, 32, 32)

    cam = saliency.grad_cam(network, {}, Patient())
    assert cam.volume.shape == (32, 32, 32)
    assert 0.0 <= cam.volume.min() and cam.volume.max() <= 1.0
