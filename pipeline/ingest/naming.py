"""Finds each sequence's file in a patient folder, by the naming rules of docs/contract.md.

The sequences looked for are the chosen ones (params' ``data.sequences``, the study's four
by default), passed in as a tuple. A known sequence keeps its aliases; any other name is
its own only alias, so ``adc`` is ``adc.nii.gz`` or ``<id>_adc.nii.gz``. Files of sequences
not chosen are not looked for: they are ignored, never an error. The first chosen
sequence is the reference whose grid every other image is resampled onto.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest.exclusion import Exclusion

SEQUENCES = ("t1", "t1c", "t2", "flair")  # the study's, the default choice
SEG = "seg"
ALL_FILES = SEQUENCES + (SEG,)
REFERENCE = "t1"  # the study's reference: the first of SEQUENCES (see reference())
ALIASES = {
    "t1": ("t1", "t1w", "t1n"),
    "t1c": ("t1c", "t1ce", "t1gd", "t1post", "t1wc"),
    "t2": ("t2", "t2w"),
    "flair": ("flair", "t2flair", "t2_flair", "t2f"),
    "seg": ("seg", "brainstem", "mask", "aseg", "synthseg"),  # aseg: FreeSurfer, FastSurfer
}


def reference(sequences: tuple[str, ...]) -> str:
    """The sequence whose grid preprocessing resamples every other one onto: the first chosen."""
    return sequences[0]


def files_of(sequences: tuple[str, ...]) -> tuple[str, ...]:
    """What a patient must have: the chosen sequences and ``seg``."""
    return (*sequences, SEG)


def aliases_of(name: str) -> tuple[str, ...]:
    """The file stems that name a sequence: its known aliases, or the name itself."""
    return ALIASES.get(name, (name,))


def alias_map(sequences: tuple[str, ...]) -> dict[str, str]:
    """Each accepted file stem (lower case) to the chosen sequence (or ``seg``) it names."""
    return {alias.lower(): name for name in files_of(sequences) for alias in aliases_of(name)}


_ALIAS_TO_NAME = alias_map(SEQUENCES)
EXTENSIONS = (".nii.gz", ".nii")
# FreeSurfer and FastSurfer write their label maps as MGH. Accepted for seg only, so that a
# FreeSurfer T1.mgz copied beside t1.nii.gz is not taken for a second t1.
LABEL_MAP_EXTENSIONS = (".mgz", ".mgh")
PREFIX_SEPARATORS = ("_", "-")  # BraTS up to 2021 write `<id>_t1`, BraTS 2023 `<id>-t1n`
SHOWN_FILES = 8  # how many unrecognised file names a "missing" message lists


def sequence_name(file_name: str, patient_id: str, sequences: tuple[str, ...] = SEQUENCES
                  ) -> str | None:
    """The chosen sequence (or ``seg``) a file holds, or None if the name is not one of those."""
    lowered = file_name.lower()
    extension = next((ext for ext in EXTENSIONS + LABEL_MAP_EXTENSIONS if lowered.endswith(ext)),
                     None)
    if extension is None:
        return None
    stem = lowered[: -len(extension)]
    for separator in PREFIX_SEPARATORS:
        prefix = f"{patient_id.lower()}{separator}"
        if stem.startswith(prefix):
            stem = stem[len(prefix):]
            break
    name = (_ALIAS_TO_NAME if sequences == SEQUENCES else alias_map(sequences)).get(stem)
    if extension in LABEL_MAP_EXTENSIONS and name != "seg":
        return None
    return name


def find_files(folder: Path, patient_id: str, data_root: Path,
               sequences: tuple[str, ...] = SEQUENCES) -> dict[str, Path]:
    """Maps each chosen sequence and ``seg`` to its file in ``folder``.

    Raises:
        Exclusion: files missing, two files for one sequence, or a link leaving ``data_root``.
    """
    found, others = folder_candidates(folder, patient_id, sequences)
    return choose(found, folder, [path.name for path in others], data_root, sequences)


def folder_candidates(folder: Path, patient_id: str, sequences: tuple[str, ...] = SEQUENCES
                      ) -> tuple[dict[str, list[Path]], list[Path]]:
    """Each chosen sequence's files in ``folder`` by the naming rules, and the folder's other
    (non-hidden) entries."""
    found: dict[str, list[Path]] = {}
    others = []
    for path in sorted(folder.iterdir()):
        name = sequence_name(path.name, patient_id, sequences)
        if name is not None:
            found.setdefault(name, []).append(path)
        elif not path.name.startswith("."):
            others.append(path)
    return found, others


def choose(found: dict[str, list], folder: Path, others: list[str], data_root: Path,
           sequences: tuple[str, ...] = SEQUENCES) -> dict:
    """The one candidate of each chosen sequence and ``seg``: a file, or a DICOM series (whose
    files the caller checks); ``others`` are named when some are missing.

    Raises:
        Exclusion: candidates missing, several for one name, or a link leaving ``data_root``.
    """
    wanted = files_of(sequences)
    missing = [name for name in wanted if not found.get(name)]
    if missing:
        code = "missing:all" if len(missing) == len(wanted) else f"missing:{','.join(missing)}"
        shown = listing(others, any(found.values()))
        raise Exclusion(code, f"no file for {', '.join(missing)} in {folder}{shown}")
    for name in wanted:
        candidates = found[name]
        if len(candidates) > 1:
            listed = ", ".join(item.name if isinstance(item, Path) else str(item)
                               for item in candidates)
            raise Exclusion(f"invalid:{name}", f"several files for {name} in {folder}: {listed}")
        if isinstance(candidates[0], Path):
            check_link(candidates[0], data_root, name)
    return {name: found[name][0] for name in wanted}


def listing(names: list[str], any_found: bool) -> str:
    """Names of the files that matched no sequence, so a naming slip is easy to spot."""
    if not names:
        return "" if any_found else " (the folder is empty)"
    shown = ", ".join(names[:SHOWN_FILES]) + (", ..." if len(names) > SHOWN_FILES else "")
    return f" (unrecognised: {shown}; see the naming rules in docs/your-data.md)"


def check_link(path: Path, data_root: Path, name: str) -> None:
    """Refuses a broken symbolic link, or one that points outside the cohort folder.

    Links into a DVC cache are followed: ``dvc checkout`` with ``cache.type: symlink``
    makes every data file such a link, and the cache holds exactly the versioned data.
    """
    resolved = path.resolve()
    if not resolved.exists():
        raise Exclusion(f"unreadable:{name}", f"{path} is a broken link (to {resolved})")
    if not (is_inside(resolved, data_root) or _in_dvc_cache(resolved)):
        raise Exclusion(f"unreadable:{name}", f"{path} links outside the cohort folder "
                        f"(to {resolved}); copy the file into the folder instead")


def is_inside(path: Path, data_root: Path) -> bool:
    """True if ``path``, links followed, lies under ``data_root``."""
    return path.resolve().is_relative_to(data_root.resolve())


def _in_dvc_cache(resolved: Path) -> bool:
    parents = resolved.parents
    return any(folder.name == "cache" and folder.parent.name == ".dvc" for folder in parents)
