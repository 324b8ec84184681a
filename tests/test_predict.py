"""``python -m pipeline.predict DIR``: every patient folder scored with the model file's own
settings, unusable patients excluded with their reason, nothing written under DIR."""

from __future__ import annotations

import pytest
import yaml

from pipeline import formats, predict
from pipeline.config.settings import TrainSettings
from pipeline.final.record import model_record
from pipeline.training.network import build_network, save_network
from tests import nifti_factory as factory
from tests.project_factory import REPO
from tests.test_bad_inputs import snapshot

APPLIED = {"params": {"crop_mm": 64, "crop_voxels": 32, "percentiles": [0.5, 99.5]},
           "spacing_mm": 2.0, "reference": "t1", "sequences": ["t1", "t1c", "t2", "flair"]}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """An (untrained) final model file whose input is the four sequences and the mask."""
    path = tmp_path_factory.mktemp("model") / "model.pt"
    settings = TrainSettings(lr=1e-3, seed=0, max_epochs=1, patience=1, batch_size=2,
                             val_batch_size=2, network="densenet_small", stopping="fixed")
    record = model_record(settings, {"mask_channel": True, "one_hot_mask": False}, APPLIED, None,
                          "extensive", 0.5, "kit", {"patients": 2, "positives": 1})
    save_network(path, build_network(5, "densenet_small"), 5, record, "densenet_small")
    return path


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def test_bad_patients_are_excluded_with_reasons_the_rest_scored_and_dir_untouched(tmp_path, model,
                                                                                 monkeypatch):
    cohort = tmp_path / "new"
    for good in ("GOOD1", "GOOD2"):
        factory.write_patient(cohort / good)
    factory.write_patient(cohort / "NO-T2", skip=("t2",))
    truncate(factory.write_patient(cohort / "BROKEN")["flair"])
    (cohort / "EMPTY").mkdir()
    (cohort / "notes.txt").write_text("not a patient")
    monkeypatch.chdir(tmp_path)
    before = snapshot(cohort)
    predict.main([str(cohort), "--out", "out/scores.csv", "--model", str(model)])
    assert snapshot(cohort) == before
    scores = formats.read_scores(tmp_path / "out/scores.csv").set_index("patient_id")
    assert list(scores.index) == ["BROKEN", "EMPTY", "GOOD1", "GOOD2", "NO-T2"]
    codes = scores["reason"].str.split(":").str[:2].str.join(":")
    assert codes.to_dict() == {"BROKEN": "unreadable:flair", "EMPTY": "missing:all", "GOOD1": "",
                               "GOOD2": "", "NO-T2": "missing:t2"}
    assert "BROKEN" in scores.loc["BROKEN", "reason"] and "flair" in scores.loc["BROKEN", "reason"]
    good = scores[scores["included"]]
    assert list(good.index) == ["GOOD1", "GOOD2"]
    assert good["prob"].between(0, 1).all()
    assert good["pred"].tolist() == (good["prob"] >= 0.5).astype(int).tolist()
    assert scores.loc[~scores["included"], ["prob", "pred"]].isna().all().all()


def test_labels_are_not_needed_and_a_labels_file_is_ignored(tmp_path, model, monkeypatch):
    cohort = tmp_path / "new"
    factory.write_cohort(cohort, {"A": "extensive", "B": "none"},
                         lines=["patient_id,infiltration", "A,not-a-class", "GHOST,none"])
    factory.write_patient(cohort / "C")  # no row in labels.csv
    monkeypatch.chdir(tmp_path)
    predict.main([str(cohort), "--model", str(model)])  # default FILE: ./predictions.csv
    scores = formats.read_scores(tmp_path / "predictions.csv")
    assert scores["patient_id"].tolist() == ["A", "B", "C"] and scores["included"].all()


def test_the_model_files_settings_not_the_current_params_decide_the_input(tmp_path, model,
                                                                          monkeypatch):
    # params.yaml here says: no mask channel and a 64-voxel crop. The model file says mask
    # channel and 32 voxels; built from params, its input would not fit the network.
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["model"]["mask_channel"] = False
    params["prepare"]["crop_voxels"] = 64
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    factory.write_patient(tmp_path / "new" / "A")
    monkeypatch.chdir(tmp_path)
    predict.main(["new", "--out", "s.csv", "--model", str(model)])
    assert formats.read_scores(tmp_path / "s.csv")["included"].tolist() == [True]


def test_a_file_inside_dir_is_refused_before_any_work(tmp_path, model, capsys):
    factory.write_patient(tmp_path / "new" / "A")
    with pytest.raises(SystemExit) as stop:
        predict.main([str(tmp_path / "new"), "--out", str(tmp_path / "new" / "scores.csv"),
                      "--model", str(model)])
    assert stop.value.code == 2 and "never written" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["A"]


def test_without_a_final_model_the_message_says_how_to_get_one(tmp_path, capsys):
    (tmp_path / "new").mkdir()
    with pytest.raises(SystemExit):
        predict.main([str(tmp_path / "new"), "--out", str(tmp_path / "s.csv"),
                      "--model", str(tmp_path / "none.pt")])
    assert "dvc repro" in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists()

