"""Loads one NIfTI (or MGH) file and checks it is a usable 3D image (or brainstem mask)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np

from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.header import trusted_affine

# Interpolation, smoothing and percentile ranges add and subtract a few hundred voxels in
# float32 (max 3.4e38); below this bound none of that can overflow to infinity.
MAX_ABS_VALUE = 1e35
SIGNAL_PERCENTILES = (0.5, 99.5)  # equal percentiles: at least 99% of voxels share one value
PERCENTILE_SAMPLE = 1_000_000  # voxels enough to estimate a percentile
MIN_MASK_MM3 = 100.0  # an adult brainstem is about 25,000 mm^3; less is not a brainstem mask


@dataclass
class Volume:
    """A loaded 3D image: float32 voxels and the voxel-to-world (RAS mm) affine."""

    data: np.ndarray
    affine: np.ndarray
    source: Path


def load_volume(path: Path, name: str, shown_as: Path | None = None) -> Volume:
    """Reads ``path`` fully (so truncated files fail here) and checks its header and values.

    ``shown_as`` is what the user gave when ``path`` was made from it (a DICOM series'
    folder, for its converted NIfTI): reasons and the volume's ``source`` name it instead.

    Raises:
        Exclusion: ``unreadable:<name>`` or ``invalid:<name>`` with the reason.
    """
    if shown_as is None:
        return _load_volume(path, name)
    try:
        volume = _load_volume(path, name)
    except Exclusion as exclusion:
        raise Exclusion(exclusion.code, exclusion.detail.replace(str(path), str(shown_as))) from None
    return Volume(data=volume.data, affine=volume.affine, source=shown_as)


def _load_volume(path: Path, name: str) -> Volume:
    image = _open(path, name)
    _check_shape(image.shape, path, name)
    affine = trusted_affine(image, path, name)
    _check_dtype(image.get_data_dtype(), path, name)
    try:  # float64 so that a huge scl_slope cannot overflow before the range check
        data = image.get_fdata(dtype=np.float64, caching="unchanged")
    except Exception as error:  # nibabel raises many types for corrupt files
        raise Exclusion(f"unreadable:{name}", f"{path}: {type(error).__name__}: {error}") from None
    data = data.reshape(data.shape[:3])  # drops the trailing singleton dimensions
    return Volume(data=_as_float32(data, path, name), affine=affine, source=path)


def _open(path: Path, name: str) -> nib.Nifti1Image | nib.MGHImage:
    """The image object with its header (voxels are read later): NIfTI, or MGH for the label
    maps of FreeSurfer, FastSurfer and SynthSeg (which file may be MGH is the naming rules')."""
    if path.is_file() and path.stat().st_size == 0:
        raise Exclusion(f"unreadable:{name}", f"{path} is empty (0 bytes)")
    try:
        with _quiet_nibabel():
            image = nib.load(path)
    except Exception as error:
        raise Exclusion(f"unreadable:{name}", f"{path}: {type(error).__name__}: {error}") from None
    if not isinstance(image, (nib.Nifti1Image, nib.MGHImage)):  # Nifti2Image is a subclass
        raise Exclusion(f"unreadable:{name}", f"{path} is a {type(image).__name__}, not NIfTI "
                        "or MGH")
    return image


@contextlib.contextmanager
def _quiet_nibabel() -> Iterator[None]:
    """Silences nibabel's header fix-up log lines, which name no file; our reasons do."""
    logger = logging.getLogger("nibabel.global")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _check_shape(shape: tuple, path: Path, name: str) -> None:
    """3D, or 4D+ with trailing singleton dimensions; at least two voxels along each axis."""
    if len(shape) < 3 or any(size != 1 for size in shape[3:]):
        raise Exclusion(f"invalid:{name}", f"{path} is {len(shape)}D with shape {tuple(shape)}; "
                        "a 3D volume is needed")
    if min(shape[:3]) < 2:
        raise Exclusion(f"invalid:{name}", f"{path} has shape {tuple(shape)}: a single slice, "
                        "not a volume")


def _check_dtype(dtype: np.dtype, path: Path, name: str) -> None:
    """Real numbers only: RGB would fail to convert, complex would lose its imaginary part."""
    if not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)
            or np.issubdtype(dtype, np.bool_)):
        raise Exclusion(f"invalid:{name}", f"{path} holds {dtype} voxels; a scalar (grey-level) "
                        "image is needed")


def _as_float32(data: np.ndarray, path: Path, name: str) -> np.ndarray:
    """The voxels in float32, once they are known to be finite and to fit."""
    finite = np.isfinite(data)
    if not finite.all():
        bad = int(finite.size - np.count_nonzero(finite))
        raise Exclusion(f"invalid:{name}", f"{path}: {bad} voxels are NaN or infinite")
    peak = float(np.max(np.abs(data)))
    if peak > MAX_ABS_VALUE:
        raise Exclusion(f"invalid:{name}", f"{path}: values reach {peak:.3g}, beyond what float32 "
                        f"arithmetic handles safely ({MAX_ABS_VALUE:.0e}): a wrong scl_slope or "
                        "corrupt data?")
    return data.astype(np.float32)


def check_image(volume: Volume, name: str) -> None:
    """An MRI sequence must be finite and show some signal, not one value nearly everywhere."""
    data = volume.data
    if not np.all(np.isfinite(data)):
        raise Exclusion(f"invalid:{name}", f"{volume.source}: voxels are NaN or infinite")
    if float(data.max()) == float(data.min()):
        raise Exclusion(f"invalid:{name}", f"{volume.source}: every voxel has the same value "
                        f"({float(data.min()):g})")
    sample = data.ravel()[:: max(1, data.size // PERCENTILE_SAMPLE)]
    low, high = np.percentile(sample, SIGNAL_PERCENTILES)
    if low == high:
        raise Exclusion(f"invalid:{name}", f"{volume.source}: at least 99% of voxels have the "
                        f"value {float(low):g}; the image is almost empty")


def brainstem_mask(volume: Volume, label: int | None) -> Volume:
    """The binary brainstem mask of a segmentation (non-zero, or == ``label``)."""
    if not np.all(np.isfinite(volume.data)):
        raise Exclusion("invalid:seg", f"{volume.source}: the segmentation has NaN or infinite "
                        "values")
    mask = volume.data != 0 if label is None else np.isclose(volume.data, label)
    which = "non-zero voxels" if label is None else f"voxels with label {label}"
    if not mask.any():
        values = np.unique(volume.data)[:8].tolist()
        raise Exclusion("invalid:seg", f"{volume.source}: empty brainstem mask (no {which}; "
                        f"values found: {values})")
    size_mm3 = float(mask.sum() * abs(np.linalg.det(volume.affine[:3, :3])))
    if size_mm3 < MIN_MASK_MM3:
        raise Exclusion("invalid:seg", f"{volume.source}: the brainstem mask ({which}) is only "
                        f"{size_mm3:.0f} mm^3, too small to be a brainstem")
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
