"""TorchIO's random affine, every channel of an image resampled in one torch call.

``tio.RandomAffine`` resamples each channel through its own SimpleITK image and filter;
at the pipeline's crops the copies and set-up around those filters cost as much as the
resampling, and the affine was half of the augmentation's time. Here the draw and the
transform are TorchIO's own (``get_params``, ``get_affine_transform``); only the
resampling is :func:`pipeline.transforms.resample.resample`.
"""

from __future__ import annotations

import torch
import torchio as tio
from torchio.constants import INTENSITY, TYPE

from pipeline.transforms.resample import resample, supported


class Affine(tio.Affine):
    """``tio.Affine`` (same arguments) resampling all channels of an image at once.

    TorchIO's own resampling runs where this one does not apply: a 2D image, a pad value
    taken from the border ('mean', 'otsu'), an interpolation other than linear or nearest.
    """

    def apply_transform(self, subject: tio.Subject) -> tio.Subject:
        images = list(self.get_images(subject))
        if self.default_pad_value in ("mean", "otsu") or not all(
                supported([self.image_interpolation, self.label_interpolation],
                          image.spatial_shape) for image in images):
            return super().apply_transform(subject)
        if self.check_shape:
            subject.check_consistent_spatial_shape()
        for image in images:
            image.set_data(self._resampled(image))
        return subject

    def _resampled(self, image: tio.Image) -> torch.Tensor:
        data = image.data
        if image[TYPE] != INTENSITY:
            interpolation, pad = self.label_interpolation, torch.full((len(data),),
                                                                      self.default_pad_label)
        elif self.default_pad_value == "minimum":
            interpolation, pad = self.image_interpolation, data.flatten(1).amin(dim=1)
        else:
            interpolation, pad = self.image_interpolation, torch.full(
                (len(data),), float(self.default_pad_value))
        return resample(data, self.get_affine_transform(image), image.affine, interpolation, pad)


class RandomAffine(tio.RandomAffine):
    """``tio.RandomAffine`` (same arguments, same draws) applying :class:`Affine`."""

    def apply_transform(self, subject: tio.Subject) -> tio.Subject:
        scales, degrees, translation = (
            tuple(float(value) for value in params.tolist())
            for params in self.get_params(self.scales, self.degrees, self.translation,
                                          self.isotropic))
        return Affine(scales=scales, degrees=degrees, translation=translation,
                      center=self.center, default_pad_value=self.default_pad_value,
                      default_pad_label=self.default_pad_label,
                      image_interpolation=self.image_interpolation,
                      label_interpolation=self.label_interpolation,
                      check_shape=self.check_shape, **self._get_base_args())(subject)
