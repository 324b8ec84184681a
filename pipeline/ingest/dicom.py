"""A patient folder's DICOM series as candidates for its sequences, and the chosen ones converted.

The folder layout's patient folder may hold any sequence as a DICOM series, anywhere
under it, beside NIfTI files named by the naming rules (``seg`` is always such a file:
masks are not DICOM series). Series are found by ``dicom_series``, matched to sequences by
``dicom_match``, and join the NIfTI files as candidates, so a sequence with both a file
and a series, or two series, is refused like two files. A chosen series is converted by
``dicom_convert`` and then read and checked exactly as a NIfTI file, its messages naming
the series' folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.ingest.dicom_convert import convert
from pipeline.ingest.dicom_match import PARAMS_KEY, compile_patterns, match_series
from pipeline.ingest.dicom_series import DicomSeries, scan_folder
from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.naming import SEQUENCES, check_link


@dataclass(frozen=True)
class DicomOptions:
    """How DICOM series are read: each sequence's ``SeriesDescription`` pattern (params'
    ``data.dicom.series``) and the folder converted series are cached in."""

    patterns: dict[str, str]
    cache: Path


def add_series(folder: Path, found: dict[str, list[Path]], options: DicomOptions,
               sequences: tuple[str, ...] = SEQUENCES) -> tuple[dict[str, list], list[str]]:
    """``found`` (each name's NIfTI files) with the folder's matching DICOM series added, and
    what else the folder holds, for a "missing" message.

    Raises:
        OSError: a folder cannot be listed.
        Exclusion: a series matching two sequences, or a broken DICOM file in a series' folder.
    """
    nifti = {path for paths in found.values() for path in paths}
    scan = scan_folder(folder, skip=nifti)
    matched, unmatched = match_series(scan.series, compile_patterns(options.patterns, sequences))
    _refuse_broken(scan.broken, matched)
    candidates = {name: [*found.get(name, []), *matched.get(name, [])]
                  for name in {*found, *matched}}
    others = ([str(path.relative_to(folder)) for path in scan.not_dicom]
              + [f"{item} matching no pattern of {PARAMS_KEY}" for item in unmatched]
              + [f"{path.relative_to(folder)} (a DICOM file whose header cannot be read)"
                 for path in scan.broken])
    return candidates, others


def _refuse_broken(broken: dict[Path, str], matched: dict[str, list[DicomSeries]]) -> None:
    """A DICOM file that cannot be read beside a used series is probably one of its slices."""
    for name, series in matched.items():
        folders = {item.folder for item in series} | {path.parent for item in series
                                                      for path in item.files}
        for path, error in broken.items():
            if path.parent in folders:
                raise Exclusion(f"unreadable:{name}", f"{path}: cannot read this DICOM file's "
                                f"header ({error}), in the folder of {series[0]}")


def materialise(chosen: dict, data_root: Path, options: DicomOptions | None
                ) -> tuple[dict[str, Path], dict[str, Path]]:
    """The file to read for each chosen candidate (a series: its converted NIfTI), and for the
    series what messages call them (their folders).

    Raises:
        Exclusion: a series' file links out of the cohort folder, or the conversion fails.
    """
    files, shown = {}, {}
    for name, item in chosen.items():
        if isinstance(item, DicomSeries):
            for path in item.files:
                check_link(path, data_root, name)
            files[name] = convert(item, options.cache, name)
            shown[name] = item.folder
        else:
            files[name] = item
    return files, shown
