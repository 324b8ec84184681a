"""The built-in cohort as a PACS exports it: every sequence a DICOM series, ``seg`` NIfTI.

Each patient folder holds one sub-folder per series, ``S1``, ``S2``..., in an order
shuffled by the seed, with one file per slice (MR Image Storage, explicit VR little
endian, written with pydicom) and a ``LOCALIZER`` series that matches no sequence, as
exports carry one. Which sequence a series holds is said only by its
``SeriesDescription``, worded as the site's scanner vendor would (``AX T1 MPRAGE POST
GD``, ``t2_tirm_sag_dark-fluid``, ``AX T1 BRAVO +C``). The voxels are the folder layout's
int16 values, stored as they are (no rescaling), and the geometry is the NIfTI affine's
in DICOM's LPS terms, so a converted series is the folder layout's image. The slices are
stored in radiological display order (rows and columns flipped as needed), not in the
NIfTI's voxel order, so the geometry has to be read to get the image right.

The patient fields hold fake values (``PatientName``, ``PatientBirthDate``,
``InstitutionName``...), so that tests can check no header text reaches an output. UIDs
are derived from the seed (``generate_uid`` with fixed entropy sources), so the same
seed writes the same bytes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid
from pydicom.valuerep import format_number_as_ds

SERIES_FOLDER = "S{}"
LOCALIZER = "localizer"
SEG_NAME = "seg.nii.gz"
ORDER_STREAM = 2  # the series order draws from (seed, index, 2)
# SeriesDescription by site, as each site's vendor words its protocols.
DESCRIPTIONS = {
    "site-A": {"t1": "AX T1 MPRAGE", "t1c": "AX T1 MPRAGE POST GD", "t2": "AX T2 TSE",
               "flair": "3D FLAIR SAG", LOCALIZER: "LOCALIZER"},
    "site-B": {"t1": "t1_mprage_tra_iso", "t1c": "t1_mprage_tra_iso_CE", "t2": "t2_tse_tra",
               "flair": "t2_tirm_sag_dark-fluid", LOCALIZER: "AAHead_Scout"},
    "site-C": {"t1": "AX T1 BRAVO", "t1c": "AX T1 BRAVO +C", "t2": "AX T2 FSE",
               "flair": "SAG T2 FLAIR", LOCALIZER: "3 PLANE LOC"},
}
LPS = np.diag([-1.0, -1.0, 1.0])  # DICOM's patient axes are NIfTI's RAS with x and y negated
DISPLAY_SIGNS = (1.0, 1.0, -1.0)  # rows and columns run toward the left, posterior, feet
STUDY_DATE = "20240102"


def as_dicom(spec, seed: int):
    """``spec`` with the series folder (``S<n>``) of each sequence and ``seg.nii.gz``."""
    folders = series_folders(spec.index, [key for key in spec.files if key != "seg"], seed)
    files = {key: folders[key] if key != "seg" else SEG_NAME for key in spec.files}
    return dataclasses.replace(spec, files=files)


def series_folders(index: int, sequences: list[str], seed: int) -> dict[str, str]:
    """The folder of each sequence's series and of the localizer, in a seeded order."""
    if not sequences:
        return {}
    keys = [*sequences, LOCALIZER]
    order = np.random.default_rng([seed, index, ORDER_STREAM]).permutation(len(keys))
    return {keys[position]: SERIES_FOLDER.format(number + 1)
            for number, position in enumerate(order)}


def identity(index: int, site: str, seed: int) -> dict[str, str]:
    """Fake patient fields: what a real export would carry and no output may show."""
    rng = np.random.default_rng([seed, index, ORDER_STREAM + 1])
    born = f"{rng.integers(1940, 1990)}{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}"
    return {"PatientName": f"SYNTHETIC^PATIENT{index:03d}", "PatientID": f"SYN{seed}-{index:04d}",
            "PatientBirthDate": born, "PatientSex": "O",
            "InstitutionName": f"Synthetic Hospital {site[-1]}"}


def write_patient(folder: Path, spec, images: dict, seed: int, save_nifti) -> None:
    """Writes one patient's series (and the localizer) and its NIfTI ``seg``."""
    fields = identity(spec.index, spec.site, seed)
    uids = ["pipeline.synth", str(seed), spec.patient_id]
    sequences = [key for key in spec.files if key != "seg"]
    folders = series_folders(spec.index, sequences, seed)
    for key, name in folders.items():
        image = images[(sequences[0] if key == LOCALIZER else key)]
        data, affine = np.asarray(image.dataobj), image.affine
        if key == LOCALIZER:  # one slice through the middle of the first sequence
            middle = data.shape[2] // 2
            data, affine = data[:, :, middle:middle + 1], affine.copy()
            affine[:3, 3] += affine[:3, 2] * middle
        write_series(folder / name, data, affine, DESCRIPTIONS[spec.site][key],
                     int(name[1:]), fields, [*uids, key])
    if "seg" in spec.files:
        save_nifti(images["seg"], folder / SEG_NAME)


def write_series(folder: Path, data: np.ndarray, affine: np.ndarray, description: str,
                 number: int, fields: dict[str, str], uid_sources: list[str]) -> list[Path]:
    """Writes an int16 volume on a RAS ``affine`` as a DICOM series, one file per slice.

    ``fields`` are extra header values (the patient's); ``uid_sources`` seed the UIDs, whose
    study and frame of reference are shared by every series with the same first sources.
    """
    if data.dtype != np.int16 or data.ndim != 3:
        raise ValueError(f"expected a 3D int16 volume, got {data.ndim}D {data.dtype}")
    data, affine = display_order(data, affine)
    axes = LPS @ affine[:3, :3]
    spacing = np.linalg.norm(axes, axis=0)
    study, series = uid_sources[:-1], uid_sources
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for slice_index in range(data.shape[2]):
        header = _header(fields, description, number)
        header.StudyInstanceUID = generate_uid(entropy_srcs=[*study, "study"])
        header.FrameOfReferenceUID = generate_uid(entropy_srcs=[*study, "frame"])
        header.SeriesInstanceUID = generate_uid(entropy_srcs=[*series, "series"])
        header.SOPInstanceUID = generate_uid(entropy_srcs=[*series, str(slice_index)])
        header.file_meta.MediaStorageSOPInstanceUID = header.SOPInstanceUID
        header.InstanceNumber = slice_index + 1
        position = LPS @ (affine[:3, :3] @ [0, 0, slice_index] + affine[:3, 3])
        header.ImagePositionPatient = _decimals(position)
        header.ImageOrientationPatient = _decimals([*(axes[:, 0] / spacing[0]),
                                                    *(axes[:, 1] / spacing[1])])
        header.PixelSpacing = _decimals([spacing[1], spacing[0]])  # between rows, then columns
        header.SliceThickness = header.SpacingBetweenSlices = _decimals([spacing[2]])[0]
        header.Rows, header.Columns = data.shape[1], data.shape[0]
        header.PixelData = np.ascontiguousarray(data[:, :, slice_index].T).astype("<i2").tobytes()
        path = folder / f"IM{slice_index + 1:05d}"
        header.save_as(path, enforce_file_format=True)
        written.append(path)
    return written


def _header(fields: dict[str, str], description: str, number: int) -> Dataset:
    """What every slice of a series shares, but its UIDs and geometry."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    header = Dataset()
    header.file_meta = meta
    header.SOPClassUID = MRImageStorage
    header.Modality = "MR"
    header.ImageType = ["ORIGINAL", "PRIMARY", "M"]
    for keyword, value in fields.items():
        setattr(header, keyword, value)
    header.StudyDate = header.SeriesDate = STUDY_DATE
    header.SeriesDescription = header.ProtocolName = description
    header.SeriesNumber = number
    header.PatientPosition = "HFS"
    header.SamplesPerPixel = 1
    header.PhotometricInterpretation = "MONOCHROME2"
    header.BitsAllocated = header.BitsStored = 16
    header.HighBit = 15
    header.PixelRepresentation = 1  # signed, as the NIfTI's int16
    return header


def display_order(data: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The volume with its in-plane axes flipped to run as a viewer shows DICOM slices
    (toward the patient's left, back and feet), the affine changed to match."""
    affine = affine.copy()
    for axis in (0, 1):
        direction = LPS @ affine[:3, axis]
        dominant = int(np.argmax(np.abs(direction)))
        if np.sign(direction[dominant]) != DISPLAY_SIGNS[dominant]:
            data = np.flip(data, axis)
            affine[:3, 3] += affine[:3, axis] * (data.shape[axis] - 1)
            affine[:3, axis] = -affine[:3, axis]
    return data, affine


def _decimals(values) -> list[str]:
    """DICOM decimal strings (at most 16 characters) of ``values``."""
    return [format_number_as_ds(float(value)) for value in values]
