"""The dashboard served by `streamlit run` and rendered by headless Chromium.

Checks that patient ids and LOOCV metric values reach a real browser, that moving the
slice slider redraws the panels, and saves screenshots (to the test's folder and, if
set, to ``$SCREENSHOT_DIR``). Prints the start-up and slider timings.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline import artifacts
from pipeline.results import format_value
from tests.dashboard.conftest import APP
from tests.outputs_factory import write_fake_outputs

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run", "--disable-dev-shm-usage", "--window-size=1400,2000"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium (apt-get install chromium chromium-driver)")


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
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


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


def _panel_source(driver) -> str | None:
    """The PNG of the first slice panel (read in the page: Plotly replaces the element)."""
    return driver.execute_script(
        "const image = document.querySelector('svg image'); return image && image.getAttribute('href');")


def _slider_moves(driver, moves: int = 5) -> list[float]:
    """Seconds from each right-arrow press on the slice slider to redrawn panels."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    thumb = WebDriverWait(driver, 30).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "input[type='range'][aria-label='Slice']"))
    seconds = []
    for _ in range(moves):
        before = _panel_source(driver)
        pressed = time.monotonic()
        thumb.send_keys(Keys.ARROW_RIGHT)
        WebDriverWait(driver, 10, poll_frequency=0.01).until(lambda d: _panel_source(d) != before)
        seconds.append(time.monotonic() - pressed)
    return seconds


def test_pages_render_in_chromium(browser, server, tmp_path):
    url, started, _ = server
    loocv = artifacts.read_metrics(tmp_path / "metrics" / "loocv.json")
    _wait_until_healthy(url, server[2])
    browser.get(url)
    _wait_for_text(browser, ["LOOCV accuracy", format_value(loocv["accuracy"]), "GBM-090"])
    first_page = time.monotonic() - started
    _wait_for_charts(browser, 8)  # 5 confusion matrices, ROC, probabilities, permutation null
    all_charts = time.monotonic() - started
    _screenshot(browser, tmp_path, "dashboard-cohort.png")

    browser.get(f"{url}/patients")
    _wait_for_text(browser, ["GBM-001", "Axial slice"])
    time.sleep(0.5)  # let the panels' images load
    seconds = _slider_moves(browser)
    _screenshot(browser, tmp_path, "dashboard-patients.png")
    print(f"\nfirst page rendered {first_page:.2f} s after `streamlit run` (all charts "
          f"{all_charts:.2f} s); slider moves "
          f"{', '.join(f'{s * 1000:.0f}' for s in seconds)} ms")
