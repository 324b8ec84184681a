"""``prepare`` seconds per patient on the built-in cohort, against reading its files.

The figure is the real stage function (``prepare_cohort``: ingest checks, TorchIO
resampling and crop, writing the cache) timed inside a fresh process. The reference is
the floor any preprocessing pays: loading the same NIfTI files with nibabel, nothing else,
timed right after in this process.
"""

from __future__ import annotations

import time
from pathlib import Path

import nibabel as nib
import numpy as np

from bench.context import Context
from bench.figure import Figure, Section
from bench.timing import load_average


def read_seconds(cohort: Path, patient_ids: list[str]) -> float:
    """Seconds to load every NIfTI file of ``patient_ids`` into memory."""
    started = time.perf_counter()
    for patient_id in patient_ids:
        for path in sorted((cohort / patient_id).iterdir()):
            if path.name.endswith((".nii", ".nii.gz")):
                np.asarray(nib.load(path).dataobj)
    return time.perf_counter() - started


def measure(context: Context) -> Section:
    """Seconds per patient at the default and the study crop, each beside the read floor."""
    settings = context.settings
    section = Section("prepare: seconds per patient (built-in cohort)")
    section.details["load_before"] = load_average()
    for crop in dict.fromkeys((settings.default_crop, settings.study_crop)):
        prepared = context.project(crop)
        run = prepared.probe["result"]
        included = list(prepared.targets)
        floor = read_seconds(context.cohort, included) / len(included)
        per_patient = run["seconds"] / run["included"]
        section.figures.append(Figure(
            f"prepare, {settings.crop_mm:g} mm / {crop}^3 crop", per_patient, "s/patient",
            "reading the NIfTI files only", floor,
            note=f"{run['included']} of {run['patients']} patients usable; "
                 f"resample+crop+write {run['preprocess_seconds'] / run['included']:.2f} s/patient"))
        section.details[f"{crop}"] = {**run, "read_seconds_per_patient": floor}
        if crop == settings.default_crop:
            section.details["prepare_seconds"] = run["seconds"]
        preprocess = run["preprocess_seconds"] / run["included"]
        section.findings.append(
            f"At {crop}^3: {per_patient:.2f} s per usable patient, of which {preprocess:.2f} s "
            f"resampling, crop and cache write and {per_patient - preprocess:.2f} s reading and "
            f"checking all files, unusable patients' included (plain reading: {floor:.2f} s).")
    section.details.update(cohort_seconds=context.timings.get("cohort_seconds"),
                           load_after=load_average())
    return section
