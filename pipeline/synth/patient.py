"""One synthetic patient: every random draw and every image, from the patient's own seed.

The draws come from child seeds of ``(seed, index)`` and never look at the label, so a
patient's anatomy, scanner and noise are the same whatever the label; the label (with the
effect size) only scales the infiltration pattern that every patient carries.
"""

from __future__ import annotations

from dataclasses import dataclass

import nibabel as nib
import numpy as np

from pipeline.synth.anatomy import Anatomy, draw_anatomy
from pipeline.synth.contrasts import INFILTRATION_GAIN, SEQUENCES, draw_contrasts
from pipeline.synth.render import render_clean, render_mask
from pipeline.synth.scanner import (
    PROTOCOLS,
    SITES,
    Acquisition,
    Pose,
    acquire,
    draw_acquisition,
    draw_pose,
    draw_site,
)

POSITIVE_LABEL = "extensive"
LABELS = ("none", "microscopic", "extensive")
SEG_KEY = "seg"
IMAGE_KEYS = (*SEQUENCES, SEG_KEY)
SEG_GRID = "t1"  # the segmentation is stored on the T1 grid


@dataclass(frozen=True)
class PatientDraws:
    """Everything random about one patient."""

    site: str
    anatomy: Anatomy
    contrasts: dict[str, dict[str, float]]
    pose: Pose
    acquisitions: dict[str, Acquisition]
    noise_seeds: dict[str, np.random.SeedSequence]


def draw_patient(index: int, *, seed: int = 0, spacing_mm: float = 2.0) -> PatientDraws:
    """Draws patient ``index`` of the cohort with ``seed``; independent of every other patient."""
    anatomy_seed, contrast_seed, scanner_seed, *noise_seeds = (
        np.random.SeedSequence([seed, index]).spawn(3 + len(SEQUENCES)))
    scanner = np.random.default_rng(scanner_seed)
    site = draw_site(scanner)
    pose = draw_pose(scanner)
    acquisitions = {sequence: draw_acquisition(scanner, PROTOCOLS[sequence], SITES[site], spacing_mm)
                    for sequence in SEQUENCES}
    return PatientDraws(site, draw_anatomy(np.random.default_rng(anatomy_seed)),
                        draw_contrasts(np.random.default_rng(contrast_seed)), pose, acquisitions,
                        dict(zip(SEQUENCES, noise_seeds)))


def synthesise_patient(index: int, label: str, *, seed: int = 0, effect: float = 1.0,
                       spacing_mm: float = 2.0, keys: tuple[str, ...] = IMAGE_KEYS
                       ) -> dict[str, nib.Nifti1Image]:
    """The images of one patient, by key (``t1``, ``t1c``, ``t2``, ``flair``, ``seg``).

    Args:
        index: the patient's number in the cohort (its child seed).
        label: ``none``, ``microscopic`` or ``extensive``; only ``extensive`` shows infiltration.
        seed: the cohort seed.
        effect: strength of the infiltration signal (0: labels carry no signal at all).
        spacing_mm: base voxel size; thick slices are twice this.
        keys: which images to make.
    """
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}")
    draws = draw_patient(index, seed=seed, spacing_mm=spacing_mm)
    scale = effect * float(label == POSITIVE_LABEL)
    images = {}
    for sequence in (key for key in SEQUENCES if key in keys):
        acquisition = draws.acquisitions[sequence]
        clean = render_clean(draws.anatomy, draws.contrasts[sequence], scale * INFILTRATION_GAIN[sequence],
                             acquisition.grid, draws.pose, spacing_mm)
        data = acquire(clean, acquisition, np.random.default_rng(draws.noise_seeds[sequence]))
        images[sequence] = _nifti(data, acquisition.grid.affine, thick=acquisition.grid.subsamples > 1)
    if SEG_KEY in keys:
        grid = draws.acquisitions[SEG_GRID].grid
        mask = render_mask(draws.anatomy.brainstem, grid, draws.pose, spacing_mm)
        images[SEG_KEY] = _nifti(mask, grid.affine)
    return images


def _nifti(data: np.ndarray, affine: np.ndarray, thick: bool = False) -> nib.Nifti1Image:
    """A NIfTI image with scanner-space qform and sform, in mm."""
    image = nib.Nifti1Image(data, affine)
    image.set_qform(affine, code="scanner")
    image.set_sform(affine, code="scanner")
    image.header.set_xyzt_units("mm")
    image.header.set_data_dtype(data.dtype)
    if thick:
        image.header.set_dim_info(slice=2)
    return image
