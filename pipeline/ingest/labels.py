"""Parses a labels table into one label per patient, or a reason why a patient has none.

The table is ``labels.csv`` (columns ``patient_id`` and the label column, ``infiltration``
unless params' ``data.label_column`` names another) for the folder layout,
``participants.tsv`` (``participant_id``, same label column) for a BIDS dataset: both are
read by the same lenient rules, and their problems have the same reason codes. The
values a label may take are a :class:`LabelScheme`'s ``classes`` (the study's three unless
``data.classes`` names others).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.config.settings import STUDY, LabelScheme
from pipeline.ingest.exclusion import Exclusion

CLASSES = STUDY.classes  # the study's: none, microscopic, extensive
LABEL_COLUMN = STUDY.column  # the study's: infiltration
REQUIRED_COLUMNS = ("patient_id", LABEL_COLUMN)  # labels.csv's id and (default) label columns
# Spreadsheets export with the locale's separator: a comma, or a semicolon / tab in much of Europe.
DELIMITERS = (",", ";", "\t")
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


class LabelsFileError(ValueError):
    """``labels.csv`` cannot be used at all (no header, missing columns, malformed CSV)."""


@dataclass(frozen=True)
class LabelRow:
    """One ``labels.csv`` row: the id, the normalised class (or None), the line number."""

    patient_id: str
    infiltration: str | None
    line: int
    raw_label: str


def is_safe_id(patient_id: str) -> bool:
    """True if ``patient_id`` can be used as a folder name without leaving ``data/``."""
    return bool(SAFE_ID.fullmatch(patient_id)) and ".." not in patient_id


def normalise_label(raw: str, classes: tuple[str, ...] = CLASSES) -> str | None:
    """The class of ``classes`` that ``raw`` names, as ``classes`` spells it (case and
    surrounding blanks ignored), or None if unknown."""
    value = raw.strip().lower()
    return next((name for name in classes if name.lower() == value), None)


def read_label_rows(path: str | Path, columns: tuple[str, str] = REQUIRED_COLUMNS,
                    classes: tuple[str, ...] = CLASSES) -> list[LabelRow]:
    """Every non-blank row of the table at ``path``; ``columns`` names its id and label
    columns, ``classes`` the values a label may take.

    Tolerates a BOM, UTF-16 or Windows-1252 text, CRLF line endings, blank lines, extra
    columns, header names in any case and a ``;`` or tab separator.

    Raises:
        LabelsFileError: no id or label column, or malformed CSV.
    """
    text = _decode(Path(path).read_bytes())
    reader, header = _open_table(text, path, columns)
    id_col, label_col = (header.index(name.lower()) for name in columns)
    rows = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            padded = values + [""] * (len(header) - len(values))
            raw = padded[label_col]
            rows.append(LabelRow(padded[id_col].strip(), normalise_label(raw, classes), reader.line_num,
                                 raw.strip()))
    except csv.Error as error:
        raise LabelsFileError(f"{path}, line {reader.line_num}: {error}") from None
    return rows


def _decode(raw: bytes) -> str:
    """The file's text: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # Excel's "CSV" on Windows; the two columns we read are ASCII
        return raw.decode("cp1252", errors="replace")


def _open_table(text: str, path: str | Path, columns: tuple[str, str]
                ) -> tuple[Iterator[list[str]], list[str]]:
    """A CSV reader positioned after the header, and the header's lower-cased names."""
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = [name.strip().lower() for name in next(reader, [])]
        except csv.Error as error:
            raise LabelsFileError(f"{path}, line 1: {error}") from None
        if {name.lower() for name in columns} <= set(header):
            return reader, header
    first_line = text.splitlines()[0] if text.strip() else "nothing (the file is empty)"
    raise LabelsFileError(f"{path}: the header must name the columns {columns[0]} and "
                          f"{columns[1]}; found {first_line[:200]!r}")


def resolve_labels(rows: list[LabelRow], source: str = "labels.csv",
                   columns: tuple[str, str] = REQUIRED_COLUMNS,
                   classes: tuple[str, ...] = CLASSES) -> dict[str, str | Exclusion]:
    """One entry per id: its class, or the :class:`Exclusion` explaining why it has none.

    ``source`` (the table's file name), ``columns`` and ``classes`` are only for the messages.
    """
    by_id: dict[str, list[LabelRow]] = {}
    for row in rows:
        by_id.setdefault(row.patient_id, []).append(row)
    return {patient_id: _resolve_one(patient_id, group, source, columns, classes)
            for patient_id, group in by_id.items()}


def read_labels(path: str | Path, scheme: LabelScheme = STUDY) -> dict[str, str | Exclusion]:
    """``labels.csv`` at ``path`` read and resolved by ``scheme``.

    Raises:
        LabelsFileError: no id or label column, or malformed CSV.
    """
    columns = ("patient_id", scheme.column)
    return resolve_labels(read_label_rows(path, columns, scheme.classes), Path(path).name,
                          columns, scheme.classes)


def _resolve_one(patient_id: str, group: list[LabelRow], source: str,
                 columns: tuple[str, str], classes: tuple[str, ...]) -> str | Exclusion:
    lines = ", ".join(str(row.line) for row in group)
    id_column, label_column = columns
    if not patient_id:
        return Exclusion("label:unsafe-id", f"{source} line {lines} has no {id_column}")
    if not is_safe_id(patient_id):
        return Exclusion("label:unsafe-id", f"id {patient_id!r} ({source} line {lines}) is not a "
                         "safe folder name (letters, digits, '.', '_', '-'; no '..', no spaces)")
    labels = {row.infiltration or row.raw_label.lower() for row in group}
    if len(labels) > 1:
        found = ", ".join(f"line {row.line} {row.raw_label or '<empty>'!r}" for row in group)
        return Exclusion("label:duplicate", f"{patient_id} has {len(group)} conflicting rows in "
                         f"{source}: {found}")
    row = group[0]
    if row.infiltration is None:
        if not row.raw_label:
            return Exclusion("label:missing", f"empty {label_column} for {patient_id} on "
                             f"{source} line {row.line}")
        return Exclusion("label:unknown", f"{row.raw_label!r} for {patient_id} on {source} line "
                         f"{row.line} is not one of {', '.join(classes)}")
    return row.infiltration


def read_extra_column(path: str | Path, column: str) -> dict[str, str]:
    """One more column of ``labels.csv`` (``site``, say) by patient id, read as
    :func:`read_label_rows` reads the file; empty when there is no such file or column."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        reader, header = _open_table(_decode(path.read_bytes()), path, ("patient_id", column))
    except LabelsFileError:  # no such column (or a BIDS participants.tsv, keyed otherwise)
        return {}
    id_col, value_col = header.index("patient_id"), header.index(column)
    values = {}
    for row in reader:
        padded = row + [""] * (len(header) - len(row))
        if padded[id_col].strip():
            values[padded[id_col].strip()] = padded[value_col].strip()
    return values
