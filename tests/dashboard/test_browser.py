"""The dashboard served by `streamlit run` and rendered by headless Chromium.

Checks that patient ids and LOOCV metric values reach a real browser, that the first page
draws no chart and loads nothing of the volume viewer, that a chart's tab draws it, that
the Patients page draws a patient in NiiVue (a WebGL canvas whose pixels vary), and saves
screenshots (to the test's folder and, if set, to ``$SCREENSHOT_DIR``). Prints the first
page's timings (``bench.dashboard`` measures them on a real project's outputs).
"""

import io
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline import formats
from pipeline.presentation.formatting import format_value
from tests.browser import (
    APP,
    chromium,
    first_page_seconds,
    needs_chromium,
    streamlit_server,
    wait_for_text,
    wait_until_healthy,
)
from tests.outputs_factory import write_fake_outputs

pytestmark = [needs_chromium, pytest.mark.slow]

VIEWER_FRAME = "iframe[title='niivue_component.niivue_viewer']"
FIRST_PAGE_SECONDS = 3.0  # LOOCV numbers on screen after the request, on a warm server


@pytest.fixture
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture
def server(tmp_path):
    """The app served from a fake repository root; the repository's ``.streamlit/config.toml``
    is copied there, since Streamlit reads it from the working directory."""
    write_fake_outputs(tmp_path)
    shutil.copytree(APP.parents[1] / ".streamlit", tmp_path / ".streamlit")
    with streamlit_server(tmp_path) as served:
        yield served


def _wait_for_charts(driver, count: int, timeout: float = 60) -> None:
    """Waits until ``count`` Plotly charts are drawn."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= count)


def _screenshot(driver, tmp_path: Path, name: str) -> None:
    driver.save_screenshot(str(tmp_path / name))
    if os.environ.get("SCREENSHOT_DIR"):
        Path(os.environ["SCREENSHOT_DIR"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / name, Path(os.environ["SCREENSHOT_DIR"]) / name)


def _loaded_resources(driver) -> list[str]:
    return driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")


def _canvas_pixels(driver, timeout: float = 240) -> np.ndarray:
    """The first NiiVue canvas as RGB pixels, once it has drawn something.

    Taken from a screenshot of the element: reading a WebGL canvas back from script gives
    a blank image unless the page asked to keep its drawing buffer.
    """
    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    frame = WebDriverWait(driver, timeout).until(lambda d: d.find_element(By.CSS_SELECTOR, VIEWER_FRAME))
    driver.switch_to.frame(frame)
    try:
        canvas = WebDriverWait(driver, timeout).until(lambda d: d.find_element(By.TAG_NAME, "canvas"))
        shots: list[np.ndarray] = []

        def drawn(_driver) -> bool:
            shots.append(np.asarray(Image.open(io.BytesIO(canvas.screenshot_as_png)).convert("RGB")))
            return shots[-1].std() > 10

        WebDriverWait(driver, timeout, poll_frequency=0.2).until(drawn)
        return shots[-1]
    finally:
        driver.switch_to.default_content()


def _open_tab(driver, label: str) -> None:
    from selenium.webdriver.common.by import By

    (tab,) = [tab for tab in driver.find_elements(By.CSS_SELECTOR, "[role='tab']")
              if tab.text == label]
    tab.click()


def test_first_page_shows_results_and_loads_no_chart_or_viewer(browser, server, tmp_path):
    url, started, process = server
    loocv = formats.read_metrics(tmp_path / "metrics" / "loocv.json")
    wait_until_healthy(url, process)
    browser.get(url)
    wait_for_text(browser, ["LOOCV accuracy", format_value(loocv["accuracy"]), "GBM-090",
                             "predicted positive"])
    cold = time.monotonic() - started
    _screenshot(browser, tmp_path, "dashboard-cohort.png")
    assert not browser.find_elements("css selector", ".js-plotly-plot")
    assert not [name for name in _loaded_resources(browser) if "niivue" in name]
    _open_tab(browser, "ROC curves")
    _wait_for_charts(browser, 1)
    wait_for_text(browser, ["ROC curves", "LOOCV (AUC"])
    _screenshot(browser, tmp_path, "dashboard-roc.png")
    print(f"\nfirst page: LOOCV numbers {cold:.2f} s after `streamlit run`, ROC curves "
          f"{time.monotonic() - started:.2f} s")


def test_first_page_on_a_warm_server_within_3_s(browser, server, tmp_path):
    url, _, process = server
    loocv = formats.read_metrics(tmp_path / "metrics" / "loocv.json")
    expected = ["LOOCV accuracy", format_value(loocv["accuracy"])]
    wait_until_healthy(url, process)
    first_page_seconds(browser, url, expected)  # warms the server's caches and the browser's
    browser.get("about:blank")
    seconds = sorted(first_page_seconds(browser, url, expected) for _ in range(3))
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    print(f"\nfirst page on a warm server: LOOCV numbers "
          f"{', '.join(f'{s:.2f}' for s in seconds)} s after the request "
          f"(load {load:.1f} per core)")
    if seconds[0] > FIRST_PAGE_SECONDS and load > 1.0:
        pytest.skip(f"machine overloaded ({load:.1f} runnable per core): fastest "
                    f"{seconds[0]:.2f} s not held to {FIRST_PAGE_SECONDS} s")
    # The fastest of three: the suite's own server and browser share the two cores, so a
    # single request can be slow for reasons of its own; all three are printed above.
    assert seconds[0] <= FIRST_PAGE_SECONDS


def test_patients_page_draws_a_patient_in_niivue(browser, server, tmp_path):
    url, _, process = server
    wait_until_healthy(url, process)
    requested = time.monotonic()
    browser.get(f"{url}/patients")
    wait_for_text(browser, ["GBM-001", "Brainstem mask"], timeout=240)  # slow when loaded
    pixels = _canvas_pixels(browser)
    drawn = time.monotonic() - requested
    time.sleep(0.5)  # the 3D pane renders last
    _screenshot(browser, tmp_path, "dashboard-patients.png")
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100  # an image, not a flat fill
    print(f"\nPatients page: NiiVue canvas drawn {drawn:.2f} s after the request "
          f"(cold server); screenshot {tmp_path / 'dashboard-patients.png'}")
