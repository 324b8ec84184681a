"""Tiny NIfTI patients for ingest and preprocessing tests.

Each sequence is sampled from the same analytic phantom in world coordinates, on its own
grid, so geometry tests can check where a physical point lands.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np

SEQUENCES = ("t1", "t1c", "t2", "flair")
BRAINSTEM_CENTRE = np.array([0.0, -10.0, -15.0])  # mm, RAS
MARKER = np.array([8.0, 2.0, -6.0])  # a bright point every sequence shows


def grid_affine(spacing=(4.0, 4.0, 4.0), shape=(20, 20, 20), axes=(0, 1, 2), flips=(1, 1, 1)):
    """Voxel-to-world matrix of a grid centred on the origin, with permuted/flipped axes."""
    affine = np.zeros((4, 4))
    for column, (axis, step, flip) in enumerate(zip(axes, spacing, flips)):
        affine[axis, column] = step * flip
    centre = (np.array(shape) - 1) / 2
    affine[:3, 3] = -affine[:3, :3] @ centre
    affine[3, 3] = 1
    return affine


def world_coordinates(affine: np.ndarray, shape) -> np.ndarray:
    """World (mm) coordinates of every voxel centre, shape (*shape, 3)."""
    index = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1)
    return index @ affine[:3, :3].T + affine[:3, 3]


def phantom(world: np.ndarray, contrast: float) -> np.ndarray:
    """A head-like ellipsoid, a brighter brainstem and a bright marker blob."""
    head = (np.sum((world / [30, 36, 32]) ** 2, -1) < 1).astype(np.float32) * 100
    stem = np.sum(((world - BRAINSTEM_CENTRE) / [6, 6, 12]) ** 2, -1) < 1
    marker = np.sum((world - MARKER) ** 2, -1) < 6.0 ** 2
    return head + 40 * contrast * stem + 400 * marker


def brainstem(world: np.ndarray) -> np.ndarray:
    """The brainstem label map (uint8, 1 inside)."""
    return (np.sum(((world - BRAINSTEM_CENTRE) / [6, 6, 12]) ** 2, -1) < 1).astype(np.uint8)


def save(path: Path, data: np.ndarray, affine: np.ndarray) -> Path:
    """Writes ``data`` as NIfTI at ``path`` (gzip if the name ends with .gz)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, affine), path)
    return path


DEFAULT_GRIDS = {
    "t1": grid_affine((4, 4, 4), (18, 20, 18)),
    "t1c": grid_affine((4, 4, 4), (18, 20, 18)),
    "t2": grid_affine((4, 4, 6), (18, 20, 12)),
    "flair": grid_affine((6, 4, 4), (20, 18, 12), axes=(2, 1, 0), flips=(-1, -1, 1)),
    "seg": grid_affine((2, 2, 2), (36, 40, 36)),
}
DEFAULT_SHAPES = {"t1": (18, 20, 18), "t1c": (18, 20, 18), "t2": (18, 20, 12),
                  "flair": (20, 18, 12), "seg": (36, 40, 36)}


def write_patient(folder: Path, skip=(), names=None, contrast: float = 1.0) -> dict[str, Path]:
    """Writes one tiny patient (four sequences + seg, each on its own grid) into ``folder``."""
    names = names or {}
    written = {}
    for name in (*SEQUENCES, "seg"):
        if name in skip:
            continue
        affine, shape = DEFAULT_GRIDS[name], DEFAULT_SHAPES[name]
        world = world_coordinates(affine, shape)
        data = brainstem(world) if name == "seg" else phantom(world, contrast).astype(np.int16)
        written[name] = save(folder / names.get(name, f"{name}.nii.gz"), data, affine)
    return written


def write_cohort(root: Path, labels: dict[str, str], lines: list[str] | None = None) -> Path:
    """Writes ``labels.csv`` (or the given raw ``lines``) and one patient per label."""
    root.mkdir(parents=True, exist_ok=True)
    for index, patient_id in enumerate(labels):
        write_patient(root / patient_id, contrast=1.0 + 0.1 * index)
    text = lines if lines is not None else ["patient_id,infiltration"] + [
        f"{pid},{label}" for pid, label in labels.items()]
    (root / "labels.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    return root


# --- the same patients as a BIDS dataset -------------------------------------------------

BIDS_SUFFIXES = {"t1": "T1w", "t1c": "ce-gadolinium_T1w", "t2": "T2w", "flair": "FLAIR"}
MASKS = "masks"  # the derivatives pipeline holding the brainstem masks


def write_json(path: Path, content: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def bids_names(subject: str, session: str | None = None, pipeline: str = MASKS) -> dict[str, str]:
    """Each image's path in a BIDS dataset, the mask in ``derivatives/<pipeline>/``."""
    entities = f"sub-{subject}" + (f"_ses-{session}" if session else "")
    folder = f"sub-{subject}" + (f"/ses-{session}" if session else "") + "/anat"
    names = {name: f"{folder}/{entities}_{suffix}.nii.gz" for name, suffix in BIDS_SUFFIXES.items()}
    names["seg"] = f"derivatives/{pipeline}/{folder}/{entities}_label-BS_mask.nii.gz"
    return names


def write_bids_cohort(root: Path, labels: dict[str, str], rows: list[str] | None = None) -> Path:
    """A BIDS dataset (descriptions, ``participants.tsv``, one subject per label) of the
    patients :func:`write_cohort` writes; ``rows`` replaces the table's rows (after its header)."""
    write_json(root / "dataset_description.json", {"Name": "test", "BIDSVersion": "1.10.0"})
    write_json(root / "derivatives" / MASKS / "dataset_description.json",
               {"Name": "masks", "BIDSVersion": "1.10.0", "DatasetType": "derivative",
                "GeneratedBy": [{"Name": "tests"}]})
    for index, subject in enumerate(labels):
        write_patient(root, names=bids_names(subject), contrast=1.0 + 0.1 * index)
    rows = rows if rows is not None else [f"sub-{subject}\t{label}" for subject, label in labels.items()]
    (root / "participants.tsv").write_text("\n".join(["participant_id\tinfiltration", *rows]) + "\n",
                                           encoding="utf-8")
    return root
