"""`dvc plots show` with the project's template renders with no network (headless Chromium)."""

import shutil

import pytest

from report import plots_template
from tests.browser import OFFLINE_FLAGS, chromium, needs_chromium
from tests.outputs_factory import write_fake_outputs
from tests.project_factory import REPO, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plots_page(tmp_path_factory):
    """DVC's plots page of fake outputs, made as `make plots` makes it (the repo's config)."""
    root = tmp_path_factory.mktemp("plots")
    write_fake_outputs(root, n_patients=6, with_model=False)
    shutil.copy(REPO / "dvc.yaml", root / "dvc.yaml")
    run(root, "dvc", "init", "--no-scm", "-q")
    shutil.copy(REPO / ".dvc" / "config", root / ".dvc" / "config")
    (root / "report").mkdir()
    shutil.copy(plots_template.TEMPLATE, root / "report" / plots_template.TEMPLATE.name)
    run(root, "dvc", "plots", "show", "-o", "dvc_plots")
    return root / "dvc_plots" / "index.html"


def test_the_page_loads_nothing_from_the_network(plots_page):
    html = plots_page.read_text(encoding="utf-8")
    assert "<script src=" not in html and "cdn.jsdelivr" not in html
    assert "vegaEmbed(" in html  # the plots are there, drawn by the inlined library


def test_template_keeps_dvc_placeholders_out_of_the_libraries():
    html = plots_template.TEMPLATE.read_text(encoding="utf-8")
    assert html.count("{plot_divs}") == 1 and "{scripts}" not in html


@needs_chromium
def test_plots_render_offline_in_chromium(plots_page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    html = plots_page.read_text(encoding="utf-8")
    expected = html.count("vegaEmbed(")
    with chromium(OFFLINE_FLAGS) as driver:
        driver.get(plots_page.as_uri())
        WebDriverWait(driver, 60, poll_frequency=0.2).until(lambda d: len(d.find_elements(
            By.CSS_SELECTOR, ".vega-embed svg, .vega-embed canvas")) >= expected)
        errors = [entry["message"] for entry in driver.get_log("browser")
                  if entry["level"] == "SEVERE"]
    assert expected >= 3 and not errors, errors
