"""The noise from its own generator is TorchIO's, bit for bit, and leaves torch's seed alone."""

import pytest
import torch
import torchio as tio

from pipeline.augment import augmentation
from pipeline.transforms.noise import RandomNoise
from tests.transforms.subjects import apply_both, make_subject


@pytest.mark.parametrize("seed", range(3))
def test_same_noise_as_torchio_from_the_same_seed(grid, seed):
    subject = make_subject(*grid)
    theirs, ours = apply_both(tio.RandomNoise(std=(0, 0.05)), RandomNoise(std=(0, 0.05)),
                              subject, seed)
    assert torch.equal(ours["image"].data, theirs["image"].data)
    assert not torch.equal(ours["image"].data, subject["image"].data)
    assert torch.equal(ours["brainstem"].data, subject["brainstem"].data)


def test_torchs_global_generators_are_not_reseeded(monkeypatch):
    # torch.manual_seed reseeds every backend: a GPU's generator, from the loading thread.
    seeded = []
    monkeypatch.setattr(torch, "manual_seed", lambda seed: seeded.append(seed))
    subject = make_subject((8, 8, 8), torch.eye(4).numpy())
    RandomNoise(std=0.1)(subject)
    assert seeded == []
    tio.RandomNoise(std=0.1)(subject)
    assert len(seeded) == 1  # TorchIO's, for comparison


def test_the_augmentation_uses_it():
    transforms = augmentation({"noise": 0.3}).transforms
    assert any(isinstance(transform, RandomNoise) for transform in transforms)
