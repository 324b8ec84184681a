"""Stage ``prepare`` on the built-in cohort written in each input layout: same patients out."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline import formats
from pipeline.stages.prepare import main
from pipeline.synth import Composition, write_cohort
from tests.nifti_factory import write_bids_cohort
from tests.test_bad_inputs import snapshot

REPO = Path(__file__).resolve().parents[2]
# Every role of the built-in cohort, 4 complete patients (data.min_patients is at least 4).
EVERY_ROLE = Composition(extensive=2, microscopic=1, none=1, missing_sequence=2, empty_folder=1,
                         no_folder=1, seg_only=1)


def in_run_folder(folder: Path, monkeypatch) -> None:
    """Works in ``folder`` with the project's params.yaml, ``data.min_patients`` lowered to 4."""
    folder.mkdir()
    params = (REPO / "params.yaml").read_text().replace("min_patients: 6", "min_patients: 4")
    (folder / "params.yaml").write_text(params)
    monkeypatch.chdir(folder)


def run_stage(folder: Path, data: Path, monkeypatch) -> tuple:
    """``python -m pipeline.stages.prepare --data DATA`` in ``folder``: its manifest, and
    its preprocessed patients' folder; ``data`` is left as it was."""
    in_run_folder(folder, monkeypatch)
    before = snapshot(data)
    main(["--data", str(data)])
    assert snapshot(data) == before
    return formats.read_manifest(folder / "outputs" / "manifest.csv"), folder / "outputs" / "preprocessed"


@pytest.mark.slow
def test_the_bids_layout_prepares_exactly_as_the_folder_layout(tmp_path, monkeypatch):
    for layout in ("folders", "bids"):
        write_cohort(tmp_path / layout, composition=EVERY_ROLE, spacing_mm=4.0, layout=layout)
    plain, plain_out = run_stage(tmp_path / "run-folders", tmp_path / "folders", monkeypatch)
    bids, bids_out = run_stage(tmp_path / "run-bids", tmp_path / "bids", monkeypatch)
    mapped = plain.assign(patient_id=plain["patient_id"].str.replace("-", ""))
    assert list(bids["patient_id"]) == list(mapped["patient_id"])
    for column in ("infiltration", "target", "included"):
        assert list(bids[column]) == list(mapped[column]), column
    codes = [reason.split(": ")[0] for reason in bids["reason"]]
    assert codes == [reason.split(": ")[0] for reason in mapped["reason"]]
    assert sorted(code for code in codes if code) == [
        "missing:all", "missing:all", "missing:t1,t1c,t2,flair", "missing:t1c", "missing:t2"]
    assert bids["included"].sum() == 4
    for folder_id, bids_id in zip(plain["patient_id"][plain["included"]],
                                  bids["patient_id"][bids["included"]]):
        first = formats.read_patient(plain_out, folder_id)
        second = formats.read_patient(bids_out, bids_id)
        assert torch.equal(first.image, second.image) and torch.equal(first.mask, second.mask)
        assert (first.affine == second.affine).all()


@pytest.mark.slow
def test_the_dicom_layout_prepares_as_the_folder_layout_converting_each_series_once(
        tmp_path, monkeypatch):
    for layout in ("folders", "dicom"):
        write_cohort(tmp_path / layout, composition=EVERY_ROLE, spacing_mm=4.0, layout=layout)
    plain, plain_out = run_stage(tmp_path / "run-folders", tmp_path / "folders", monkeypatch)
    dicom, dicom_out = run_stage(tmp_path / "run-dicom", tmp_path / "dicom", monkeypatch)
    for column in ("patient_id", "infiltration", "target", "included"):
        assert list(dicom[column]) == list(plain[column]), column
    codes = [reason.split(": ")[0] for reason in dicom["reason"]]
    assert codes == [reason.split(": ")[0] for reason in plain["reason"]]
    assert dicom["included"].sum() == 4
    for patient_id in plain["patient_id"][plain["included"]]:
        first = formats.read_patient(plain_out, patient_id)
        second = formats.read_patient(dicom_out, patient_id)
        # DICOM holds the same int16 voxels exactly; only the geometry is rounded (positions to
        # 16-character decimal strings, the affine to float32: about 1e-5 mm), which moves a
        # trilinear sample of intensities scaled to [0, 1] by far less than 1e-4.
        assert torch.allclose(first.image, second.image, rtol=0, atol=1e-4)
        assert torch.equal(first.mask, second.mask)
        assert np.allclose(first.affine, second.affine, atol=1e-4)
    cache = sorted((tmp_path / "run-dicom" / "outputs" / "dicom").iterdir())
    assert len(cache) == 4 * 4 and all(path.suffix == ".nii" for path in cache)  # complete patients
    times = [path.stat().st_mtime_ns for path in cache]

    def no_conversion(*args, **kwargs):
        raise AssertionError("a series was converted again")

    monkeypatch.setattr(subprocess, "run", no_conversion)
    main(["--data", str(tmp_path / "dicom")])  # again, in the same run folder
    assert sorted((tmp_path / "run-dicom" / "outputs" / "dicom").iterdir()) == cache
    assert [path.stat().st_mtime_ns for path in cache] == times
    again = formats.read_manifest(tmp_path / "run-dicom" / "outputs" / "manifest.csv")
    assert list(again["included"]) == list(dicom["included"])
    assert not (tmp_path / "dicom" / "outputs").exists()


def test_a_bids_dataset_without_participants_tsv_stops_the_stage(tmp_path, monkeypatch):
    root = write_bids_cohort(tmp_path / "data", {"A01": "none"})
    (root / "participants.tsv").unlink()
    in_run_folder(tmp_path / "run", monkeypatch)
    with pytest.raises(SystemExit, match=r"^no .*data/participants.tsv: "):
        main(["--data", str(root)])


def test_a_bids_dataset_pybids_refuses_stops_the_stage_saying_why(tmp_path, monkeypatch):
    root = write_bids_cohort(tmp_path / "data", {"A01": "none"})
    (root / "dataset_description.json").write_text("{not json")
    in_run_folder(tmp_path / "run", monkeypatch)
    with pytest.raises(SystemExit, match="pybids cannot read: .*not a valid json"):
        main(["--data", str(root)])


def _as_aseg(cohort: Path) -> None:
    """Every seg file of ``cohort`` (under any of its names) replaced by a FreeSurfer-style
    ``aseg.mgz``: the brainstem as label 16 among other structures (2 and 41, white matter)."""
    import nibabel as nib

    from pipeline.ingest.naming import sequence_name

    for seg in sorted(path for path in cohort.glob("*/*")
                      if sequence_name(path.name, path.parent.name) == "seg"):
        image = nib.load(seg)
        brainstem = np.asarray(image.dataobj) > 0
        labels = np.full(brainstem.shape, 2, dtype=np.int32)
        labels[brainstem.shape[0] // 2:] = 41
        labels[brainstem] = 16
        nib.save(nib.MGHImage(labels, image.affine), seg.parent / "aseg.mgz")
        seg.unlink()


@pytest.mark.slow
def test_aseg_mgz_masks_with_seg_label_16_prepare_as_the_plain_masks(tmp_path, monkeypatch):
    for name in ("folders", "aseg"):
        write_cohort(tmp_path / name, composition=EVERY_ROLE, spacing_mm=4.0)
    _as_aseg(tmp_path / "aseg")
    plain, plain_out = run_stage(tmp_path / "run-folders", tmp_path / "folders", monkeypatch)
    in_run_folder(tmp_path / "run-aseg", monkeypatch)
    params = Path("params.yaml")
    params.write_text(params.read_text().replace("seg_label: null", "seg_label: 16"))
    main(["--data", str(tmp_path / "aseg")])
    aseg = formats.read_manifest(Path("outputs/manifest.csv"))
    for column in ("patient_id", "infiltration", "target", "included"):
        assert list(aseg[column]) == list(plain[column]), column
    assert [r.split(": ")[0] for r in aseg["reason"]] == [r.split(": ")[0] for r in plain["reason"]]
    for patient_id in plain["patient_id"][plain["included"]]:
        first = formats.read_patient(plain_out, patient_id)
        second = formats.read_patient(Path("outputs/preprocessed"), patient_id)
        assert torch.equal(first.mask, second.mask)  # label 16 is the brainstem, nothing else
        assert torch.allclose(first.image, second.image, rtol=0, atol=1e-6)
