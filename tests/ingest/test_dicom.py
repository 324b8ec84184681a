"""DICOM series in a patient folder: found by header, converted once, in the NIfTI's space."""

from __future__ import annotations

import shutil
import subprocess

import nibabel as nib
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pipeline.ingest import dicom_convert, dicom_match
from pipeline.ingest.cohort import load_patient
from pipeline.ingest.dicom_convert import cached_path, convert
from pipeline.ingest.dicom_series import field_of_view_mm, scan_folder
from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.field_of_view import CropTooLarge, check_crop_fits
from pipeline.ingest.field_of_view import field_of_view_mm as nifti_field_of_view_mm
from tests import nifti_factory as factory
from tests.dicom_factory import (
    FIELDS,
    FOLDERS,
    REPO,
    options,
    write_dicom_patient,
    write_volume_series,
)


def oblique(rotation_degrees, spacing, shape, flips=(1, 1, 1)) -> np.ndarray:
    """A grid rotated about all three axes (and flipped), centred near the origin."""
    affine = np.eye(4)
    rotation = Rotation.from_euler("xyz", rotation_degrees, degrees=True).as_matrix()
    affine[:3, :3] = rotation @ np.diag(np.array(spacing) * flips)
    affine[:3, 3] = -affine[:3, :3] @ ((np.array(shape) - 1) / 2) + [3.0, -7.0, 11.0]
    return affine


GRIDS = {
    "oblique": (oblique((12, -20, 31), (2.0, 2.5, 3.0), (24, 22, 14)), (24, 22, 14)),
    "oblique-lps": (oblique((-8, 15, 5), (2.5, 2.0, 3.5), (22, 24, 12), (-1, -1, 1)), (22, 24, 12)),
    "sagittal": (factory.grid_affine((4, 3, 2.5), (14, 22, 26), axes=(2, 1, 0), flips=(-1, 1, -1)),
                 (14, 22, 26)),
}


def volume(affine: np.ndarray, shape) -> nib.Nifti1Image:
    """The factory's phantom sampled on this grid, int16 (what DICOM stores exactly)."""
    data = factory.phantom(factory.world_coordinates(affine, shape), 1.0).astype(np.int16)
    return nib.Nifti1Image(data, affine)


@pytest.mark.parametrize("grid", GRIDS)
def test_a_converted_series_lies_where_the_same_nifti_lies(tmp_path, grid):
    affine, shape = GRIDS[grid]
    image = volume(affine, shape)
    write_volume_series(tmp_path / "data" / "S1", image, "AX T1 MPRAGE")
    [series] = scan_folder(tmp_path / "data").series
    converted = nib.load(convert(series, tmp_path / "cache", "t1"))
    # The same voxels on the same grid, whatever the order dcm2niix stores them in.
    nifti, dicom = nib.as_closest_canonical(image), nib.as_closest_canonical(converted)
    assert dicom.shape == nifti.shape
    assert np.allclose(dicom.affine, nifti.affine, atol=1e-4)  # DICOM's decimal strings, float32
    assert np.array_equal(np.asarray(dicom.dataobj), np.asarray(nifti.dataobj))
    assert not np.allclose(converted.affine, np.round(converted.affine))  # really oblique or flipped


def test_the_series_folder_is_what_a_reason_names(tmp_path):
    data = tmp_path / "data"
    write_dicom_patient(data / "P01")
    image = nib.load(factory.write_patient(tmp_path / "nifti")["t2"])
    flat = nib.Nifti1Image(np.asarray(image.dataobj)[:, :, 5:6], image.affine)
    shutil.rmtree(data / "P01" / "S4")
    write_volume_series(data / "P01" / "S4", flat, "AX T2 TSE")
    with pytest.raises(Exclusion) as caught:
        load_patient(data, "P01", "none", None, options(tmp_path / "cache"))
    assert caught.value.code == "invalid:t2" and "single slice" in caught.value.detail
    assert str(data / "P01" / "S4") in caught.value.detail
    assert str(tmp_path / "cache") not in caught.value.detail


def test_a_dicom_patient_loads_as_the_same_nifti_patient(tmp_path):
    write_dicom_patient(tmp_path / "data" / "P01")
    factory.write_patient(tmp_path / "plain" / "P01")
    dicom = load_patient(tmp_path / "data", "P01", "none", None, options(tmp_path / "cache"))
    plain = load_patient(tmp_path / "plain", "P01", "none", None)
    for name in factory.SEQUENCES:
        assert dicom.files[name] == tmp_path / "data" / "P01" / FOLDERS[name]
        assert dicom.images[name].source == dicom.files[name]
        canonical = [nib.as_closest_canonical(nib.Nifti1Image(volume.data, volume.affine))
                     for volume in (dicom.images[name], plain.images[name])]
        assert np.allclose(canonical[0].affine, canonical[1].affine, atol=1e-4)
        assert np.array_equal(canonical[0].get_fdata(), canonical[1].get_fdata())
    assert dicom.files["seg"].name == "seg.nii.gz"


def test_without_dicom_options_series_are_not_read(tmp_path):
    write_dicom_patient(tmp_path / "P01", as_dicom=("t2",))
    with pytest.raises(Exclusion) as caught:
        load_patient(tmp_path, "P01", "none", None)
    assert caught.value.code == "missing:t2" and "S4" in caught.value.detail


# --- finding series ---------------------------------------------------------------------


def test_series_are_told_apart_by_uid_not_by_folder(tmp_path):
    written = write_dicom_patient(tmp_path / "P01", as_dicom=("t1", "t2"))
    files = sorted(written["t2"].iterdir())
    (tmp_path / "P01" / "deeper" / "more").mkdir(parents=True)
    for path in files[: len(files) // 2]:  # half of t2 elsewhere, deeper
        path.rename(tmp_path / "P01" / "deeper" / "more" / path.name)
    for path in sorted(written["t1"].iterdir())[:3]:  # and a few t1 slices into t2's folder
        path.rename(written["t2"] / f"t1-{path.name}")
    (written["t2"] / "notes.txt").write_text("not DICOM")
    scan = scan_folder(tmp_path / "P01")
    assert sorted(item.description for item in scan.series) == ["AX T1 MPRAGE", "AX T2 TSE"]
    by_name = {item.description: item for item in scan.series}
    assert len(by_name["AX T2 TSE"].files) == len(files)
    assert by_name["AX T2 TSE"].folder == tmp_path / "P01"  # the deepest folder holding them all
    assert len(by_name["AX T1 MPRAGE"].files) == factory.DEFAULT_SHAPES["t1"][2]
    assert {path.name for path in scan.not_dicom} == {"notes.txt", "t1c.nii.gz", "flair.nii.gz",
                                                      "seg.nii.gz"}


def test_a_slice_cut_short_in_its_header_is_broken_not_skipped(tmp_path):
    written = write_dicom_patient(tmp_path / "P01", as_dicom=("t2",))
    cut = sorted(written["t2"].iterdir())[2]
    cut.write_bytes(cut.read_bytes()[:600])  # past the file meta, before Rows
    scan = scan_folder(tmp_path / "P01")
    assert "MR Image Storage file without Rows" in scan.broken[cut]
    assert len(scan.series[0].files) == factory.DEFAULT_SHAPES["t2"][2] - 1
    with pytest.raises(Exclusion) as caught:
        load_patient(tmp_path, "P01", "none", None, options(tmp_path / "cache"))
    assert caught.value.code == "unreadable:t2" and str(cut) in caught.value.detail


def test_the_field_of_view_is_read_from_the_headers(tmp_path):
    for name in ("t1", "flair"):
        image = nib.load(factory.write_patient(tmp_path / "nifti")[name])
        write_volume_series(tmp_path / name, image, name)
        [series] = scan_folder(tmp_path / name).series
        expected = nifti_field_of_view_mm(tmp_path / "nifti" / f"{name}.nii.gz")
        assert field_of_view_mm(series) == pytest.approx(expected)


def test_the_crop_is_checked_against_dicom_t1_series(tmp_path):
    write_dicom_patient(tmp_path / "P01")
    dicom = options(tmp_path / "cache")
    check_crop_fits(tmp_path, 64, dicom)
    with pytest.raises(CropTooLarge, match="the largest is 72 mm"):  # 18 voxels of 4 mm
        check_crop_fits(tmp_path, 100, dicom)
    check_crop_fits(tmp_path, 100)  # without DICOM options there is no t1 to read


def test_the_command_line_lists_each_series_and_its_sequence(tmp_path, monkeypatch, capsys):
    write_dicom_patient(tmp_path / "P01", as_dicom=("t1", "t1c"))
    image = nib.load(tmp_path / "P01" / "t2.nii.gz")
    write_volume_series(tmp_path / "P01" / "S7", nib.Nifti1Image(
        np.asarray(image.dataobj)[:, :, 3:4], image.affine), "LOCALIZER")
    monkeypatch.chdir(REPO)  # its params.yaml
    dicom_match.main([str(tmp_path / "P01")])
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [f"{tmp_path}/P01/S1\t18 files\t'AX T1 MPRAGE POST GD'\t-> t1c",
                         f"{tmp_path}/P01/S3\t18 files\t'AX T1 MPRAGE'\t-> t1",
                         f"{tmp_path}/P01/S7\t1 file\t'LOCALIZER'\t-> no sequence"]
    assert lines[3].startswith("3 other files (not DICOM)")


# --- the conversion cache ---------------------------------------------------------------


def _t1_series(tmp_path):
    write_dicom_patient(tmp_path / "data" / "P01", as_dicom=("t1",))
    [series] = scan_folder(tmp_path / "data" / "P01").series
    return series


def test_a_series_is_converted_once(tmp_path, monkeypatch):
    series = _t1_series(tmp_path)
    first = convert(series, tmp_path / "cache", "t1")

    def no_second_run(*args, **kwargs):
        raise AssertionError("dcm2niix ran again")

    monkeypatch.setattr(subprocess, "run", no_second_run)
    assert convert(series, tmp_path / "cache", "t1") == first
    assert [path.name for path in (tmp_path / "cache").iterdir()] == [first.name]


def test_the_cache_key_is_the_content_not_the_names(tmp_path):
    series = _t1_series(tmp_path)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    for index, path in enumerate(reversed(series.files)):
        shutil.copy(path, moved / f"slice{index}.dcm")
    [copy] = scan_folder(moved).series
    assert cached_path(copy, tmp_path) == cached_path(series, tmp_path)
    changed = bytearray(copy.files[0].read_bytes())
    changed[-1] ^= 1  # one bit of one voxel
    copy.files[0].write_bytes(bytes(changed))
    assert cached_path(copy, tmp_path) != cached_path(series, tmp_path)


def test_the_cached_image_keeps_no_header_text(tmp_path):
    series = _t1_series(tmp_path)
    path = convert(series, tmp_path / "cache", "t1")
    header = nib.load(path).header
    for field in ("descrip", "aux_file", "intent_name", "db_name"):
        assert header[field].item() == b"", field
    assert [item.name for item in (tmp_path / "cache").iterdir()] == [path.name]  # no sidecar
    for value in FIELDS.values():
        assert value.encode() not in path.read_bytes()


def test_a_failed_conversion_leaves_nothing_in_the_cache(tmp_path):
    series = _t1_series(tmp_path)
    for path in series.files:
        path.write_bytes(path.read_bytes()[:-200])  # pixel data cut short
    with pytest.raises(Exclusion) as caught:
        convert(series, tmp_path / "cache", "t1")
    assert caught.value.code == "unreadable:t1"
    assert "not large enough" in caught.value.detail and str(series.files[0].parent) in caught.value.detail
    assert list((tmp_path / "cache").iterdir()) == []


def test_leftover_scratch_folders_are_removed(tmp_path):
    (tmp_path / f"{dicom_convert.WORK_PREFIX}killed" / "in").mkdir(parents=True)
    (tmp_path / "kept.nii").write_bytes(b"")
    dicom_convert.remove_leftovers(tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == ["kept.nii"]
