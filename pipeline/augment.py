"""Training-only TorchIO augmentation, each transform switched by its probability in params."""

from __future__ import annotations

import torchio as tio

from pipeline.transforms.affine import RandomAffine
from pipeline.transforms.bias_field import RandomBiasField
from pipeline.transforms.motion import RandomMotion
from pipeline.transforms.noise import RandomNoise

# Ranges are moderate on purpose: the crop is small and the brainstem must stay in view.
_TRANSFORMS = {
    "affine": lambda p: RandomAffine(scales=0.1, degrees=10, translation=3, p=p),
    "bias_field": lambda p: RandomBiasField(coefficients=0.3, p=p),
    "gamma": lambda p: tio.RandomGamma(log_gamma=0.3, p=p),
    "motion": lambda p: RandomMotion(degrees=5, translation=5, num_transforms=2, p=p),
    "noise": lambda p: RandomNoise(std=(0, 0.05), p=p),
}


def augmentation(probabilities: dict[str, float]) -> tio.Compose | None:
    """The augmentation pipeline for ``probabilities`` (params ``augment``); None if all are 0.

    Order: spatial first, then intensity, noise last so gamma never sees negative values.
    It changes the subject it is given, which must be the caller's own:
    :func:`pipeline.data.augmented` builds one per draw around a copy of the volume, which
    costs a tenth of what TorchIO's deep copy of the subject did.
    """
    transforms = [build(probabilities[name]) for name, build in _TRANSFORMS.items()
                  if probabilities.get(name, 0) > 0]
    if not transforms:
        return None
    for transform in transforms:
        transform.copy = False
    return tio.Compose(transforms, copy=False)
