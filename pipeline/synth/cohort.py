"""The cohort: which patient plays which role, and writing it in an input layout of docs/contract.md.

Roles and labels are shuffled by the seed, so excluded patients are spread among the ids.
In the folder layout a few complete patients use the file name variants the ingest must
accept; the BIDS layout (``synth.bids``) has fixed names and holds the same images, and the
DICOM layout (``synth.dicom``) the same voxels as DICOM series.
"""

from __future__ import annotations

import csv
import gzip
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np

from pipeline.synth import bids, dicom
from pipeline.synth.patient import (
    IMAGE_KEYS,
    LABELS,
    SEG_KEY,
    draw_patient,
    synthesise_patient,
)

COMPLETE = "complete"
EMPTY_FOLDER = "empty_folder"
NO_FOLDER = "no_folder"
SEG_ONLY = "seg_only"
MISSING = "missing:"  # followed by the missing sequence
MISSING_ORDER = ("t1c", "t2", "flair", "t1")  # one different sequence per incomplete patient
# Complete patients, in id order, take these file name variants (docs/contract.md allows them all).
NAME_VARIANTS = ("t1ce", "upper_case_flair", "brats_prefix", "brainstem_seg", "uncompressed")
GZIP_LEVEL = 6
ROLES_STREAM = 0  # patients draw from (seed, index >= 1); roles from (seed, 0)
LAYOUTS = ("folders", "bids", "dicom")


@dataclass(frozen=True)
class Composition:
    """How many patients play each role; the defaults are the study's 33."""

    extensive: int = 15
    microscopic: int = 7
    none: int = 2
    missing_sequence: int = 3
    empty_folder: int = 2
    no_folder: int = 2
    seg_only: int = 2

    @property
    def complete(self) -> int:
        return self.extensive + self.microscopic + self.none

    @property
    def total(self) -> int:
        return self.complete + self.missing_sequence + self.empty_folder + self.no_folder + self.seg_only


@dataclass(frozen=True)
class PatientSpec:
    """One patient of a written cohort.

    ``role`` is ``complete``, ``missing:<sequence>``, ``empty_folder``, ``no_folder`` or
    ``seg_only``; ``files`` maps each image key written to its file name in the patient's folder
    (in the BIDS layout: to its path from the dataset root, and ``patient_id`` is the subject
    label).
    """

    patient_id: str
    index: int
    label: str
    role: str
    site: str
    files: dict[str, str] = field(default_factory=dict)


def plan_cohort(composition: Composition = Composition(), *, seed: int = 0,
                name_variants: bool = True, compress: bool = True) -> list[PatientSpec]:
    """The cohort's patients, roles, labels and file names, without making any image."""
    roles = _shuffled_roles(composition, np.random.default_rng([seed, ROLES_STREAM]))
    specs, variants = [], iter(NAME_VARIANTS if name_variants else ())
    for index, (role, label) in enumerate(roles, start=1):
        patient_id = f"GBM-{index:03d}"
        variant = next(variants, None) if role == COMPLETE else None
        names = _file_names(patient_id, variant, compress)
        keys = _keys_written(role)
        site = draw_patient(index, seed=seed).site
        specs.append(PatientSpec(patient_id, index, label, role, site, {key: names[key] for key in keys}))
    return specs


def write_cohort(directory: str | os.PathLike, *, effect: float = 1.0, seed: int = 0,
                 composition: Composition = Composition(), spacing_mm: float = 2.0,
                 name_variants: bool = True, workers: int = 1,
                 compress: bool = True, layout: str = "folders") -> list[PatientSpec]:
    """Writes a synthetic cohort to ``directory`` (absent or empty) and returns its patients.

    ``layout`` is ``folders`` (``labels.csv`` and a folder per patient), ``bids`` (a BIDS
    dataset of the same images) or ``dicom`` (the folders, each sequence a DICOM series);
    ``name_variants`` applies to ``folders`` only. The cohort is built in a
    temporary folder beside ``directory`` and renamed into place at the end, so an
    interrupted run never leaves a half-written cohort behind.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise FileExistsError(f"{directory} exists and is not empty; choose a new folder")
    in_bids = layout == "bids"
    specs = plan_cohort(composition, seed=seed, name_variants=name_variants and layout == "folders",
                        compress=compress)
    if in_bids:
        specs = [bids.as_bids(spec) for spec in specs]
    elif layout == "dicom":
        specs = [dicom.as_dicom(spec, seed) for spec in specs]
    directory.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    building.chmod(0o755)  # mkdtemp makes it private; the cohort is an ordinary folder
    try:
        if in_bids:
            bids.write_metadata(building, specs)
        else:
            _write_labels(building / "labels.csv", specs)
        jobs = [(building, spec, seed, effect, spacing_mm, layout) for spec in specs]
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                list(pool.map(_write_patient, *zip(*jobs)))
        else:
            for job in jobs:
                _write_patient(*job)
        if directory.exists():
            directory.rmdir()
        os.replace(building, directory)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return specs


def save_image(image: nib.Nifti1Image, path: Path) -> None:
    """Writes a NIfTI file; ``.nii.gz`` with a fixed gzip header (no time stamp, no file name)."""
    data = image.to_bytes()
    if path.name.lower().endswith(".gz"):
        data = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    with open(path, "wb") as handle:
        handle.write(data)


def _shuffled_roles(composition: Composition, rng: np.random.Generator) -> list[tuple[str, str]]:
    """(role, label) for every patient, in a seeded random order.

    Patients without usable data get labels drawn with the complete patients' class frequencies.
    """
    labelled = ([(COMPLETE, "extensive")] * composition.extensive
                + [(COMPLETE, "microscopic")] * composition.microscopic
                + [(COMPLETE, "none")] * composition.none)
    missing = [MISSING + MISSING_ORDER[i % len(MISSING_ORDER)] for i in range(composition.missing_sequence)]
    unlabelled = (missing + [EMPTY_FOLDER] * composition.empty_folder + [NO_FOLDER] * composition.no_folder
                  + [SEG_ONLY] * composition.seg_only)
    counts = np.array([getattr(composition, label) for label in LABELS], dtype=float)
    weights = counts / counts.sum() if counts.sum() else np.full(len(LABELS), 1.0 / len(LABELS))
    drawn = rng.choice(LABELS, size=len(unlabelled), p=weights)
    roles = labelled + [(role, str(label)) for role, label in zip(unlabelled, drawn)]
    return [roles[i] for i in rng.permutation(len(roles))]


def _keys_written(role: str) -> tuple[str, ...]:
    """The image keys a role has files for."""
    if role == COMPLETE:
        return IMAGE_KEYS
    if role.startswith(MISSING):
        return tuple(key for key in IMAGE_KEYS if key != role[len(MISSING):])
    return (SEG_KEY,) if role == SEG_ONLY else ()


def _file_names(patient_id: str, variant: str | None, compress: bool = True) -> dict[str, str]:
    """File name per image key: the plain names, or one of NAME_VARIANTS."""
    stems = {key: key for key in IMAGE_KEYS}
    prefix, extension = "", ".nii.gz" if compress else ".nii"
    if variant == "t1ce":
        stems["t1c"] = "t1ce"
    elif variant == "upper_case_flair":
        stems["flair"] = "FLAIR"
    elif variant == "brats_prefix":
        prefix, stems["t1c"] = f"{patient_id}_", "t1gd"
    elif variant == "brainstem_seg":
        stems[SEG_KEY] = "brainstem"
    elif variant == "uncompressed":
        extension = ".nii"
    return {key: prefix + stem + extension for key, stem in stems.items()}


def _write_labels(path: Path, specs: list[PatientSpec]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["patient_id", "infiltration", "site"])
        writer.writerows([spec.patient_id, spec.label, spec.site] for spec in specs)


def _write_patient(root: Path, spec: PatientSpec, seed: int, effect: float, spacing_mm: float,
                   layout: str = "folders") -> None:
    """Makes and writes one patient's files (a folder even when it holds none)."""
    if spec.role == NO_FOLDER:
        return
    in_bids = layout == "bids"
    folder = root / (bids.subject_folder(spec.patient_id) if in_bids else spec.patient_id)
    folder.mkdir()
    keys = tuple(key for key in IMAGE_KEYS if key in spec.files)
    images = synthesise_patient(spec.index, spec.label, seed=seed, effect=effect, spacing_mm=spacing_mm,
                                keys=keys)
    if layout == "dicom":
        dicom.write_patient(folder, spec, images, seed, save_image)
        return
    for key, name in spec.files.items():
        path = (root if in_bids else folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        save_image(images[key], path)
