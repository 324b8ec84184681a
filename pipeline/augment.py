"""Training-only TorchIO augmentation, each transform switched by its probability in params."""

from __future__ import annotations

import torchio as tio

from pipeline.bias_field import RandomBiasField

# Ranges are moderate on purpose: the crop is small and the brainstem must stay in view.
_TRANSFORMS = {
    "affine": lambda p: tio.RandomAffine(scales=0.1, degrees=10, translation=3, p=p),
    "bias_field": lambda p: RandomBiasField(coefficients=0.3, p=p),
    "gamma": lambda p: tio.RandomGamma(log_gamma=0.3, p=p),
    "motion": lambda p: tio.RandomMotion(degrees=5, translation=5, num_transforms=2, p=p),
    "noise": lambda p: tio.RandomNoise(std=(0, 0.05), p=p),
}


def augmentation(probabilities: dict[str, float]) -> tio.Compose | None:
    """The augmentation pipeline for ``probabilities`` (params ``augment``); None if all are 0.

    Order: spatial first, then intensity, noise last so gamma never sees negative values.
    """
    transforms = [build(probabilities[name]) for name, build in _TRANSFORMS.items()
                  if probabilities.get(name, 0) > 0]
    if not transforms:
        return None
    for transform in transforms:
        transform.copy = False  # the Compose copies the volume once; each step works on that copy
    return tio.Compose(transforms)
