"""Training-only augmentation: TorchIO's random transforms, each switched by its probability
in params."""

from __future__ import annotations

import torchio as tio

from pipeline.training.noise import RandomNoise

# Ranges are moderate on purpose: the crop is small and the brainstem must stay in view.
# copy=False: pipeline.training.datasets.augmented hands each draw a subject of its own, around a copy
# of the volume, which costs a tenth of what TorchIO's deep copy of the subject did.
TRANSFORMS = {
    "affine": lambda p: tio.RandomAffine(scales=0.1, degrees=10, translation=3,
                                         label_interpolation="nearest", p=p, copy=False),
    "bias_field": lambda p: tio.RandomBiasField(coefficients=0.3, p=p, copy=False),
    "gamma": lambda p: tio.RandomGamma(log_gamma=0.3, p=p, copy=False),
    "motion": lambda p: tio.RandomMotion(degrees=5, translation=5, num_transforms=2, p=p,
                                         copy=False),
    "noise": lambda p: RandomNoise(std=(0, 0.05), p=p, copy=False),
}


def augmentation(probabilities: dict[str, float]) -> tio.Compose | None:
    """The augmentation pipeline for ``probabilities`` (params ``augment``); None if all are 0.

    Order: spatial first, then intensity, noise last so gamma never sees negative values.
    Each transform fires on its own, with its own probability. The brainstem mask goes in
    as a ``tio.LabelMap``: the affine moves it by nearest neighbour, and the intensity
    transforms leave it alone.
    """
    transforms = [build(probabilities[name]) for name, build in TRANSFORMS.items()
                  if probabilities.get(name, 0) > 0]
    return tio.Compose(transforms, copy=False) if transforms else None
