"""Loads one NIfTI file and checks it is a usable 3D image (or brainstem mask)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np

from pipeline.ingest.exclusion import Exclusion


@dataclass
class Volume:
    """A loaded 3D image: float32 voxels and the voxel-to-world (RAS mm) affine."""

    data: np.ndarray
    affine: np.ndarray
    source: Path


def load_volume(path: Path, name: str) -> Volume:
    """Reads ``path`` fully (so truncated files fail here) and checks its geometry.

    Raises:
        Exclusion: ``unreadable:<name>`` or ``invalid:<name>`` with the reason.
    """
    if path.stat().st_size == 0:
        raise Exclusion(f"unreadable:{name}", f"{path} is empty (0 bytes)")
    try:
        image = nib.load(path)
        data = np.asarray(image.get_fdata(dtype=np.float32))
    except Exception as error:  # nibabel raises many types for corrupt files
        raise Exclusion(f"unreadable:{name}", f"{path}: {type(error).__name__}: {error}") from None
    data = _as_3d(data, path, name)
    _check_affine(image.affine, path, name)
    return Volume(data=data, affine=np.asarray(image.affine, dtype=np.float64), source=path)


def _as_3d(data: np.ndarray, path: Path, name: str) -> np.ndarray:
    """Drops trailing singleton dimensions; anything else than 3D is refused."""
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise Exclusion(f"invalid:{name}", f"{path} is {data.ndim}D with shape {data.shape}; "
                        "a 3D volume is needed")
    if min(data.shape) < 2:
        raise Exclusion(f"invalid:{name}", f"{path} has shape {data.shape}: a single slice, not a volume")
    return data


def _check_affine(affine: np.ndarray, path: Path, name: str) -> None:
    affine = np.asarray(affine, dtype=np.float64)
    if not np.all(np.isfinite(affine)):
        raise Exclusion(f"invalid:{name}", f"{path}: the header's affine has non-finite values")
    spacing = np.linalg.norm(affine[:3, :3], axis=0)
    if np.any(spacing < 1e-3) or abs(np.linalg.det(affine[:3, :3])) < 1e-9:
        raise Exclusion(f"invalid:{name}", f"{path}: zero voxel size in the header "
                        f"(spacing {np.round(spacing, 4).tolist()} mm)")


def check_image(volume: Volume, name: str) -> None:
    """An MRI sequence must be finite and not constant."""
    if not np.all(np.isfinite(volume.data)):
        bad = int(np.size(volume.data) - np.isfinite(volume.data).sum())
        raise Exclusion(f"invalid:{name}", f"{volume.source}: {bad} voxels are NaN or infinite")
    if float(volume.data.max()) == float(volume.data.min()):
        raise Exclusion(f"invalid:{name}", f"{volume.source}: every voxel has the same value "
                        f"({float(volume.data.min()):g})")


def brainstem_mask(volume: Volume, label: int | None) -> Volume:
    """The binary brainstem mask of a segmentation (non-zero, or == ``label``)."""
    if not np.all(np.isfinite(volume.data)):
        raise Exclusion("invalid:seg", f"{volume.source}: the segmentation has NaN or infinite values")
    mask = volume.data != 0 if label is None else np.isclose(volume.data, label)
    if not mask.any():
        which = "non-zero" if label is None else f"with label {label}"
        values = np.unique(volume.data)[:8].tolist()
        raise Exclusion("invalid:seg", f"{volume.source}: empty brainstem mask (no voxel {which}; "
                        f"values found: {values})")
    return Volume(data=mask.astype(np.uint8), affine=volume.affine, source=volume.source)


def coverage(mask: Volume, image: Volume, max_points: int = 4000) -> float:
    """The share of brainstem voxels whose world position lies inside ``image``'s field of view."""
    index = np.argwhere(mask.data > 0)
    if len(index) > max_points:  # an even subsample is plenty for a fraction
        index = index[:: len(index) // max_points + 1]
    world = mask.affine @ np.c_[index, np.ones(len(index))].T
    voxel = np.linalg.inv(image.affine) @ world
    shape = np.array(image.data.shape)[:, None]
    inside = np.all((voxel[:3] >= -0.5) & (voxel[:3] <= shape - 0.5), axis=0)
    return float(inside.mean())
