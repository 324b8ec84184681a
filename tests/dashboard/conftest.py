"""Fixtures for the dashboard tests: fake pipeline outputs in a temporary repository root."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.browser import APP
from tests.outputs_factory import write_fake_outputs

PAGES = ["views/cohort.py", "views/patients.py", "views/training.py", "views/experiments.py"]


def open_page(page: str = "views/cohort.py") -> AppTest:
    """The app run once, then switched to ``page`` and run again."""
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    if page != "views/cohort.py":
        app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.fixture(scope="module")
def outputs_dir(tmp_path_factory) -> Path:
    """A repository root with a complete fake set of outputs (10 patients, 16^3 crops)."""
    root = tmp_path_factory.mktemp("outputs")
    write_fake_outputs(root)
    return root


@pytest.fixture
def in_outputs(outputs_dir, monkeypatch) -> Path:
    """Runs the test from the fake repository root, as `streamlit run` would be."""
    monkeypatch.chdir(outputs_dir)
    return outputs_dir
