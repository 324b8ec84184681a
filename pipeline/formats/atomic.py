"""Atomic writes and the plain JSON, text and CSV files under them.

Every write is atomic: the file appears complete under its final name or not at all, so a
killed run never leaves a torn file that a later reader would take as valid.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside ``path``; renames it onto ``path`` on success.

    The rename is atomic on POSIX file systems, so readers see the old file or the new
    one, never a partial write. On error the temporary file is removed; one left by a
    killed writer is removed when ``path`` is written again.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Each file has one writer, so an earlier temporary of ``path`` is a killed write's.
    remove_leftovers(path.parent, f".{glob.escape(path.name)}.*.tmp")
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are ordinary shared files
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_leftovers(folder: str | os.PathLike, pattern: str = "**/.*.tmp") -> None:
    """Removes the temporaries (``pattern``) that writers killed before their rename
    (SIGKILL, power loss) left under ``folder``. Only for a folder no other process is
    writing to at the time."""
    for leftover in Path(folder).glob(pattern):
        leftover.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Writes ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj: object) -> None:
    """Writes ``obj`` as indented JSON, atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, allow_nan=False) + "\n")


def read_json(path: str | os.PathLike) -> dict:
    """Reads a JSON object written by :func:`write_json`."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)



def write_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Writes a data frame as CSV without its index, atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)



def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
