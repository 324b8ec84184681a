"""Tiny patients whose sequences are DICOM series, for ingest, privacy and bad-input tests.

Each series holds the voxels :mod:`tests.nifti_factory` writes as NIfTI (int16, so DICOM
stores them exactly) on the same grid, written with the built-in cohort's DICOM writer
(``pipeline.synth.dicom.write_series``), so a converted series can be compared with the
NIfTI file of the same volume.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from pipeline.config.params import read_params
from pipeline.ingest.dicom import DicomOptions
from pipeline.synth.dicom import write_series
from tests import nifti_factory as factory

REPO = Path(__file__).resolve().parents[1]
DESCRIPTIONS = {"t1": "AX T1 MPRAGE", "t1c": "AX T1 MPRAGE POST GD", "t2": "AX T2 TSE",
                "flair": "3D FLAIR SAG"}
FOLDERS = {"t1": "S3", "t1c": "S1", "t2": "S4", "flair": "S2"}  # as meaningless as a PACS's
FIELDS = {"PatientName": "Testpatient^Tina", "PatientID": "TEST-0001",
          "PatientBirthDate": "19700101", "InstitutionName": "Test Hospital"}


def options(cache: Path) -> DicomOptions:
    """The ingest's DICOM options with params.yaml's patterns and ``cache``."""
    return DicomOptions(read_params(REPO / "params.yaml")["data"]["dicom"]["series"], cache)


def write_volume_series(folder: Path, image: nib.Nifti1Image, description: str,
                        fields: dict[str, str] | None = None, number: int = 1,
                        uid_sources: list[str] | None = None) -> list[Path]:
    """Writes a NIfTI image's int16 voxels and geometry as a DICOM series in ``folder``."""
    sources = uid_sources or ["tests", str(folder.parent), str(folder.name)]
    return write_series(folder, np.asarray(image.dataobj).astype(np.int16), image.affine,
                        description, number, fields or FIELDS, sources)


def write_dicom_patient(folder: Path, as_dicom=factory.SEQUENCES, fields: dict[str, str] | None = None,
                        descriptions: dict[str, str] | None = None) -> dict[str, Path]:
    """Writes a factory patient, the sequences ``as_dicom`` as series in ``S1``..``S4`` instead
    of NIfTI files (``seg`` stays NIfTI); returns where each sequence is."""
    written = factory.write_patient(folder)
    descriptions = {**DESCRIPTIONS, **(descriptions or {})}
    for name in as_dicom:
        image = nib.load(written[name])
        series = folder / FOLDERS[name]
        write_volume_series(series, image, descriptions[name], fields,
                            number=int(FOLDERS[name][1:]),
                            uid_sources=["tests", folder.name, name])
        written[name].unlink()
        written[name] = series
    return written
