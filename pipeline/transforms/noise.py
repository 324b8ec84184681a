"""TorchIO's random Gaussian noise, drawn from its own generator.

``tio.Noise`` reseeds torch's global generator for every draw and restores its CPU state
after. ``torch.manual_seed`` reseeds every accelerator backend too: a GPU's generator, from
the loading thread, left reseeded (its state is not restored); where CUDA has not started,
a queued reseed with a copy of the Python stack, which took most of the transform's time
on CPU. A fresh CPU generator given the same seed draws the same numbers, bit for bit,
and touches nothing global.
"""

from __future__ import annotations

import torch
import torchio as tio

from pipeline.transforms import per_image


class Noise(tio.Noise):
    """``tio.Noise`` (same arguments, same noise) from a generator of its own."""

    def apply_transform(self, subject: tio.Subject) -> tio.Subject:
        for name, image in self.get_images_dict(subject).items():
            generator = torch.Generator().manual_seed(self.get_parameter(self.seed, name))
            noise = torch.randn(*image.data.shape, generator=generator)
            noise = noise * self.get_parameter(self.noise_std, name) + \
                self.get_parameter(self.noise_mean, name)
            if self.invert_transform:
                noise *= -1
            image.set_data(image.data + noise)
        return subject


class RandomNoise(tio.RandomNoise):
    """``tio.RandomNoise`` (same arguments, same draws) applying :class:`Noise`."""

    def apply_transform(self, subject: tio.Subject) -> tio.Subject:
        images = self.get_images_dict(subject)
        if not images:
            return subject
        mean, std, seed = per_image({name: self.get_params(self.mean_range, self.std_range)
                                     for name in images})
        return Noise(mean=mean, std=std, seed=seed, **self._get_base_args())(subject)
