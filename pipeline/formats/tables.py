"""The CSV and JSON formats the stages hand to each other: manifest, predictions, metrics,
the power and learning-curve tables, the fold index, ROC points and loss histories."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from pipeline.formats.atomic import read_json, write_csv, write_json

MANIFEST_COLUMNS = ["patient_id", "infiltration", "target", "included", "reason"]
PREDICTION_COLUMNS = ["patient_id", "target", "prob", "pred", "fold"]
SCORE_COLUMNS = ["patient_id", "prob", "pred", "included", "reason"]

def write_applied(path: str | os.PathLike, applied: dict) -> None:
    """Writes what preprocessing applied: the settings, the transforms, each patient's record."""
    write_json(path, applied)


def read_applied(path: str | os.PathLike) -> dict:
    """Reads what :func:`write_applied` wrote."""
    return read_json(path)

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



# --- predictions --------------------------------------------------------------------


def write_predictions(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Writes per-patient predictions; the the contract's columns first, any extra ones after."""
    extra = [column for column in frame.columns if column not in PREDICTION_COLUMNS]
    ordered = frame[[c for c in PREDICTION_COLUMNS if c in frame.columns] + extra]
    write_csv(path, ordered.sort_values("patient_id"))


def read_predictions(path: str | os.PathLike) -> pd.DataFrame:
    """Reads a predictions CSV (``patient_id, target, prob, pred, fold`` and extras)."""
    frame = pd.read_csv(path, dtype={"patient_id": str})
    frame["target"] = frame["target"].astype(int)
    frame["pred"] = frame["pred"].astype(int)
    return frame


# --- scores of new patients (python -m pipeline.predict) -------------------------------


def write_scores(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Writes one row per patient scored: ``prob`` and ``pred`` empty for an excluded one,
    ``included`` as ``true`` / ``false``, ``reason`` as in the manifest."""
    frame = frame[SCORE_COLUMNS].sort_values("patient_id")
    write_csv(path, frame.assign(pred=frame["pred"].astype("Int64"),
                                 included=frame["included"].map(lambda v: "true" if v else "false"),
                                 reason=frame["reason"].fillna("")))


def read_scores(path: str | os.PathLike) -> pd.DataFrame:
    """Reads what :func:`write_scores` wrote, ``included`` as bool."""
    frame = pd.read_csv(path, dtype={"patient_id": str, "reason": str}, keep_default_na=False,
                        na_values={"prob": [""], "pred": [""]})
    frame["pred"] = frame["pred"].astype("Int64")
    frame["included"] = frame["included"].astype(str).str.lower() == "true"
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
COHORT_POWER_COLUMNS = ["arm", "effect", "replicate", "auc", "p_value", "detected", "d_flair", "d_t2"]
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


def write_cohort_power_table(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Writes ``outputs/power/cohort.csv`` (the spike-in study): one row per arm, planted
    effect and replicate, with the Cohen's d that effect made on the cohort."""
    frame = frame[COHORT_POWER_COLUMNS].sort_values(["arm", "effect", "replicate"])
    write_csv(path, frame.assign(detected=frame["detected"].map({True: "true", False: "false"})))


def read_cohort_power_table(path: str | os.PathLike) -> pd.DataFrame:
    """Reads the spike-in table with ``detected`` as bool."""
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
    threshold``, as ``pipeline.evaluation.metrics.roc_points`` gives them."""
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


def write_checklist(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Writes ``report/checklist.csv``: ``checklist, item, topic, status, where``."""
    write_csv(path, frame[["checklist", "item", "topic", "status", "where"]])


def read_checklist(path: str | os.PathLike) -> pd.DataFrame:
    """Reads the checklist written by :func:`write_checklist` (item numbers as text)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)
