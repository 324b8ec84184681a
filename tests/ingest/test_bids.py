"""A BIDS dataset read with pybids: the same patients as the folder layout, sessions chosen,
masks from derivatives, and every problem an exclusion naming the subject and the files."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from pipeline.ingest.bids import BidsDatasetError, sequence_of
from pipeline.ingest.field_of_view import CropTooLarge, check_crop_fits
from pipeline.ingest.layouts import iter_patients, labels_file
from tests.nifti_factory import (
    DEFAULT_GRIDS,
    DEFAULT_SHAPES,
    bids_names,
    brainstem,
    world_coordinates,
    write_bids_cohort,
    write_cohort,
    write_json,
    write_patient,
)

LABELS = {"A01": "extensive", "B02": "none"}


def entries(root, seg_label=None, session=None) -> dict:
    return {entry.patient_id: entry for entry in iter_patients(root, seg_label, session)}


def codes(found: dict) -> dict:
    return {pid: entry.exclusion.code if entry.exclusion else "" for pid, entry in found.items()}


@pytest.mark.parametrize(("entities", "expected"), [
    ({"suffix": "T1w"}, "t1"), ({"suffix": "T1w", "ceagent": "gadolinium"}, "t1c"),
    ({"suffix": "T2w"}, "t2"), ({"suffix": "FLAIR"}, "flair"),
    ({"suffix": "T2w", "acquisition": "axial"}, "t2"), ({"suffix": "PDw"}, None),
    ({"suffix": "T1map"}, None),
])
def test_sequence_of_the_bids_suffix_and_ce_entity(entities, expected):
    assert sequence_of(entities) == expected


def test_bids_and_folders_give_the_same_patients(tmp_path):
    folders = write_cohort(tmp_path / "folders", LABELS)
    bids = write_bids_cohort(tmp_path / "bids", LABELS)
    assert labels_file(bids).name == "participants.tsv" and labels_file(folders).name == "labels.csv"
    plain, read = entries(folders), entries(bids)
    assert list(read) == list(plain) == ["A01", "B02"]
    for pid, entry in read.items():
        first, second = plain[pid].patient, entry.patient
        assert entry.infiltration == LABELS[pid] and second is not None
        assert second.files["t1c"].name == f"sub-{pid}_ce-gadolinium_T1w.nii.gz"
        assert second.files["seg"].relative_to(bids).parts[:2] == ("derivatives", "masks")
        for name, volume in second.images.items():
            np.testing.assert_array_equal(volume.data, first.images[name].data)
            np.testing.assert_array_equal(volume.affine, first.images[name].affine)
        np.testing.assert_array_equal(second.mask.data, first.mask.data)


def _two_sessions(root):
    write_bids_cohort(root, {"A01": "none"})
    for session in ("01", "02"):
        write_patient(root, names=bids_names("C03", session))
    with open(root / "participants.tsv", "a", encoding="utf-8") as handle:
        handle.write("sub-C03\textensive\n")
    return root


def test_two_sessions_need_a_choice_naming_the_candidates(tmp_path):
    exclusion = entries(_two_sessions(tmp_path))["C03"].exclusion
    assert exclusion.code == "invalid:t1"
    for session in ("01", "02"):
        assert f"sub-C03/ses-{session}/anat/sub-C03_ses-{session}_T1w.nii.gz" in exclusion.detail
    assert "data.bids.session" in exclusion.detail


def test_two_runs_in_one_session_are_not_chosen_between(tmp_path):
    root = write_bids_cohort(tmp_path, {"A01": "none"})
    second = root / "sub-A01" / "anat" / "sub-A01_run-2_T2w.nii.gz"
    second.write_bytes((root / bids_names("A01")["t2"]).read_bytes())
    exclusion = entries(root, session="01")["A01"].exclusion  # no session entity: kept
    assert exclusion.code == "invalid:t2" and "sub-A01_run-2_T2w.nii.gz" in exclusion.detail
    assert "runs and acquisitions are not chosen between" in exclusion.detail


@pytest.mark.parametrize("session", ["02", "ses-02"])
def test_the_session_param_chooses_one_session(tmp_path, session):
    found = entries(_two_sessions(tmp_path), session=session)
    patient = found["C03"].patient
    assert patient is not None, found["C03"].exclusion
    assert {path.parent.parent.name for path in patient.files.values()} == {"ses-02"}
    assert codes(found)["A01"] == ""  # no session entity: the only files there are


def test_a_session_without_the_files_is_missing(tmp_path):
    found = entries(_two_sessions(tmp_path), session="03")
    assert found["C03"].exclusion.code == "missing:all"
    assert "(session 03)" in found["C03"].exclusion.detail


def _aseg_dseg(root, subject):
    """A FreeSurfer-like label map as the subject's ``_dseg`` (Brain-Stem 16); its labels."""
    affine, shape = DEFAULT_GRIDS["seg"], DEFAULT_SHAPES["seg"]
    world = world_coordinates(affine, shape)
    head = np.sum((world / [30, 36, 32]) ** 2, -1) < 1
    labels = np.where(head, np.where(world[..., 0] < 0, 2, 41), 0).astype(np.int16)
    labels[brainstem(world) > 0] = 16
    path = root / "derivatives" / "fastsurfer" / f"sub-{subject}" / "anat"
    path.mkdir(parents=True)
    nib.save(nib.Nifti1Image(labels, affine), path / f"sub-{subject}_desc-aseg_dseg.nii.gz")
    write_json(root / "derivatives" / "fastsurfer" / "dataset_description.json",
               {"Name": "FastSurfer", "BIDSVersion": "1.10.0", "DatasetType": "derivative",
                "GeneratedBy": [{"Name": "FastSurfer"}]})
    return labels


def test_a_dseg_map_gives_the_mask_through_seg_label(tmp_path):
    root = write_bids_cohort(tmp_path, {"A01": "none"})
    (root / bids_names("A01")["seg"]).unlink()
    labels = _aseg_dseg(root, "A01")
    patient = entries(root, seg_label=16)["A01"].patient
    assert patient.files["seg"].name == "sub-A01_desc-aseg_dseg.nii.gz"
    np.testing.assert_array_equal(patient.mask.data, labels == 16)


def test_a_label_bs_mask_is_preferred_to_a_dseg_and_is_all_brainstem(tmp_path):
    root = write_bids_cohort(tmp_path, {"A01": "none"})
    _aseg_dseg(root, "A01")
    patient = entries(root, seg_label=16)["A01"].patient  # 16 is not in the 0/1 mask
    assert patient is not None and patient.files["seg"].name == "sub-A01_label-BS_mask.nii.gz"


def test_subjects_without_usable_data_are_excluded_as_in_the_folder_layout(tmp_path):
    root = write_bids_cohort(tmp_path, {"A01": "none", "NOT2": "none", "SEGONLY": "none"},
                             rows=["sub-A01\tnone", "sub-NOT2\tnone", "sub-SEGONLY\tnone",
                                   "sub-EMPTY\tnone", "sub-GHOST\textensive", "sub-NA\tn/a"])
    (root / bids_names("NOT2")["t2"]).unlink()
    for name in ("t1", "t1c", "t2", "flair"):
        (root / bids_names("SEGONLY")[name]).unlink()
    (root / "sub-EMPTY").mkdir()
    write_patient(root, names=bids_names("NOROW"))
    write_patient(root, names=bids_names("NOMASK"), skip=("seg",))
    (root / "sub-NOMASK" / "anat" / "NOMASK_t2_axial.nii.gz").write_bytes(b"x")
    with open(root / "participants.tsv", "a", encoding="utf-8") as handle:
        handle.write("sub-NOMASK\tnone\n")
    found = entries(root)
    assert codes(found) == {"A01": "", "EMPTY": "missing:all", "GHOST": "missing:all",
                            "NA": "label:missing", "NOMASK": "missing:seg", "NOROW": "label:missing",
                            "NOT2": "missing:t2", "SEGONLY": "missing:t1,t1c,t2,flair"}
    detail = {pid: entry.exclusion.detail for pid, entry in found.items() if entry.exclusion}
    assert "the folder is empty" in detail["EMPTY"]
    assert "no folder" in detail["GHOST"] and "sub-GHOST" in detail["GHOST"]
    assert "participants.tsv" in detail["NOROW"] and "sub-NOROW" in detail["NOROW"]
    assert "label-BS_mask" in detail["NOMASK"] and "derivatives" in detail["NOMASK"]
    assert "unrecognised: anat/NOMASK_t2_axial.nii.gz" in detail["NOMASK"]


def test_a_derivatives_pipeline_without_its_description_is_named(tmp_path):
    root = write_bids_cohort(tmp_path, {"A01": "none"})
    (root / "derivatives" / "masks" / "dataset_description.json").unlink()
    with pytest.warns(UserWarning, match="dataset_description.json"):  # pybids' own warning
        exclusion = entries(root)["A01"].exclusion
    assert exclusion.code == "missing:seg" and "its own dataset_description.json" in exclusion.detail


def test_a_broken_dataset_description_stops_before_any_patient(tmp_path):
    root = write_bids_cohort(tmp_path, {"A01": "none"})
    (root / "dataset_description.json").write_text('{"Name": "no version"}')
    with pytest.raises(BidsDatasetError, match="BIDSVersion"):
        next(iter_patients(root))


def test_the_crop_is_checked_against_the_t1w_files(tmp_path):
    root = write_bids_cohort(tmp_path, {"A01": "none"})
    check_crop_fits(root, 72)  # the factory's t1: 18 x 20 x 18 voxels of 4 mm
    with pytest.raises(CropTooLarge, match=r"1 read; the largest is 72 mm"):
        check_crop_fits(root, 100)
