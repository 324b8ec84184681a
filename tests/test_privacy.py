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
from pipeline.stages.prepare import main as prepare_main
from pipeline.training.network import load_network
from tests.dicom_factory import write_dicom_patient
from tests.nifti_factory import write_cohort

REPO = Path(__file__).resolve().parents[1]
SECRET = b"Doe^Jane 1961-04-02"
# What a PACS export carries about the patient; dcm2niix would copy ImageComments into the
# NIfTI's aux_file and the patient's name into file names that ask for it.
DICOM_FIELDS = {"PatientName": "Zyxwvuts^Qponmlk", "PatientID": "MRN-44521187",
                "PatientBirthDate": "19610402", "InstitutionName": "Elsewhere Clinic",
                "ReferringPhysicianName": "Hausarzt^Gregor", "ImageComments": "Qponmlk's scan"}
DICOM_SECRETS = [b"Zyxwvuts", b"Qponmlk", b"44521187", b"19610402", b"1961-04-02",
                 b"Elsewhere Clinic", b"Hausarzt"]


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


def test_dicom_header_text_never_reaches_the_outputs(tmp_path, monkeypatch):
    data = tmp_path / "data"
    labels = {"P1": "extensive", "P2": "none", "P3": "extensive", "P4": "microscopic",
              "BROKEN": "none"}
    for patient_id in labels:
        write_dicom_patient(data / patient_id, fields=DICOM_FIELDS)
    cut = sorted((data / "BROKEN" / "S4").iterdir())[3]  # its t2 fails to convert
    cut.write_bytes(cut.read_bytes()[:-300])
    (data / "labels.csv").write_text("patient_id,infiltration\n" + "".join(
        f"{patient_id},{label}\n" for patient_id, label in labels.items()))
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "params.yaml").write_text(
        (REPO / "params.yaml").read_text().replace("min_patients: 6", "min_patients: 4"))
    monkeypatch.chdir(tmp_path / "run")
    prepare_main(["--data", str(data)])
    manifest = formats.read_manifest(Path("outputs/manifest.csv"))
    assert manifest["included"].sum() == 4  # the series were read, converted and preprocessed
    assert "dcm2niix" in manifest.set_index("patient_id")["reason"]["BROKEN"]
    assert len(list(Path("outputs/dicom").glob("*.nii"))) == 4 * 4 + 2  # BROKEN: t1, t1c
    written = [path for folder in ("outputs", "metrics") for path in Path(folder).rglob("*")
               if path.is_file()]
    for path in written:
        content = path.read_bytes()
        for secret in DICOM_SECRETS:
            assert secret not in content, (secret, path)
    assert not [path for path in written if path.suffix == ".json" and "dicom" in path.parts]


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
