"""The affine resampled by torch is TorchIO's, from the same draws, to float rounding."""

import numpy as np
import pytest
import torch
import torchio as tio

from pipeline.augment import augmentation
from pipeline.transforms.affine import Affine, RandomAffine
from tests.transforms.subjects import apply_both, make_subject


@pytest.mark.parametrize("seed", range(4))
def test_same_volume_as_torchio_from_the_same_seed(grid, seed):
    subject = make_subject(*grid)
    arguments = dict(scales=0.1, degrees=10, translation=3)
    theirs, ours = apply_both(tio.RandomAffine(**arguments), RandomAffine(**arguments),
                              subject, seed)
    assert ours["image"].data.dtype == theirs["image"].data.dtype == torch.float32
    torch.testing.assert_close(ours["image"].data, theirs["image"].data, rtol=0, atol=2e-5)
    # Nearest-neighbour labels: a point exactly between two voxels may round either way.
    differing = (ours["brainstem"].data != theirs["brainstem"].data).float().mean().item()
    assert differing < 1e-3
    assert set(ours["brainstem"].data.unique().tolist()) <= {0.0, 1.0}
    assert not torch.equal(ours["image"].data, subject["image"].data)


def test_points_moved_outside_take_each_channels_minimum_like_torchio(grid):
    subject = make_subject(*grid)
    # A large shift: a third of the volume comes from outside it.
    arguments = dict(scales=(1, 1), degrees=(5, 5), translation=(12, 12))
    theirs, ours = apply_both(tio.RandomAffine(**arguments), RandomAffine(**arguments),
                              subject, seed=0)
    torch.testing.assert_close(ours["image"].data, theirs["image"].data, rtol=0, atol=2e-5)
    for channel, source in zip(ours["image"].data, subject["image"].data):
        padded = (channel == source.min()).float().mean().item()
        assert padded > 0.1
    # The label map is padded with 0 (default_pad_label), as TorchIO pads it.
    differing = (ours["brainstem"].data != theirs["brainstem"].data).float().mean().item()
    assert differing < 1e-3


def test_identity_returns_the_volume():
    subject = make_subject((12, 10, 8), np.eye(4))
    same = Affine(scales=(1, 1, 1), degrees=(0, 0, 0), translation=(0, 0, 0))(subject)
    torch.testing.assert_close(same["image"].data, subject["image"].data, rtol=0, atol=1e-5)
    assert torch.equal(same["brainstem"].data, subject["brainstem"].data)


@pytest.mark.parametrize("arguments", [dict(default_pad_value="otsu"),
                                       dict(image_interpolation="bspline")])
def test_what_torch_cannot_do_runs_through_torchio(arguments):
    subject = make_subject((12, 10, 8), np.eye(4))
    common = dict(scales=(1.1, 0.9, 1), degrees=(4, -3, 2), translation=(1, 0, -1), **arguments)
    theirs, ours = tio.Affine(**common)(subject), Affine(**common)(subject)
    assert torch.equal(ours["image"].data, theirs["image"].data)


def test_the_augmentation_uses_it():
    transforms = augmentation({"affine": 0.5}).transforms
    assert any(isinstance(transform, RandomAffine) for transform in transforms)
