"""A patient's volumes as NIfTI files made in memory, for the browser viewer (no Streamlit).

The viewer (NiiVue) reads NIfTI, so each volume is wrapped in a fresh header built from
the voxels and the affine alone: no header of the patient's original files, and so none
of its free text, ever reaches the browser. Nothing is written to disk.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

import nibabel as nib
import numpy as np
from scipy import ndimage

from pipeline.formats import PreprocessedPatient

INT16_MAX = 32767


@dataclass(frozen=True)
class Grid:
    """One grid of a patient (model crop or whole head) as arrays the viewer encodes.

    Attributes:
        images: (sequences, x, y, z) float32, RAS+.
        mask: (x, y, z) uint8, the brainstem.
        affine: voxel-to-world matrix (mm).
        sequences: channel names of ``images``.
    """

    images: np.ndarray
    mask: np.ndarray
    affine: np.ndarray
    sequences: tuple[str, ...]

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    def image(self, sequence: str) -> np.ndarray:
        """The (x, y, z) volume of one sequence."""
        return self.images[self.sequences.index(sequence)]


def patient_grids(patient: PreprocessedPatient) -> dict[str, Grid]:
    """A patient's grids: ``crop`` and, when it was read, the whole head ``full``."""
    sequences = tuple(patient.sequences)
    grids = {"crop": Grid(patient.image.float().numpy(), patient.mask.numpy().astype(np.uint8),
                          patient.affine, sequences)}
    if patient.full_image is not None:
        grids["full"] = Grid(patient.full_image.float().numpy(),
                             patient.full_mask.numpy().astype(np.uint8), patient.full_affine,
                             sequences)
    return grids


def resample_to_grid(volume: np.ndarray, source_affine: np.ndarray, target_affine: np.ndarray,
                     target_shape: tuple[int, ...], order: int = 1) -> np.ndarray:
    """``volume`` (on ``source_affine``) interpolated onto another grid; 0 outside it."""
    target_to_source = np.linalg.inv(source_affine) @ target_affine
    return ndimage.affine_transform(volume.astype(np.float32), target_to_source[:3, :3],
                                    offset=target_to_source[:3, 3], output_shape=target_shape,
                                    order=order, mode="constant", cval=0.0)


def _scaled_int16(volume: np.ndarray) -> tuple[np.ndarray, float]:
    """``volume`` as int16 and the slope that gives its values back.

    Half the bytes of float32 and a relative precision of 3e-5, far below what a viewer
    shows; NIfTI has no float16, and the whole head goes over the websocket.
    """
    largest = float(np.abs(volume).max()) if volume.size else 0.0
    slope = largest / INT16_MAX if largest > 0 else 1.0
    return np.round(volume / slope).astype(np.int16), slope


def nifti_bytes(volume: np.ndarray, affine: np.ndarray, integer_labels: bool = False) -> bytes:
    """A gzipped NIfTI-1 file of ``volume`` on ``affine``, built in memory.

    Args:
        volume: (x, y, z) voxels.
        affine: voxel-to-world (mm), stored as both qform and sform (scanner space).
        integer_labels: store as uint8 without scaling (masks).
    """
    if integer_labels:
        data, slope = volume.astype(np.uint8), 1.0
    else:
        data, slope = _scaled_int16(np.asarray(volume, dtype=np.float32))
    header = nib.Nifti1Header()
    header.set_data_dtype(data.dtype)
    header.set_xyzt_units("mm")
    image = nib.Nifti1Image(data, affine, header)
    image.header.set_slope_inter(slope, 0.0)
    image.set_qform(affine, code=1)
    image.set_sform(affine, code=1)
    # Level 1: several times faster than the default on a busy CPU, the file barely larger.
    return gzip.compress(image.to_bytes(), compresslevel=1, mtime=0)
