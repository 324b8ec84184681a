"""The dashboard served by `streamlit run` and rendered by headless Chromium.

Checks that patient ids and LOOCV metric values reach a real browser, that the first page
loads nothing of the volume viewer, that the Patients page draws a patient in NiiVue (a
WebGL canvas whose pixels vary), and saves screenshots (to the test's folder and, if set,
to ``$SCREENSHOT_DIR``). Prints the first page's timings.
"""

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from pipeline import artifacts
from pipeline.formatting import format_value
from tests.browser import chromium, needs_chromium
from tests.dashboard.conftest import APP
from tests.outputs_factory import write_fake_outputs

pytestmark = [needs_chromium, pytest.mark.slow]

VIEWER_FRAME = "iframe[title='niivue_component.niivue_viewer']"
FIRST_PAGE_SECONDS = 3.0  # LOOCV numbers on screen after the request, on a warm server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "streamlit exited early"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("streamlit did not come up")


@pytest.fixture
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture
def server(tmp_path):
    """`streamlit run dashboard/app.py` on a free loopback port, from a fake repository root.

    The repository's ``.streamlit/config.toml`` is copied there: Streamlit reads it from
    the working directory.
    """
    write_fake_outputs(tmp_path)
    shutil.copytree(APP.parents[1] / ".streamlit", tmp_path / ".streamlit")
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false"]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}", started, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_text(driver, texts: list[str], timeout: float = 60) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: all(text in d.find_element(By.TAG_NAME, "body").text for text in texts))


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


def _first_page(browser, url: str, expected: list[str]) -> float:
    """Seconds from requesting the first page to its LOOCV numbers on screen."""
    requested = time.monotonic()
    browser.get(url)
    _wait_for_text(browser, expected)
    return time.monotonic() - requested


def test_first_page_shows_results_and_loads_no_viewer(browser, server, tmp_path):
    url, started, process = server
    loocv = artifacts.read_metrics(tmp_path / "metrics" / "loocv.json")
    _wait_until_healthy(url, process)
    browser.get(url)
    _wait_for_text(browser, ["LOOCV accuracy", format_value(loocv["accuracy"]), "GBM-090"])
    cold = time.monotonic() - started
    _wait_for_charts(browser, 8)  # 5 confusion matrices, ROC, probabilities, permutation null
    _screenshot(browser, tmp_path, "dashboard-cohort.png")
    assert not [name for name in _loaded_resources(browser) if "niivue" in name]
    print(f"\nfirst page: LOOCV numbers {cold:.2f} s after `streamlit run`, all charts "
          f"{time.monotonic() - started:.2f} s")


def test_first_page_on_a_warm_server_within_3_s(browser, server, tmp_path):
    url, _, process = server
    loocv = artifacts.read_metrics(tmp_path / "metrics" / "loocv.json")
    expected = ["LOOCV accuracy", format_value(loocv["accuracy"])]
    _wait_until_healthy(url, process)
    _first_page(browser, url, expected)  # warms the server's caches and the browser's
    browser.get("about:blank")
    seconds = sorted(_first_page(browser, url, expected) for _ in range(3))
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
    _wait_until_healthy(url, process)
    requested = time.monotonic()
    browser.get(f"{url}/patients")
    _wait_for_text(browser, ["GBM-001", "Brainstem mask"], timeout=240)  # slow when loaded
    pixels = _canvas_pixels(browser)
    drawn = time.monotonic() - requested
    time.sleep(0.5)  # the 3D pane renders last
    _screenshot(browser, tmp_path, "dashboard-patients.png")
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100  # an image, not a flat fill
    print(f"\nPatients page: NiiVue canvas drawn {drawn:.2f} s after the request "
          f"(cold server); screenshot {tmp_path / 'dashboard-patients.png'}")
