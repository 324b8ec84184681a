"""Tests of the built-in cohort generator, on tiny volumes (6 mm voxels) wherever possible."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from pipeline.synth import Composition, plan_cohort, synthesise_patient, write_cohort
from pipeline.synth.__main__ import main
from pipeline.synth.dicom import DESCRIPTIONS

COARSE_MM = 6.0
SMALL = Composition(extensive=3, microscopic=2, none=1, missing_sequence=0, empty_folder=0,
                    no_folder=0, seg_only=0)


@pytest.fixture(scope="module")
def study_cohort(tmp_path_factory) -> tuple[Path, list]:
    """The study's composition (33 patients) on a coarse grid."""
    root = tmp_path_factory.mktemp("study") / "data"
    return root, write_cohort(root, spacing_mm=COARSE_MM)


def _labels(root: Path) -> list[dict[str, str]]:
    with open(root / "labels.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _files(root: Path, patient_id: str) -> set[str]:
    return {path.name for path in (root / patient_id).iterdir()}


def _brainstem_values(image: nib.Nifti1Image, seg: nib.Nifti1Image) -> np.ndarray:
    """Image values at the brainstem voxels of ``seg`` (nearest voxel through both affines)."""
    voxels = np.argwhere(np.asarray(seg.dataobj) > 0)
    world = nib.affines.apply_affine(seg.affine, voxels)
    index = np.rint(nib.affines.apply_affine(np.linalg.inv(image.affine), world)).astype(int)
    return np.asarray(image.dataobj)[tuple(index.T)].astype(float)


def _normalised_brainstem_flair(images: dict[str, nib.Nifti1Image]) -> float:
    """Mean FLAIR in the brainstem over the median FLAIR of the head."""
    flair = np.asarray(images["flair"].dataobj).astype(float)
    head = flair[flair > 0.1 * np.percentile(flair, 99)]
    return _brainstem_values(images["flair"], images["seg"]).mean() / np.median(head)


def test_labels_list_all_33_with_the_study_classes(study_cohort):
    root, specs = study_cohort
    rows = _labels(root)
    assert [row["patient_id"] for row in rows] == [f"GBM-{i:03d}" for i in range(1, 34)]
    assert list(rows[0]) == ["patient_id", "infiltration", "site"]
    complete = Counter(spec.label for spec in specs if spec.role == "complete")
    assert complete == {"extensive": 15, "microscopic": 7, "none": 2}


def test_each_incomplete_patient_lacks_exactly_one_different_sequence(study_cohort):
    root, specs = study_cohort
    missing = [spec for spec in specs if spec.role.startswith("missing:")]
    assert len(missing) == 3
    for spec in missing:
        assert _files(root, spec.patient_id) == {f"{key}.nii.gz" for key in spec.files}
        assert len(spec.files) == 4 and spec.role[len("missing:"):] not in spec.files
    assert len({spec.role for spec in missing}) == 3


def test_patients_without_data_are_as_in_the_study(study_cohort):
    root, specs = study_cohort
    roles = Counter(spec.role for spec in specs)
    assert (roles["empty_folder"], roles["no_folder"], roles["seg_only"]) == (2, 2, 2)
    for spec in specs:
        if spec.role == "no_folder":
            assert not (root / spec.patient_id).exists()
        elif spec.role == "empty_folder":
            assert _files(root, spec.patient_id) == set()
        elif spec.role == "seg_only":
            assert _files(root, spec.patient_id) == {"seg.nii.gz"}


def test_roles_are_shuffled_by_the_seed():
    roles = {seed: [spec.role for spec in plan_cohort(seed=seed)] for seed in (0, 1)}
    assert roles[0] != roles[1]
    assert roles[0][-9:] != [role for role in roles[0] if role != "complete"]


def test_some_complete_patients_use_name_variants(study_cohort):
    root, specs = study_cohort
    names = {name for spec in specs if spec.role == "complete" for name in _files(root, spec.patient_id)}
    assert {"t1ce.nii.gz", "FLAIR.nii.gz", "brainstem.nii.gz", "t1.nii"} <= names
    assert any(name.startswith("GBM-") and name.endswith("_t1gd.nii.gz") for name in names)


def test_every_sequence_has_its_own_grid():
    images = synthesise_patient(1, "none", spacing_mm=COARSE_MM)
    codes = {key: nib.aff2axcodes(image.affine) for key, image in images.items()}
    assert codes["flair"] != codes["t1"] and codes["t1c"] != codes["t1"]
    assert images["t2"].header.get_zooms() == (COARSE_MM, COARSE_MM, 2 * COARSE_MM)
    assert len({image.shape for key, image in images.items() if key != "seg"}) == 4
    assert images["seg"].shape == images["t1"].shape


def test_images_are_stored_like_a_scanners():
    images = synthesise_patient(2, "extensive", spacing_mm=COARSE_MM)
    for key in ("t1", "t1c", "t2", "flair"):
        data = np.asarray(images[key].dataobj)
        assert data.dtype == np.int16 and 300 < data.max() < 4000
    assert np.asarray(images["seg"].dataobj).dtype == np.uint8


@pytest.mark.parametrize("index", [1, 2, 3])
def test_brainstem_lies_inside_the_head_and_fits_a_64_mm_cube(index):
    images = synthesise_patient(index, "none", spacing_mm=2.0, keys=("t1", "seg"))
    seg = np.asarray(images["seg"].dataobj)
    assert 3000 < seg.sum() * 8.0 < 15000  # mm^3: about 22 x 20 x 48 mm, roughly ellipsoidal
    t1 = np.asarray(images["t1"].dataobj)
    assert _brainstem_values(images["t1"], images["seg"]).min() > 0.3 * np.percentile(t1, 99)
    world = nib.affines.apply_affine(images["seg"].affine, np.argwhere(seg > 0))
    assert np.all(np.abs(world - world.mean(axis=0)) < 32.0 - 2.0)


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    contents = {}
    for run, seed in (("a", 0), ("b", 0), ("c", 1)):
        write_cohort(tmp_path / run, seed=seed, composition=SMALL, spacing_mm=COARSE_MM)
        contents[run] = {path.relative_to(tmp_path / run): path.read_bytes()
                         for path in sorted((tmp_path / run).rglob("*")) if path.is_file()}
    assert contents["a"] == contents["b"]
    assert contents["a"].keys() == contents["c"].keys() and contents["a"] != contents["c"]


def test_gzip_header_has_no_time_stamp_or_file_name(study_cohort):
    root, _ = study_cohort
    header = next(root.rglob("t1.nii.gz")).read_bytes()[:10]
    assert header[4:8] == b"\0\0\0\0" and not header[3] & 0x08


def test_extensive_infiltration_raises_brainstem_flair():
    ratios = {label: [_normalised_brainstem_flair(synthesise_patient(index, label, effect=3.0, spacing_mm=3.0,
                                                                     keys=("flair", "seg")))
                      for index in range(1, 5)] for label in ("extensive", "none")}
    assert all(e > n for e, n in zip(ratios["extensive"], ratios["none"]))
    assert np.mean(ratios["extensive"]) > 1.05 * np.mean(ratios["none"])


@pytest.mark.parametrize(("label", "other", "effect"), [("extensive", "none", 0.0),
                                                        ("microscopic", "none", 3.0)])
def test_labels_without_visible_infiltration_give_identical_images(label, other, effect):
    first = synthesise_patient(4, label, effect=effect, spacing_mm=COARSE_MM)
    second = synthesise_patient(4, other, effect=effect, spacing_mm=COARSE_MM)
    for key in first:
        np.testing.assert_array_equal(np.asarray(first[key].dataobj), np.asarray(second[key].dataobj))


def test_cli_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit) as stop:
        main([str(tmp_path)])
    assert stop.value.code == 2 and "not empty" in capsys.readouterr().err
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_cli_reports_what_it_wrote(tmp_path, capsys):
    main([str(tmp_path / "cohort"), "--spacing", str(COARSE_MM), "--seed", "3"])
    out = capsys.readouterr().out
    assert out.startswith(f"wrote 33 patients to {tmp_path / 'cohort'} (24 complete, 3 missing one sequence, "
                          "6 without usable data) in ")
    assert len(_labels(tmp_path / "cohort")) == 33


def test_an_uncompressed_cohort_holds_the_same_images(tmp_path):
    sizes = Composition(extensive=1, microscopic=1, none=0, missing_sequence=0, empty_folder=0,
                  no_folder=0, seg_only=0)
    packed = write_cohort(tmp_path / "gz", composition=sizes, spacing_mm=6, name_variants=False)
    plain = write_cohort(tmp_path / "nii", composition=sizes, spacing_mm=6, name_variants=False,
                         compress=False)
    for a, b in zip(packed, plain):
        assert all(name.endswith(".nii.gz") for name in a.files.values())
        assert all(name.endswith(".nii") for name in b.files.values())
        for key in a.files:
            first = nib.load(tmp_path / "gz" / a.patient_id / a.files[key])
            second = nib.load(tmp_path / "nii" / b.patient_id / b.files[key])
            assert np.array_equal(first.get_fdata(), second.get_fdata())
            assert np.array_equal(first.affine, second.affine)


# --- the BIDS layout ---------------------------------------------------------------------

EVERY_ROLE = Composition(extensive=1, microscopic=1, none=0, missing_sequence=2, empty_folder=1,
                         no_folder=1, seg_only=1)


def test_bids_layout_holds_the_same_images_under_bids_names(tmp_path):
    folders = write_cohort(tmp_path / "folders", composition=EVERY_ROLE, spacing_mm=COARSE_MM)
    specs = write_cohort(tmp_path / "bids", composition=EVERY_ROLE, spacing_mm=COARSE_MM,
                         layout="bids")
    root = tmp_path / "bids"
    assert json.loads((root / "dataset_description.json").read_text())["BIDSVersion"]
    masks = json.loads((root / "derivatives" / "brainstem" / "dataset_description.json").read_text())
    assert masks["DatasetType"] == "derivative" and masks["GeneratedBy"][0]["Name"]
    with open(root / "participants.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert rows == [{"participant_id": f"sub-{spec.patient_id}", "infiltration": spec.label,
                     "site": spec.site} for spec in specs]
    for plain, bids in zip(folders, specs):
        assert bids.patient_id == plain.patient_id.replace("-", "") and bids.role == plain.role
        subject = root / f"sub-{bids.patient_id}"
        assert subject.is_dir() == (plain.role != "no_folder")
        written = {str(path.relative_to(root)) for path in root.rglob(f"sub-{bids.patient_id}_*")}
        assert written == set(bids.files.values())
        for key, name in plain.files.items():  # the same bytes, gzip header included
            assert (root / bids.files[key]).read_bytes() == (tmp_path / "folders" / plain.patient_id
                                                             / name).read_bytes()
    complete = next(spec for spec in specs if spec.role == "complete")
    pid = complete.patient_id
    assert complete.files == {
        "t1": f"sub-{pid}/anat/sub-{pid}_T1w.nii.gz",
        "t1c": f"sub-{pid}/anat/sub-{pid}_ce-gadolinium_T1w.nii.gz",
        "t2": f"sub-{pid}/anat/sub-{pid}_T2w.nii.gz", "flair": f"sub-{pid}/anat/sub-{pid}_FLAIR.nii.gz",
        "seg": f"derivatives/brainstem/sub-{pid}/anat/sub-{pid}_label-BS_mask.nii.gz"}


def test_cli_writes_the_bids_layout(tmp_path, capsys):
    main([str(tmp_path / "cohort"), "--spacing", str(COARSE_MM), "--layout", "bids"])
    assert "wrote 33 patients" in capsys.readouterr().out
    assert (tmp_path / "cohort" / "dataset_description.json").is_file()
    assert not (tmp_path / "cohort" / "labels.csv").exists()
    assert len((tmp_path / "cohort" / "participants.tsv").read_text().splitlines()) == 34
    with pytest.raises(SystemExit):
        main([str(tmp_path / "other"), "--layout", "nifti"])


# --- the DICOM layout --------------------------------------------------------------------


def _slices_on_the_nifti_grid(folder: Path, image: nib.Nifti1Image) -> tuple[np.ndarray, np.ndarray]:
    """Every pixel of a series' files, and the NIfTI voxel at the same world position."""
    pixels, voxels = [], []
    for path in sorted(folder.iterdir()):
        header = pydicom.dcmread(path)
        rows, columns = np.meshgrid(np.arange(header.Rows), np.arange(header.Columns), indexing="ij")
        row_step, column_step = (float(value) for value in header.PixelSpacing)
        along_row = np.array(header.ImageOrientationPatient[:3], dtype=float)
        along_column = np.array(header.ImageOrientationPatient[3:], dtype=float)
        lps = (np.array(header.ImagePositionPatient, dtype=float)
               + columns[..., None] * column_step * along_row
               + rows[..., None] * row_step * along_column)
        ras = lps * [-1, -1, 1]
        index = nib.affines.apply_affine(np.linalg.inv(image.affine), ras.reshape(-1, 3))
        assert np.allclose(index, np.rint(index), atol=1e-3)  # pixel centres on voxel centres
        voxels.append(np.asarray(image.dataobj)[tuple(np.rint(index).astype(int).T)])
        pixels.append(header.pixel_array.ravel())
    return np.concatenate(pixels), np.concatenate(voxels)


def test_dicom_layout_holds_the_same_voxels_as_series(tmp_path):
    folders = write_cohort(tmp_path / "folders", composition=EVERY_ROLE, spacing_mm=COARSE_MM)
    specs = write_cohort(tmp_path / "dicom", composition=EVERY_ROLE, spacing_mm=COARSE_MM,
                         layout="dicom")
    assert (tmp_path / "dicom" / "labels.csv").read_bytes() == (tmp_path / "folders"
                                                                / "labels.csv").read_bytes()
    for plain, spec in zip(folders, specs):
        assert (spec.patient_id, spec.role) == (plain.patient_id, plain.role)
        folder = tmp_path / "dicom" / spec.patient_id
        assert folder.is_dir() == (spec.role != "no_folder")
        sequences = [key for key in spec.files if key != "seg"]
        expected = {f"S{number}" for number in range(1, len(sequences) + 2)} if sequences else set()
        if "seg" in spec.files:
            expected.add("seg.nii.gz")
            assert (folder / "seg.nii.gz").read_bytes() == (tmp_path / "folders" / plain.patient_id
                                                            / plain.files["seg"]).read_bytes()
        assert (_files(tmp_path / "dicom", spec.patient_id) if folder.is_dir() else set()) == expected
        for key in sequences:
            image = nib.load(tmp_path / "folders" / plain.patient_id / plain.files[key])
            first = pydicom.dcmread(next((folder / spec.files[key]).iterdir()))
            assert first.SeriesDescription == DESCRIPTIONS[spec.site][key]
            assert first.SOPClassUID == pydicom.uid.MRImageStorage
            assert first.PatientName.family_name == "SYNTHETIC" and len(first.PatientBirthDate) == 8
            assert len(list((folder / spec.files[key]).iterdir())) == image.shape[2]  # a file a slice
            pixels, voxels = _slices_on_the_nifti_grid(folder / spec.files[key], image)
            assert np.array_equal(pixels, voxels)
    orders = {tuple(sorted(spec.files.items())) for spec in specs if spec.role == "complete"}
    assert len(orders) > 1  # the series' folders are shuffled


def test_dicom_layout_same_seed_same_bytes(tmp_path):
    sizes = Composition(extensive=1, microscopic=0, none=1, missing_sequence=0, empty_folder=0,
                        no_folder=0, seg_only=0)
    contents = {}
    for run in ("a", "b"):
        write_cohort(tmp_path / run, composition=sizes, spacing_mm=COARSE_MM, layout="dicom")
        contents[run] = {path.relative_to(tmp_path / run): path.read_bytes()
                         for path in sorted((tmp_path / run).rglob("*")) if path.is_file()}
    assert contents["a"] == contents["b"] and len(contents["a"]) > 50


def test_cli_writes_the_dicom_layout(tmp_path, capsys):
    main([str(tmp_path / "cohort"), "--spacing", str(COARSE_MM), "--layout", "dicom"])
    assert "wrote 33 patients" in capsys.readouterr().out
    assert len(_labels(tmp_path / "cohort")) == 33
    assert {"S1", "S2", "S3", "S4", "S5", "seg.nii.gz"} in [
        _files(tmp_path / "cohort", folder.name) for folder in (tmp_path / "cohort").iterdir()
        if folder.is_dir()]
