"""labels.csv parsing: spreadsheet quirks, every label problem, and properties for any text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.labels import (
    CLASSES,
    LabelsFileError,
    is_safe_id,
    normalise_label,
    read_extra_column,
    read_label_rows,
    resolve_labels,
)

HYPOTHESIS = settings(max_examples=150, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


def labels_of(tmp_path: Path, raw: bytes) -> dict:
    path = tmp_path / "labels.csv"
    path.write_bytes(raw)
    return resolve_labels(read_label_rows(path))


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["patient_id", "infiltration"], *rows])
    return buffer.getvalue()


@pytest.mark.parametrize("raw", [
    b"\xef\xbb\xbfpatient_id,infiltration\r\nP1,none\r\n\r\nP2, Extensive \r\n",
    b"Patient_ID;Infiltration;Notes\nP1;none;x\nP2;extensive\n",
    b"patient_id\tinfiltration\nP1\tNONE\n\n\nP2\textensive\t\textra\n",
    "patient_id,infiltration,remark\nP1,none,b\u00e9nin\nP2,extensive,\n".encode("cp1252"),
    "patient_id,infiltration\nP1,none\nP2,extensive\n".encode("utf-16"),
    b"site,infiltration,patient_id\nA,none,P1\nB,extensive, P2 \n",
])
def test_spreadsheet_exports_are_read(tmp_path, raw):
    assert labels_of(tmp_path, raw) == {"P1": "none", "P2": "extensive"}


@pytest.mark.parametrize("raw", [b"", b"\n\n", b"id,label\nP1,none\n", b"patient_id\nP1\n"])
def test_a_file_without_the_two_columns_stops_the_run(tmp_path, raw):
    with pytest.raises(LabelsFileError, match="patient_id and infiltration"):
        labels_of(tmp_path, raw)


@pytest.mark.parametrize(("rows", "code", "detail"), [
    ("P1,severe", "label:unknown", "'severe' for P1 on labels.csv line 2"),
    ("P1,", "label:missing", "empty infiltration for P1 on labels.csv line 2"),
    ("P1", "label:missing", "line 2"),
    ("P1,none\nP1,extensive", "label:duplicate", "line 2 'none', line 3 'extensive'"),
    ("P1,none\nP1,", "label:duplicate", "line 3 '<empty>'"),
    ("P1,severe\nP1,mild", "label:duplicate", "2 conflicting rows"),
])
def test_label_problems(tmp_path, rows, code, detail):
    exclusion = labels_of(tmp_path, f"patient_id,infiltration\n{rows}\n".encode())["P1"]
    assert exclusion.code == code and detail in exclusion.detail


def test_agreeing_duplicates_are_one_patient(tmp_path):
    assert labels_of(tmp_path, b"patient_id,infiltration\nP1,none\nP1, NONE\n") == {"P1": "none"}


def test_a_row_without_id_is_reported(tmp_path):
    exclusion = labels_of(tmp_path, b"patient_id,infiltration\n,none\n")[""]
    assert exclusion.code == "label:unsafe-id" and "line 2 has no patient_id" in exclusion.detail


@pytest.mark.parametrize("patient_id", ["../P1", "P 1", "P1/..", "..", ".hidden", "/etc", "P1\\x",
                                        "P1\n", "é1", "-rf", "x" * 200, ""])
def test_unsafe_ids(patient_id):
    assert not is_safe_id(patient_id)


@pytest.mark.parametrize("patient_id", ["P1", "GBM-001", "BraTS20_Training_001", "sub.01", "007"])
def test_safe_ids(patient_id):
    assert is_safe_id(patient_id)


# --- properties -------------------------------------------------------------------------

blanks = st.text(alphabet=" \t", max_size=3)


@given(label=st.sampled_from(CLASSES), upper=st.lists(st.booleans(), min_size=11, max_size=11),
       before=st.text(alphabet=" \t\r\n\u00a0", max_size=3), after=blanks)
def test_any_case_and_blanks_normalise(label, upper, before, after):
    cased = "".join(c.upper() if up else c for c, up in zip(label, upper))
    assert normalise_label(before + cased + after) == label


@HYPOTHESIS
@given(label=st.sampled_from(CLASSES), upper=st.booleans(), before=blanks, after=blanks)
def test_any_case_and_blanks_normalise_through_the_file(tmp_path, label, upper, before, after):
    cell = before + (label.upper() if upper else label.title()) + after
    assert labels_of(tmp_path, csv_text([["P1", cell]]).encode()) == {"P1": label}


@HYPOTHESIS
@given(lines=st.lists(st.text(max_size=40), max_size=12))
def test_arbitrary_rows_never_crash(tmp_path, lines):
    resolved = labels_of(tmp_path, ("patient_id,infiltration\n" + "\n".join(lines)).encode())
    for patient_id, value in resolved.items():
        if isinstance(value, Exclusion):
            assert value.code.startswith("label:")
        else:
            assert value in CLASSES


@HYPOTHESIS
@given(rows=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=12))
def test_every_id_comes_back_exactly_once(tmp_path, rows):
    resolved = labels_of(tmp_path, csv_text([list(row) for row in rows]).encode())
    expected = {pid.strip() for pid, label in rows if pid.strip() or label.strip()}
    assert sorted(resolved) == sorted(expected)


@HYPOTHESIS
@given(rows=st.lists(st.tuples(st.text(max_size=12), st.sampled_from(CLASSES)), max_size=12))
def test_no_unsafe_id_ever_gets_a_label(tmp_path, rows):
    resolved = labels_of(tmp_path, csv_text([list(row) for row in rows]).encode())
    for patient_id, value in resolved.items():
        assert isinstance(value, Exclusion) or (is_safe_id(patient_id) and "/" not in patient_id)


def test_an_extra_column_is_read_by_id_and_absent_ones_are_empty(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("Patient_ID;Infiltration;Site\nA;none;Lyon\n\nB;extensive\n", encoding="utf-8")
    assert read_extra_column(path, "site") == {"A": "Lyon", "B": ""}
    assert read_extra_column(path, "scanner") == {}
    assert read_extra_column(tmp_path / "none.csv", "site") == {}
