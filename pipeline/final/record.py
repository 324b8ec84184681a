"""What the final model file holds beside its weights, and the settings read back from it.

Scoring a new patient must repeat exactly what the model was trained on: the same checks,
preprocessing and model input, and the same positive class and threshold. So the model
file carries them, and ``python -m pipeline.predict`` takes them from there rather than
from the current ``params.yaml``, which may have changed since. It also names the data it
was trained on by digest (the manifest and each preprocessed patient), so a model file can
be matched to its cohort. Plain values only: the file loads with ``weights_only=True``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline import formats
from pipeline.config.settings import (
    STUDY,
    LabelScheme,
    PreprocessSettings,
    TrainSettings,
)

EPOCHS_RULE = ("fixed epochs on every included patient: the median of the epochs the LOOCV "
               "folds trained")


def data_digest(manifest: Path, preprocessed: Path, patient_ids: list[str],
                targets: dict[str, int]) -> dict:
    """The training data by SHA-256: the manifest, each patient's preprocessed crop."""
    return {"patients": len(patient_ids), "positives": sum(targets[i] for i in patient_ids),
            "manifest_sha256": formats.file_digest(manifest),
            "preprocessed_sha256": {pid: formats.file_digest(formats.patient_path(preprocessed, pid))
                                    for pid in patient_ids}}


def model_record(settings: TrainSettings, inputs: dict, applied: dict, seg_label: int | None,
                 positive_class: str | list[str], threshold: float, recipe: str, data: dict,
                 reading: dict | None = None, scheme: LabelScheme = STUDY) -> dict:
    """The ``settings`` saved with the final model's weights (``save_network``).

    The preprocessing is what the prepare stage applied (``applied``, its
    ``outputs/preprocessed/applied.json``). ``mask_channel`` and ``one_hot_mask`` stay at
    the top, where every saved model keeps them (``load_network``'s readers build the model
    input from them). ``reading``: how new cohorts' files are read, as the training cohort's
    were (``dicom_series``: the DICOM matching patterns; ``bids_session``). ``task`` keeps
    the label column and its classes (``scheme``), read again by external validation.
    """
    prepare = applied["params"]
    training = {key: value for key, value in dataclasses.asdict(settings).items()
                if key not in ("patience", "progress_bar")}  # unused: fixed epochs, no console
    return {**inputs,
            "epochs": settings.max_epochs,
            "training": {**training, "augment": dict(settings.augment), "recipe": recipe,
                         "rule": EPOCHS_RULE},
            "preprocessing": {"crop_mm": float(prepare["crop_mm"]),
                              "crop_voxels": int(prepare["crop_voxels"]),
                              "percentiles": [float(p) for p in prepare["percentiles"]],
                              "spacing_mm": float(applied["spacing_mm"]),
                              "reference": applied["reference"],
                              "sequences": list(applied["sequences"]), "seg_label": seg_label},
            "task": {"positive_class": positive_class, "threshold": float(threshold),
                     "label_column": scheme.column, "classes": list(scheme.classes)},
            "reading": dict(reading or {}),
            "data": data}


def preprocess_settings_of(record: dict) -> PreprocessSettings:
    """The preprocessing a model was trained with, from its saved settings."""
    saved = record["preprocessing"]
    return PreprocessSettings(saved["crop_mm"], saved["crop_voxels"], tuple(saved["percentiles"]),
                              tuple(saved["sequences"]))


def label_scheme_of(record: dict) -> LabelScheme:
    """The label column and classes a model was trained on (a model saved before they were
    recorded: the study's)."""
    task = record["task"]
    return LabelScheme(task.get("label_column", STUDY.column),
                       tuple(task.get("classes", STUDY.classes)))


def input_settings_of(record: dict) -> dict:
    """How the model input is built (mask channels or not), from its saved settings."""
    return {"mask_channel": record["mask_channel"], "one_hot_mask": record["one_hot_mask"]}
