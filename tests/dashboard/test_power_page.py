"""The Power page: the controls' verdicts, power curves and the learning curve, from metrics files."""

from tests.dashboard.conftest import open_page
from tests.outputs_factory import write_learning_curve, write_power, write_power_cohort


def _texts(elements) -> str:
    return " ".join(str(element.value) for element in elements)


def test_the_page_says_what_is_missing_before_anything_ran(in_outputs):
    app = open_page("views/power.py")
    notices = _texts(app.info)
    assert "Spike-in study" in notices and "Power study" in notices and "Learning curve" in notices


def test_controls_curves_and_learning_curve(tmp_path, monkeypatch, outputs_dir):
    monkeypatch.chdir(tmp_path)
    write_power(tmp_path, network_finds_positive=True)
    write_learning_curve(tmp_path)
    app = open_page("views/power.py")
    assert not app.error
    controls = app.dataframe[0].value
    assert len(controls) == 6 and set(controls["verdict"]) == {"passed"}
    words = _texts(app.markdown)
    assert "at n = 24, densenet_small detects a planted effect of 3: yes (3 of 3 cohorts)" in words
    assert "smallest effect detected with power >= 0.8: 3 at n = 24" in words
    assert "radiomics: cross-validated AUC" in words
    assert len(app.get("plotly_chart")) == 2


def test_a_failed_control_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_power(tmp_path, network_finds_positive=False)
    app = open_page("views/power.py")
    assert "densenet_small (positive)" in _texts(app.error)


def test_the_page_leads_with_the_spike_in_on_this_cohort(tmp_path, monkeypatch, outputs_dir):
    monkeypatch.chdir(tmp_path)
    write_power_cohort(tmp_path)
    write_power(tmp_path)
    app = open_page("views/power.py")
    assert not app.error
    first = app.markdown[0].value
    assert first.startswith("On this cohort the real classes differ by d = 0.42")
    assert "the network (densenet_small) detects d >= " in first and "radiomics d >= " in first
    assert list(app.dataframe[0].value["arm"]) == ["densenet_small", "radiomics", "prior"]
    assert app.get("plotly_chart")  # the spike-in's figure comes first


def test_a_failed_spike_in_control_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_power_cohort(tmp_path, network_finds_positive=False)
    app = open_page("views/power.py")
    assert "Failed controls on this cohort: densenet_small (positive)" in _texts(app.error)
