"""TorchIO's random MRI motion artefact, every channel of an image processed at once.

``tio.Motion`` builds, per channel, a SimpleITK image, the same rigid transforms, one
resampling filter per transform and one 3D Fourier transform per resampled copy. Here the
draw and the transforms are TorchIO's (``get_params``, ``get_rigid_transforms``), built
once per image; each transform resamples all channels in one torch call
(:func:`pipeline.transforms.resample.resample`) and the k-space is assembled for all
channels at once, from the same bands TorchIO takes.
"""

from __future__ import annotations

import numpy as np
import torch
import torchio as tio
from torchio.data.io import nib_to_sitk

from pipeline.transforms import per_image
from pipeline.transforms.resample import resample, supported


class Motion(tio.Motion):
    """``tio.Motion`` (same arguments) on all channels of an image at once.

    TorchIO's own code runs where the resampling does not apply (2D images, an
    interpolation other than linear or nearest).
    """

    def apply_transform(self, subject: tio.Subject) -> tio.Subject:
        images = self.get_images_dict(subject)
        if not all(supported([self.get_parameter(self.image_interpolation, name)],
                             image.spatial_shape) for name, image in images.items()):
            return super().apply_transform(subject)
        for name, image in images.items():
            image.set_data(self._with_artefact(name, image))
        return subject

    def _with_artefact(self, name: str, image: tio.Image) -> torch.Tensor:
        data = image.data.to(torch.float32)
        reference = nib_to_sitk(data[:1], image.affine, force_3d=True)
        transforms = self.get_rigid_transforms(self.get_parameter(self.degrees, name),
                                               self.get_parameter(self.translation, name),
                                               reference)
        interpolation = self.get_parameter(self.image_interpolation, name)
        minimum = data.flatten(1).amin(dim=1)
        copies = [data] + [resample(data, transform, image.affine, interpolation, minimum)
                           for transform in transforms[1:]]  # the first is the identity
        # The poses' k-spaces are spliced in bands of the last axis only, so the Fourier
        # transforms along the other axes (TorchIO's fftn and ifftn) cancel: transforming
        # and shifting along the last axis alone gives the same image, to float rounding.
        spectra = [torch.fft.fftshift(torch.fft.fft(copy, dim=-1), dim=-1) for copy in copies]
        times = self.get_parameter(self.times, name)
        self.sort_spectra(spectra, times)
        # Each pose fills the band of the last axis acquired while the head was in it.
        edges = [int(value) for value in (data.shape[-1] * times).astype(int).tolist()]
        combined = torch.empty_like(spectra[0])
        for spectrum, start, stop in zip(spectra, [0, *edges], [*edges, data.shape[-1]],
                                         strict=True):
            combined[..., start:stop] = spectrum[..., start:stop]
        inverse = torch.fft.ifft(torch.fft.ifftshift(combined, dim=-1), dim=-1)
        return inverse.real.contiguous()  # float32: the copies are float32, so complex64


class RandomMotion(tio.RandomMotion):
    """``tio.RandomMotion`` (same arguments, same draws) applying :class:`Motion`."""

    def apply_transform(self, subject: tio.Subject) -> tio.Subject:
        images = self.get_images_dict(subject)
        if not images:
            return subject
        drawn = {name: self.get_params(self.degrees_range, self.translation_range,
                                       self.num_transforms, is_2d=image.is_2d())
                 for name, image in images.items()}
        times, degrees, translation = per_image(drawn)
        return Motion(times=times, degrees=degrees, translation=translation,
                      image_interpolation=dict.fromkeys(drawn, self.image_interpolation),
                      **self._get_base_args())(subject)
