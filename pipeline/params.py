"""Reads ``params.yaml`` once per stage and refuses it before any work if it is wrong.

Each stage's ``main()`` calls :func:`load_params` and passes plain values on; library
functions never open ``params.yaml`` themselves. A typo'd key, a wrong type or an
impossible value stops the run with a message naming the key.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from pathlib import Path

import yaml

from pipeline import paths


class ParamsError(ValueError):
    """params.yaml is not usable; the message names the offending key."""


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads ``3e-4`` as text; DVC and YAML 1.2 read it as the number users mean."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def _number(low=None, high=None, integer=False, low_open=False) -> Callable:
    def check(key, value):
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise ParamsError(f"{key}: expected {'an integer' if integer else 'a number'}, "
                              f"got {value!r}")
        if not math.isfinite(value):
            raise ParamsError(f"{key}: expected a finite number, got {value}")
        if low is not None and (value <= low if low_open else value < low):
            raise ParamsError(f"{key}: must be {'>' if low_open else '>='} {low}, got {value}")
        if high is not None and value > high:
            raise ParamsError(f"{key}: must be <= {high}, got {value}")
    return check


def _choice(*options) -> Callable:
    def check(key, value):
        if value not in options:
            raise ParamsError(f"{key}: must be one of {', '.join(map(str, options))}, got {value!r}")
    return check


def _boolean(key, value):
    if not isinstance(value, bool):
        raise ParamsError(f"{key}: expected true or false, got {value!r}")


def _optional(check: Callable) -> Callable:
    def optional(key, value):
        if value is not None:
            check(key, value)
    return optional


def _percentiles(key, value):
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            or not 0 <= value[0] < value[1] <= 100):
        raise ParamsError(f"{key}: expected [low, high] with 0 <= low < high <= 100, got {value!r}")


def _pos_weight(key, value):
    if value is not None and value != "balanced":
        _number(0, low_open=True)(key, value)


def _list_of(check: Callable, minimum: int = 1) -> Callable:
    def each(key, value):
        if not isinstance(value, list) or len(value) < minimum:
            raise ParamsError(f"{key}: expected a list of at least {minimum}, got {value!r}")
        for index, item in enumerate(value):
            check(f"{key}[{index}]", item)
    return each


def _lr_grid(key, value):
    _list_of(_number(0, 1, low_open=True), 0)(key, value)
    if len(value) == 1:
        raise ParamsError(f"{key}: one rate is no choice; set lr: {value[0]} and lr_grid: [] instead")
    if len(set(value)) != len(value):
        raise ParamsError(f"{key}: lists a rate twice, got {value!r}")


def _text(key, value):
    if not isinstance(value, str) or not value.strip():
        raise ParamsError(f"{key}: expected a non-empty string, got {value!r}")


NETWORK_NAMES = ("densenet_small", "densenet121")
_GRID = {"effects": _list_of(_number(0)), "patients": _list_of(_number(8, integer=True)),
         "replicates": _number(1, integer=True), "networks": _list_of(_choice(*NETWORK_NAMES), 0)}

SCHEMA: dict = {
    "recipe": _choice("kit", "study"),
    "lr": _number(0, 1, low_open=True),
    "seed": _number(0, integer=True),
    "data": {"positive_class": _choice("extensive", "microscopic", "none"),
             "seg_label": _optional(_number(1, integer=True)),  # 0 is background
             "min_patients": _number(4, integer=True)},
    "prepare": {"crop_mm": _number(8, 512), "crop_voxels": _number(32, 256, integer=True),
                "percentiles": _percentiles, "one_hot_mask": _boolean},
    "model": {"network": _choice(*NETWORK_NAMES), "mask_channel": _boolean,
              "pos_weight": _pos_weight},
    "train": {"stopping": _choice("fixed", "early"),
              "max_epochs": _number(1, integer=True), "patience": _number(1, integer=True),
              "batch_size": _number(1, integer=True), "val_batch_size": _number(1, integer=True),
              "holdout_size": _number(2, integer=True), "validation_size": _number(2, integer=True),
              "num_workers": _number(0, integer=True),
              "precision": _choice("auto", "32", "bf16-mixed", "16-mixed")},
    "augment": {name: _number(0, 1) for name in ("affine", "noise", "gamma", "motion", "bias_field")},
    "loocv": {"scheme": _choice("loo", "rebalanced_loo", "kfold"), "folds": _number(2, integer=True),
              "patience": _number(1, integer=True), "inner_val_size": _number(2, integer=True),
              "lr_grid": _lr_grid,
              "jobs": _number(1, integer=True), "threads": _number(1, integer=True),
              "executor": _choice("local", "ray"),
              "ray_address": _optional(_text)},
    "evaluate": {"threshold": _number(0, 1, low_open=True), "bootstrap": _number(0, integer=True),
                 "permutations": _number(0, integer=True)},
    "learning_curve": {"arms": _list_of(_choice("radiomics", *NETWORK_NAMES)),
                       "fractions": _list_of(_number(0, 1, low_open=True), 3),
                       "repeats": _number(1, integer=True), "folds": _number(2, integer=True),
                       "bootstrap": _number(0, integer=True),
                       "project_to": _list_of(_number(2, integer=True))},
    "power": {"grid": _choice("cpu", "study"), "grids": {"cpu": _GRID, "study": _GRID},
              "controls": {"effect": _number(0, low_open=True), "patients": _number(8, integer=True)},
              "folds": _number(2, integer=True), "alpha": _number(0, 0.5, low_open=True),
              "seed": _number(0, integer=True), "jobs": _number(1, integer=True),
              "executor": _choice("local", "ray")},
}


def validate(params: dict, schema: dict = SCHEMA, prefix: str = "") -> None:
    """Checks every key of ``params`` against ``schema`` (unknown and missing keys too).

    Raises:
        ParamsError: naming the first wrong key, e.g. ``train.max_epochs``.
    """
    if not isinstance(params, dict):
        raise ParamsError(f"{prefix.rstrip('.') or 'params.yaml'}: expected a mapping")
    for key in params:
        if key not in schema:
            raise ParamsError(f"{prefix}{key}: unknown key{_suggestion(key, schema, prefix)}")
    for key, rule in schema.items():
        if key not in params:
            raise ParamsError(f"{prefix}{key}: missing")
        if isinstance(rule, dict):
            validate(params[key], rule, f"{prefix}{key}.")
        else:
            rule(prefix + key, params[key])


def _suggestion(key, schema: dict, prefix: str) -> str:
    """``; did you mean data.seg_label?`` for a typo, else the keys allowed at that level."""
    close = difflib.get_close_matches(str(key), list(schema), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {prefix}{close[0]}?"
    return f" (known here: {', '.join(prefix + name for name in schema)})"


def read_params(path: str | Path = paths.PARAMS) -> dict:
    """Reads and validates ``params.yaml``.

    Raises:
        ParamsError: the file is missing, is not YAML, or a key is wrong (named in the message).
    """
    try:
        with open(path, encoding="utf-8") as handle:
            params = yaml.load(handle, Loader=_Loader)  # a SafeLoader: builds no objects
    except OSError as error:
        raise ParamsError(f"{path}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML: {error}") from None
    validate(params)
    return with_recipe(params)


# The student study's recipe, for reproducing its collapse: DenseNet121, early stopping on
# a few validation patients (patience 3, 2 in LOOCV) and all five augmentations.
STUDY_RECIPE = {
    "lr": 3e-4,
    "prepare": {"one_hot_mask": True},
    "model": {"network": "densenet121", "mask_channel": False},
    "train": {"stopping": "early", "patience": 3},
    "loocv": {"patience": 2},
    "augment": {"affine": 0.5, "noise": 0.3, "gamma": 0.3, "motion": 0.1, "bias_field": 0.2},
}


def with_recipe(params: dict) -> dict:
    """``params`` with the named ``recipe`` applied: ``kit`` changes nothing, ``study``
    overrides the keys of :data:`STUDY_RECIPE` (the rest stays as written)."""
    if params["recipe"] != "study":
        return params
    merged = {key: dict(value) if isinstance(value, dict) else value for key, value in params.items()}
    for key, value in STUDY_RECIPE.items():
        if isinstance(value, dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


def load_params(path: str | Path = paths.PARAMS) -> dict:
    """Reads and validates ``params.yaml``; exits with the message on a bad value."""
    try:
        return read_params(path)
    except ParamsError as error:
        raise SystemExit(f"params.yaml is not valid: {error}") from None


def train_settings(params: dict, patience: int, progress_bar: bool = True):
    """The :class:`~pipeline.fit.TrainSettings` of a run, from validated params."""
    from pipeline.fit import TrainSettings  # here so reading params never imports torch

    train = params["train"]
    return TrainSettings(
        lr=params["lr"], seed=params["seed"], max_epochs=train["max_epochs"], patience=patience,
        batch_size=train["batch_size"], val_batch_size=train["val_batch_size"],
        augment=dict(params["augment"]), pos_weight=params["model"]["pos_weight"],
        network=params["model"]["network"], stopping=train["stopping"],
        num_workers=train["num_workers"], precision=train["precision"], progress_bar=progress_bar)


def input_settings(params: dict) -> dict:
    """How the model input is built from a preprocessed patient (mask channels or not)."""
    return {"mask_channel": params["model"]["mask_channel"],
            "one_hot_mask": params["prepare"]["one_hot_mask"]}
