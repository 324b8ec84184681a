"""Walking a cohort: one entry per patient named anywhere, label problems first."""

from __future__ import annotations

import pytest

from pipeline.ingest.cohort import iter_cohort
from pipeline.ingest.labels import LabelsFileError
from tests.nifti_factory import write_cohort, write_patient

HEADER = "patient_id,infiltration"


def entries(root, seg_label=None) -> dict:
    return {entry.patient_id: entry for entry in iter_cohort(root, root / "labels.csv", seg_label)}


def test_every_id_from_labels_or_folders_once_hidden_folders_skipped(tmp_path):
    root = write_cohort(tmp_path, {"B": "none", "A": "extensive"})
    write_patient(root / "C")
    (root / ".dvc").mkdir()
    (root / "notes.txt").write_text("x")
    (root / "labels.csv").write_text("patient_id,infiltration\nA,extensive\nB,none\nD,none\n")
    found = entries(root)
    assert list(found) == ["A", "B", "C", "D"]
    assert found["A"].patient is not None and found["A"].infiltration == "extensive"
    assert [found[pid].exclusion.code for pid in "CD"] == ["label:missing", "missing:all"]


def test_a_folder_differing_only_in_case_is_pointed_at(tmp_path):
    root = write_cohort(tmp_path, {"GBM01": "none"}, lines=[HEADER, "gbm01,none"])
    found = entries(root)
    assert found["gbm01"].exclusion.code == "missing:all"
    assert "there is 'GBM01'" in found["gbm01"].exclusion.detail


def test_a_file_where_the_folder_should_be(tmp_path):
    root = write_cohort(tmp_path, {"A": "none"}, lines=[HEADER, "A,none", "B,none"])
    (root / "B").write_text("not a folder")
    assert entries(root)["B"].exclusion.code == "missing:all"


def test_an_unusable_labels_file_stops_before_any_patient(tmp_path):
    root = write_cohort(tmp_path, {"A": "none"}, lines=["id,label", "A,none"])
    with pytest.raises(LabelsFileError, match="patient_id and infiltration"):
        next(iter_cohort(root, root / "labels.csv"))


def test_brats_style_prefixed_names(tmp_path):
    names = {name: f"GBM-7_{name.upper()}.nii" for name in ("t1", "t2", "flair", "seg")}
    write_patient(tmp_path / "GBM-7", names={**names, "t1c": "GBM-7-t1gd.nii.gz"})
    (tmp_path / "labels.csv").write_text("patient_id,infiltration\nGBM-7,microscopic\n")
    assert entries(tmp_path)["GBM-7"].patient is not None


def test_without_labels_every_folder_is_a_patient_and_labels_csv_is_ignored(tmp_path):
    root = write_cohort(tmp_path, {"A": "extensive", "B": "none"},
                        lines=[HEADER, "A,unknown-class", "Z,none"])
    write_patient(root / "C")
    (root / "bad id").mkdir()
    found = {entry.patient_id: entry for entry in iter_cohort(root, None)}
    assert list(found) == ["A", "B", "C", "bad id"]  # Z has a row but no folder: not scored
    assert all(found[pid].patient is not None and found[pid].infiltration is None for pid in "ABC")
    assert found["bad id"].exclusion.code == "label:unsafe-id"


def test_without_labels_no_labels_file_is_needed(tmp_path):
    write_patient(tmp_path / "A", skip=("t2",))
    (entry,) = iter_cohort(tmp_path, None)
    assert entry.exclusion.code == "missing:t2"
