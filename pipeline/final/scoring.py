"""Scores a cohort folder with the final model: the prepare stage's checks and
preprocessing, with the settings saved in the model file.

``python -m pipeline.predict`` and the ``external`` stage both score through
:func:`score_cohort`, so the same patient gets the same probability from either. Each
patient is scored alone (a batch of one), so its probability does not depend on which
other patients share the folder. The preprocessed crops go to a temporary folder that is
removed afterwards: nothing is written under the cohort folder.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.evaluation.predictions import DIGITS
from pipeline.final.record import (
    input_settings_of,
    label_scheme_of,
    preprocess_settings_of,
)
from pipeline.formats import paths
from pipeline.ingest.dicom import DicomOptions
from pipeline.preprocessing.cohort import prepare_cohort
from pipeline.training.fit import load_examples, predict
from pipeline.training.network import load_network


class NotAFinalModel(ValueError):
    """The model file is missing, or was not written by the ``final`` stage."""


@dataclass
class ScoredCohort:
    """Every patient of a cohort folder and the final model's view of it.

    Attributes:
        rows: one manifest row per patient (``patient_id, infiltration, target, included,
            reason``; ``target`` empty for a cohort read without labels).
        probabilities: the unrounded probability of the positive class, by included patient.
        threshold: the model's threshold (``pred`` is 1 when ``prob`` reaches it).
        network: the model's network name.
    """

    rows: list[dict]
    probabilities: dict[str, float]
    threshold: float
    network: str


def load_final_model(path: Path):
    """The final model in eval mode and its saved settings (``pipeline.final.record``).

    Raises:
        NotAFinalModel: no file there, or one without the final model's settings.
    """
    if not Path(path).is_file():
        raise NotAFinalModel(f"no model file {path}: `dvc repro` trains it (the final stage)")
    network, settings = load_network(path)
    if "preprocessing" not in settings:
        raise NotAFinalModel(f"{path} holds no preprocessing settings: it is not a model of the "
                             "final stage (outputs/final/model.pt)")
    return network, settings


def score_cohort(data_root: Path, model_path: Path, labelled: bool) -> ScoredCohort:
    """Checks, preprocesses and scores every patient of ``data_root``.

    ``labelled``: patients and labels from ``labels.csv`` (external validation);
    otherwise every patient folder is scored and ``labels.csv``, if any, is not read. The
    sequences read, the label column and its classes are the model's (its saved settings).
    """
    network, settings = load_final_model(model_path)
    task = settings["task"]
    with tempfile.TemporaryDirectory(prefix="brainstem-scoring-") as work:
        reading = settings.get("reading") or {}
        dicom = (DicomOptions(reading["dicom_series"], paths.DICOM_CACHE)
                 if reading.get("dicom_series") else None)
        rows, _ = prepare_cohort(Path(data_root), Path(work), preprocess_settings_of(settings),
                                 task["positive_class"], settings["preprocessing"]["seg_label"],
                                 reading.get("bids_session"), dicom, labelled=labelled,
                                 scheme=label_scheme_of(settings))
        included = [row["patient_id"] for row in rows if row["included"]]
        # load_examples pairs each input with a target; scoring never reads it
        examples = load_examples(work, included, dict.fromkeys(included, 0),
                                 **input_settings_of(settings))
        probabilities = predict(network, examples, batch_size=1)
    return ScoredCohort(rows, dict(zip(included, map(float, probabilities))), task["threshold"],
                        settings["training"]["network"])


def scores_frame(scored: ScoredCohort) -> pd.DataFrame:
    """``patient_id, prob, pred, included, reason``, one row per patient; ``prob`` rounded
    as every predictions file is, ``pred`` taken before rounding."""
    rows = []
    for row in scored.rows:
        prob = scored.probabilities.get(row["patient_id"])
        rows.append({"patient_id": row["patient_id"],
                     "prob": None if prob is None else round(prob, DIGITS),
                     "pred": None if prob is None else int(prob >= scored.threshold),
                     "included": row["included"], "reason": row["reason"]})
    return pd.DataFrame(rows, columns=["patient_id", "prob", "pred", "included", "reason"])
