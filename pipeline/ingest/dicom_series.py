"""DICOM files anywhere under a patient folder, grouped into series by their headers.

A PACS export puts each series in a folder of meaningless name (``S1``, ``S2``...) with
one file per slice; which sequence a series holds is known only from its header. Headers
are read with pydicom, without the pixels, and files are grouped by
``SeriesInstanceUID`` (never by folder: a folder may hold several series, a series span
several folders). Only DICOM files with the Part 10 preamble count, as PACS exports
write them; anything else is listed as not DICOM, never guessed at.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

# Only these tags are parsed: the kind of object, the grouping, the description, the geometry.
TAGS = ["SOPClassUID", "SeriesInstanceUID", "SeriesDescription", "Rows", "Columns",
        "PixelSpacing", "ImagePositionPatient", "ImageOrientationPatient"]
NOT_AN_IMAGE = "not an image"


@dataclass(frozen=True)
class DicomSeries:
    """One series: its files (sorted), their deepest common folder and its description."""

    uid: str
    description: str
    files: tuple[Path, ...]
    folder: Path
    rows: int = 0
    columns: int = 0
    pixel_spacing: tuple[float, ...] = ()
    orientation: tuple[float, ...] = ()
    positions: tuple[tuple[float, ...], ...] = field(default=(), repr=False)

    def __str__(self) -> str:
        count = len(self.files)
        return (f"DICOM series {self.folder} ({self.description!r}, {count} "
                f"file{'s' if count != 1 else ''})")


@dataclass
class FolderScan:
    """What a patient folder holds besides its NIfTI files."""

    series: list[DicomSeries]
    not_dicom: list[Path]  # files that are not DICOM (no Part 10 preamble)
    broken: dict[Path, str]  # DICOM files whose header cannot be read, with the error


def scan_folder(folder: Path, skip: set[Path] = frozenset()) -> FolderScan:
    """Reads the header of every file under ``folder`` (hidden ones and ``skip`` left out).

    Folders that are links are not entered, as links out of the cohort are refused.

    Raises:
        OSError: a folder cannot be listed.
    """
    found: dict[str, list] = {}
    not_dicom, broken = [], {}
    for path in _files_under(folder):
        if path in skip:
            continue
        try:
            header = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=TAGS)
        except InvalidDicomError:
            not_dicom.append(path)
            continue
        except Exception as error:  # pydicom raises many types for a corrupt header
            broken[path] = f"{type(error).__name__}: {error}"
            continue
        problem = _not_an_image(header)
        if problem == NOT_AN_IMAGE:
            continue
        if problem:
            broken[path] = problem
            continue
        found.setdefault(str(header.SeriesInstanceUID).strip(), []).append((path, header))
    series = [_series(uid, members) for uid, members in found.items()]
    return FolderScan(sorted(series, key=lambda item: (str(item.folder), item.description)),
                      not_dicom, broken)


def _not_an_image(header) -> str:
    """Why a DICOM file is no usable slice: ``NOT_AN_IMAGE`` for objects that hold no image
    (a DICOMDIR, a report), else what is missing; ``""`` for a slice.

    pydicom reads a file cut short without complaint, up to where it ends, so a slice whose
    header lacks its image tags is taken for a broken file, never skipped.
    """
    sop_class = header.get("SOPClassUID") or header.get("file_meta", {}).get("MediaStorageSOPClassUID")
    if not sop_class:
        return "no SOP class: not a DICOM object pydicom can read (cut short or corrupt?)"
    missing = [tag for tag in ("Rows", "SeriesInstanceUID") if not str(header.get(tag, "")).strip()]
    if not missing:
        return ""
    if "Image Storage" not in UID(sop_class).name:
        return NOT_AN_IMAGE
    return f"a {UID(sop_class).name} file without {' or '.join(missing)} (cut short?)"


def _files_under(folder: Path) -> list[Path]:
    """Every non-hidden file under ``folder``, links to files included, sorted."""
    files = []

    def refuse(error: OSError) -> None:
        raise error

    for root, folders, names in os.walk(folder, onerror=refuse):  # links to folders not entered
        folders[:] = [name for name in folders if not name.startswith(".")]
        files += [Path(root) / name for name in names if not name.startswith(".")]
    return sorted(files)


def _series(uid: str, members: list) -> DicomSeries:
    files = tuple(sorted(path for path, _ in members))
    first = members[0][1]
    common = Path(os.path.commonpath([str(path.parent) for path in files]))
    return DicomSeries(
        uid=uid, description=str(first.get("SeriesDescription", "")).strip(), files=files,
        folder=common, rows=int(first.get("Rows", 0) or 0),
        columns=int(first.get("Columns", 0) or 0),
        pixel_spacing=_numbers(first.get("PixelSpacing")),
        orientation=_numbers(first.get("ImageOrientationPatient")),
        positions=tuple(_numbers(header.get("ImagePositionPatient")) for _, header in members))


def _numbers(value) -> tuple[float, ...]:
    try:
        return tuple(float(number) for number in (value or ()))
    except (TypeError, ValueError):
        return ()


def field_of_view_mm(series: DicomSeries) -> float | None:
    """The shortest side of the series' field of view (mm), from its headers alone.

    In-plane: rows and columns times the pixel spacing; across slices: the span of the
    slice positions along the slice normal plus one spacing. None when the geometry tags
    are missing or malformed: the conversion reports that.
    """
    if (len(series.pixel_spacing) != 2 or len(series.orientation) != 6 or len(series.positions) < 2
            or any(len(position) != 3 for position in series.positions)):
        return None
    normal = np.cross(series.orientation[:3], series.orientation[3:])
    depths = np.sort(np.asarray(series.positions) @ normal)
    span = depths[-1] - depths[0]
    across = span + span / (len(depths) - 1)
    return float(min(series.rows * series.pixel_spacing[0], series.columns * series.pixel_spacing[1],
                     across))
