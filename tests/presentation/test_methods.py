"""The Methods paragraphs say what the run applied, not what a template assumes."""

import copy
from pathlib import Path

from pipeline.config.params import read_params
from pipeline.presentation.methods import methods_paragraphs

PARAMS = read_params(Path(__file__).resolve().parents[2] / "params.yaml")
APPLIED = {"params": {"crop_mm": 48.0, "crop_voxels": 24, "percentiles": [1.0, 99.0]},
           "spacing_mm": 2.0, "reference": "t1", "sequences": ["t1c", "flair"]}
LOOCV = {"n": 20, "scheme": "kfold", "folds": 5}


def test_the_preprocessing_paragraph_follows_applied_json():
    text = methods_paragraphs(APPLIED, PARAMS, LOOCV, None)[0]
    assert "contrast-enhanced T1 and FLAIR" in text and "2.0 mm isotropic" in text
    assert "1st and 99th percentiles" in text and "48 mm (24 voxels a side)" in text


def test_the_model_and_statistics_paragraphs_follow_params():
    params = copy.deepcopy(PARAMS)
    params["lr"], params["evaluate"]["bootstrap"] = 3e-4, 500
    _, model, evaluation, statistics = methods_paragraphs(APPLIED, params, LOOCV, None)
    assert "learning rate 0.0003" in model
    assert "stratified 5-fold cross-validation (5 folds over 20 patients)" in evaluation
    assert "reference models" not in evaluation  # no baselines given, none described
    assert "500 bootstrap resamples" in statistics and "label permutations" not in statistics
