"""TorchIO's random Gaussian noise, drawn from a generator of its own.

``tio.RandomNoise`` draws its noise under ``torch.manual_seed``, which seeds the generator
of every device: a GPU's too, from the loading thread, and leaves it so (only the CPU's
state is restored after). Where CUDA has not started, the GPU's seeding is queued with a
copy of the Python stack, which took most of the transform's time on the CPU. Here the
draws are TorchIO's own (``get_params``: mean, standard deviation, seed) and the noise
comes from a CPU generator given that seed: the same numbers, and nothing global touched.
"""

from __future__ import annotations

import torch
import torchio as tio


class RandomNoise(tio.RandomNoise):
    """``tio.RandomNoise`` (same arguments, same draws, same noise) on a generator of its own."""

    def apply_transform(self, subject: tio.Subject) -> tio.Subject:
        for image in self.get_images_dict(subject).values():
            mean, std, seed = self.get_params(self.mean_range, self.std_range)
            noise = torch.randn(image.data.shape, generator=torch.Generator().manual_seed(seed))
            image.set_data(image.data + (noise * std + mean))
        return subject
