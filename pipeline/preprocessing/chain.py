"""TorchIO preprocessing: one physical grid for all sequences, a fixed box around the brainstem.

Steps (the study's, made explicit): reorient to RAS+, resample the reference sequence to
an isotropic grid and every other image onto that grid (in physical space, so a point
lands in the same voxel in all sequences), rescale each sequence's intensities by its
percentiles, then crop a cube of ``crop_mm`` (``crop_voxels`` per side) centred on the
brainstem mask.
"""

from __future__ import annotations

import numpy as np
import torch
import torchio as tio

from pipeline.config.settings import PreprocessSettings
from pipeline.formats import PreprocessedPatient
from pipeline.ingest.patient import LoadedPatient


def to_subject(patient: LoadedPatient) -> tio.Subject:
    """A TorchIO subject holding the patient's sequences and the brainstem mask."""
    images = {name: tio.ScalarImage(tensor=torch.from_numpy(volume.data[None]),
                                    affine=volume.affine)
              for name, volume in patient.images.items()}
    images["seg"] = tio.LabelMap(tensor=torch.from_numpy(patient.mask.data[None]),
                                 affine=patient.mask.affine)
    return tio.Subject(images)


def common_grid_transform(settings: PreprocessSettings) -> tio.Compose:
    """Reorient, resample onto the reference grid, rescale intensities."""
    others = [name for name in (*settings.sequences, "seg") if name != settings.reference]
    return tio.Compose([
        tio.ToCanonical(),
        tio.Resample(settings.spacing_mm, antialias=True, include=[settings.reference]),
        tio.Resample(settings.reference, include=others),
        tio.RescaleIntensity(out_min_max=(0, 1), percentiles=tuple(settings.percentiles),
                             include=list(settings.sequences)),
    ])


def crop_transform(settings: PreprocessSettings) -> tio.CropOrPad:
    """The fixed box centred on the brainstem mask's bounding box (zero-padded at the edges)."""
    size = settings.crop_voxels
    return tio.CropOrPad((size, size, size), padding_mode=0, mask_name="seg")


def _stack(subject: tio.Subject, sequences: tuple[str, ...]) -> torch.Tensor:
    """The image channels, one per chosen sequence, in the chosen order."""
    return torch.cat([subject[name].data.float() for name in sequences])


def preprocess(patient: LoadedPatient, settings: PreprocessSettings
               ) -> tuple[PreprocessedPatient, list[str]]:
    """Runs the preprocessing on one patient.

    Returns:
        The preprocessed patient and the applied transforms, as TorchIO describes them.
    """
    full = common_grid_transform(settings)(to_subject(patient))
    cropped = crop_transform(settings)(full)
    result = PreprocessedPatient(
        patient_id=patient.patient_id,
        image=_stack(cropped, settings.sequences),
        mask=cropped["seg"].data[0].to(torch.uint8),
        affine=np.asarray(cropped["seg"].affine),
        full_image=_stack(full, settings.sequences),
        full_mask=full["seg"].data[0].to(torch.uint8),
        full_affine=np.asarray(full["seg"].affine),
        sequences=list(settings.sequences),
    )
    return result, [repr(transform) for transform in cropped.history]


def brainstem_kept(patient: PreprocessedPatient) -> float:
    """The share of the brainstem (on the full grid) that lies inside the crop."""
    total = int(patient.full_mask.sum())
    return float(patient.mask.sum()) / total if total else 0.0
