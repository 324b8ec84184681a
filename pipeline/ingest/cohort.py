"""Walks a cohort folder patient by patient: loaded images, or the reason for exclusion."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.ingest import labels as labels_module
from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.header import check_rectangular
from pipeline.ingest.naming import REFERENCE, SEQUENCES, find_files, is_inside
from pipeline.ingest.validation import (
    Volume,
    brainstem_mask,
    check_image,
    coverage,
    load_volume,
)

MIN_COVERAGE = 0.5  # share of the brainstem each sequence must image


@dataclass
class LoadedPatient:
    """A patient whose files all loaded and passed the checks."""

    patient_id: str
    infiltration: str | None  # None when the cohort is read without labels
    images: dict[str, Volume]
    mask: Volume
    files: dict[str, Path] = field(default_factory=dict)


@dataclass
class PatientEntry:
    """One patient of the cohort: its label (if any) and either its data or an exclusion."""

    patient_id: str
    infiltration: str | None
    patient: LoadedPatient | None = None
    exclusion: Exclusion | None = None


def cohort_ids(data_root: Path, label_entries: dict) -> list[str]:
    """Every id named in labels.csv or present as a (non-hidden) folder, sorted."""
    folders = {path.name for path in data_root.iterdir()
               if path.is_dir() and not path.name.startswith(".")}
    return sorted(folders | set(label_entries))


def iter_cohort(data_root: Path, labels_path: Path | None, seg_label: int | None = None
                ) -> Iterator[PatientEntry]:
    """Yields every patient of the cohort, loading one patient's images at a time.

    With ``labels_path`` None the cohort is read without labels (scoring new patients):
    every patient folder is a patient, and none is excluded for lacking a label.

    Raises:
        LabelsFileError: ``labels.csv`` is unusable as a whole (before any patient is read).
    """
    labelled = labels_path is not None
    label_entries = (labels_module.resolve_labels(labels_module.read_label_rows(labels_path))
                     if labelled else {})
    for patient_id in cohort_ids(data_root, label_entries):
        entry = label_entries.get(patient_id)
        infiltration = entry if isinstance(entry, str) else None
        try:
            patient = load_patient(data_root, patient_id, entry, seg_label, labelled)
        except Exclusion as exclusion:
            yield PatientEntry(patient_id, infiltration, exclusion=exclusion)
        else:
            yield PatientEntry(patient_id, infiltration, patient=patient)


def load_patient(data_root: Path, patient_id: str, label: str | Exclusion | None,
                 seg_label: int | None, labelled: bool = True) -> LoadedPatient:
    """Loads and checks one patient's five files (``labelled``: a missing label excludes).

    Raises:
        Exclusion: the first problem found, label problems first.
    """
    folder = _patient_folder(data_root, patient_id, label, labelled)
    try:
        files = find_files(folder, patient_id, data_root)
    except OSError as error:
        raise Exclusion("unreadable:all", f"cannot list {folder}: {error}") from None
    images = {name: load_volume(files[name], name) for name in SEQUENCES}
    check_rectangular(images[REFERENCE].affine, images[REFERENCE].source, REFERENCE)
    for name, volume in images.items():
        check_image(volume, name)
    mask = brainstem_mask(load_volume(files["seg"], "seg"), seg_label)
    _check_coverage(mask, images)
    return LoadedPatient(patient_id, label, images, mask, files)


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


def _check_coverage(mask: Volume, images: dict[str, Volume]) -> None:
    """Every sequence must image the brainstem: same patient, same physical space."""
    shares = {name: coverage(mask, volume) for name, volume in images.items()}
    if all(share < MIN_COVERAGE for share in shares.values()):
        listed = ", ".join(f"{name} {share:.0%}" for name, share in shares.items())
        raise Exclusion("invalid:seg", f"the brainstem marked in {mask.source} lies outside the "
                        f"field of view of every sequence (share inside: {listed})")
    for name, share in shares.items():
        if share < MIN_COVERAGE:
            raise Exclusion(f"invalid:{name}", f"{images[name].source} covers {share:.0%} of the "
                            f"brainstem marked in {mask.source.name}: the sequence and the "
                            "segmentation do not overlap in physical space")
