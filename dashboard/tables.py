"""Frames the pages show, joined from the pipeline's outputs (no Streamlit, no file access)."""

from __future__ import annotations

import pandas as pd

from pipeline import formats

LABELS = {0: "negative", 1: "positive"}
PATIENT_COLUMNS = ["patient_id", "infiltration", "label", "loocv_prob", "loocv_correct",
                   "split", "single_split_prob", "single_split_correct"]


def _scores(predictions: pd.DataFrame | None, prefix: str) -> pd.DataFrame:
    """``patient_id, <prefix>_prob, <prefix>_correct`` (and ``split``) of one predictions file."""
    columns = ["patient_id", f"{prefix}_prob", f"{prefix}_correct"]
    if predictions is None:
        return pd.DataFrame(columns=columns)
    scores = pd.DataFrame({"patient_id": predictions["patient_id"],
                           f"{prefix}_prob": predictions["prob"],
                           f"{prefix}_correct": predictions["pred"] == predictions["target"]})
    if prefix == "single_split":
        scores["split"] = predictions["fold"].astype(str)
    return scores


def patient_table(manifest: pd.DataFrame, loocv: pd.DataFrame | None,
                  train: pd.DataFrame | None) -> pd.DataFrame:
    """Every included patient: label, LOOCV and single-split probability, right or wrong.

    A prediction not produced yet leaves its columns empty.
    """
    table = formats.included_patients(manifest)[["patient_id", "infiltration", "target"]]
    table["label"] = table["target"].map(LABELS)
    for predictions, prefix in ((loocv, "loocv"), (train, "single_split")):
        table = table.merge(_scores(predictions, prefix), on="patient_id", how="left")
    for column in PATIENT_COLUMNS:
        if column not in table:
            table[column] = pd.NA
    for column in ("loocv_correct", "single_split_correct"):
        table[column] = table[column].astype("boolean")
    return table[PATIENT_COLUMNS]


def filter_patients(table: pd.DataFrame, label: str = "all",
                    loocv_errors_only: bool = False) -> pd.DataFrame:
    """The rows of one true class (``all``, ``negative``, ``positive``), LOOCV errors only if asked."""
    keep = pd.Series(True, index=table.index)
    if label != "all":
        keep &= table["label"] == label
    if loocv_errors_only:
        keep &= table["loocv_correct"].eq(False).fillna(False)
    return table[keep]


def excluded_patients(manifest: pd.DataFrame) -> pd.DataFrame:
    """The excluded rows of a manifest with their reasons."""
    return manifest.loc[~manifest["included"], ["patient_id", "infiltration", "reason"]]


def confusion_table(metrics: dict) -> pd.DataFrame:
    """A metrics object's 2x2 counts: rows the truth, columns the prediction."""
    return pd.DataFrame([[metrics["tn"], metrics["fp"]], [metrics["fn"], metrics["tp"]]],
                        index=["truth negative", "truth positive"],
                        columns=["predicted negative", "predicted positive"])


def roc_inputs(loocv: pd.DataFrame | None, train: pd.DataFrame | None,
               baselines: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Predictions per evaluation, named as in ``pipeline.presentation.results``, for ``roc_figure``."""
    curves = {}
    if loocv is not None:
        curves["LOOCV"] = loocv
    if train is not None:
        curves["Hold-out"] = train[train["fold"] == "holdout"]
        curves["Resubstitution (optimistic)"] = train
    if baselines is not None:
        for name, frame in baselines.groupby("baseline", sort=False):
            curves[f"Baseline: {name}"] = frame
    return {name: frame for name, frame in curves.items() if len(frame)}
