"""Walks a cohort folder patient by patient: loaded images, or the reason for exclusion.

A patient's files are its folder's NIfTI files named by the naming rules and, when
``dicom`` options are given, the DICOM series anywhere under the folder (``dicom``).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

from pipeline.ingest import labels as labels_module
from pipeline.ingest.dicom import DicomOptions, add_series, materialise
from pipeline.ingest.dicom_match import compile_patterns, match_series
from pipeline.ingest.dicom_series import DicomSeries, scan_folder
from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.naming import (
    SEQUENCES,
    choose,
    folder_candidates,
    is_inside,
    reference,
    sequence_name,
)
from pipeline.ingest.patient import (
    LoadedPatient,
    PatientEntry,
    load_files,
    patient_entry,
)


def cohort_ids(data_root: Path, label_entries: dict) -> list[str]:
    """Every id named in labels.csv or present as a (non-hidden) folder, sorted."""
    folders = {path.name for path in data_root.iterdir()
               if path.is_dir() and not path.name.startswith(".")}
    return sorted(folders | set(label_entries))


def iter_cohort(data_root: Path, labels_path: Path | None, seg_label: int | None = None,
                dicom: DicomOptions | None = None, sequences: tuple[str, ...] = SEQUENCES,
                scheme: labels_module.LabelScheme = labels_module.STUDY
                ) -> Iterator[PatientEntry]:
    """Yields every patient of the cohort, loading one patient's images at a time.

    With ``labels_path`` None the cohort is read without labels (scoring new patients):
    every patient folder is a patient, and none is excluded for lacking a label. Without
    ``dicom`` no DICOM series is looked for. ``sequences``: the chosen ones (the first is
    the reference); ``scheme``: the label column and its classes.

    Raises:
        LabelsFileError: ``labels.csv`` is unusable as a whole (before any patient is read).
    """
    labelled = labels_path is not None
    label_entries = labels_module.read_labels(labels_path, scheme) if labelled else {}
    for patient_id in cohort_ids(data_root, label_entries):
        entry = label_entries.get(patient_id)
        yield patient_entry(patient_id, entry, partial(
            load_patient, data_root, patient_id, entry, seg_label, dicom, labelled, sequences))


def load_patient(data_root: Path, patient_id: str, label: str | Exclusion | None,
                 seg_label: int | None, dicom: DicomOptions | None = None,
                 labelled: bool = True, sequences: tuple[str, ...] = SEQUENCES) -> LoadedPatient:
    """Loads and checks one patient's chosen sequences and ``seg`` (DICOM series among them
    with ``dicom``; ``labelled``: a missing label excludes).

    Raises:
        Exclusion: the first problem found, label problems first.
    """
    folder = _patient_folder(data_root, patient_id, label, labelled)
    try:
        found, others = folder_candidates(folder, patient_id, sequences)
        listed = [path.name for path in others]
        if dicom is not None:
            found, listed = add_series(folder, found, dicom, sequences)
    except OSError as error:
        raise Exclusion("unreadable:all", f"cannot list {folder}: {error}") from None
    chosen = choose(found, folder, listed, data_root, sequences)
    files, shown = materialise(chosen, data_root, dicom)
    return load_files(patient_id, label, files, seg_label, shown, sequences)


def _patient_folder(data_root: Path, patient_id: str, label: str | Exclusion | None,
                    labelled: bool = True) -> Path:
    """The patient's folder, once its id and label are usable and the folder is there."""
    folder = data_root / patient_id
    if isinstance(label, Exclusion):
        raise label
    if not labels_module.is_safe_id(patient_id):
        raise Exclusion("label:unsafe-id", f"folder name {patient_id!r} in {data_root} is not a "
                        "safe patient id (letters, digits, '.', '_', '-'; no spaces); rename it")
    if label is None and labelled:
        raise Exclusion("label:missing", f"folder {folder} has no row in labels.csv")
    if not folder.is_dir():
        raise Exclusion("missing:all", f"labels.csv names {patient_id} but there is no folder "
                        f"{folder}{_case_hint(data_root, patient_id)}")
    if not is_inside(folder, data_root):
        raise Exclusion("unreadable:all", f"{folder} links outside the cohort folder "
                        f"(to {folder.resolve()}); copy the folder in instead")
    return folder


def _case_hint(data_root: Path, patient_id: str) -> str:
    """Points at a folder whose name differs only in case (ids are case-sensitive)."""
    near = [path.name for path in data_root.iterdir()
            if path.name.lower() == patient_id.lower() and path.name != patient_id]
    return f" (there is {near[0]!r}: ids are case-sensitive)" if near else ""


def reference_files(data_root: Path, dicom: DicomOptions | None = None,
                    sequences: tuple[str, ...] = SEQUENCES) -> Iterator[Path | DicomSeries]:
    """The reference sequence's (the first chosen's) file in every patient folder, or (with
    ``dicom``, in a folder without such a file) its DICOM series; links out of ``data_root``
    skipped."""
    grid = reference(sequences)
    for folder in sorted(data_root.iterdir()):
        if not (folder.is_dir() and labels_module.is_safe_id(folder.name)
                and is_inside(folder, data_root)):
            continue
        files = [path for path in sorted(folder.iterdir())
                 if sequence_name(path.name, folder.name, sequences) == grid
                 and is_inside(path, data_root)]
        yield from files
        if dicom is not None and not files:
            yield from _reference_series(folder, dicom, sequences)


def _reference_series(folder: Path, dicom: DicomOptions, sequences: tuple[str, ...]
                      ) -> list[DicomSeries]:
    """The folder's series matching the reference sequence; none when it cannot be read."""
    try:
        matched, _ = match_series(scan_folder(folder).series,
                                  compile_patterns(dicom.patterns, sequences))
    except (OSError, Exclusion):  # the patient's own checks report it
        return []
    return matched.get(reference(sequences), [])
