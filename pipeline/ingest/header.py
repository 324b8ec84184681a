"""Decides which voxel-to-world affine of an image header is trusted, and refuses odd ones.

The trusted affine is nibabel's ``img.affine``. For NIfTI that is the sform when
``sform_code > 0``, else the qform; for MGH (FreeSurfer's ``.mgz`` label maps) it is the
header's vox2ras, which FreeSurfer keeps in the scanner space of the image it segmented.
A file is refused (``invalid:<seq>``) when its position in space cannot be known or
trusted:

- neither NIfTI form is set (both codes 0), or an MGH header's ``goodRASFlag`` is 0:
  nibabel would fall back to a guess;
- only the qform is set and a voxel size (pixdim) is zero: nibabel silently uses 1 mm.
  Negative pixdims are read as their absolute value, as nibabel and ITK do;
- both forms are set but map the field of view more than ``FORM_TOLERANCE_MM`` apart:
  one of them is stale, and which one cannot be told;
- the affine is not finite or not invertible, or the field of view is not head-sized.

A sheared (non-orthogonal) affine is resampled exactly by TorchIO/SimpleITK, except for
the reference sequence whose grid becomes the common one: see :func:`check_rectangular`.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.freesurfer.mghformat import header_dtype as mgh_header_dtype
from nibabel.openers import ImageOpener

from pipeline.ingest.exclusion import Exclusion

FORM_TOLERANCE_MM = 1.0
MAX_SHEAR_DEGREES = 0.5  # over a 64 mm crop this moves the edge by about half a millimetre
FIELD_OF_VIEW_MM = (10.0, 600.0)  # a head fits; outside this the voxel size or units are wrong


def trusted_affine(image: nib.Nifti1Image | nib.MGHImage, path: Path, name: str) -> np.ndarray:
    """The voxel-to-world (RAS mm) affine of ``image``, after checking it can be trusted.

    Raises:
        Exclusion: ``invalid:<name>`` naming the header problem.
    """
    if isinstance(image, nib.MGHImage):
        _check_mgh_orientation(path, name)
    else:
        _check_nifti_forms(image, path, name)
    affine = np.asarray(image.affine, dtype=np.float64)
    _check_affine(affine, image.shape[:3], path, name)
    return affine


def _check_nifti_forms(image: nib.Nifti1Image, path: Path, name: str) -> None:
    header = image.header
    sform_code, qform_code = int(header["sform_code"]), int(header["qform_code"])
    if sform_code == 0 and qform_code == 0:
        raise Exclusion(f"invalid:{name}", f"{path}: the header has no orientation (sform_code "
                        "and qform_code are 0), so where the image lies in space is unknown")
    if sform_code == 0:
        _check_pixdims(path, name, type(header))
    elif qform_code > 0:
        _check_forms_agree(header, image.shape[:3], path, name)


def _check_mgh_orientation(path: Path, name: str) -> None:
    """An MGH header with ``goodRASFlag`` 0 has no orientation; nibabel silently substitutes
    FreeSurfer's default one, so the flag is read from the raw header."""
    with ImageOpener(path) as handle:
        raw = handle.read(mgh_header_dtype.itemsize)  # whole: nibabel has just parsed it
    if int(np.frombuffer(raw, mgh_header_dtype)["goodRASFlag"][0]) == 0:
        raise Exclusion(f"invalid:{name}", f"{path}: the MGH header has no orientation "
                        "(goodRASFlag is 0), so where the image lies in space is unknown")


def _check_pixdims(path: Path, name: str, header_class: type) -> None:
    """The qform scales by the pixdims; nibabel replaces a zero one by 1 mm without telling."""
    with ImageOpener(path) as handle:  # the raw header: nibabel fixes pixdims when loading
        pixdims = header_class.from_fileobj(handle, check=False)["pixdim"][1:4]
    if not np.all(np.isfinite(pixdims)) or np.any(pixdims == 0):
        raise Exclusion(f"invalid:{name}", f"{path}: voxel size (pixdim) {pixdims.tolist()} has "
                        "a zero or non-finite value and there is no sform to give it")


def _check_forms_agree(header, shape: tuple, path: Path, name: str) -> None:
    """Both forms set must place the field of view at the same spot."""
    sform, qform = header.get_sform(), header.get_qform()
    gap = max_distance_mm(sform, qform, shape)
    if not gap <= FORM_TOLERANCE_MM:  # also refuses a NaN gap
        sheared = shear_degrees(sform)
        why = (f"; the sform is sheared by {sheared:.1f} degrees, which a qform cannot express"
               if sheared > MAX_SHEAR_DEGREES else "")
        codes = f"sform_code {int(header['sform_code'])}, qform_code {int(header['qform_code'])}"
        raise Exclusion(f"invalid:{name}", f"{path}: qform and sform disagree by up to "
                        f"{gap:.1f} mm ({codes}){why}; nibabel would use the sform, but which is "
                        "right cannot be told: make them agree (e.g. fslorient -copysform2qform)")


def max_distance_mm(first: np.ndarray, second: np.ndarray, shape: tuple) -> float:
    """How far apart two affines put the corners of a grid of ``shape``, in mm."""
    corners = np.array(list(itertools.product(*[(0, n - 1) for n in shape])), dtype=float)
    homogeneous = np.c_[corners, np.ones(len(corners))].T
    return float(np.max(np.linalg.norm((first - second)[:3] @ homogeneous, axis=0)))


def _check_affine(affine: np.ndarray, shape: tuple, path: Path, name: str) -> None:
    if not np.all(np.isfinite(affine)):
        raise Exclusion(f"invalid:{name}", f"{path}: the header's affine has non-finite values")
    spacing = np.linalg.norm(affine[:3, :3], axis=0)
    if np.any(spacing < 1e-3) or abs(np.linalg.det(affine[:3, :3])) < 1e-9 * np.prod(spacing):
        raise Exclusion(f"invalid:{name}", f"{path}: zero voxel size or collapsed axes in the "
                        f"header (spacing {np.round(spacing, 4).tolist()} mm)")
    extent = float(np.max(spacing[: len(shape)] * np.array(shape)))
    low, high = FIELD_OF_VIEW_MM
    if not low <= extent <= high:
        raise Exclusion(f"invalid:{name}", f"{path}: a field of view of {extent:g} mm is not "
                        f"head-sized ({low:g} to {high:g} mm): wrong voxel size or units in "
                        "the header?")


def shear_degrees(affine: np.ndarray) -> float:
    """How far (degrees) the grid's axes are from perpendicular; 0 for scanner grids."""
    axes = affine[:3, :3] / np.linalg.norm(affine[:3, :3], axis=0)
    cosines = np.abs(axes.T @ axes - np.eye(3))
    return float(np.degrees(np.arcsin(np.clip(cosines.max(), 0.0, 1.0))))


def check_rectangular(affine: np.ndarray, path: Path, name: str) -> None:
    """The reference sequence's grid becomes the common grid, which must be rectangular.

    TorchIO keeps the reference's axes when it resamples to isotropic voxels, so a sheared
    reference would give every sequence a sheared, non-cubic crop.

    Raises:
        Exclusion: ``invalid:<name>`` when the axes are more than ``MAX_SHEAR_DEGREES`` off.
    """
    sheared = shear_degrees(affine)
    if sheared > MAX_SHEAR_DEGREES:
        raise Exclusion(f"invalid:{name}", f"{path}: the grid is sheared ({sheared:.1f} degrees "
                        f"from perpendicular axes); {name} defines the common grid, which must be "
                        "rectangular: resample it onto a rectangular grid first")
