"""Preparing a cohort: each patient validated, preprocessed and cached, and its manifest row.

Patients are streamed: one patient's images are in memory at a time, so peak memory does
not grow with the cohort. Nothing under the cohort folder is ever written. Used by the
``prepare`` stage and by the power study's generated cohorts, so both go through one path.
"""

from __future__ import annotations

import time
from pathlib import Path

from pipeline import formats
from pipeline.config.settings import PreprocessSettings
from pipeline.ingest.dicom import DicomOptions
from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.labels import STUDY, LabelScheme
from pipeline.ingest.layouts import iter_patients
from pipeline.ingest.patient import PatientEntry
from pipeline.preprocessing.chain import brainstem_kept, preprocess


def manifest_row(entry: PatientEntry, positive_class: str | tuple[str, ...]) -> dict:
    """The manifest row of one patient (target empty when excluded or read without labels).

    ``positive_class``: one class or several, the positive group; the other classes are
    the negative one. The ``infiltration`` column holds the label column's value, whatever
    that column is called (docs/contract.md).
    """
    positives = (positive_class,) if isinstance(positive_class, str) else tuple(positive_class)
    included = entry.exclusion is None
    target = (int(entry.infiltration in positives)
              if included and entry.infiltration is not None else None)
    return {"patient_id": entry.patient_id, "infiltration": entry.infiltration or "",
            "target": target, "included": included,
            "reason": "" if included else str(entry.exclusion)}


def prepare_patient(entry: PatientEntry, output_dir: Path, settings: PreprocessSettings) -> dict | None:
    """Preprocesses and caches one loaded patient; returns what was applied.

    A failure excludes the patient (``invalid:all``) instead of stopping the cohort.
    """
    started = time.perf_counter()
    try:
        patient, history = preprocess(entry.patient, settings)
    except Exception as error:  # a safety net: one odd patient must not stop the others
        entry.exclusion = Exclusion("invalid:all", f"preprocessing failed for "
                                    f"{entry.patient_id}: {type(error).__name__}: {error}")
        return None
    formats.write_patient(output_dir, patient)
    return {"sources": {name: path.name for name, path in entry.patient.files.items()},
            "brainstem_in_crop": round(brainstem_kept(patient), 4),
            "seconds": round(time.perf_counter() - started, 3), "transforms": history}


def prepare_cohort(data_root: Path, output_dir: Path, settings: PreprocessSettings,
                   positive_class: str | tuple[str, ...], seg_label: int | None = None,
                   bids_session: str | None = None, dicom: DicomOptions | None = None,
                   labelled: bool = True, scheme: LabelScheme = STUDY
                   ) -> tuple[list[dict], dict]:
    """Validates and preprocesses every patient, in whichever input layout ``data_root`` is
    (DICOM series read only with ``dicom``); returns manifest rows and what was applied.
    The sequences read are ``settings.sequences``; ``scheme`` says which column holds the
    label and its classes.

    ``labelled`` False reads the cohort without its labels (scoring new patients): every
    patient is a patient, unlabelled, whatever a labels table says.
    """
    rows, applied = [], {}
    for entry in iter_patients(data_root, seg_label, bids_session, dicom, labelled,
                               settings.sequences, scheme):
        if entry.patient is not None:
            record = prepare_patient(entry, output_dir, settings)
            if record is not None:
                applied[entry.patient_id] = record
        rows.append(manifest_row(entry, positive_class))
    return rows, applied


def summary_lines(rows: list[dict]) -> list[str]:
    """``33 patients: 24 included, 9 excluded`` and one line per exclusion."""
    excluded = [row for row in rows if not row["included"]]
    lines = [f"{len(rows)} patients: {len(rows) - len(excluded)} included, {len(excluded)} excluded"]
    lines += [f"  excluded {row['patient_id']}: {row['reason']}" for row in excluded]
    return lines
