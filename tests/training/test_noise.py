"""The noise from its own generator is TorchIO's, bit for bit, and seeds no global generator."""

import pytest
import torch
import torchio as tio

from pipeline.training.augmentation import augmentation
from pipeline.training.noise import RandomNoise


def _subject() -> tio.Subject:
    """Four intensity channels and a binary label map, 12 x 10 x 8."""
    generator = torch.Generator().manual_seed(1)
    return tio.Subject(
        image=tio.ScalarImage(tensor=torch.rand(4, 12, 10, 8, generator=generator)),
        brainstem=tio.LabelMap(tensor=(torch.rand(1, 12, 10, 8, generator=generator) > 0.6).float()))


@pytest.mark.parametrize("seed", range(3))
def test_same_noise_as_torchio_from_the_same_seed(seed):
    subject = _subject()
    torch.manual_seed(seed)
    theirs = tio.RandomNoise(std=(0, 0.05))(subject)
    torch.manual_seed(seed)
    ours = RandomNoise(std=(0, 0.05))(subject)
    assert torch.equal(ours["image"].data, theirs["image"].data)
    assert not torch.equal(ours["image"].data, subject["image"].data)
    assert torch.equal(ours["brainstem"].data, subject["brainstem"].data)


def test_torchios_noise_seeds_the_gpus_generator_and_this_one_does_not(monkeypatch):
    # The reason RandomNoise exists: if TorchIO's stops seeding every device, use TorchIO's.
    seeded = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", seeded.append)
    tio.RandomNoise(std=0.1)(_subject())
    assert len(seeded) == 1
    RandomNoise(std=0.1)(_subject())
    assert len(seeded) == 1


def test_the_augmentation_uses_it():
    transforms = augmentation({"noise": 0.3}).transforms
    assert [type(transform) for transform in transforms] == [RandomNoise]
