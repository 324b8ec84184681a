"""A SimpleITK transform applied to every channel of a TorchIO image in one torch call.

TorchIO resamples one channel at a time through SimpleITK's ``ResampleImageFilter``.
Here the transform is read back as one voxel-to-voxel matrix and all channels are sampled
at once by ``torch.nn.functional.grid_sample``, following SimpleITK's rules: the transform
maps output points to input points; a point up to half a voxel outside the volume takes
the nearest edge value; beyond that it takes the pad value.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

# TorchIO's interpolation names -> grid_sample's modes (trilinear is "bilinear" there).
MODES = {"linear": "bilinear", "nearest": "nearest"}
# nibabel's affines are RAS; SimpleITK's points are LPS.
_RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])


def voxel_matrix(transform, affine: np.ndarray) -> np.ndarray:
    """``transform`` (SimpleITK, output to input points, LPS) as a 4x4 voxel-index map.

    ``affine``: the image's RAS voxel-to-world matrix (TorchIO's ``image.affine``). The
    transform must be affine; TorchIO's scalings, rotations and their composites are.
    """
    to_lps = _RAS_TO_LPS @ np.asarray(affine, dtype=np.float64)
    origin = np.asarray(transform.TransformPoint((0.0, 0.0, 0.0)))
    columns = [np.asarray(transform.TransformPoint(tuple(axis))) - origin for axis in np.eye(3)]
    world = np.eye(4)
    world[:3, :3] = np.stack(columns, axis=1)
    world[:3, 3] = origin
    return np.linalg.inv(to_lps) @ world @ to_lps


def sampling_grid(matrix: np.ndarray, shape: tuple[int, int, int]) -> torch.Tensor:
    """``grid_sample``'s grid (1, I, J, K, 3) sampling input index ``matrix @ output index``.

    ``grid_sample`` reads its last axis as (x, y, z) = (K, J, I), normalised to [-1, 1]
    with ``align_corners=True``: index 0 at -1, index n - 1 at +1. Every side must be > 1.
    """
    half_sides = (np.asarray(shape, dtype=np.float64) - 1) / 2
    to_index = np.diag(np.append(half_sides, 1.0))  # normalised (i, j, k) -> index
    to_index[:3, 3] = half_sides
    reverse = np.eye(4)[[2, 1, 0, 3]]  # (i, j, k) <-> (k, j, i)
    theta = reverse @ np.linalg.inv(to_index) @ matrix @ to_index @ reverse
    return F.affine_grid(torch.as_tensor(theta[:3], dtype=torch.float32)[None],
                         [1, 1, *shape], align_corners=True)


def inside(matrix: np.ndarray, shape: tuple[int, int, int]) -> torch.Tensor:
    """(I, J, K) booleans: the output voxels SimpleITK samples rather than pads.

    SimpleITK's buffer reaches from index -0.5 to n - 0.5, half a voxel past the centres of
    the outer voxels. Decided in float64 from ``matrix``, as SimpleITK decides it in double,
    not from the float32 grid: a point within rounding of that edge falls the same way.
    """
    axes = [torch.arange(n, dtype=torch.float64) for n in shape]
    result = torch.ones(shape, dtype=torch.bool)
    for row, size in zip(matrix[:3], shape):
        index = ((axes[0] * row[0] + row[3])[:, None, None] + (axes[1] * row[1])[None, :, None]
                 + (axes[2] * row[2])[None, None, :])
        result &= (index >= -0.5) & (index < size - 0.5)
    return result


def resample(data: torch.Tensor, transform, affine: np.ndarray, interpolation: str,
              pad: torch.Tensor) -> torch.Tensor:
    """``data`` (C, I, J, K) resampled through ``transform``, as float32.

    ``interpolation``: a key of :data:`MODES`; ``pad``: (C,) values for points outside.
    """
    shape = tuple(data.shape[1:])
    matrix = voxel_matrix(transform, affine)
    sampled = F.grid_sample(data.to(torch.float32)[None], sampling_grid(matrix, shape),
                            mode=MODES[interpolation], padding_mode="border",
                            align_corners=True)[0]
    return torch.where(inside(matrix, shape), sampled, pad.to(torch.float32)[:, None, None, None])


def supported(interpolations, shape) -> bool:
    """Whether :func:`resample` can stand in for SimpleITK: linear or nearest, 3D, sides > 1."""
    return set(interpolations) <= MODES.keys() and len(shape) == 3 and min(shape) > 1
