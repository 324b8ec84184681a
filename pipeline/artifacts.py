"""Readers and writers for every file the stages hand to each other.

Stages, the dashboard and the report all go through this module, so each format has
exactly one reader and one writer. Every write is atomic: the file appears complete
under its final name or not at all, so a killed run never leaves a torn file that a
later reader would take as valid.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # torch is imported where tensors are read or written: the dashboard's
    import torch  # tables and the report need only the CSV and JSON readers, and start faster

MANIFEST_COLUMNS = ["patient_id", "infiltration", "target", "included", "reason"]
PREDICTION_COLUMNS = ["patient_id", "target", "prob", "pred", "fold"]
METRIC_RATES = ["accuracy", "sensitivity", "specificity", "balanced_accuracy"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside ``path``; renames it onto ``path`` on success.

    The rename is atomic on POSIX file systems, so readers see the old file or the new
    one, never a partial write. On error the temporary file is removed; one left by a
    killed writer is removed when ``path`` is written again.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Each file has one writer, so an earlier temporary of ``path`` is a killed write's.
    remove_leftovers(path.parent, f".{glob.escape(path.name)}.*.tmp")
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are ordinary shared files
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_leftovers(folder: str | os.PathLike, pattern: str = "**/.*.tmp") -> None:
    """Removes the temporaries (``pattern``) that writers killed before their rename
    (SIGKILL, power loss) left under ``folder``. Only for a folder no other process is
    writing to at the time."""
    for leftover in Path(folder).glob(pattern):
        leftover.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Writes ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj: object) -> None:
    """Writes ``obj`` as indented JSON, atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, allow_nan=False) + "\n")


def read_json(path: str | os.PathLike) -> dict:
    """Reads a JSON object written by :func:`write_json`."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_applied(path: str | os.PathLike, applied: dict) -> None:
    """Writes what preprocessing applied: the settings, the transforms, each patient's record."""
    write_json(path, applied)


def read_applied(path: str | os.PathLike) -> dict:
    """Reads what :func:`write_applied` wrote."""
    return read_json(path)


def write_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Writes a data frame as CSV without its index, atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


# --- manifest -----------------------------------------------------------------------


def write_manifest(path: str | os.PathLike, rows: list[dict]) -> pd.DataFrame:
    """Writes the manifest: one row per patient, included or excluded with a reason."""
    frame = pd.DataFrame(rows, columns=MANIFEST_COLUMNS).sort_values("patient_id")
    frame["target"] = frame["target"].astype("Int64")
    frame["included"] = frame["included"].map(lambda value: "true" if value else "false")
    frame["reason"] = frame["reason"].fillna("")
    write_csv(path, frame)
    return read_manifest(path)


def read_manifest(path: str | os.PathLike) -> pd.DataFrame:
    """Reads ``outputs/manifest.csv`` with typed columns (``included`` as bool)."""
    frame = pd.read_csv(path, dtype={"patient_id": str, "infiltration": str, "reason": str},
                        keep_default_na=False)
    frame["target"] = pd.to_numeric(frame["target"]).astype("Int64")
    frame["included"] = frame["included"].astype(str).str.lower() == "true"
    return frame.reset_index(drop=True)


def included_patients(manifest: pd.DataFrame) -> pd.DataFrame:
    """The included rows of a manifest, with an integer ``target``."""
    frame = manifest[manifest["included"]].copy()
    frame["target"] = frame["target"].astype(int)
    return frame.reset_index(drop=True)


def cohort(manifest_path: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
    """Included patient ids and their targets, from the manifest."""
    manifest = included_patients(read_manifest(manifest_path))
    return manifest["patient_id"].tolist(), dict(zip(manifest["patient_id"], manifest["target"].tolist()))


# --- preprocessed patients ----------------------------------------------------------


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


def write_patient(directory: str | os.PathLike, patient: PreprocessedPatient) -> Path:
    """Saves one preprocessed patient atomically: the crop, then the whole head.

    Two files so that training reads only the small crop. Plain tensors only, loadable
    without executing code.
    """
    import torch

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


# --- predictions --------------------------------------------------------------------


def write_predictions(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Writes per-patient predictions; the SPEC columns first, any extra ones after."""
    extra = [column for column in frame.columns if column not in PREDICTION_COLUMNS]
    ordered = frame[[c for c in PREDICTION_COLUMNS if c in frame.columns] + extra]
    write_csv(path, ordered.sort_values("patient_id"))


def read_predictions(path: str | os.PathLike) -> pd.DataFrame:
    """Reads a predictions CSV (``patient_id, target, prob, pred, fold`` and extras)."""
    frame = pd.read_csv(path, dtype={"patient_id": str})
    frame["target"] = frame["target"].astype(int)
    frame["pred"] = frame["pred"].astype(int)
    return frame


# --- metrics ------------------------------------------------------------------------


def write_metrics(path: str | os.PathLike, metrics: dict) -> None:
    """Writes one metrics file (an object, or one object per baseline)."""
    write_json(path, metrics)


def read_metrics(path: str | os.PathLike) -> dict:
    """Reads a metrics file written by :func:`write_metrics`."""
    return read_json(path)


def write_permutations(path: str | os.PathLike, aucs: list[float]) -> None:
    """Writes the radiomics permutation null, one AUC per shuffle of the labels."""
    write_csv(path, pd.DataFrame({"permutation": range(len(aucs)), "auc": aucs}))


def read_permutations(path: str | os.PathLike) -> pd.DataFrame:
    """The radiomics permutation null: ``permutation, auc`` (AUC under shuffled labels)."""
    return pd.read_csv(path)


# --- power study and learning curve ------------------------------------------------

POWER_COLUMNS = ["arm", "effect", "patients", "replicate", "auc", "p_value", "detected"]
LEARNING_POINT_COLUMNS = ["arm", "fraction", "repeat", "train_patients", "auc"]


def write_power_table(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Writes ``outputs/power/power.csv``: one row per arm, effect, cohort size, replicate."""
    frame = frame[POWER_COLUMNS].sort_values(["arm", "patients", "effect", "replicate"])
    write_csv(path, frame.assign(detected=frame["detected"].map({True: "true", False: "false"})))


def read_power_table(path: str | os.PathLike) -> pd.DataFrame:
    """Reads the power table with ``detected`` as bool."""
    frame = pd.read_csv(path, dtype={"arm": str})
    frame["detected"] = frame["detected"].astype(str).str.lower() == "true"
    return frame


def write_learning_points(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Writes the learning curve's raw points: one AUC per arm, training share and repeat."""
    write_csv(path, frame[LEARNING_POINT_COLUMNS].sort_values(["arm", "fraction", "repeat"]))


def read_learning_points(path: str | os.PathLike) -> pd.DataFrame:
    """Reads the learning curve's raw points."""
    return pd.read_csv(path, dtype={"arm": str})


# --- loss curves (written by DVCLive, read here) ------------------------------------


def read_history(run_dir: str | os.PathLike) -> pd.DataFrame:
    """Per-epoch train and validation loss of one run, from its DVCLive directory.

    Returns a frame with columns ``epoch, train_loss, val_loss`` (empty if the run
    logged nothing yet). ``fit`` logs each loss once per epoch through DVCLive's Lightning
    logger, so the k-th row of a loss's file is epoch k. The files' ``step`` column is not
    the epoch: it counts training batches, and where an epoch holds a single batch the
    logger replaces the step 0 by a count of its own, so steps can repeat.
    """
    metrics_dir = Path(run_dir) / "plots" / "metrics"
    columns = {"train_loss": metrics_dir / "train" / "loss.tsv",
               "val_loss": metrics_dir / "val" / "loss.tsv"}
    losses = {name: pd.read_csv(tsv, sep="\t")["loss"] for name, tsv in columns.items()
              if tsv.exists()}
    history = pd.DataFrame(losses, columns=list(columns), dtype=float)
    history.insert(0, "epoch", range(len(history)))
    return history


# --- LOOCV fold index ---------------------------------------------------------------

ROC_COLUMNS = ["fpr", "tpr", "threshold"]


def write_roc_points(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Writes ROC points for ``dvc plots show`` (dvc.yaml names them as plots): ``fpr, tpr,
    threshold``, as ``pipeline.metrics.roc_points`` gives them."""
    write_csv(path, frame[ROC_COLUMNS])


FOLD_INDEX_COLUMNS = ["fold", "test_patients", "run_dir", "seconds", "best_epoch", "lr"]


def write_fold_index(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Writes the fold index: fold number, held-out ids (``;``-joined), DVCLive dir, timing,
    the learning rate the fold trained with."""
    write_csv(path, frame[FOLD_INDEX_COLUMNS].sort_values("fold"))


def read_fold_index(path: str | os.PathLike) -> pd.DataFrame:
    """Reads the fold index written by :func:`write_fold_index`."""
    return pd.read_csv(path, dtype={"test_patients": str, "run_dir": str})


def read_fold_histories(index_path: str | os.PathLike) -> pd.DataFrame:
    """Loss curves of every fold in long form: ``fold, test_patients, epoch, train_loss, val_loss``."""
    frames = []
    for row in read_fold_index(index_path).itertuples():
        history = read_history(row.run_dir)
        history.insert(0, "test_patients", row.test_patients)
        history.insert(0, "fold", row.fold)
        frames.append(history)
    columns = ["fold", "test_patients", "epoch", "train_loss", "val_loss"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
