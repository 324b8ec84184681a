"""The kit's default recipe is the one the recipe search chose (docs/training-recipe.md)."""

import dataclasses
from pathlib import Path

from bench.recipe_search import CHOSEN, RECIPES, recipe_settings
from pipeline.config.params import read_params, with_recipe
from pipeline.config.settings import input_settings, train_settings

PARAMS = Path(__file__).resolve().parents[1] / "params.yaml"
COMPARED = ("lr", "max_epochs", "batch_size", "augment", "network", "stopping")


def test_params_yaml_holds_the_chosen_recipe():
    params = read_params(PARAMS)
    assert params["recipe"] == "kit"
    chosen, inputs = recipe_settings(CHOSEN)
    kit = train_settings(params, params["loocv"]["patience"])
    assert {k: getattr(kit, k) for k in COMPARED} == {k: getattr(chosen, k) for k in COMPARED}
    assert input_settings(params) == inputs


def test_the_study_preset_is_the_searchs_study_recipe():
    params = read_params(PARAMS)
    params = with_recipe({**params, "recipe": "study"})
    study, _ = recipe_settings("study")
    kit = train_settings(params, params["loocv"]["patience"])
    for key in ("network", "stopping", "augment", "patience"):
        assert getattr(kit, key) == getattr(study, key), key
    assert "study" in RECIPES and dataclasses.is_dataclass(study)
