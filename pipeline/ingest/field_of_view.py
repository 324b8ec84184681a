"""Checks a crop size against the cohort before any work, from headers alone (NIfTI, or
the DICOM headers of a series)."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from pipeline.ingest import dicom_series
from pipeline.ingest.dicom import DicomOptions
from pipeline.ingest.dicom_series import DicomSeries
from pipeline.ingest.layouts import reference_files
from pipeline.ingest.naming import SEQUENCES, reference


def field_of_view_mm(path: Path | DicomSeries) -> float | None:
    """The shortest side of an image's field of view (mm), read from its header only.

    None when the header cannot be read or is not 3D: the patient's own checks report that.
    """
    if isinstance(path, DicomSeries):
        return dicom_series.field_of_view_mm(path)
    try:
        image = nib.load(path)  # lazy: the voxels stay on disk
        shape = image.shape
        spacing = np.linalg.norm(np.asarray(image.affine)[:3, :3], axis=0)
    except Exception:  # any unreadable file is excluded, with its reason, by the ingest
        return None
    if len(shape) < 3:
        return None
    return float(np.min(np.array(shape[:3]) * spacing))


class CropTooLarge(ValueError):
    """The crop asked for is larger than every patient's field of view."""


def check_crop_fits(data_root: Path, crop_mm: float, dicom: DicomOptions | None = None,
                    sequences: tuple[str, ...] = SEQUENCES) -> None:
    """Refuses a crop larger than every patient's field of view (it would be mostly padding).

    ``dicom``: the reference sequence may be a DICOM series (read as the ingest reads it);
    the reference is the first of ``sequences``.

    Raises:
        CropTooLarge: with the size asked and the largest that fits; the caller names the
            setting it came from.
    """
    sizes = [size for path in reference_files(data_root, dicom, sequences)
             if (size := field_of_view_mm(path)) is not None]
    if sizes and crop_mm > max(sizes):
        raise CropTooLarge(f"{crop_mm:g} mm is larger than the field of view of every "
                           f"patient's {reference(sequences)} ({len(sizes)} read; the largest is "
                           f"{max(sizes):.0f} mm along its shortest side); choose at most that")
