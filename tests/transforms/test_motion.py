"""The motion artefact on all channels at once is TorchIO's, from the same draws."""

import numpy as np
import pytest
import torch
import torchio as tio

from pipeline.augment import augmentation
from pipeline.transforms.motion import Motion, RandomMotion
from tests.transforms.subjects import apply_both, make_subject


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("num_transforms", [2, 1])
def test_same_volume_as_torchio_from_the_same_seed(grid, seed, num_transforms):
    subject = make_subject(*grid)
    arguments = dict(degrees=5, translation=5, num_transforms=num_transforms)
    theirs, ours = apply_both(tio.RandomMotion(**arguments), RandomMotion(**arguments),
                              subject, seed)
    assert ours["image"].data.dtype == theirs["image"].data.dtype == torch.float32
    assert ours["image"].data.is_contiguous()
    torch.testing.assert_close(ours["image"].data, theirs["image"].data, rtol=0, atol=2e-5)
    assert (ours["image"].data - subject["image"].data).abs().max() > 0.1
    assert torch.equal(ours["brainstem"].data, subject["brainstem"].data)  # not an intensity


def test_2d_images_run_through_torchio():
    subject = tio.Subject(image=tio.ScalarImage(tensor=torch.rand(2, 16, 12, 1)))
    arguments = dict(degrees={"image": np.array([[0, 0, 4.0]])},
                     translation={"image": np.array([[1.0, 2.0, 0]])},
                     times={"image": np.array([0.5])}, image_interpolation={"image": "linear"})
    theirs, ours = tio.Motion(**arguments)(subject), Motion(**arguments)(subject)
    assert torch.equal(ours["image"].data, theirs["image"].data)


def test_the_augmentation_uses_it():
    transforms = augmentation({"motion": 0.1}).transforms
    assert any(isinstance(transform, RandomMotion) for transform in transforms)
