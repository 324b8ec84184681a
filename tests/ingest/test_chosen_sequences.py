"""``data.sequences`` and ``data.label_column`` / ``data.classes`` in the ingest."""

from __future__ import annotations

import pytest

from pipeline.config.settings import LabelScheme, PreprocessSettings
from pipeline.ingest.bids import BidsSequenceError
from pipeline.ingest.cohort import iter_cohort
from pipeline.ingest.field_of_view import CropTooLarge, check_crop_fits
from pipeline.ingest.labels import read_labels
from pipeline.ingest.layouts import iter_patients
from pipeline.preprocessing.chain import preprocess
from tests.nifti_factory import write_bids_cohort, write_cohort, write_patient

CHOSEN = ("t1c", "flair")


def test_only_the_chosen_sequences_are_required_and_read(tmp_path):
    root = write_cohort(tmp_path, {"A": "none", "B": "extensive"})
    for name in ("t1.nii.gz", "t2.nii.gz"):
        (root / "A" / name).unlink()  # A has only t1c and flair: complete for CHOSEN
    (root / "B" / "flair.nii.gz").unlink()
    entries = {entry.patient_id: entry for entry in iter_cohort(root, root / "labels.csv",
                                                                sequences=CHOSEN)}
    assert list(entries["A"].patient.images) == list(CHOSEN)
    assert set(entries["A"].patient.files) == {"t1c", "flair", "seg"}
    assert entries["B"].exclusion.code == "missing:flair"  # not t1 nor t2: unchosen
    study = {entry.patient_id: entry for entry in iter_cohort(root, root / "labels.csv")}
    assert study["A"].exclusion.code == "missing:t1,t2"


def test_an_unknown_sequence_is_its_own_only_alias(tmp_path):
    write_patient(tmp_path / "P1", names={"t2": "P1_adc.nii.gz"})  # an ADC map, say
    (tmp_path / "labels.csv").write_text("patient_id,infiltration\nP1,none\n")
    (entry,) = iter_cohort(tmp_path, tmp_path / "labels.csv", sequences=("t1", "adc"))
    assert entry.exclusion is None and list(entry.patient.images) == ["t1", "adc"]


def test_the_first_chosen_sequence_is_the_reference_grid(tmp_path):
    root = write_cohort(tmp_path, {"A": "none"})
    (entry,) = iter_cohort(root, root / "labels.csv", sequences=CHOSEN)
    settings = PreprocessSettings(32, 16, (0, 100), CHOSEN)
    patient, _ = preprocess(entry.patient, settings)
    assert settings.reference == "t1c" and patient.sequences == list(CHOSEN)
    assert patient.image.shape == (2, 16, 16, 16)
    check_crop_fits(root, 20, sequences=CHOSEN)
    with pytest.raises(CropTooLarge, match="patient's t1c"):
        check_crop_fits(root, 400, sequences=CHOSEN)


def test_a_bids_dataset_refuses_a_sequence_it_cannot_hold(tmp_path):
    root = write_bids_cohort(tmp_path / "bids", {"A": "none"})
    (entry,) = iter_patients(root, sequences=CHOSEN)
    assert entry.exclusion is None and list(entry.patient.images) == list(CHOSEN)
    with pytest.raises(BidsSequenceError, match="data.sequences: adc has no BIDS suffix"):
        next(iter_patients(root, sequences=("t1", "adc")))


def test_a_grade_column_with_its_own_classes(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("patient_id,infiltration,Grade\nA,none,high\nB,none,LOW\nC,none,medium\n"
                    "D,none,\n")
    labels = read_labels(path, LabelScheme("grade", ("low", "high")))
    assert labels["A"] == "high" and labels["B"] == "low"  # spelled as data.classes spells it
    assert labels["C"].code == "label:unknown" and "one of low, high" in str(labels["C"])
    assert labels["D"].code == "label:missing" and "empty grade" in str(labels["D"])


def test_a_missing_label_column_is_named(tmp_path):
    root = write_cohort(tmp_path / "data", {"A": "none"})
    with pytest.raises(ValueError, match="patient_id and grade"):
        read_labels(root / "labels.csv", LabelScheme("grade", ("low", "high")))
