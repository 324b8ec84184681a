"""The built-in cohort as a BIDS dataset: file paths, ``participants.tsv`` and descriptions.

The images are the folder layout's, byte for byte; only where they lie changes. BIDS
labels are letters and digits only, so a patient id loses every other character
(``GBM-001`` is subject ``sub-GBM001``, and ``GBM001`` in the manifest). The brainstem masks
are a derivatives pipeline of their own, ``derivatives/brainstem/``, as ``label-BS`` masks.
The folder layout's patients without usable data keep their roles: ``empty_folder`` is an
empty ``sub-<label>/`` folder, ``seg_only`` one with only its mask in the derivatives,
``no_folder`` a row of ``participants.tsv`` alone.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from pathlib import Path

BIDS_VERSION = "1.10.0"
MASKS = "brainstem"  # the derivatives pipeline folder of the masks
SUFFIXES = {"t1": "T1w", "t1c": "ce-gadolinium_T1w", "t2": "T2w", "flair": "FLAIR",
            "seg": "label-BS_mask"}


def subject_label(patient_id: str) -> str:
    """The BIDS subject label of a patient id: its letters and digits (``GBM-001`` -> ``GBM001``)."""
    return re.sub(r"[^A-Za-z0-9]", "", patient_id)


def subject_folder(label: str) -> str:
    return f"sub-{label}"


def as_bids(spec):
    """``spec`` with its subject label as id and its files' paths from the dataset root."""
    label = subject_label(spec.patient_id)
    files = {key: image_path(label, key, ".nii" if name.endswith(".nii") else ".nii.gz")
             for key, name in spec.files.items()}
    return dataclasses.replace(spec, patient_id=label, files=files)


def image_path(label: str, key: str, extension: str) -> str:
    """Where image ``key`` of subject ``label`` lies, from the dataset root."""
    name = f"{subject_folder(label)}/anat/{subject_folder(label)}_{SUFFIXES[key]}{extension}"
    return f"derivatives/{MASKS}/{name}" if key == "seg" else name


def write_metadata(root: Path, specs: list) -> None:
    """``dataset_description.json`` of the dataset and of the masks, and ``participants.tsv``."""
    _write_json(root / "dataset_description.json", {
        "Name": "Built-in brainstem infiltration cohort (generated)", "BIDSVersion": BIDS_VERSION,
        "DatasetType": "raw", "GeneratedBy": [{"Name": "pipeline.synth"}]})
    _write_json(root / "derivatives" / MASKS / "dataset_description.json", {
        "Name": "Brainstem masks of the built-in cohort", "BIDSVersion": BIDS_VERSION,
        "DatasetType": "derivative", "GeneratedBy": [{"Name": "pipeline.synth"}]})
    with open(root / "participants.tsv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["participant_id", "infiltration", "site"])
        writer.writerows([subject_folder(spec.patient_id), spec.label, spec.site] for spec in specs)


def _write_json(path: Path, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
