"""The Methods section as paragraphs a co-author can paste, generated from what was applied
(``outputs/preprocessed/applied.json``), the params and the metrics files, with the versions of
the libraries that did the work."""

from __future__ import annotations

import importlib.metadata

from pipeline.evaluation.reference_models import SELECTED_FEATURES
from pipeline.presentation.power_summaries import recipe_summary

SEQUENCE_NAMES = {"t1": "T1", "t1c": "contrast-enhanced T1", "t2": "T2", "flair": "FLAIR"}


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def _ordinal(value: float) -> str:
    """``1`` -> ``1st``, ``99.5`` -> ``99.5th``."""
    if value != int(value):
        return f"{value:g}th"
    value = int(value)
    suffix = "th" if 10 <= value % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
    return f"{value}{suffix}"


def _sequences(names: list[str]) -> str:
    named = [SEQUENCE_NAMES.get(name, name) for name in names]
    return ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else "".join(named)


def preprocessing_paragraph(applied: dict, params: dict) -> str:
    """Reorientation, resampling, intensity scaling and the crop, as applied."""
    settings = {**params["prepare"], **(applied.get("params") or {})}  # as applied, where recorded
    low, high = settings["percentiles"]
    mask = ("two one-hot channels (background, brainstem)" if params["prepare"]["one_hot_mask"]
            else "one channel")
    mask_input = (f" The brainstem mask was added to the network's input as {mask}."
                  if params["model"]["mask_channel"] else "")
    return (f"Preprocessing used TorchIO {_version('torchio')}. Each patient's "
            f"{_sequences(applied.get('sequences', []))} images and brainstem mask were reoriented "
            f"to the closest canonical (RAS+) orientation. The {SEQUENCE_NAMES.get(applied.get('reference'), applied.get('reference'))} "
            f"image was resampled to {applied.get('spacing_mm')} mm isotropic voxels with "
            "anti-aliasing, and every other image and the mask onto that grid in physical space "
            "(linear interpolation for images, nearest neighbour for the mask). The intensities of "
            f"each sequence were rescaled to [0, 1] between its {_ordinal(low)} and {_ordinal(high)} "
            f"percentiles. A cube of {settings['crop_mm']:g} mm ({settings['crop_voxels']} "
            "voxels a side) centred on the brainstem mask's bounding box was cropped, zero-padded "
            f"where it left the image.{mask_input}")


def model_paragraph(params: dict) -> str:
    """The network, its loss and optimiser, the stopping rule and the augmentation."""
    train = params["train"]
    return (recipe_summary(params) + f" Batch size {train['batch_size']}; random seed "
            f"{params['seed']}; MONAI {_version('monai')}, PyTorch {_version('torch')}, "
            f"PyTorch Lightning {_version('lightning')}.")


def evaluation_paragraph(params: dict, loocv: dict, baselines: dict | None) -> str:
    """How the patients were held out and what the network was compared with."""
    scheme = {"loo": "leave-one-out cross-validation",
              "rebalanced_loo": "rebalanced leave-one-out cross-validation (one training "
                                "patient of the other class dropped per fold, so every fold "
                                "keeps the same class balance)",
              "kfold": f"stratified {params['loocv']['folds']}-fold cross-validation"}
    text = (f"Performance was estimated by {scheme.get(loocv.get('scheme'), loocv.get('scheme'))} "
            f"({loocv.get('folds')} folds over {loocv['n']} patients): each fold trained its own "
            "model and scored only its held-out patients. A single stratified split "
            f"({params['train']['holdout_size']} patients held out) is reported beside it. ")
    if baselines:
        text += ("Two reference models went through the same folds: one predicting each fold's "
                 "training prevalence, and a logistic regression on PyRadiomics "
                 f"{_version('pyradiomics-bhklab')} first-order and texture features inside the "
                 f"brainstem, with imputation, scaling and the selection of {SELECTED_FEATURES} features by ANOVA "
                 "F-test refitted inside each fold.")
    return text.rstrip()


def statistics_paragraph(params: dict, baselines: dict | None) -> str:
    """Intervals, tests against chance, calibration and decision curves."""
    evaluate = params["evaluate"]
    permutations = ((baselines or {}).get("radiomics") or {}).get("permutations")
    permuted = (f" The radiomics model's AUC was also tested against {permutations} label "
                "permutations of the whole cross-validation." if permutations else "")
    return ("Accuracy, sensitivity and specificity are given with Wilson 95% intervals; balanced "
            "accuracy, AUC, the Brier score and the calibration intercept and slope with "
            f"percentile intervals from {evaluate['bootstrap']} bootstrap resamples drawn within "
            f"each class. Predictions used a threshold of {evaluate['threshold']:g} fixed before "
            "evaluation. Discrimination against chance was tested with a one-sided Mann-Whitney U "
            f"test of the held-out probabilities (AUC > 0.5).{permuted} Calibration was assessed "
            "by logistic recalibration (statsmodels "
            f"{_version('statsmodels')}): the intercept with the logit of the predicted "
            "probability as offset (calibration-in-the-large) and the slope of that logit. "
            f"Clinical utility was assessed by decision curve analysis (dcurves {_version('dcurves')}).")


def methods_paragraphs(applied: dict, params: dict, loocv: dict, baselines: dict | None) -> list[str]:
    """Preprocessing, model, evaluation and statistics, one paragraph each."""
    return [preprocessing_paragraph(applied, params), model_paragraph(params),
            evaluation_paragraph(params, loocv, baselines), statistics_paragraph(params, baselines)]
