"""Every page of the dashboard run with Streamlit's AppTest on fake pipeline outputs."""

import base64
import copy
import gzip
import json

import nibabel as nib
import numpy as np
import pytest
import torch

from dashboard import data
from pipeline import formats
from pipeline.formats import paths
from pipeline.presentation import experiments
from pipeline.presentation.formatting import format_value
from tests.dashboard.conftest import PAGES, open_page
from tests.outputs_factory import write_fake_outputs
from tests.presentation.test_experiments import EXP_SHOW

pytestmark = pytest.mark.slow


def _texts(elements) -> str:
    return " ".join(str(element.value) for element in elements)


def test_cohort_page_shows_loocv_metrics_and_exclusions(in_outputs):
    app = open_page()
    loocv = formats.read_metrics(paths.LOOCV_METRICS)
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["LOOCV accuracy"] == format_value(loocv["accuracy"])
    assert metrics["Included patients"] == "10" and metrics["Excluded"] == "3"
    excluded = app.table[0].value
    assert "missing:t2" in excluded.loc["GBM-090", "reason"]
    results = app.table[1].value
    assert "Resubstitution (optimistic)" in results.index
    loocv_counts = app.table[2].value  # the first confusion matrix
    assert loocv_counts.loc["truth positive", "predicted negative"] == loocv["fn"]
    assert loocv_counts.loc["truth negative", "predicted positive"] == loocv["fp"]
    assert not app.get("plotly_chart")  # the first page draws no chart


@pytest.mark.parametrize("view, title", [("ROC curves", "ROC curves"),
                                         ("LOOCV probabilities", "held-out probability"),
                                         ("Decision curve", "net benefit"),
                                         ("Permutation null", "AUC against shuffled labels")])
def test_cohort_page_draws_one_chart_per_open_tab(in_outputs, view, title):
    app = open_page()
    app.session_state["cohort_view"] = view
    app.run()
    (chart,) = app.get("plotly_chart")
    assert title in chart.proto.spec
    assert len(app.table) == 2  # the confusion matrices are not built behind another tab


def test_the_calibration_tab_shows_the_metrics_files_figures_and_the_reliability_chart(in_outputs):
    app = open_page()
    app.session_state["cohort_view"] = "Calibration"
    app.run()
    (chart,) = app.get("plotly_chart")
    assert "Calibration: observed against predicted" in chart.proto.spec
    loocv = json.loads((in_outputs / "metrics/loocv.json").read_text())
    table = app.table[2].value  # after the exclusions and the results
    assert table.loc["LOOCV", "brier"].startswith(f"{loocv['brier']:.2f}")


def test_cohort_page_warns_when_loocv_predicted_one_class(tmp_path, monkeypatch):
    write_fake_outputs(tmp_path, single_class=True)
    monkeypatch.chdir(tmp_path)
    app = open_page()
    assert "LOOCV predicted every patient positive" in _texts(app.error)


def _viewers(app) -> list[dict]:
    """The NiiVue components on the page, their arguments decoded."""
    return [json.loads(element.proto.json_args) for element in app.get("component_instance")
            if element.proto.component_name.startswith("niivue_component")]


def _volume(encoded: str):
    return nib.Nifti1Image.from_bytes(gzip.decompress(base64.b64decode(encoded)))


def test_patients_page_lists_every_included_patient(in_outputs):
    app = open_page("views/patients.py")
    table = app.dataframe[0].value
    expected = formats.included_patients(formats.read_manifest(paths.MANIFEST))
    assert table["patient_id"].tolist() == expected["patient_id"].tolist()
    assert app.selectbox(key="patient").options[0].startswith("GBM-001 · negative · LOOCV p=")


def test_negatives_missed_by_loocv_take_two_clicks(in_outputs):
    app = open_page("views/patients.py")
    app.button_group(key="class_filter").set_value("negative")
    app.toggle(key="loocv_errors_only").set_value(True).run()
    loocv = formats.read_predictions(paths.LOOCV_PREDICTIONS)
    missed = loocv[(loocv["target"] == 0) & (loocv["pred"] == 1)]["patient_id"].tolist()
    assert missed, "the fake outputs should hold a negative that LOOCV missed"
    assert app.dataframe[0].value["patient_id"].tolist() == missed
    assert app.selectbox(key="patient").value == missed[0]


def test_viewer_sends_the_sequence_and_the_mask_as_nifti(in_outputs):
    app = open_page("views/patients.py")
    (viewer,) = _viewers(app)
    patient = formats.read_patient(paths.PREPROCESSED, "GBM-001", full=False)
    image = _volume(viewer["nifti_data"])
    np.testing.assert_allclose(image.get_fdata(), patient.image[0].numpy(), atol=1e-4)
    np.testing.assert_array_equal(image.affine, patient.affine)
    assert [overlay["name"] for overlay in viewer["overlays"]] == ["brainstem.nii.gz"]
    assert viewer["view_mode"] == "multiplanar" and viewer["update_interval_ms"] is None


def test_viewer_controls_reach_the_component(in_outputs):
    app = open_page("views/patients.py")
    app.button_group(key="sequence").set_value("flair")
    app.button_group(key="view_mode").set_value("3d")
    app.radio(key="grid").set_value("full")
    app.toggle(key="radiological").set_value(True)
    app.selectbox(key="show_mask_colourmap").set_value("blue")
    app.slider(key="show_mask_opacity").set_value(0.8).run()
    (viewer,) = _viewers(app)
    assert viewer["filename"] == "flair.nii.gz" and viewer["view_mode"] == "3d"
    assert _volume(viewer["nifti_data"]).shape == (32, 32, 32)
    assert viewer["settings"]["radiological"] is True
    assert viewer["overlays"][0]["colormap"] == "blue" and viewer["overlays"][0]["opacity"] == 0.8
    assert "Whole resampled head, radiological" in _texts(app.caption)


def _viewer_ids(app) -> list[str]:
    return [element.proto.id for element in app.get("component_instance")]


def test_a_new_volume_or_overlay_starts_a_fresh_viewer_and_a_new_view_does_not(in_outputs):
    # The component shows a replaced image as a second canvas beside the first.
    app = open_page("views/patients.py")
    first = _viewer_ids(app)
    app.button_group(key="view_mode").set_value("axial").run()
    assert _viewer_ids(app) == first
    app.selectbox(key="show_mask_colourmap").set_value("blue").run()
    second = _viewer_ids(app)
    assert second != first
    app.radio(key="grid").set_value("full").run()
    assert _viewer_ids(app) not in (first, second)


def test_all_four_sequences_side_by_side(in_outputs):
    app = open_page("views/patients.py")
    app.button_group(key="sequence").set_value("all").run()
    assert [viewer["filename"] for viewer in _viewers(app)] == [
        "t1.nii.gz", "t1c.nii.gz", "t2.nii.gz", "flair.nii.gz"]


def test_two_patients_side_by_side_each_with_its_predictions(in_outputs):
    app = open_page("views/patients.py")
    app.selectbox(key="second_patient").set_value("GBM-002").run()
    assert len(_viewers(app)) == 2
    assert [header.value for header in app.subheader] == ["GBM-001", "GBM-002"]
    summaries = [text for text in (m.value for m in app.markdown) if "LOOCV p=" in text]
    assert len(summaries) == 2 and all("single split p=" in text for text in summaries)


def test_mask_overlay_can_be_switched_off(in_outputs):
    app = open_page("views/patients.py")
    app.toggle(key="show_mask").set_value(False).run()
    assert _viewers(app)[0]["overlays"] is None


def test_viewer_without_the_whole_head_offers_the_crop_only(tmp_path, monkeypatch):
    write_fake_outputs(tmp_path, n_patients=3)
    formats.full_volume_path(tmp_path / paths.PREPROCESSED, "GBM-001").unlink()
    monkeypatch.chdir(tmp_path)
    app = open_page("views/patients.py")
    assert app.radio(key="grid").options == ["model crop"]


def test_saliency_on_a_crop_too_small_for_densenet_warns(in_outputs):
    app = open_page("views/patients.py")
    app.toggle(key="saliency").set_value(True).run()
    assert "Grad-CAM could not run" in _texts(app.warning)


def test_saliency_overlay_on_a_32_voxel_crop(tmp_path, monkeypatch):
    torch.manual_seed(0)  # the fake (untrained) model's weights decide whether the map is blank
    write_fake_outputs(tmp_path, n_patients=6, crop=32)
    monkeypatch.chdir(tmp_path)
    app = open_page("views/patients.py")
    app.toggle(key="saliency").set_value(True).run()
    assert not app.exception and not app.warning
    assert "Grad-CAM of the positive-class logit at `features." in _texts(app.caption)
    names = [overlay["name"] for overlay in _viewers(app)[0]["overlays"]]
    assert names == ["brainstem.nii.gz", "gradcam.nii.gz"]
    heat = _volume(_viewers(app)[0]["overlays"][1]["data"])
    assert heat.shape == (32, 32, 32) and 0 <= heat.get_fdata().min() <= heat.get_fdata().max() <= 1


def test_training_page_highlights_a_fold(in_outputs):
    app = open_page("views/training.py")
    picker = app.selectbox(key="fold")
    assert picker.options[:2] == ["none", "fold 1: GBM-001"]
    picker.set_value(2).run()
    spec = app.get("plotly_chart")[1].proto.spec
    assert "fold 2 (GBM-002) train loss" in spec
    assert "min validation loss" in app.get("plotly_chart")[0].proto.spec


def test_experiments_page_compares_two(in_outputs, monkeypatch):
    monkeypatch.setattr(experiments, "run_exp_show", lambda **_: EXP_SHOW)
    data.experiments.clear()
    app = open_page("views/experiments.py")
    assert app.dataframe[0].value["experiment"].tolist() == ["workspace", "main", "fast-lr"]
    app.selectbox(key="first").set_value("main").run()
    comparison = app.dataframe[1].value
    assert comparison["name"].tolist() == ["lr", "loocv:accuracy"]
    data.experiments.clear()


def _scored(exp_show: list, scores: dict[str, tuple[float, float]]) -> list:
    """``exp_show`` with a LOOCV AUC and p-value per revision name (the workspace: None)."""
    exp_show = copy.deepcopy(exp_show)
    revisions = [entry for baseline in exp_show for entry in
                 [baseline] + [exp["revs"][0] for exp in baseline.get("experiments") or []]]
    for entry in revisions:
        auc, p_value = scores[entry["name"]]
        entry["data"]["metrics"]["metrics/loocv.json"]["data"].update(auc=auc, p_value=p_value, n=24)
    return exp_show


def test_experiments_page_says_the_best_of_k_is_optimistic(in_outputs, monkeypatch):
    scored = _scored(EXP_SHOW, {None: (0.6, 0.1), "main": (0.6, 0.1), "fast-lr": (0.7, 0.02)})
    monkeypatch.setattr(experiments, "run_exp_show", lambda **_: scored)
    data.experiments.clear()
    app = open_page("views/experiments.py")
    note = _texts(app.warning)
    assert "best of 2 experiments is selected on the same 24 patients it is scored on" in note
    assert "0.040 adjusted for choosing among 2" in note and "`lr=0.001`" in note
    table = app.dataframe[0].value
    assert table["loocv:p_value (Holm over 2)"].tolist() == pytest.approx([0.1, 0.1, 0.04])
    data.experiments.clear()


def test_experiments_page_with_one_run_has_no_selection_note(in_outputs, monkeypatch):
    scored = _scored(EXP_SHOW, {None: (0.6, 0.1), "main": (0.6, 0.1), "fast-lr": (0.6, 0.1)})
    for entry in scored[1]["experiments"][0]["revs"]:
        entry["data"]["params"]["params.yaml"]["data"]["lr"] = 0.0003
    monkeypatch.setattr(experiments, "run_exp_show", lambda **_: scored)
    data.experiments.clear()
    app = open_page("views/experiments.py")
    assert not app.warning
    data.experiments.clear()


def test_experiments_page_without_experiments_says_how(in_outputs, monkeypatch):
    monkeypatch.setattr(experiments, "run_exp_show", lambda **_: None)
    data.experiments.clear()
    app = open_page("views/experiments.py")
    assert "dvc exp run" in _texts(app.info)
    data.experiments.clear()


@pytest.mark.parametrize("page, command", [
    ("views/cohort.py", "dvc repro prepare"), ("views/cohort.py", "dvc repro loocv"),
    ("views/cohort.py", "dvc repro baselines"), ("views/patients.py", "dvc repro prepare"),
    ("views/training.py", "dvc repro train"), ("views/training.py", "dvc repro loocv")])
def test_missing_outputs_say_which_command_produces_them(tmp_path, monkeypatch, page, command):
    monkeypatch.chdir(tmp_path)
    app = open_page(page)
    assert command in _texts(app.info)


def test_every_page_renders_without_outputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(experiments, "run_exp_show", lambda **_: None)
    data.experiments.clear()
    for page in PAGES:
        open_page(page)
    data.experiments.clear()
