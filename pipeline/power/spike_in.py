"""The generator's infiltration pattern planted in a preprocessed patient, fitted to its own mask.

The phantom defines the pattern over its brainstem core, an ellipsoid in head coordinates
(``pipeline.synth.anatomy.InfiltrationPattern``: strongest at the top, stronger on one side,
patchy). A real patient has a mask instead, so an ellipsoid is fitted to the mask by its
moments: the centre is the mask's centroid, the axes its principal axes, each radius
sqrt(5 x the variance along its axis) (a solid ellipsoid's second moment is r^2 / 5). The
longest axis plays the phantom's vertical one, pointed superior; the axis nearer left-right
plays x. Any anatomy, orientation or mask convention gives a pattern this way. The pattern's
own draws (coverage, tilt, amplitude, patchiness, phases) are the generator's
(``draw_infiltration``), from a seed of the patient's id.

Units are the generator's: at effect e a voxel of the mask is multiplied by
1 + e x gain x strength, with gain ``INFILTRATION_GAIN`` (T2 0.18, FLAIR 0.24, T1 and T1c 0)
and strength about 1 where the pattern is strongest; nothing outside the mask changes.
Where this differs from the phantom: the gain multiplies intensities already rescaled to
[0, 1] between the head's 0.5th and 99.5th percentiles (the lower one is the air around the
head, near 0, so the relative raise stays close to the phantom's), it raises the noise
inside the brainstem with the signal, and it stops at the mask's edge, where the phantom's
partial-volume voxels get part of it.
"""

from __future__ import annotations

import dataclasses
import zlib

import numpy as np
import torch

from pipeline.formats import PreprocessedPatient
from pipeline.synth.anatomy import draw_infiltration
from pipeline.synth.contrasts import INFILTRATION_GAIN
from pipeline.synth.shapes import Ellipsoid

MIN_MASK_VOXELS = 8  # fewer have no shape to fit an ellipsoid to


def patient_seed(seed: int, patient_id: str) -> np.random.SeedSequence:
    """The seed of one patient's pattern: the same at every effect and replicate."""
    return np.random.SeedSequence([seed, zlib.crc32(patient_id.encode())])


def voxel_points(shape: tuple[int, ...], affine: np.ndarray) -> np.ndarray:
    """World coordinates (mm) of every voxel centre, shaped (x, y, z, 3)."""
    index = np.stack(np.meshgrid(*(np.arange(n) for n in shape), indexing="ij"), axis=-1)
    return index @ affine[:3, :3].T + affine[:3, 3]


def mask_frame(mask: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ellipsoid of the mask's moments: centre (mm), axes (rows: the pattern's x, y, z in
    world coordinates), radii (mm).

    Raises:
        ValueError: a mask of fewer than :data:`MIN_MASK_VOXELS` voxels.
    """
    points = voxel_points(mask.shape, affine)[mask.astype(bool)]
    if len(points) < MIN_MASK_VOXELS:
        raise ValueError(f"a brainstem mask of {len(points)} voxels is too small to fit the pattern to")
    centre = points.mean(axis=0)
    variances, vectors = np.linalg.eigh(np.cov(points - centre, rowvar=False))
    vertical = vectors[:, 2] * np.sign(vectors[2, 2] or 1.0)  # the longest axis, pointing superior
    others = vectors[:, :2]
    across = others[:, int(np.argmax(np.abs(others[0])))]  # the one nearer left-right
    across = across * np.sign(across[0] or 1.0)
    axes = np.stack([across, np.cross(vertical, across), vertical])
    order = [int(np.argmax(np.abs(vectors.T @ axis))) for axis in axes]
    voxel = float(np.min(np.linalg.norm(affine[:3, :3], axis=0)))
    radii = np.maximum(np.sqrt(5.0 * np.clip(variances[order], 0.0, None)), voxel)
    return centre, axes, radii


def pattern_strength(mask: np.ndarray, affine: np.ndarray, seed: np.random.SeedSequence) -> np.ndarray:
    """The pattern's relative strength at every voxel of the crop (float32), 0 outside the mask."""
    centre, axes, radii = mask_frame(mask, affine)
    local = (voxel_points(mask.shape, affine) - centre) @ axes.T  # mm along the pattern's axes
    pattern = draw_infiltration(np.random.default_rng(seed),
                                Ellipsoid((0.0, 0.0, 0.0), tuple(float(r) for r in radii)))
    points = tuple(local[..., axis].astype(np.float32) for axis in range(3))
    return (pattern.strength(points) * mask.astype(bool)).astype(np.float32)


def gains(sequences: list[str]) -> np.ndarray:
    """The generator's relative gain of each channel at effect 1 (0 for a sequence it leaves alone)."""
    return np.array([INFILTRATION_GAIN.get(sequence, 0.0) for sequence in sequences], dtype=np.float32)


def planted(patient: PreprocessedPatient, strength: np.ndarray, effect: float) -> PreprocessedPatient:
    """``patient``'s model crop with the pattern planted at ``effect``; nothing else kept.

    ``strength`` is :func:`pattern_strength` of this patient's mask.
    """
    factor = 1.0 + effect * gains(patient.sequences)[:, None, None, None] * strength[None]
    image = patient.image * torch.from_numpy(factor.astype(np.float32))
    return dataclasses.replace(patient, image=image, full_image=None, full_mask=None, full_affine=None)
