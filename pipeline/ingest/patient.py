"""One patient's files, whatever the layout they came from, to a checked, loaded patient.

Every input layout (the plain folders of ``cohort``, their DICOM series converted by
``dicom``; a BIDS dataset in ``bids``) only finds the files; they all go through
:func:`load_files`, so a patient passes the same checks and yields the same
:class:`LoadedPatient` however the cohort is laid out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.header import check_rectangular
from pipeline.ingest.naming import SEQUENCES, reference
from pipeline.ingest.validation import (
    Volume,
    brainstem_mask,
    check_image,
    coverage,
    load_volume,
)

MIN_COVERAGE = 0.5  # share of the brainstem each sequence must image


@dataclass
class LoadedPatient:
    """A patient whose files all loaded and passed the checks."""

    patient_id: str
    infiltration: str | None  # None when the cohort is read without labels (scoring)
    images: dict[str, Volume]
    mask: Volume
    files: dict[str, Path] = field(default_factory=dict)


@dataclass
class PatientEntry:
    """One patient of the cohort: its label (if any) and either its data or an exclusion."""

    patient_id: str
    infiltration: str | None
    patient: LoadedPatient | None = None
    exclusion: Exclusion | None = None


def patient_entry(patient_id: str, label: str | Exclusion | None,
                  load: Callable[[], LoadedPatient]) -> PatientEntry:
    """The patient loaded by ``load``, or excluded with the reason it raised: the rest of
    the cohort goes on either way, whatever layout it came in."""
    infiltration = label if isinstance(label, str) else None
    try:
        patient = load()
    except Exclusion as exclusion:
        return PatientEntry(patient_id, infiltration, exclusion=exclusion)
    return PatientEntry(patient_id, infiltration, patient=patient)


def load_files(patient_id: str, label: str, files: dict[str, Path],
               seg_label: int | None, shown: dict[str, Path] | None = None,
               sequences: tuple[str, ...] = SEQUENCES) -> LoadedPatient:
    """Loads and checks a patient's chosen ``sequences`` and ``seg`` (``files`` maps each to
    its path); ``images`` keeps the order of ``sequences``.

    ``shown`` names, for files made from the patient's data (DICOM series converted to
    NIfTI), what the reasons and the loaded patient's ``files`` call them instead.

    Raises:
        Exclusion: the first problem found.
    """
    shown = shown or {}
    images = {name: load_volume(files[name], name, shown.get(name)) for name in sequences}
    grid = reference(sequences)
    check_rectangular(images[grid].affine, images[grid].source, grid)
    for name, volume in images.items():
        check_image(volume, name)
    mask = brainstem_mask(load_volume(files["seg"], "seg"), seg_label)
    _check_coverage(mask, images)
    kept = {name: files[name] for name in (*sequences, "seg")}
    return LoadedPatient(patient_id, label, images, mask, {**kept, **shown})


def _check_coverage(mask: Volume, images: dict[str, Volume]) -> None:
    """Every sequence must image the brainstem: same patient, same physical space."""
    shares = {name: coverage(mask, volume) for name, volume in images.items()}
    if all(share < MIN_COVERAGE for share in shares.values()):
        listed = ", ".join(f"{name} {share:.0%}" for name, share in shares.items())
        raise Exclusion("invalid:seg", f"the brainstem marked in {mask.source} lies outside the "
                        f"field of view of every sequence (share inside: {listed})")
    for name, share in shares.items():
        if share < MIN_COVERAGE:
            raise Exclusion(f"invalid:{name}", f"{images[name].source} covers {share:.0%} of the "
                            f"brainstem marked in {mask.source.name}: the sequence and the "
                            "segmentation do not overlap in physical space")
