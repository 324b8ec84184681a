"""The model card says what the model was trained on, its figures and what it is not for."""

from pipeline.evaluation.metrics import evaluate, mann_whitney_test
from pipeline.final.card import model_card

SETTINGS = {
    "mask_channel": True, "one_hot_mask": False, "epochs": 30,
    "training": {"lr": 1e-3, "seed": 42, "max_epochs": 30, "batch_size": 4, "network": "densenet_small",
                 "augment": {"affine": 0.5, "noise": 0.0}, "recipe": "kit", "rule": "the folds' median"},
    "preprocessing": {"crop_mm": 64.0, "crop_voxels": 32, "percentiles": [0.5, 99.5], "spacing_mm": 2.0,
                      "reference": "t1", "sequences": ["t1", "t1c", "t2", "flair"], "seg_label": 16},
    "task": {"positive_class": "extensive", "threshold": 0.5},
    "data": {"patients": 24, "positives": 15, "manifest_sha256": "ab" * 32, "preprocessed_sha256": {}},
}


def metrics(target, prob):
    return {**evaluate(target, prob, bootstrap=20), **mann_whitney_test(target, prob)}


def test_the_card_names_the_cohort_preprocessing_and_limits():
    card = model_card(SETTINGS, "densenet_small", metrics([0, 1, 1, 0], [0.2, 0.9, 0.7, 0.4]),
                      {"done": False, "reason": "data_external/ holds no patients"})
    assert "24 in all: 15 positive (`extensive` infiltration) and 9 negative" in card
    assert "t1, t1c, t2, flair and the brainstem mask" in card
    assert "64 mm cube (32 voxels a side)" in card and "equal to 16" in card
    assert "30 epoch(s)" in card and "affine 0.5" in card and "noise" not in card
    assert "| AUC | 1.00" in card and "| LOOCV (internal) |" in card
    assert "No external validation was done: data_external/ holds no patients." in card
    assert "not a medical device" in card and "**generated** cohort" in card


def test_with_an_external_cohort_its_figures_sit_beside_the_internal_ones():
    external = {"done": True, **metrics([0, 1, 0, 1, 1], [0.6, 0.4, 0.3, 0.8, 0.9])}
    card = model_card(SETTINGS, "densenet_small", metrics([0, 1], [0.2, 0.9]), external)
    assert "| | LOOCV (internal) | external |" in card
    assert "| patients | 2 | 5 |" in card
    assert "score the 5 usable patients of `data_external/`" in card
    assert "No external validation" not in card
