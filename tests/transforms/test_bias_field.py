"""The bias field with a kept basis is TorchIO's, bit for bit, from the same random draws."""

import pytest
import torch
import torchio as tio

from pipeline.augment import augmentation
from pipeline.transforms.bias_field import RandomBiasField


def _subject(shape):
    generator = torch.Generator().manual_seed(1)
    image = torch.rand(4, *shape, generator=generator)
    mask = (torch.rand(1, *shape, generator=generator) > 0.7).to(torch.uint8)
    return tio.Subject(image=tio.ScalarImage(tensor=image), brainstem=tio.LabelMap(tensor=mask))


@pytest.mark.parametrize("shape", [(32, 32, 32), (9, 12, 7)])
@pytest.mark.parametrize("order", [3, 1])
def test_same_field_as_torchio_from_the_same_seed(shape, order):
    subject = _subject(shape)
    outputs = []
    for transform in (tio.RandomBiasField(coefficients=0.3, order=order),
                      RandomBiasField(coefficients=0.3, order=order)):
        torch.manual_seed(7)
        outputs.append([transform(subject) for _ in range(3)])
    for theirs, ours in zip(*outputs):
        assert torch.equal(theirs["image"].data, ours["image"].data)
        assert torch.equal(ours["brainstem"].data, subject["brainstem"].data)  # not an intensity
    assert not torch.equal(outputs[1][0]["image"].data, outputs[1][1]["image"].data)


def test_the_augmentation_uses_it():
    transforms = augmentation({"bias_field": 0.2, "noise": 0.3}).transforms
    assert any(isinstance(transform, RandomBiasField) for transform in transforms)
