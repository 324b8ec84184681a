"""Subjects for comparing the pipeline's transforms with TorchIO's."""

import numpy as np
import torch
import torchio as tio

# (shape, RAS affine): the pipeline's crop with TorchIO's default 1 mm grid, and an
# uneven shape on an anisotropic, shifted grid.
GRIDS = [((32, 32, 32), np.eye(4)),
         ((20, 28, 24), np.array([[2.0, 0, 0, -10], [0, 1.5, 0, 5], [0, 0, 2.5, 3], [0, 0, 0, 1]]))]


def make_subject(shape, affine, seed=1) -> tio.Subject:
    """Four intensity channels with different ranges, and a binary label map."""
    generator = torch.Generator().manual_seed(seed)
    image = torch.rand(4, *shape, generator=generator) * torch.tensor([1, 2, 3, 4])[:, None, None, None]
    mask = (torch.rand(1, *shape, generator=generator) > 0.6).to(torch.float32)
    return tio.Subject(image=tio.ScalarImage(tensor=image, affine=affine),
                       brainstem=tio.LabelMap(tensor=mask, affine=affine))


def apply_both(theirs, ours, subject, seed):
    """Both transforms from the same seed: their outputs and torch's RNG state after each."""
    results = []
    for transform in (theirs, ours):
        torch.manual_seed(seed)
        output = transform(subject)
        results.append((output, torch.random.get_rng_state()))
    (theirs_out, theirs_state), (ours_out, ours_state) = results
    assert torch.equal(theirs_state, ours_state), "the draws differ from TorchIO's"
    return theirs_out, ours_out
