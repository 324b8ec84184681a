"""Tiny preprocessed patients with an ellipsoid brainstem, for the spike-in tests."""

from __future__ import annotations

import numpy as np
import torch

from pipeline.formats import PreprocessedPatient

SEQUENCES = ["t1", "t1c", "t2", "flair"]
SHAPE = (16, 16, 24)
AFFINE = np.diag([2.0, 2.0, 2.0, 1.0])


def ellipsoid_mask(radii=(5.0, 4.0, 14.0), shape=SHAPE, affine=AFFINE, tilt_deg: float = 0.0) -> np.ndarray:
    """A solid ellipsoid at the crop's centre, its long axis tilted by ``tilt_deg`` about x."""
    index = np.stack(np.meshgrid(*(np.arange(n) for n in shape), indexing="ij"), -1)
    world = index @ affine[:3, :3].T + affine[:3, 3]
    centre = world.reshape(-1, 3).mean(axis=0)
    angle = np.radians(tilt_deg)
    rotation = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    local = (world - centre) @ rotation  # coordinates along the tilted axes
    return (np.sum((local / np.array(radii)) ** 2, -1) < 1).astype(np.uint8)


def patient(patient_id: str, seed: int = 0, mask: np.ndarray | None = None) -> PreprocessedPatient:
    """Random intensities in [0.2, 0.8], four sequences, an ellipsoid mask; no whole head."""
    mask = ellipsoid_mask() if mask is None else mask
    image = np.random.default_rng(seed).uniform(0.2, 0.8, (len(SEQUENCES), *mask.shape)).astype(np.float32)
    return PreprocessedPatient(patient_id, torch.from_numpy(image), torch.from_numpy(mask), AFFINE,
                               None, None, None, list(SEQUENCES))
