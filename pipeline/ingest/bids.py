"""Reads a BIDS dataset (``dataset_description.json`` at the cohort's root) with pybids.

This module only finds each patient's files; they then go through the same checks as the
folder layout's (:func:`pipeline.ingest.patient.load_files`), so nothing downstream can
tell the layouts apart. The mapping:

- patient ids are the subject labels, ``sub-<label>`` without ``sub-``;
- labels come from ``participants.tsv`` (``participant_id`` and the label column, read by
  the rules of ``labels.csv``; BIDS' ``n/a`` is an empty label);
- the sequences are the NIfTI files of ``sub-*/[ses-*/]anat/`` by suffix: ``T1w`` without a
  ``ce-`` entity is ``t1``, ``T1w`` with one (``ce-gadolinium``) is ``t1c``, ``T2w`` is
  ``t2`` and ``FLAIR`` is ``flair``;
- ``seg`` comes from ``derivatives/<pipeline>/``: a ``label-BS`` ``_mask`` (every non-zero
  voxel is brainstem), else a ``_dseg`` label map (``seg_label`` picks the label).

Only the four known sequences have a BIDS suffix here: params' ``data.sequences`` may
choose any of them (the first is the reference), and naming another one refuses a BIDS
dataset (:class:`BidsSequenceError`).

A sequence with several candidate files (sessions, runs, acquisitions) is not guessed:
``session`` keeps one session's files, and any sequence still ambiguous excludes the
patient (``invalid:<seq>``) with the candidates named.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.labels import (
    STUDY,
    LabelScheme,
    is_safe_id,
    read_label_rows,
    resolve_labels,
)
from pipeline.ingest.naming import (
    SEQUENCES,
    check_link,
    files_of,
    is_inside,
    listing,
    reference,
)
from pipeline.ingest.patient import (
    LoadedPatient,
    PatientEntry,
    load_files,
    patient_entry,
)

DESCRIPTION = "dataset_description.json"
PARTICIPANTS = "participants.tsv"
ID_COLUMN = "participant_id"
SUBJECT_PREFIX = "sub-"
SESSION_PREFIX = "ses-"
NOT_AVAILABLE = "n/a"  # BIDS' marker of an empty cell
NIFTI = [".nii.gz", ".nii"]
BRAINSTEM = "BS"  # BIDS' common label for the brainstem
SUFFIXES = {"T2w": "t2", "FLAIR": "flair"}  # T1w is t1 or t1c, by its ce- entity
LOOKED_FOR = {"t1": "_T1w", "t1c": "_ce-<agent>_T1w", "t2": "_T2w", "flair": "_FLAIR"}


class BidsDatasetError(ValueError):
    """The dataset as a whole cannot be read (e.g. a broken ``dataset_description.json``)."""


class BidsSequenceError(BidsDatasetError):
    """A chosen sequence has no BIDS suffix known here; the message names the params key."""


def check_sequences(sequences: tuple[str, ...]) -> None:
    """Refuses chosen sequences that a BIDS dataset cannot hold (only the four known).

    Raises:
        BidsSequenceError: naming ``data.sequences`` and the unknown names.
    """
    unknown = [name for name in sequences if name not in LOOKED_FOR]
    if unknown:
        raise BidsSequenceError(
            f"params.yaml is not valid: data.sequences: {', '.join(unknown)} has no BIDS suffix "
            f"known here; a BIDS dataset can hold only {', '.join(LOOKED_FOR)} "
            f"({', '.join(LOOKED_FOR.values())})")


def is_bids(data_root: Path) -> bool:
    """True if ``data_root`` is a BIDS dataset: it has ``dataset_description.json``."""
    return (data_root / DESCRIPTION).is_file()


def open_layout(data_root: Path):
    """pybids' index of the dataset and of its ``derivatives/`` pipelines.

    Files whose names break BIDS are left out (pybids' validation), so they cannot be
    taken for a sequence.

    Raises:
        BidsDatasetError: pybids refuses the dataset; its message says why.
    """
    from bids import (
        BIDSLayout,  # half a second to import: only when a BIDS dataset is read
    )
    from bids.exceptions import PyBIDSError

    derivatives = (data_root / "derivatives").is_dir()  # else pybids warns of none found
    try:
        return BIDSLayout(data_root, derivatives=derivatives)
    except PyBIDSError as error:  # its validation errors: a broken dataset_description.json
        raise BidsDatasetError(f"{data_root} is a BIDS dataset (it has {DESCRIPTION}) that "
                               f"pybids cannot read: {error}") from None


def read_participants(data_root: Path, scheme: LabelScheme = STUDY
                      ) -> dict[str, str | Exclusion]:
    """Each subject label's class, or why it has none, from ``participants.tsv``.

    Raises:
        LabelsFileError: the table lacks ``participant_id`` or the label column.
    """
    columns = (ID_COLUMN, scheme.column)
    rows = [dataclasses.replace(row, patient_id=row.patient_id.removeprefix(SUBJECT_PREFIX),
                                raw_label="" if row.raw_label.lower() == NOT_AVAILABLE
                                else row.raw_label)
            for row in read_label_rows(data_root / PARTICIPANTS, columns, scheme.classes)]
    return resolve_labels(rows, PARTICIPANTS, columns, scheme.classes)


def iter_bids_cohort(data_root: Path, seg_label: int | None = None, session: str | None = None,
                     scheme: LabelScheme = STUDY, sequences: tuple[str, ...] = SEQUENCES
                     ) -> Iterator[PatientEntry]:
    """Yields every subject of the dataset, loading one subject's images at a time.

    Subjects are those of ``participants.tsv``, of pybids' index and every ``sub-*`` folder
    (an empty one too).

    Raises:
        BidsSequenceError: a chosen sequence is none of the four known.
        LabelsFileError: ``participants.tsv`` is unusable as a whole.
        BidsDatasetError: pybids cannot read the dataset.
    """
    check_sequences(sequences)
    labels = read_participants(data_root, scheme)
    layout = open_layout(data_root)
    folders = {path.name.removeprefix(SUBJECT_PREFIX)
               for path in data_root.glob(f"{SUBJECT_PREFIX}*") if path.is_dir()}
    session = session.removeprefix(SESSION_PREFIX) if session else None
    for patient_id in sorted(set(labels) | folders | set(layout.get_subjects())):
        entry = labels.get(patient_id)
        yield patient_entry(patient_id, entry, partial(
            load_subject, layout, data_root, patient_id, entry, seg_label, session, sequences))


def load_subject(layout, data_root: Path, patient_id: str, label: str | Exclusion | None,
                 seg_label: int | None, session: str | None = None,
                 sequences: tuple[str, ...] = SEQUENCES) -> LoadedPatient:
    """Finds, loads and checks one subject's files.

    Raises:
        Exclusion: the first problem found, label problems first.
    """
    folder = _subject_folder(data_root, patient_id, label)
    files, label_map = find_subject_files(layout, data_root, folder, patient_id, session,
                                          sequences)
    return load_files(patient_id, label, files, seg_label if label_map else None,
                      sequences=sequences)


def _subject_folder(data_root: Path, patient_id: str, label: str | Exclusion | None) -> Path:
    """The subject's folder, once its id and label are usable and the folder is there."""
    folder = data_root / f"{SUBJECT_PREFIX}{patient_id}"
    if isinstance(label, Exclusion):
        raise label
    if not is_safe_id(patient_id):
        raise Exclusion("label:unsafe-id", f"folder name {folder.name!r} in {data_root} is not "
                        "a safe subject folder (a BIDS label is letters and digits); rename it")
    if label is None:
        raise Exclusion("label:missing", f"{folder} has no row in {data_root / PARTICIPANTS}")
    if not folder.is_dir():
        raise Exclusion("missing:all", f"{PARTICIPANTS} names {folder.name} but there is no "
                        f"folder {folder}")
    if not is_inside(folder, data_root):
        raise Exclusion("unreadable:all", f"{folder} links outside the cohort folder "
                        f"(to {folder.resolve()}); copy the folder in instead")
    return folder


def find_subject_files(layout, data_root: Path, folder: Path, patient_id: str,
                       session: str | None, sequences: tuple[str, ...] = SEQUENCES
                       ) -> tuple[dict[str, Path], bool]:
    """Maps each chosen sequence and ``seg`` to its file; says whether ``seg`` is a ``dseg``
    map. Files of sequences not chosen are ignored.

    Raises:
        Exclusion: files missing, several candidates for one, or a link leaving ``data_root``.
    """
    found: dict[str, list] = {}  # pybids' BIDSFile objects
    for file in layout.get(subject=patient_id, datatype="anat", extension=NIFTI, scope="raw"):
        name = sequence_of(file.entities)
        if name and _in_session(file.entities, session):
            found.setdefault(name, []).append(file)
    masks, label_map = _brainstem_candidates(layout, patient_id, session)
    if masks:
        found["seg"] = masks
    wanted = files_of(sequences)
    missing = [name for name in wanted if name not in found]
    if missing:
        raise _missing(missing, layout, data_root, folder, patient_id, session,
                       any(name in found for name in wanted), len(wanted))
    files = {}
    for name in wanted:
        paths = sorted(_path(layout, data_root, file) for file in found[name])
        if len(paths) > 1:
            listed = ", ".join(str(path.relative_to(data_root)) for path in paths)
            sessions = {file.entities.get("session") for file in found[name]}
            hint = ("set data.bids.session to choose one session" if len(sessions) > 1 else
                    "runs and acquisitions are not chosen between: leave one such file in the "
                    "dataset")
            raise Exclusion(f"invalid:{name}", f"several files for {name} in {data_root}: "
                            f"{listed}; {hint}")
        check_link(paths[0], data_root, name)
        files[name] = paths[0]
    return files, label_map


def sequence_of(entities: dict) -> str | None:
    """The sequence a raw BIDS file holds, from its entities; None for other suffixes."""
    if entities.get("suffix") == "T1w":
        return "t1c" if "ceagent" in entities else "t1"
    return SUFFIXES.get(entities.get("suffix"))


def _in_session(entities: dict, session: str | None) -> bool:
    return session is None or entities.get("session") in (None, session)


def _path(layout, data_root: Path, file) -> Path:
    """The file's path under ``data_root`` as given (pybids makes it absolute)."""
    return data_root / Path(file.path).relative_to(Path(layout.root))


def _brainstem_candidates(layout, patient_id: str, session: str | None) -> tuple[list, bool]:
    """The subject's ``label-BS`` masks if there are any, else its ``dseg`` maps (True)."""
    files = [file for file in layout.get(subject=patient_id, suffix=["mask", "dseg"],
                                         extension=NIFTI, scope="derivatives")
             if _in_session(file.entities, session)]
    masks = [file for file in files
             if file.entities["suffix"] == "mask" and file.entities.get("label") == BRAINSTEM]
    return masks or [file for file in files if file.entities["suffix"] == "dseg"], not masks


def _missing(missing: list[str], layout, data_root: Path, folder: Path, patient_id: str,
             session: str | None, any_found: bool, wanted: int) -> Exclusion:
    """``missing:<seq>,...`` naming what was looked for, and the files pybids did not take."""
    code = "missing:all" if len(missing) == wanted else f"missing:{','.join(missing)}"
    where = f" (session {session})" if session else ""
    indexed = {Path(path) for path in layout.get(subject=patient_id, return_type="file")}
    others = sorted(str(path.relative_to(folder)) for path in folder.rglob("*")
                    if path.is_file() and not path.name.startswith(".")
                    and path.absolute() not in indexed)
    shown = listing(others, any_found or bool(indexed))
    detail = f"no file for {', '.join(missing)} in {folder}{where}{shown}"
    sequences = [LOOKED_FOR[name] for name in missing if name in LOOKED_FOR]
    if sequences:
        detail += f"; looked for {', '.join(sequences)} NIfTI files in {folder}/[ses-*/]anat/"
    if "seg" in missing:
        detail += (f"; the brainstem mask is a {folder.name}*_label-BS_mask or *_dseg NIfTI "
                   f"file in {data_root / 'derivatives'}/<pipeline>/{folder.name}/, a pipeline "
                   f"folder with its own {DESCRIPTION}")
    return Exclusion(code, detail)


def reference_files(data_root: Path, sequences: tuple[str, ...] = SEQUENCES) -> Iterator[Path]:
    """Every subject's candidate reference files (the first chosen sequence's: ``T1w``
    without ``ce-`` for ``t1``) inside ``data_root``.

    Raises:
        BidsSequenceError: a chosen sequence is none of the four known.
    """
    check_sequences(sequences)
    grid = reference(sequences)
    layout = open_layout(data_root)
    for file in layout.get(datatype="anat", extension=NIFTI, scope="raw"):
        path = _path(layout, data_root, file)
        if sequence_of(file.entities) == grid and is_inside(path, data_root):
            yield path
