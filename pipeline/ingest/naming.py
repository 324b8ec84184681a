"""Finds each sequence's file in a patient folder, by the naming rules of SPEC.md."""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest.exclusion import Exclusion

SEQUENCES = ("t1", "t1c", "t2", "flair")
ALL_FILES = SEQUENCES + ("seg",)
ALIASES = {
    "t1": ("t1", "t1w", "t1n"),
    "t1c": ("t1c", "t1ce", "t1gd", "t1post", "t1wc"),
    "t2": ("t2", "t2w"),
    "flair": ("flair", "t2flair", "t2_flair", "t2f"),
    "seg": ("seg", "brainstem", "mask"),
}
_ALIAS_TO_NAME = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
EXTENSIONS = (".nii.gz", ".nii")


def sequence_name(file_name: str, patient_id: str) -> str | None:
    """The sequence a file holds (``t1`` ... ``seg``), or None if the name is not one of ours."""
    lowered = file_name.lower()
    extension = next((ext for ext in EXTENSIONS if lowered.endswith(ext)), None)
    if extension is None:
        return None
    stem = lowered[: -len(extension)]
    prefix = f"{patient_id.lower()}_"
    if stem.startswith(prefix):
        stem = stem[len(prefix):]
    return _ALIAS_TO_NAME.get(stem)


def find_files(folder: Path, patient_id: str, data_root: Path) -> dict[str, Path]:
    """Maps each sequence to its file in ``folder``.

    Raises:
        Exclusion: files missing, two files for one sequence, or a link leaving ``data_root``.
    """
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        name = sequence_name(path.name, patient_id)
        if name is not None:
            found.setdefault(name, []).append(path)
    missing = [name for name in ALL_FILES if name not in found]
    if missing:
        code = "missing:all" if len(missing) == len(ALL_FILES) else f"missing:{','.join(missing)}"
        raise Exclusion(code, f"no file for {', '.join(missing)} in {folder}")
    for name, paths in found.items():
        if len(paths) > 1:
            listed = ", ".join(path.name for path in paths)
            raise Exclusion(f"invalid:{name}", f"several files for {name} in {folder}: {listed}")
        _check_inside(paths[0], data_root, name)
    return {name: paths[0] for name, paths in found.items()}


def _check_inside(path: Path, data_root: Path, name: str) -> None:
    """Refuses a symbolic link that points outside the cohort folder."""
    resolved = path.resolve()
    if not resolved.is_relative_to(data_root.resolve()):
        raise Exclusion(f"unreadable:{name}", f"{path} links outside the cohort folder "
                        f"(to {resolved}); copy the file into the folder instead")
