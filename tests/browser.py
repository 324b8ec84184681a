"""Headless Chromium and a `streamlit run` server, for the tests that need a real browser
(skipped where Chromium is absent) and for ``bench.dashboard``."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# WebGL without a GPU: ANGLE on SwiftShader, Chromium's software renderer (.ci/run says so too).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--disable-dev-shm-usage", "--window-size=1400,2000",
         "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
# No network at all: every host name fails to resolve and every request goes to a dead proxy.
OFFLINE_FLAGS = ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                 "--proxy-bypass-list=<-loopback>"]



def chromium_available() -> bool:
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


needs_chromium = pytest.mark.skipif(
    not chromium_available(),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")


@contextmanager
def chromium(extra_flags: list[str] | None = None):
    """A Selenium driver of headless Chromium, quit on leaving."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS + (extra_flags or []):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def streamlit_server(root: Path):
    """`streamlit run dashboard/app.py` on a free loopback port, run from ``root`` (the
    repository root whose outputs it shows); yields its URL, start time and process."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false"]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL,
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


def wait_until_healthy(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
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


def wait_for_text(driver, texts: list[str], timeout: float = 60) -> None:
    """Waits until the page's text holds every one of ``texts``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: all(text in d.find_element(By.TAG_NAME, "body").text for text in texts))


def first_page_seconds(driver, url: str, expected: list[str]) -> float:
    """Seconds from requesting the first page to ``expected`` (its LOOCV numbers) on screen."""
    requested = time.monotonic()
    driver.get(url)
    wait_for_text(driver, expected)
    return time.monotonic() - requested
