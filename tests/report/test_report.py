"""The results report, rendered on fake outputs: sections, numbers, figures, offline.

Each report is rendered once per module (rendering starts a kernel: seconds, not ms).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml
from plotly.offline import get_plotlyjs

from pipeline import formats
from pipeline.formats import paths
from pipeline.presentation import narrative, provenance
from pipeline.presentation.formatting import (
    format_interval,
    format_p_value,
    format_value,
)
from pipeline.presentation.results import TABLE_METRICS
from report import render as render_module
from tests.outputs_factory import (
    write_experiment,
    write_external,
    write_fake_outputs,
    write_learning_curve,
    write_power,
    write_power_cohort,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SECTIONS = ["Summary", "Cohort", "Methods", "Training", "Results", "Calibration", "Decision curve",
            "Is it better than chance?", "External validation", "How many patients",
            "Reproducibility", "Appendix: TRIPOD+AI checklist"]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", "--disable-dev-shm-usage", "--window-size=1300,1600"]


class ReportPage(HTMLParser):
    """The visible text of a report, split by h2 section, and its tables as rows of cells."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.sections: dict[str, str] = {"": ""}
        self.tables: list[list[list[str]]] = []
        self._current, self._in_h2, self._skip, self._cell = "", False, 0, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "h2":
            self._in_h2, self._current = True, ""
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag == "h2":
            self._in_h2 = False
            self._current = self._current.replace("¶", "").strip()
            self.sections[self._current] = ""
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join(self._cell.split()))
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_h2:
            self._current += data
            return
        if self._cell is not None:
            self._cell += data
        self.sections[self._current] += data

    def text(self, section: str) -> str:
        return " ".join(self.sections[section].split())

    def row(self, cell: str, column: int = 0) -> list[str]:
        """The first table row whose ``column``-th cell is ``cell``."""
        return next(row for table in self.tables for row in table
                    if len(row) > column and row[column] == cell)


def _render(root: Path, single_class: bool) -> Path:
    write_fake_outputs(root, n_patients=10, single_class=single_class, with_model=False)
    for name in ("params.yaml", "requirements.txt"):
        shutil.copy(REPO / name, root / name)
    if not single_class:  # the collapsed report is also the one before `make power`
        write_power(root)
        write_power_cohort(root)
        write_learning_curve(root)
        write_experiment(root, "slower-lr", 3e-4, auc=0.97, p_value=0.004)
        write_external(root)
    output = root / paths.REPORT_HTML
    render_module.render(REPO / paths.REPORT_SOURCE, output, root, engine="jupyter")
    return output


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, str, ReportPage]:
    root = tmp_path_factory.mktemp("outputs")
    html = _render(root, single_class=False).read_text(encoding="utf-8")
    return root, html, ReportPage(html)


@pytest.fixture(scope="module")
def collapsed_report(tmp_path_factory) -> ReportPage:
    root = tmp_path_factory.mktemp("collapsed")
    return ReportPage(_render(root, single_class=True).read_text(encoding="utf-8"))


def _metrics(root: Path, path: Path) -> dict:
    return json.loads((root / path).read_text())


# --- the rendered report ----------------------------------------------------------------


def test_report_has_every_section(report):
    _, _, page = report
    assert [name for name in page.sections if name in SECTIONS] == SECTIONS


@pytest.mark.parametrize("name, path", [("LOOCV", paths.LOOCV_METRICS),
                                        ("Hold-out", paths.HOLDOUT_METRICS)])
def test_results_table_row_equals_metrics_json(report, name, path):
    root, _, page = report
    metrics = _metrics(root, path)
    expected = [format_interval(metrics[key], metrics["ci95"][key]) for key in TABLE_METRICS]
    row = page.row(name)
    assert row[1] == metrics.get("network", "") and row[2] == str(metrics["n"])
    assert row[3:3 + len(TABLE_METRICS)] == expected
    assert row[3 + len(TABLE_METRICS)] == format_p_value(metrics.get("p_value"))


def _formatted_numbers(metrics: dict) -> set[str]:
    values = [metrics[key] for key in TABLE_METRICS]
    values += [bound for key in TABLE_METRICS for bound in (metrics["ci95"][key] or [])]
    return {format_value(value) for value in values} | {format_p_value(metrics.get("p_value"))}


def _spike_in_numbers(cohort: dict) -> set[str]:
    """The spike-in sentence's numbers: the observed d, each threshold, its interval and d."""
    numbers = {format_value(value) for value in cohort["observed"].values()}
    for summary in cohort["arms"].values():
        threshold = summary["threshold"]
        numbers |= {format_value(threshold["d_flair"]), f"{threshold['effect']:g}" if threshold["effect"] else ""}
        numbers |= {format_value(bound) for bound in threshold["ci95"] or [] if bound is not None}
    return numbers


def test_every_number_in_the_summary_comes_from_the_metrics_json(report):
    root, _, page = report
    allowed = {f"{narrative.ALPHA:g}"}  # the significance level the verdict names
    for path in (paths.LOOCV_METRICS, paths.HOLDOUT_METRICS, paths.RESUBSTITUTION_METRICS):
        allowed |= _formatted_numbers(_metrics(root, path))
    allowed |= _spike_in_numbers(_metrics(root, paths.POWER_COHORT_METRICS))
    summary = page.text("Summary")
    shown = re.findall(r"\b\d\.\d{2,3}\b", summary)
    assert shown and set(shown) <= allowed, set(shown) - allowed
    loocv = _metrics(root, paths.LOOCV_METRICS)
    specificity = format_interval(loocv["specificity"], loocv["ci95"]["specificity"])
    assert f"specificity {specificity}" in summary


def test_summary_says_when_loocv_predicted_one_class(report, collapsed_report):
    summary = collapsed_report.text("Summary")
    assert "LOOCV predicted every patient positive: specificity 0.00 [" in summary
    assert "predicted every patient" not in report[2].text("Summary")


def test_cohort_lists_every_exclusion_reason(report):
    root, _, page = report
    manifest = formats.read_manifest(root / paths.MANIFEST)
    reasons = manifest.loc[~manifest["included"], "reason"].tolist()
    assert reasons and all(reason in page.text("Cohort") for reason in reasons)


def test_methods_show_the_params_values(report):
    _, _, page = report
    params = provenance.flatten(yaml.safe_load((REPO / paths.PARAMS).read_text()))
    for key in ("lr", "train.patience", "evaluate.threshold"):
        assert page.row(key, column=1)[2] == str(params[key])


def test_reproducibility_says_when_there_is_no_dvc_lock(report):
    assert "There is no dvc.lock here" in report[2].text("Reproducibility")


def test_report_loads_nothing_from_the_network_and_embeds_plotly_once(report):
    _, html, _ = report
    assert not re.search(r"<script[^>]*\ssrc=", html)
    assert not re.search(r"<link[^>]*href=[\"']?https?:", html)
    assert html.count(get_plotlyjs()[:500]) == 1


def test_figures_render_in_headless_chromium(report, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (/usr/bin/chromium): apt-get install chromium "
                    "chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    root, html, _ = report
    expected = html.count('class="plotly-graph-div"')
    options = webdriver.ChromeOptions()
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get((root / paths.REPORT_HTML).resolve().as_uri())
        WebDriverWait(driver, 30).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")) == expected)
        assert expected >= 8
        assert len(driver.find_elements(By.CSS_SELECTOR, "svg.main-svg")) >= expected
        _save_screenshot(driver, tmp_path / "report.png")
    finally:
        driver.quit()


def _save_screenshot(driver, path: Path) -> None:
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1300, min(height, 16000))
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    if os.environ.get("SCREENSHOT_DIR"):
        Path(os.environ["SCREENSHOT_DIR"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(os.environ["SCREENSHOT_DIR"]) / path.name)


def test_quarto_renders_the_same_report(report, tmp_path):
    if shutil.which("quarto") is None:
        pytest.skip("Quarto is not installed: the Jupyter-stack renderer is tested instead")
    root, _, _ = report
    source = tmp_path / "report.qmd"  # Quarto writes beside its source: keep the checkout clean
    shutil.copy(REPO / paths.REPORT_SOURCE, source)
    output = tmp_path / "quarto.html"
    assert render_module.render(source, output, root, engine="quarto") == "quarto"
    page = ReportPage(output.read_text(encoding="utf-8"))
    assert [name for name in page.sections if name in SECTIONS] == SECTIONS
    loocv = _metrics(root, paths.LOOCV_METRICS)
    assert format_interval(loocv["auc"], loocv["ci95"]["auc"]) in page.row("LOOCV")


# --- the renderer -------------------------------------------------------------------------

QMD = """---
title: "A title"
execute:
  echo: false
---

## First

Some *text*.

```{python}
#| include: false
x = 1
```

```{python}
#| echo: true
print(x)
```
"""


def test_qmd_becomes_a_notebook_with_quarto_options_as_tags():
    notebook = render_module.qmd_to_notebook(QMD)
    kinds = [(cell.cell_type, cell.metadata.get("tags", [])) for cell in notebook.cells]
    assert kinds == [("markdown", []), ("markdown", []),
                     ("code", ["remove_input", "remove_cell"]), ("code", [])]
    assert notebook.cells[0].source == "# A title"
    assert notebook.cells[3].source == "print(x)"
    nbformat.validate(notebook)


def test_without_quarto_one_line_says_so(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(render_module.shutil, "which", lambda name: None)
    monkeypatch.setattr(render_module, "render_with_jupyter", lambda *arguments: None)
    assert render_module.render(paths.REPORT_SOURCE, tmp_path / "r.html", tmp_path) == "jupyter"
    assert capsys.readouterr().out == (
        "Quarto not found: rendering report/report.qmd with the Jupyter stack "
        "(nbclient + nbconvert)\n")


# --- the sentences and provenance the report is built from ------------------------------


def _metrics_object(**overrides) -> dict:
    metrics = {"n": 24, "tp": 15, "tn": 0, "fp": 9, "fn": 0, "accuracy": 0.625, "sensitivity": 1.0,
               "specificity": 0.0, "balanced_accuracy": 0.5, "auc": 0.41, "single_class": True,
               "single_class_predicted": 1, "p_value": 0.77, "test": "Mann-Whitney U",
               "ci95": {"accuracy": [0.43, 0.79], "sensitivity": [0.8, 1.0],
                        "specificity": [0.0, 0.2991], "balanced_accuracy": [0.5, 0.5],
                        "auc": [0.2, 0.6]}}
    return {**metrics, **overrides}


def test_collapse_sentence_names_the_rate_that_exposes_it():
    assert narrative.collapse_sentence("LOOCV", _metrics_object()) == (
        "LOOCV predicted every patient positive: specificity 0.00 [0.00, 0.30].")
    negative = _metrics_object(single_class_predicted=0, sensitivity=0.0,
                               ci95={**_metrics_object()["ci95"], "sensitivity": [0.0, 0.2]})
    assert "every patient negative: sensitivity 0.00 [0.00, 0.20]" in narrative.collapse_sentence(
        "LOOCV", negative)
    assert narrative.collapse_sentence("LOOCV", _metrics_object(single_class=False)) is None


@pytest.mark.parametrize("p_value, verdict", [(0.01, "better than chance"),
                                              (0.2, "not distinguishable from chance"),
                                              (None, "not tested against chance")])
def test_chance_verdict_follows_the_p_value(p_value, verdict):
    assert narrative.chance_verdict(_metrics_object(p_value=p_value)).startswith(verdict)


def test_distributional_bias_reports_the_prior_baseline_auc():
    prior = _metrics_object(auc=0.0)
    text = narrative.distributional_bias(_metrics_object(), prior)
    assert "anti-correlated" in text and "AUC 0.00: the bias is present" in text


def test_lock_hashes_and_params_come_from_dvc_lock():
    lock = {"stages": {"prepare": {
        "deps": [{"path": "data", "md5": "abc.dir", "nfiles": 5, "size": 10},
                 {"path": "pipeline/stages/prepare.py", "md5": "def"}],
        "params": {"params.yaml": {"prepare.crop_mm": 48, "seed": 42}},
        "outs": [{"path": "outputs/train/model.pt", "md5": "123", "size": 7}]}}}
    hashes = provenance.lock_hashes(lock)
    assert hashes["path"].tolist() == ["data", "outputs/train/model.pt"]
    assert hashes["md5"].tolist() == ["abc.dir", "123"]
    drift = provenance.params_drift({"seed": 42, "prepare": {"crop_mm": 64}}, lock, {"prepare.crop_mm"})
    assert drift == {"prepare.crop_mm": (64, 48)}


def test_drift_is_what_dvc_status_finds_against_the_lock(tmp_path):
    from tests.project_factory import run

    (tmp_path / "params.yaml").write_text("lr: 0.001\ntrain:\n  patience: 3\n  seed: 1\n")
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"fit": {
        "cmd": "echo done > out.txt", "params": ["lr", "train.patience"], "outs": ["out.txt"]}}}))
    run(tmp_path, "git", "init", "-q")
    run(tmp_path, sys.executable, "-m", "dvc", "init", "-q")
    run(tmp_path, sys.executable, "-m", "dvc", "repro", "-q")
    assert provenance.changed_params(tmp_path) == set()
    (tmp_path / "params.yaml").write_text("lr: 0.003\ntrain:\n  patience: 3\n  seed: 2\n")
    assert provenance.changed_params(tmp_path) == {"lr"}  # train.seed is no stage's param
    lock = provenance.read_lock(tmp_path / "dvc.lock")
    params = {"lr": 0.003, "train": {"patience": 3, "seed": 2}}
    assert provenance.params_drift(params, lock, {"lr"}) == {"lr": (0.003, 0.001)}
    assert provenance.changed_params(tmp_path / "nothing-here") is None


def test_param_notes_read_the_comments_of_params_yaml():
    text = "# Learning rate\nlr: 0.1\ntrain:\n  patience: 3  # early stop\n"
    notes = provenance.param_notes(text)
    assert notes == {"lr": "Learning rate", "train.patience": "early stop"}


@pytest.mark.parametrize("changed, expected", [
    ([], "no uncommitted changes"),
    (["params.yaml", "dvc.lock"], "as a `dvc exp run` does"),
    (["pipeline/training/fit.py"], "the commit alone does not reproduce these results"),
])
def test_git_state_sentence_says_whether_the_commit_reproduces(changed, expected):
    assert expected in provenance.describe_git_state({"commit": "abc123", "changed": changed})


def test_the_power_section_gives_the_controls_verdicts_and_a_conclusion(report, collapsed_report):
    _, _, page = report
    power = page.sections["How many patients"]
    assert "at n = 24, densenet_small detects a planted effect of 3: yes (3 of 3 cohorts)" in power
    verdicts = [row[-1] for table in page.tables for row in table
                if len(row) > 1 and row[0] == "densenet_small" and row[1] in ("positive", "negative")]
    assert len(verdicts) == 4 and set(verdicts) == {"passed"}  # the spike-in's and the generated cohorts'
    assert "smallest effect detected with power >= 0.8: 3 at n = 24" in power
    assert "radiomics: cross-validated AUC" in power and "projects" in power
    assert "What the instrument can see." in page.sections["Summary"]
    assert "The power study has not been run" in collapsed_report.sections["How many patients"]


def test_external_validation_sits_beside_loocv_with_both_cohorts_case_mix(report, collapsed_report):
    root, _, page = report
    external = _metrics(root, paths.EXTERNAL_METRICS)
    row = page.row("External")
    assert row[2] == "6" and row[3] == format_interval(external["accuracy"], external["ci95"]["accuracy"])
    assert page.row("patients listed")[1:] == ["13", "7"]  # fake outputs: 10 included, 3 excluded
    assert page.row("excluded for unreadable")[1:] == ["1", "1"]
    assert page.row("positive (`extensive`)")[1:] == ["6", "3"]
    assert page.row("site: A")[1:] == ["n/a", "4"] and page.row("site: B")[1:] == ["n/a", "2"]
    text = collapsed_report.text("External validation")
    assert "No external validation was done: the external stage has not run." in text
    assert "patients listed" not in text


def test_the_power_section_leads_with_the_spike_in_in_units_of_d(report, collapsed_report):
    _, _, page = report
    text = page.text("How many patients")
    lead = "On this cohort the real classes differ by d = 0.42 (mean brainstem FLAIR; T2 0.31); the network"
    assert lead in text
    assert text.index(lead) < text.index("at n = 24, densenet_small detects a planted effect of 3")
    assert "(densenet_small) detects d >= " in text and "with 80% power at n = 24; radiomics d >= " in text
    assert "densenet_small detects an effect of 3 planted in this cohort: yes (3 of 3 cohorts)" in text
    assert lead in page.text("Summary")
    assert "The spike-in study has not been run" in collapsed_report.sections["How many patients"]


def test_experiments_carry_the_selection_note_and_the_holm_adjusted_p(report, collapsed_report):
    root, _, page = report
    text = page.text("Is it better than chance?")
    assert "The best of 2 experiments is selected on the same 10 patients it is scored on" in text
    assert "(Holm)" in text and "`loocv.lr_grid`" not in text  # markdown is rendered
    assert "loocv.lr_grid makes each fold choose its own" in text  # lr was fixed in params
    row = page.row("slower-lr")
    assert float(row[2]) == 3e-4 and float(row[3]) == 0.97  # the lr that differs, LOOCV AUC
    # 0.004 is below any p of 10 patients' Mann-Whitney test, so Holm doubles it.
    assert float(row[4]) == 0.004 and float(row[5]) == pytest.approx(0.008)
    base_p = _metrics(root, paths.LOOCV_METRICS)["p_value"]
    assert float(page.row("workspace")[5]) == pytest.approx(base_p, abs=1e-4)
    assert "DVC lists no other experiment" in collapsed_report.text("Is it better than chance?")


def test_nested_selection_is_described_with_the_rates_chosen():
    loocv = {"lr_selection": {"grid": [3e-4, 1e-3], "chosen": [{"lr": 3e-4, "folds": 0},
                                                               {"lr": 1e-3, "folds": 24}]}}
    text = narrative.lr_choice_summary(loocv, 1e-3)
    assert "from 0.0003, 0.001" in text and "chosen: 0.001 in 24 folds" in text
    assert "0.0003 in" not in text
    assert "set before the run" in narrative.lr_choice_summary({}, 1e-3)


def test_calibration_table_rows_equal_the_metrics_json(report):
    root, _, page = report
    loocv = _metrics(root, paths.LOOCV_METRICS)
    # evaluation, n, brier, intercept, slope: the calibration table's row, not the results'
    calibration = next(row for table in page.tables for row in table
                       if row and row[0] == "LOOCV" and len(row) == 5)
    assert calibration[2].startswith(f"{loocv['brier']:.2f}")
    assert calibration[4].startswith("n/a" if loocv["calibration_slope"] is None
                                     else f"{loocv['calibration_slope']:.2f}")
    assert "Brier score" in page.text("Calibration")


def test_decision_curve_section_says_where_the_model_beats_treating_all_or_none(report):
    _, _, page = report
    text = page.text("Decision curve")
    assert "treating every patient or none" in text and "prospective study" in text


def test_methods_are_paragraphs_with_the_run_s_values(report):
    _, _, page = report
    text = page.text("Methods")
    assert "resampled to 2.0 mm isotropic voxels" in text and "0.5th and 99.5th percentiles" in text
    assert "one-sided Mann-Whitney U" in text and "bootstrap resamples" in text


def test_how_many_patients_gives_the_riley_criteria(report):
    _, _, page = report
    text = page.text("How many patients")
    assert "Riley et al." in text and "Prevalence" in text
    assert page.row("target")[1] == "0.75" and int(page.row("target")[-2]) > 10


def test_the_checklist_is_written_beside_the_report_with_every_tripod_ai_item(report, tmp_path):
    root, html, page = report
    from pipeline.presentation.checklist import ITEMS, checklist_table

    render_module.formats.write_checklist(tmp_path / "checklist.csv", checklist_table())
    written = formats.read_checklist(tmp_path / "checklist.csv")
    assert list(written.columns) == ["checklist", "item", "topic", "status", "where"]
    assert written["item"].tolist() == [item for item, *_ in ITEMS]
    assert "Appendix: TRIPOD+AI checklist" in page.sections
    for where in written["where"]:  # every link lands on an anchor of the report
        if where.startswith("#"):
            assert f'id="{where[1:]}"' in html, where
