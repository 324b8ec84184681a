"""Parses ``labels.csv`` into one label per patient, or a reason why a patient has none."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.ingest.exclusion import Exclusion

CLASSES = ("none", "microscopic", "extensive")
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class LabelRow:
    """One ``labels.csv`` row: the id, the normalised class (or None), the line number."""

    patient_id: str
    infiltration: str | None
    line: int
    raw_label: str


def is_safe_id(patient_id: str) -> bool:
    """True if ``patient_id`` can be used as a folder name without leaving ``data/``."""
    return bool(SAFE_ID.match(patient_id)) and ".." not in patient_id


def normalise_label(raw: str) -> str | None:
    """The class name for ``raw`` (case and surrounding blanks ignored), or None if unknown."""
    value = raw.strip().lower()
    return value if value in CLASSES else None


def read_label_rows(path: str | Path) -> list[LabelRow]:
    """Every non-blank row of ``labels.csv`` (BOM, CRLF and extra columns tolerated).

    Raises:
        ValueError: the file has no ``patient_id`` or ``infiltration`` column.
    """
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [name.strip().lower() for name in next(reader, [])]
        missing = {"patient_id", "infiltration"} - set(header)
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                             f"found {', '.join(header) or 'nothing'}")
        id_col, label_col = header.index("patient_id"), header.index("infiltration")
        rows = []
        for line, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue
            padded = values + [""] * (len(header) - len(values))
            raw = padded[label_col]
            rows.append(LabelRow(padded[id_col].strip(), normalise_label(raw), line, raw.strip()))
        return rows


def resolve_labels(rows: list[LabelRow]) -> dict[str, str | Exclusion]:
    """One entry per id: its class, or the :class:`Exclusion` explaining why it has none."""
    by_id: dict[str, list[LabelRow]] = {}
    for row in rows:
        by_id.setdefault(row.patient_id, []).append(row)
    return {patient_id: _resolve_one(patient_id, group) for patient_id, group in by_id.items()}


def _resolve_one(patient_id: str, group: list[LabelRow]) -> str | Exclusion:
    lines = ", ".join(str(row.line) for row in group)
    if not is_safe_id(patient_id):
        return Exclusion("label:unsafe-id", f"id {patient_id!r} (line {lines}) is not a safe "
                         "folder name (letters, digits, '.', '_', '-'; no '..')")
    labels = {row.infiltration for row in group}
    if len(labels) > 1:
        found = ", ".join(sorted(row.raw_label or "<empty>" for row in group))
        return Exclusion("label:duplicate", f"{len(group)} conflicting rows (lines {lines}): {found}")
    row = group[0]
    if row.infiltration is None:
        if not row.raw_label:
            return Exclusion("label:missing", f"empty infiltration on line {row.line}")
        return Exclusion("label:unknown", f"{row.raw_label!r} on line {row.line} is not one of "
                         f"{', '.join(CLASSES)}")
    return row.infiltration
