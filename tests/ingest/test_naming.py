"""Finding each sequence's file: aliases, prefixes, case, and links that must not be followed."""

from __future__ import annotations

import pytest

from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.naming import find_files, sequence_name
from tests.nifti_factory import write_patient


@pytest.mark.parametrize(("file_name", "expected"), [
    ("t1.nii.gz", "t1"), ("T1.NII", "t1"), ("P01_t1ce.nii.gz", "t1c"), ("P01-t1n.nii.gz", "t1"),
    ("p01_T2FLAIR.nii", "flair"), ("brainstem.nii.gz", "seg"), ("Mask.nii", "seg"),
    ("t1.nii.gz.bak", None), ("t1.mgz", None), ("P02_t1.nii.gz", None), ("._t1.nii.gz", None),
    ("aseg.mgz", "seg"), ("ASEG.MGZ", "seg"), ("P01_aseg.mgh", "seg"), ("aseg.nii.gz", "seg"),
    ("P01_synthseg.nii.gz", "seg"), ("SynthSeg.mgz", "seg"), ("P02_synthseg.nii.gz", None),
    ("seg.mgz", "seg"), ("flair.mgz", None), ("aparc+aseg.mgz", None),
])
def test_sequence_name(file_name, expected):
    assert sequence_name(file_name, "P01") == expected


def test_synthseg_output_named_after_the_patient():
    """``mri_synthseg --o GBM-001_synthseg.nii.gz``, as the docs show it."""
    assert sequence_name("GBM-001_synthseg.nii.gz", "GBM-001") == "seg"
    assert sequence_name("GBM-001_aseg.mgz", "GBM-001") == "seg"


def test_missing_files_are_listed_with_what_is_there(tmp_path):
    write_patient(tmp_path / "P01", skip=("t2",))
    (tmp_path / "P01" / "T2_axial.nii.gz").write_bytes(b"x")
    with pytest.raises(Exclusion) as caught:
        find_files(tmp_path / "P01", "P01", tmp_path)
    assert caught.value.code == "missing:t2"
    assert "unrecognised: T2_axial.nii.gz" in caught.value.detail


def test_link_outside_the_cohort_is_refused(tmp_path):
    write_patient(tmp_path / "data" / "P01", skip=("t2",))
    write_patient(tmp_path / "other", skip=("t1", "t1c", "flair", "seg"))
    (tmp_path / "data" / "P01" / "t2.nii.gz").symlink_to(tmp_path / "other" / "t2.nii.gz")
    with pytest.raises(Exclusion, match="links outside the cohort folder") as caught:
        find_files(tmp_path / "data" / "P01", "P01", tmp_path / "data")
    assert caught.value.code == "unreadable:t2"


def test_links_inside_the_cohort_or_into_a_dvc_cache_are_followed(tmp_path):
    cache = tmp_path / ".dvc" / "cache" / "files" / "md5" / "ab"
    write_patient(tmp_path / "data" / "P01", skip=("t2", "seg"))
    write_patient(tmp_path / "data" / "P02", skip=("t1", "t1c", "flair", "seg"))
    write_patient(cache, skip=("t1", "t1c", "t2", "flair"))
    (tmp_path / "data" / "P01" / "t2.nii.gz").symlink_to("../P02/t2.nii.gz")
    (tmp_path / "data" / "P01" / "seg.nii.gz").symlink_to(cache / "seg.nii.gz")
    files = find_files(tmp_path / "data" / "P01", "P01", tmp_path / "data")
    assert sorted(files) == ["flair", "seg", "t1", "t1c", "t2"]
