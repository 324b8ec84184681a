"""Walks a cohort folder patient by patient: loaded images, or the reason for exclusion."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.ingest import labels as labels_module
from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.naming import SEQUENCES, find_files
from pipeline.ingest.validation import Volume, brainstem_mask, check_image, coverage, load_volume

MIN_COVERAGE = 0.5  # share of the brainstem each sequence must image


@dataclass
class LoadedPatient:
    """A patient whose files all loaded and passed the checks."""

    patient_id: str
    infiltration: str
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


def iter_cohort(data_root: Path, labels_path: Path, seg_label: int | None = None
                ) -> Iterator[PatientEntry]:
    """Yields every patient of the cohort, loading one patient's images at a time."""
    label_entries = labels_module.resolve_labels(labels_module.read_label_rows(labels_path))
    for patient_id in cohort_ids(data_root, label_entries):
        entry = label_entries.get(patient_id)
        infiltration = entry if isinstance(entry, str) else None
        try:
            patient = load_patient(data_root, patient_id, entry, seg_label)
        except Exclusion as exclusion:
            yield PatientEntry(patient_id, infiltration, exclusion=exclusion)
        else:
            yield PatientEntry(patient_id, infiltration, patient=patient)


def load_patient(data_root: Path, patient_id: str, label: str | Exclusion | None,
                 seg_label: int | None) -> LoadedPatient:
    """Loads and checks one patient's five files.

    Raises:
        Exclusion: the first problem found, label problems first.
    """
    folder = data_root / patient_id
    if isinstance(label, Exclusion):
        raise label
    if label is None:
        raise Exclusion("label:missing", f"folder {folder} has no row in labels.csv")
    if not folder.is_dir():
        raise Exclusion("missing:all", f"labels.csv names {patient_id} but {folder} does not exist")
    if not folder.resolve().is_relative_to(data_root.resolve()):
        raise Exclusion("unreadable:all", f"{folder} links outside the cohort folder")
    files = find_files(folder, patient_id, data_root)
    images = {name: load_volume(files[name], name) for name in SEQUENCES}
    for name, volume in images.items():
        check_image(volume, name)
    mask = brainstem_mask(load_volume(files["seg"], "seg"), seg_label)
    _check_coverage(mask, images)
    return LoadedPatient(patient_id, label, images, mask, files)


def _check_coverage(mask: Volume, images: dict[str, Volume]) -> None:
    """Every sequence must image the brainstem: same patient, same physical space."""
    for name, volume in images.items():
        share = coverage(mask, volume)
        if share < MIN_COVERAGE:
            raise Exclusion(f"invalid:{name}", f"{volume.source} covers {share:.0%} of the "
                            f"brainstem marked in {mask.source.name}: the sequence and the "
                            "segmentation do not overlap in physical space")
