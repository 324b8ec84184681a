"""Which input layout a cohort folder is in, decided here and nowhere else.

A folder with ``dataset_description.json`` at its root is a BIDS dataset, read by
``bids``; any other is the plain layout of ``labels.csv`` and one folder per patient, read
by ``cohort`` (whose patient folders may hold DICOM series, read when ``dicom`` options
are given). Both yield the same :class:`~pipeline.ingest.patient.PatientEntry` objects,
so the stages never ask which one it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.ingest import bids, cohort
from pipeline.ingest.dicom import DicomOptions
from pipeline.ingest.dicom_series import DicomSeries
from pipeline.ingest.labels import STUDY, LabelScheme
from pipeline.ingest.naming import SEQUENCES
from pipeline.ingest.patient import PatientEntry

LABELS_CSV = "labels.csv"


def labels_file(data_root: Path) -> Path:
    """The table the cohort's labels are read from: ``labels.csv`` or ``participants.tsv``."""
    return data_root / (bids.PARTICIPANTS if bids.is_bids(data_root) else LABELS_CSV)


def iter_patients(data_root: Path, seg_label: int | None = None,
                  bids_session: str | None = None, dicom: DicomOptions | None = None,
                  labelled: bool = True, sequences: tuple[str, ...] = SEQUENCES,
                  scheme: LabelScheme = STUDY) -> Iterator[PatientEntry]:
    """Every patient of the cohort in ``data_root``, whichever its layout, one at a time.

    ``bids_session`` chooses the session of a BIDS dataset's subjects; the folder layout
    has none. ``dicom`` says how the folder layout's DICOM series are read (without it,
    they are not); a BIDS dataset has none. ``labelled`` False reads the patients without
    their labels (scoring new patients); a BIDS dataset then still lists its subjects in
    ``participants.tsv``. ``sequences``: the chosen ones, the first the reference;
    ``scheme``: the label column and its classes.

    Raises:
        BidsSequenceError: a BIDS dataset, and a chosen sequence none of the four known.
        LabelsFileError: the labels table is unusable as a whole.
        BidsDatasetError: pybids cannot read the BIDS dataset.
    """
    if bids.is_bids(data_root):
        return bids.iter_bids_cohort(data_root, seg_label, bids_session, scheme, sequences)
    return cohort.iter_cohort(data_root, data_root / LABELS_CSV if labelled else None, seg_label,
                              dicom, sequences, scheme)


def reference_files(data_root: Path, dicom: DicomOptions | None = None,
                    sequences: tuple[str, ...] = SEQUENCES) -> Iterator[Path | DicomSeries]:
    """Every patient's candidate reference-sequence (the first chosen) file or DICOM series,
    read before any patient."""
    if bids.is_bids(data_root):
        return bids.reference_files(data_root, sequences)
    return cohort.reference_files(data_root, dicom, sequences)
