"""The augmentation: TorchIO's own transforms with the probabilities of params."""

import torchio as tio

from pipeline.training.augmentation import augmentation
from pipeline.training.noise import RandomNoise


def test_each_transform_is_torchios_with_its_probability_in_order():
    probabilities = {"affine": 0.5, "noise": 0.1, "gamma": 0.2, "motion": 0.3, "bias_field": 0.4}
    transforms = augmentation(probabilities).transforms
    assert [type(transform) for transform in transforms] == [
        tio.RandomAffine, tio.RandomBiasField, tio.RandomGamma, tio.RandomMotion, RandomNoise]
    assert [transform.probability for transform in transforms] == [0.5, 0.4, 0.2, 0.3, 0.1]


def test_the_affine_moves_label_maps_by_nearest_neighbour():
    [affine] = augmentation({"affine": 1.0}).transforms
    assert affine.label_interpolation == "nearest" and affine.image_interpolation == "linear"


def test_a_probability_of_zero_leaves_the_transform_out():
    assert len(augmentation({"affine": 0.5, "noise": 0}).transforms) == 1
    assert augmentation({"affine": 0, "noise": 0}) is None
