"""Preprocessed patients as tensor files: the model's crop and the whole resampled head.

Plain tensors only, so every file loads with ``weights_only=True`` and opening one can
never execute code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.formats.atomic import atomic_path

if TYPE_CHECKING:  # torch is imported where tensors are read or written: the dashboard's
    import torch  # tables and the report need only the CSV and JSON readers, and start faster



@dataclass
class PreprocessedPatient:
    """One patient as the model and the viewers see it.

    Attributes:
        patient_id: the patient's id.
        image: the model's crop, float32, (sequences, x, y, z), RAS+.
        mask: the brainstem crop, (x, y, z) uint8 (1 = brainstem).
        affine: voxel-to-world (mm) matrix of the crop.
        full_image: the whole resampled head, float16, (sequences, x, y, z).
        full_mask: the brainstem on the whole resampled grid, uint8.
        full_affine: voxel-to-world matrix of the whole grid.
        sequences: channel names of ``image``, in order.
    """

    patient_id: str
    image: torch.Tensor
    mask: torch.Tensor
    affine: np.ndarray
    full_image: torch.Tensor | None
    full_mask: torch.Tensor | None
    full_affine: np.ndarray | None
    sequences: list[str]

    def model_input(self, one_hot_mask: bool = False, mask_channel: bool = False) -> torch.Tensor:
        """The network's input: the sequences, plus the mask as extra channel(s) if asked."""
        import torch

        if not mask_channel:
            return self.image
        return torch.cat([self.image, mask_channels(self.mask, one_hot_mask)])


def mask_channel_count(mask_channel: bool, one_hot: bool) -> int:
    """How many input channels :func:`mask_channels` adds (0 without ``mask_channel``)."""
    return (2 if one_hot else 1) if mask_channel else 0


def mask_channels(mask: torch.Tensor, one_hot: bool) -> torch.Tensor:
    """The brainstem ``mask`` (x, y, z) as input channels: [background, brainstem] if
    ``one_hot``, else [brainstem]. The brainstem is always the last channel."""
    import torch

    brainstem = mask.float().unsqueeze(0)
    return torch.cat([1 - brainstem, brainstem]) if one_hot else brainstem


def patient_path(directory: str | os.PathLike, patient_id: str) -> Path:
    """Where the model crop of ``patient_id`` lives (all that training reads)."""
    return Path(directory) / f"{patient_id}.pt"


def full_volume_path(directory: str | os.PathLike, patient_id: str) -> Path:
    """Where the whole resampled head of ``patient_id`` lives (for the viewers)."""
    return Path(directory) / "full" / f"{patient_id}.pt"


def save_torch(path: str | os.PathLike, record: dict) -> None:
    """``torch.save`` of ``record`` to ``path``, atomically, the same bytes for the same record.

    Given a path, torch names the archive inside the file after it, here the random
    temporary name: the same patient written twice gave different bytes, and so different
    digests and fold keys (every fold retrained after a re-run of prepare). Through a file
    handle the name is always ``archive``.
    """
    import torch

    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        torch.save(record, handle)


def _load(path: Path) -> dict:
    import torch

    return torch.load(path, weights_only=True, map_location="cpu")  # never runs pickled code


def read_model(path: str | os.PathLike) -> dict:
    """A saved model's record (``pipeline.training.network.save_network`` writes it): the
    weights and settings, as tensors and plain values. Reading the settings needs torch
    only, not the network's libraries."""
    return _load(Path(path))


def write_patient(directory: str | os.PathLike, patient: PreprocessedPatient) -> Path:
    """Saves one preprocessed patient atomically: the crop, then the whole head.

    Two files so that training reads only the small crop. Plain tensors only, loadable
    without executing code. A patient without a whole head (``full_image`` None, as the
    spike-in study's planted crops) is saved as its crop alone.
    """
    import torch

    if patient.full_image is not None:
        save_torch(full_volume_path(directory, patient.patient_id), {
            "full_image": patient.full_image.half().contiguous(),
            "full_mask": patient.full_mask.to(torch.uint8).contiguous(),
            "full_affine": torch.as_tensor(patient.full_affine, dtype=torch.float64)})
    path = patient_path(directory, patient.patient_id)
    save_torch(path, {"patient_id": patient.patient_id, "image": patient.image.float().contiguous(),
                 "mask": patient.mask.to(torch.uint8).contiguous(),
                 "affine": torch.as_tensor(patient.affine, dtype=torch.float64),
                 "sequences": list(patient.sequences)})
    return path


def read_patient(directory: str | os.PathLike, patient_id: str,
                 full: bool = True) -> PreprocessedPatient:
    """Loads one preprocessed patient; with ``full=False`` only the model crop."""
    record = _load(patient_path(directory, patient_id))
    whole = _load(full_volume_path(directory, patient_id)) if full else {}
    full_affine = whole.get("full_affine")
    return PreprocessedPatient(
        patient_id=record["patient_id"], image=record["image"], mask=record["mask"],
        affine=record["affine"].numpy(), full_image=whole.get("full_image"),
        full_mask=whole.get("full_mask"),
        full_affine=None if full_affine is None else full_affine.numpy(),
        sequences=list(record["sequences"]))
