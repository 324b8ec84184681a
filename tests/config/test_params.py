"""params.yaml validation: a wrong key stops the run before any work, naming the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.config.params import ParamsError, load_params, read_params, validate
from pipeline.stages.prepare import main as prepare_main

REPOSITORY_PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"


@pytest.fixture(scope="module")
def params() -> dict:
    return read_params(REPOSITORY_PARAMS)


def changed(params: dict, key: str, value=None, delete: bool = False) -> dict:
    """A copy of ``params`` with the dotted ``key`` set to ``value`` (or removed)."""
    result = copy.deepcopy(params)
    *parents, last = key.split(".")
    target = result
    for parent in parents:
        target = target[parent]
    if delete:
        del target[last]
    else:
        target[last] = value
    return result


def test_the_repository_params_are_valid(params):
    assert params["lr"] > 0 and params["loocv"]["jobs"] >= 1


@pytest.mark.parametrize(("key", "value", "message"), [
    ("lr", -3e-4, "lr: must be > 0, got -0.0003"),
    ("lr", 0, "lr: must be > 0"),
    ("lr", "fast", "lr: expected a number, got 'fast'"),
    ("lr", float("nan"), "lr: expected a finite number"),
    ("loocv.jobs", 0, "loocv.jobs: must be >= 1, got 0"),
    ("loocv.jobs", 1.5, "loocv.jobs: expected an integer"),
    ("train.max_epochs", "8", "train.max_epochs: expected an integer, got '8'"),
    ("train.num_workers", True, "train.num_workers: expected an integer"),
    ("prepare.crop_mm", 4, "prepare.crop_mm: must be >= 8"),
    ("prepare.percentiles", [99.5, 0.5], "prepare.percentiles: expected [low, high]"),
    ("data.seg_label", 0, "data.seg_label: must be >= 1"),
    ("data.positive_class", "Extensive", "data.positive_class: must be one of"),
    ("model.one_hot", True, "model.one_hot: unknown key"),
    ("data.seg_lable", 1, "data.seg_lable: unknown key; did you mean data.seg_label?"),
    ("learning_rate", 1e-3, "learning_rate: unknown key"),
    ("augment", 0.5, "augment: expected a mapping"),
    ("model.network", "resnet50", "model.network: must be one of densenet_small, densenet121"),
    ("train.stopping", "never", "train.stopping: must be one of fixed, early"),
    ("recipe", "mine", "recipe: must be one of kit, study"),
    ("power.grids.cpu.effects", [0, -1], "power.grids.cpu.effects[1]: must be >= 0"),
    ("power.grids.cpu.networks", ["vgg"], "power.grids.cpu.networks[0]: must be one of"),
    ("learning_curve.fractions", [0.5, 1.0], "learning_curve.fractions: expected a list of at least 3"),
    ("power.alpha", 0.7, "power.alpha: must be <= 0.5"),
    ("loocv.lr_grid", [1e-3], "loocv.lr_grid: one rate is no choice; set lr: 0.001"),
    ("loocv.lr_grid", [1e-3, 1e-3], "loocv.lr_grid: lists a rate twice"),
    ("loocv.lr_grid", [1e-3, 0], "loocv.lr_grid[1]: must be > 0"),
    ("loocv.lr_grid", 1e-3, "loocv.lr_grid: expected a list"),
    ("model.pos_weight", "heavy", "model.pos_weight: expected null, \"balanced\" or a number > 0"),
    ("model.pos_weight", 0, "model.pos_weight: expected null"),
    ("loocv.ray_address", " ", "loocv.ray_address: expected a non-empty string"),
    ("train.max_epochs", 8.0, "train.max_epochs: expected an integer, got 8.0"),
    ("power.grids.study.replicates", 0, "power.grids.study.replicates: must be >= 1"),
    ("power.grids.cpu.speed", 1, "power.grids.cpu.speed: unknown key (known here: power.grids.cpu.effects"),
    ("power.cohort.networks", [], "power.cohort.networks: expected a list of at least 1"),
    ("power.cohort.largest_effect", 0, "power.cohort.largest_effect: must be > 0"),
    ("power.cohort.replicates", 0, "power.cohort.replicates: must be >= 1"),
])
def test_a_wrong_value_is_refused_naming_the_key(params, key, value, message):
    with pytest.raises(ParamsError) as caught:
        validate(changed(params, key, value))
    assert message in str(caught.value)


def test_a_missing_key_is_named(params):
    with pytest.raises(ParamsError, match="prepare.crop_mm: missing"):
        validate(changed(params, "prepare.crop_mm", delete=True))


def test_exponent_notation_typed_by_hand_is_a_number(tmp_path):
    text = REPOSITORY_PARAMS.read_text()
    assert "lr: 0.001\n" in text
    (tmp_path / "params.yaml").write_text(text.replace("lr: 0.001\n", "lr: 3e-4\n"))
    assert read_params(tmp_path / "params.yaml")["lr"] == 3e-4


@pytest.mark.parametrize(("text", "message"), [
    ("lr: [0.1\n", "not valid YAML"), ("", "params.yaml: expected a mapping"),
    ("- lr\n", "params.yaml: expected a mapping"),
])
def test_a_broken_file_is_refused(tmp_path, text, message):
    (tmp_path / "params.yaml").write_text(text)
    with pytest.raises(ParamsError, match=message):
        read_params(tmp_path / "params.yaml")


def test_load_params_exits_with_the_message(tmp_path, params):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(changed(params, "loocv.jobs", 0)))
    with pytest.raises(SystemExit, match="params.yaml is not valid: loocv.jobs: must be >= 1"):
        load_params(tmp_path / "params.yaml")


def test_prepare_stops_before_any_work(tmp_path, monkeypatch, params):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(changed(params, "lr", -1)))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="lr: must be > 0"):
        prepare_main(["--data", "data"])
    assert sorted(path.name for path in tmp_path.iterdir()) == ["params.yaml"]


def test_the_study_recipe_overrides_only_its_own_keys(tmp_path, params):
    raw = yaml.safe_load(REPOSITORY_PARAMS.read_text())
    raw.update(recipe="study", lr=1e-2)
    raw["train"].update(stopping="fixed", max_epochs=12, batch_size=3)
    raw["augment"].update(gamma=0.0)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    study = read_params(path)
    assert study["model"]["network"] == "densenet121" and study["train"]["stopping"] == "early"
    assert study["train"]["patience"] == 3 and study["loocv"]["patience"] == 2
    assert all(study["augment"][name] > 0 for name in ("affine", "noise", "gamma", "motion", "bias_field"))
    # Keys the recipe does not name stay as written.
    assert study["lr"] == 3e-4 and study["model"]["mask_channel"] is False
    assert study["train"]["max_epochs"] == 12 and study["train"]["batch_size"] == 3
    raw["recipe"] = "kit"
    path.write_text(yaml.safe_dump(raw))
    assert read_params(path)["augment"]["gamma"] == 0.0
