"""Sampling the phantom on a voxel grid: clean sequence images and the brainstem mask.

The phantom is evaluated at each voxel centre (and at points across thick slices, then
averaged) of the grid itself, so every sequence keeps its own grid without resampling.
Each layer is only evaluated in the block of voxels around its bounding sphere.
"""

from __future__ import annotations

import numpy as np

from pipeline.synth.anatomy import Anatomy
from pipeline.synth.scanner import Grid, Pose
from pipeline.synth.shapes import Points, Shape, membership

Block = tuple[slice, slice, slice]


class Sampler:
    """Head coordinates of a grid's sample points, block by block, for one head pose."""

    def __init__(self, grid: Grid, pose: Pose):
        self.grid = grid
        # head = R^T (affine @ index - t): an affine map from voxel indices to head coordinates.
        self.matrix = _product(pose.rotation.T, grid.affine[:3, :3]).astype(np.float32)
        offset = _product(pose.rotation.T, (grid.affine[:3, 3] - pose.translation)[:, None])
        self.offset = offset[:, 0].astype(np.float32)
        self.world_to_index = np.linalg.inv(grid.affine)
        self.pose = pose
        n = grid.subsamples
        self.slice_offsets = ((np.arange(n, dtype=np.float32) + 0.5) / n - 0.5).astype(np.float32)

    @property
    def sample_shape(self) -> tuple[int, int, int, int]:
        return (*self.grid.shape, self.grid.subsamples)

    def block(self, centre: tuple[float, float, float], radius_mm: float) -> Block | None:
        """The voxel index block containing a sphere in head coordinates (None if outside)."""
        world = self.pose.rotation @ np.array(centre) + self.pose.translation
        index = self.world_to_index[:3, :3] @ world + self.world_to_index[:3, 3]
        reach = radius_mm * np.linalg.norm(self.world_to_index[:3, :3], axis=1)
        low = np.maximum(np.floor(index - reach).astype(int) - 1, 0)
        high = np.minimum(np.ceil(index + reach).astype(int) + 2, self.grid.shape)
        if np.any(high <= low):
            return None
        return tuple(slice(int(a), int(b)) for a, b in zip(low, high))

    def points(self, block: Block) -> Points:
        """Head coordinates of the sample points in ``block``, shaped (i, j, k, subsample)."""
        i, j, k = (np.arange(s.start, s.stop, dtype=np.float32) for s in block)
        i, j = i[:, None, None, None], j[None, :, None, None]
        k = k[None, None, :, None] + self.slice_offsets[None, None, None, :]
        m, b = self.matrix, self.offset
        return tuple(m[row, 0] * i + m[row, 1] * j + m[row, 2] * k + b[row] for row in range(3))


def render_clean(anatomy: Anatomy, intensities: dict[str, float], infiltration_gain: float,
                 grid: Grid, pose: Pose, edge_mm: float) -> np.ndarray:
    """The noise-free image: layers painted in order, brainstem raised by the infiltration.

    ``infiltration_gain`` is the relative increase at full pattern strength (0: none).
    """
    sampler = Sampler(grid, pose)
    samples = np.zeros(sampler.sample_shape, dtype=np.float32)
    for layer in anatomy.layers:
        block = _block(sampler, layer.shape, edge_mm)
        if block is None:
            continue
        points = sampler.points(block)
        target = np.float32(intensities[layer.tissue])
        if layer.tissue == "brainstem" and infiltration_gain != 0.0:
            target = target * (1.0 + np.float32(infiltration_gain) * anatomy.infiltration.strength(points))
        painted = samples[block]
        painted += membership(layer.shape.signed_distance(points), edge_mm) * (target - painted)
    return _average_subsamples(samples)


def render_mask(shape: Shape, grid: Grid, pose: Pose, edge_mm: float) -> np.ndarray:
    """A uint8 label map: 1 where at least half of a voxel lies inside ``shape``."""
    sampler = Sampler(grid, pose)
    mask = np.zeros(grid.shape, dtype=np.uint8)
    block = _block(sampler, shape, edge_mm)
    if block is not None:
        fraction = _average_subsamples(membership(shape.signed_distance(sampler.points(block)), edge_mm))
        mask[block] = fraction >= 0.5
    return mask


def _product(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Matrix product summed in a fixed order (``@`` may use BLAS, whose rounding varies by CPU)."""
    return (left[:, :, None] * right[None, :, :]).sum(axis=1)


def _average_subsamples(samples: np.ndarray) -> np.ndarray:
    # Summed in a fixed order rather than with np.mean, whose SIMD reduction order may vary.
    total = samples[..., 0].copy()
    for index in range(1, samples.shape[-1]):
        total += samples[..., index]
    return total / np.float32(samples.shape[-1])


def _block(sampler: Sampler, shape: Shape, edge_mm: float) -> Block | None:
    # A margin beyond the bounding sphere: approximate distances reach past the surface.
    return sampler.block(shape.centre, shape.bounding_radius + 2.0 * edge_mm)
