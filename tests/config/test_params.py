"""params.yaml validation: a wrong key stops the run before any work, naming the key."""

from __future__ import annotations

import copy
import re
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
    ("data.bids.session", 1, "data.bids.session: expected a string, got 1"),
    ("data.bids.session", "", "data.bids.session: expected a non-empty string"),
    ("data.positive_class", "Extensive", "data.positive_class: must be one of"),
    ("data.positive_class", ["extensive", "high"], ("data.positive_class: must be one of none, "
                                                    "microscopic, extensive (data.classes), got 'high'")),
    ("data.positive_class", ["none", "microscopic", "extensive"],
     "data.positive_class: names every class"),
    ("data.sequences", [], "data.sequences: expected a list of at least 1"),
    ("data.sequences", ["t1c", "flair", "t1c"], "data.sequences: lists t1c twice"),
    ("data.sequences", ["T1c"], "data.sequences: 'T1c' is not a sequence name"),
    ("data.sequences", ["t1", "t1w"], "data.sequences: 't1w' is a file-name alias of t1"),
    ("data.sequences", ["t1", "seg"], "data.sequences: 'seg' names the brainstem mask's file"),
    ("data.classes", ["low", "Low"], "data.classes: lists low twice"),
    ("data.classes", ["high"], "data.classes: expected a list of at least 2"),
    ("data.label_column", "patient_id", "data.label_column: 'patient_id' is the id column"),
    ("data.dicom.series.adc", "ADC", "data.dicom.series.adc: unknown key"),
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
    ("data.dicom.series.t1", "T1(", ("data.dicom.series.t1: not a valid regular expression "
                                     "(missing ), unterminated subpattern at position 2): 'T1('")),
    ("data.dicom.series.flair", "*FLAIR", "data.dicom.series.flair: not a valid regular expression"),
    ("data.dicom.series.t2", " ", "data.dicom.series.t2: expected a non-empty string"),
    ("data.dicom.series.t2", 2, "data.dicom.series.t2: expected a string, got 2"),
    ("data.dicom.series.t1ce", "POST", ("data.dicom.series.t1ce: unknown key; did you mean "
                                        "data.dicom.series.t1c?")),
    ("power.cohort.networks", [], "power.cohort.networks: expected a list of at least 1"),
    ("power.cohort.largest_effect", 0, "power.cohort.largest_effect: must be > 0"),
    ("power.cohort.replicates", 0, "power.cohort.replicates: must be >= 1"),
])
def test_a_wrong_value_is_refused_naming_the_key(params, key, value, message):
    with pytest.raises(ParamsError) as caught:
        validate(changed(params, key, value))
    assert message in str(caught.value)


def test_the_default_dicom_patterns_tell_vendor_wordings_apart(params):
    patterns = {name: re.compile(pattern, re.IGNORECASE)
                for name, pattern in params["data"]["dicom"]["series"].items()}
    wordings = {
        "t1": ["AX T1 MPRAGE", "t1_mprage_tra_iso", "AX T1 BRAVO", "T1W_3D_TFE", "AX T1 FLAIR",
               "sag t1 spgr", "T1 POSTERIOR FOSSA"],
        "t1c": ["AX T1 MPRAGE POST GD", "t1_mprage_tra_iso_CE", "AX T1 BRAVO +C", "AX T1 C+",
                "T1+C", "T1CE", "T1C", "T1W_3D_TFE_GAD", "Ax T1 SE contrast", "t1_se_tra_Gd",
                "AX T1 FLAIR POST"],
        "t2": ["AX T2 TSE", "t2_tse_tra", "AX T2 FSE", "T2W_TSE", "SPACE T2"],
        "flair": ["3D FLAIR SAG", "SAG T2 FLAIR", "t2_tirm_sag_dark-fluid", "AX T2 FLAIR", "FLAIR"],
        None: ["LOCALIZER", "3 PLANE LOC", "AAHead_Scout", "AX DWI B1000", "ADC", "SWI",
               "AX T2* GRE", "T2 STAR"],
    }
    for expected, descriptions in wordings.items():
        for description in descriptions:
            matched = [name for name, pattern in patterns.items() if pattern.search(description)]
            assert matched == ([expected] if expected else []), description


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


def test_a_grade_task_and_a_pattern_for_a_chosen_sequence_are_accepted(params):
    params = copy.deepcopy(params)
    data = params["data"]
    data.update(sequences=["flair", "adc"], label_column="grade", classes=["II", "III", "IV"],
                positive_class=["III", "IV"])
    data["dicom"]["series"]["adc"] = "ADC|APPARENT"
    valid = validate(params).data
    assert valid.sequences == ["flair", "adc"] and valid.positive_class == ["III", "IV"]
    assert validate(params).model_dump()["data"]["dicom"]["series"]["adc"] == "ADC|APPARENT"


def test_params_without_the_new_data_keys_read_as_the_study(params):
    params = copy.deepcopy(params)
    for key in ("sequences", "label_column", "classes"):
        del params["data"][key]
    data = validate(params).data
    assert (data.sequences, data.label_column, data.classes) == (
        ["t1", "t1c", "t2", "flair"], "infiltration", ["none", "microscopic", "extensive"])



def test_the_params_alias_table_is_the_ingest_s():
    # params.py keeps its own copy so that reading params never imports the ingest
    from pipeline.config.params import KNOWN_ALIASES
    from pipeline.ingest.naming import ALIASES

    assert {name: tuple(aliases) for name, aliases in KNOWN_ALIASES.items()} == {
        name: tuple(aliases) for name, aliases in ALIASES.items()}
