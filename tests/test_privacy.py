"""Patient data stays put: loopback only, no telemetry, no header text copied, no pickled code run."""

import pickle
from pathlib import Path

import nibabel as nib
import pytest
import tomllib
import torch

from pipeline import formats
from pipeline.config.settings import PreprocessSettings
from pipeline.preprocessing.cohort import prepare_cohort
from pipeline.training.network import load_network
from tests.nifti_factory import write_cohort

REPO = Path(__file__).resolve().parents[1]
SECRET = b"Doe^Jane 1961-04-02"


def test_dashboard_listens_on_loopback_without_usage_statistics():
    config = tomllib.loads((REPO / ".streamlit/config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False


def test_dvc_analytics_off_in_the_repository_config():
    assert "analytics = false" in (REPO / ".dvc/config").read_text()


def test_header_free_text_never_reaches_the_outputs(tmp_path):
    root = write_cohort(tmp_path / "data", {"P1": "extensive"})
    for path in (root / "P1").iterdir():
        image = nib.load(path)
        image = nib.Nifti1Image(image.get_fdata(), image.affine)
        image.header["descrip"] = SECRET
        image.header["aux_file"] = SECRET[:20]
        image.header["intent_name"] = SECRET[:15]
        nib.save(image, path)
    prepare_cohort(root, tmp_path / "out", PreprocessSettings(64, 32, (0.5, 99.5)), "extensive")
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert written
    for path in written:
        assert SECRET[:8] not in path.read_bytes(), path


class _Exploit:
    def __reduce__(self):
        return (Path.touch, (Path("pwned"),))


@pytest.mark.parametrize("loader", [
    lambda d: formats.read_patient(d, "P1", full=False),
    lambda d: load_network(formats.patient_path(d, "P1")),
])
def test_files_with_pickled_code_are_refused(tmp_path, monkeypatch, loader):
    monkeypatch.chdir(tmp_path)
    torch.save({"image": _Exploit()}, formats.patient_path(tmp_path, "P1"), pickle_protocol=2)
    with pytest.raises(pickle.UnpicklingError):
        loader(tmp_path)
    assert not (tmp_path / "pwned").exists()
