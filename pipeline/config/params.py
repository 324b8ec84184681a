"""Reads ``params.yaml`` once per stage and refuses it before any work if it is wrong.

The file's shape is a set of pydantic models, one per section: a typo'd key, a wrong type
or an impossible value stops the run with a message naming the key. Each stage's
``main()`` calls :func:`load_params` and passes plain values on; library functions never
open ``params.yaml`` themselves.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from pipeline.formats import paths


class ParamsError(ValueError):
    """params.yaml is not usable; the message names the offending key."""


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads ``3e-4`` as text; DVC and YAML 1.2 read it as the number users mean."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def _percentiles(value: list[float]) -> list[float]:
    if len(value) != 2 or not 0 <= value[0] < value[1] <= 100:
        raise ValueError(f"expected [low, high] with 0 <= low < high <= 100, got {value!r}")
    return value


def _lr_grid(value: list[float]) -> list[float]:
    if len(value) == 1:
        raise ValueError(f"one rate is no choice; set lr: {value[0]} and lr_grid: [] instead")
    if len(set(value)) != len(value):
        raise ValueError(f"lists a rate twice, got {value!r}")
    return value


def _pos_weight(value: Any) -> Any:
    if value is None or value == "balanced":
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"expected null, \"balanced\" or a number > 0, got {value!r}")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _pattern(value: str) -> str:
    """A ``SeriesDescription`` pattern: a non-empty Python regular expression (an empty one
    would match every series)."""
    _not_blank(value)
    try:
        re.compile(value, re.IGNORECASE)
    except re.error as error:
        raise ValueError(f"not a valid regular expression ({error}): {value!r}") from None
    return value


def Int(low: int, high: int | None = None) -> Any:
    return Annotated[int, Field(ge=low, le=high)]


Rate = Annotated[float, Field(gt=0, le=1)]  # a learning rate, probability or share
Probability = Annotated[float, Field(ge=0, le=1)]
Network = Literal["densenet_small", "densenet121"]


class Section(BaseModel):
    # strict: "8" is not 8, true is not 1; finite numbers only.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Bids(Section):
    session: Annotated[str, AfterValidator(_not_blank)] | None  # "01", not 01: a label is text


Pattern = Annotated[str, AfterValidator(_pattern)]


class DicomPatterns(Section):
    """Each sequence's ``SeriesDescription`` pattern: the four known ones', and one for each
    other chosen sequence (an extra key; :func:`_check_data` refuses any other)."""

    model_config = ConfigDict(extra="allow", strict=True)

    t1: Pattern
    t1c: Pattern
    t2: Pattern
    flair: Pattern


class Dicom(Section):
    series: DicomPatterns


STUDY_SEQUENCES = ["t1", "t1c", "t2", "flair"]
STUDY_CLASSES = ["none", "microscopic", "extensive"]
SEQUENCE_NAME = re.compile(r"[a-z0-9][a-z0-9_]{0,31}")
# The known sequences' file-name aliases (pipeline.ingest.naming.ALIASES; the config does
# not import the ingest): a chosen name must not be another chosen sequence's alias.
KNOWN_ALIASES = {
    "t1": ("t1", "t1w", "t1n"),
    "t1c": ("t1c", "t1ce", "t1gd", "t1post", "t1wc"),
    "t2": ("t2", "t2w"),
    "flair": ("flair", "t2flair", "t2_flair", "t2f"),
    "seg": ("seg", "brainstem", "mask", "aseg", "synthseg"),
}


def _sequences(value: list[str]) -> list[str]:
    for name in value:
        if not SEQUENCE_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a sequence name (lower-case letters, digits, "
                             "'_'; as its files are named, e.g. adc for adc.nii.gz)")
    twice = sorted({name for name in value if value.count(name) > 1})
    if twice:
        raise ValueError(f"lists {', '.join(twice)} twice, got {value!r}")
    for name in value:
        if name in KNOWN_ALIASES["seg"]:
            raise ValueError(f"{name!r} names the brainstem mask's file (docs/contract.md), "
                             "not a sequence")
        owners = [other for other in value
                  if other != name and name in KNOWN_ALIASES.get(other, ())]
        if owners:
            raise ValueError(f"{name!r} is a file-name alias of {owners[0]} (docs/contract.md); "
                             f"choose {owners[0]} instead")
    return value


def _classes(value: list[str]) -> list[str]:
    for name in value:
        _not_blank(name)
    lowered = [name.strip().lower() for name in value]
    twice = sorted({name for name in lowered if lowered.count(name) > 1})
    if twice:
        raise ValueError(f"lists {', '.join(twice)} twice (case is ignored), got {value!r}")
    return value


def _label_column(value: str) -> str:
    _not_blank(value)
    if value.strip().lower() in ("patient_id", "participant_id"):
        raise ValueError(f"{value!r} is the id column, not a label column")
    return value


class Data(Section):
    # The sequences required and used, in channel order; the first is the reference grid.
    sequences: Annotated[list[str], Field(min_length=1), AfterValidator(_sequences)] = Field(
        default_factory=lambda: list(STUDY_SEQUENCES))
    label_column: Annotated[str, AfterValidator(_label_column)] = "infiltration"
    classes: Annotated[list[str], Field(min_length=2), AfterValidator(_classes)] = Field(
        default_factory=lambda: list(STUDY_CLASSES))
    # one class, or a list of classes, making the positive group (checked against classes)
    positive_class: str | Annotated[list[str], Field(min_length=1)]
    seg_label: Int(1) | None  # 0 is background
    min_patients: Int(4)
    bids: Bids
    dicom: Dicom


class Prepare(Section):
    crop_mm: Annotated[float, Field(ge=8, le=512)]
    crop_voxels: Int(32, 256)
    percentiles: Annotated[list[float], AfterValidator(_percentiles)]
    one_hot_mask: bool


class Model(Section):
    network: Network
    mask_channel: bool
    pos_weight: Annotated[Any, AfterValidator(_pos_weight)]


class Train(Section):
    stopping: Literal["fixed", "early"]
    max_epochs: Int(1)
    patience: Int(1)
    batch_size: Int(1)
    val_batch_size: Int(1)
    holdout_size: Int(2)
    validation_size: Int(2)
    num_workers: Int(0)
    precision: Literal["auto", "32", "bf16-mixed", "16-mixed"]


class Augment(Section):
    affine: Probability
    noise: Probability
    gamma: Probability
    motion: Probability
    bias_field: Probability


class Loocv(Section):
    scheme: Literal["loo", "rebalanced_loo", "kfold"]
    folds: Int(2)
    patience: Int(1)
    inner_val_size: Int(2)
    lr_grid: Annotated[list[Rate], AfterValidator(_lr_grid)]
    jobs: Int(1)
    threads: Int(1)
    executor: Literal["local", "ray"]
    ray_address: Annotated[str, AfterValidator(_not_blank)] | None


class Evaluate(Section):
    threshold: Rate
    bootstrap: Int(0)
    permutations: Int(0)


class LearningCurve(Section):
    arms: Annotated[list[Literal["radiomics", "densenet_small", "densenet121"]], Field(min_length=1)]
    fractions: Annotated[list[Rate], Field(min_length=3)]
    repeats: Int(1)
    folds: Int(2)
    bootstrap: Int(0)
    project_to: Annotated[list[Int(2)], Field(min_length=1)]


class Grid(Section):
    effects: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=1)]
    patients: Annotated[list[Int(8)], Field(min_length=1)]
    replicates: Int(1)
    networks: list[Network]


class Grids(Section):
    cpu: Grid
    study: Grid


class Controls(Section):
    effect: Annotated[float, Field(gt=0)]
    patients: Int(8)


class SpikeIn(Section):
    networks: Annotated[list[Network], Field(min_length=1)]
    largest_effect: Annotated[float, Field(gt=0)]
    control_replicates: Int(1)
    probes: Int(0)
    replicates: Int(1)
    reference_replicates: Int(1)
    seed: Int(0)


class Power(Section):
    grid: Literal["cpu", "study"]
    grids: Grids
    controls: Controls
    cohort: SpikeIn
    folds: Int(2)
    alpha: Annotated[float, Field(gt=0, le=0.5)]
    seed: Int(0)
    jobs: Int(1)
    executor: Literal["local", "ray"]


class Params(Section):
    """Every key of ``params.yaml``; its comments say what each one does."""

    recipe: Literal["kit", "study"]
    lr: Rate
    seed: Int(0)
    data: Data
    prepare: Prepare
    model: Model
    train: Train
    augment: Augment
    loocv: Loocv
    evaluate: Evaluate
    learning_curve: LearningCurve
    power: Power


def _key(location: tuple) -> str:
    """``("power", "grids", "cpu", "effects", 1)`` -> ``power.grids.cpu.effects[1]``."""
    key = ""
    for part in location:
        key += f"[{part}]" if isinstance(part, int) else f"{'.' if key else ''}{part}"
    return key or "params.yaml"


def _fields_at(location: tuple) -> list[str]:
    """The keys allowed in the section at ``location`` (for the unknown key's suggestion)."""
    model: type[BaseModel] = Params
    for part in location:
        annotation = model.model_fields[part].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _suggestion(location: tuple) -> str:
    """``; did you mean data.seg_label?`` for a typo, else the keys allowed at that level."""
    *section, key = location
    known = _fields_at(tuple(section))
    prefix = _key(tuple(section)) + "." if section else ""
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {prefix}{close[0]}?"
    return f" (known here: {', '.join(prefix + name for name in known)})"


def _choices(expected: str) -> str:
    """pydantic's ``'a', 'b' or 'c'`` as ``a, b, c``."""
    return expected.replace("'", "").replace(" or ", ", ")


def _message(error: dict) -> str:
    """One pydantic error in the words of this file's users, after the key."""
    kind, context, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "extra_forbidden":
        return "unknown key" + _suggestion(error["loc"])
    if kind == "missing":
        return "missing"
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
              "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(context.values()))
        return f"must be {bounds[kind]} {limit:g}, got {value}"
    if kind == "literal_error":
        return f"must be one of {_choices(context['expected'])}, got {value!r}"
    if kind == "too_short":
        return f"expected a list of at least {context['min_length']}, got {value!r}"
    described = {"int_type": "an integer", "float_type": "a number", "bool_type": "true or false",
                 "list_type": "a list", "model_type": "a mapping", "dict_type": "a mapping",
                 "string_type": "a string", "finite_number": "a finite number"}
    if kind in described:
        return f"expected {described[kind]}, got {value!r}"
    return error["msg"].removeprefix("Value error, ")


def validate(params: Any) -> Params:
    """The validated params.

    Raises:
        ParamsError: naming the first wrong key, e.g. ``train.max_epochs``; an unknown key
            is named before the one it was probably meant for (which is then missing).
    """
    try:
        validated = Params.model_validate(params)
    except ValidationError as error:
        errors = sorted(error.errors(), key=lambda item: item["type"] != "extra_forbidden")
        first = errors[0]
        raise ParamsError(f"{_key(first['loc'])}: {_message(first)}") from None
    _check_data(validated.data)
    return validated


def _check_data(data: Data) -> None:
    """The ``data`` checks that span keys: the positive class among the classes, a DICOM
    pattern only for a known or chosen sequence.

    Raises:
        ParamsError: naming the key.
    """
    positives = [data.positive_class] if isinstance(data.positive_class, str) else data.positive_class
    for name in positives:
        if name not in data.classes:
            raise ParamsError(f"data.positive_class: must be one of {', '.join(data.classes)} "
                              f"(data.classes), got {name!r}")
    if len(set(positives)) != len(positives):
        raise ParamsError(f"data.positive_class: lists a class twice, got {positives!r}")
    if set(positives) == set(data.classes):
        raise ParamsError("data.positive_class: names every class of data.classes, which leaves "
                          "no negative patient")
    known = [*DicomPatterns.model_fields, *data.sequences]
    for name, pattern in (data.dicom.series.model_extra or {}).items():
        key = f"data.dicom.series.{name}"
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = (f"; did you mean data.dicom.series.{close[0]}?" if close else
                    " (a pattern is for a sequence of data.sequences)")
            raise ParamsError(f"{key}: unknown key{hint}")
        if not isinstance(pattern, str):
            raise ParamsError(f"{key}: expected a string, got {pattern!r}")
        try:
            _pattern(pattern)
        except ValueError as error:
            raise ParamsError(f"{key}: {error}") from None


def read_params(path: str | Path = paths.PARAMS, recipe: bool = True) -> dict:
    """Reads and validates ``params.yaml``, with the named ``recipe`` applied unless
    ``recipe`` is False (the values as written, for showing them).

    Raises:
        ParamsError: the file is missing, is not YAML, or a key is wrong (named in the message).
    """
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.load(handle, Loader=_Loader)  # a SafeLoader: builds no objects
    except OSError as error:
        raise ParamsError(f"{path}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ParamsError(f"{path}: not valid YAML: {error}") from None
    params = validate(raw).model_dump()
    return with_recipe(params) if recipe else params


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
