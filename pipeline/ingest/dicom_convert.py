"""A DICOM series converted to NIfTI once, with dcm2niix, into a cache keyed by its content.

The cache lies under ``outputs/`` (never under ``data/``): one ``<key>.nii`` per series,
where the key is the SHA-256 of the series' file contents (each file's digest, sorted, so
neither file names nor folders matter) together with the converter's version and options.
A re-run finds the file and converts nothing; a changed series gets a new key.

No header text reaches the cache. dcm2niix names its output by a fixed pattern
(``-f series``: never the patient's name, which ``%n`` would put there), writes no JSON
sidecar (``-b n``), and reads no user defaults file (it runs with ``HOME`` set to its
scratch folder, so a ``~/.dcm2nii.ini`` cannot change the pattern). Its NIfTI is then
written again with a fresh header holding only the voxels and the voxel-to-world affine
(dcm2niix would keep the acquisition time in ``descrip`` and image comments in
``aux_file``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import dcm2niix
import nibabel as nib
import numpy as np

from pipeline.formats.atomic import atomic_path, file_digest
from pipeline.ingest.dicom_series import DicomSeries
from pipeline.ingest.exclusion import Exclusion

# -b n: no sidecar; -f series: fixed output name; -z n: plain .nii (the cache is local);
# -d 0: only the series' own files; -x n, -l o, -p y, -i n: no cropping, rescaling of
# integers or dropping of images; -w 1: overwrite; -v 0: quiet.
OPTIONS = ("-b", "n", "-f", "series", "-z", "n", "-d", "0", "-x", "n", "-l", "o", "-p", "y",
           "-i", "n", "-w", "1", "-v", "0")
CACHE_FORMAT = 1  # raise when what is cached changes, so that old entries are not reused
TIMEOUT_S = 900
SHOWN_LINES = 2  # of dcm2niix's warnings and errors, in an exclusion's reason
# Notes dcm2niix makes on many good series; they would hide the line that says what failed.
UNHELPFUL = ("Unable to determine manufacturer", "Patient Position (0018,5100) not specified")
WORK_PREFIX = ".convert-"


def cached_path(series: DicomSeries, cache: Path) -> Path:
    """Where ``series`` is (or will be) in ``cache``: ``<sha256>.nii``."""
    digest = hashlib.sha256(f"dcm2niix {dcm2niix.__version__} {' '.join(OPTIONS)} "
                            f"cache {CACHE_FORMAT}".encode())
    for file_hash in sorted(file_digest(path) for path in series.files):
        digest.update(file_hash.encode())
    return cache / f"{digest.hexdigest()}.nii"


def convert(series: DicomSeries, cache: Path, name: str) -> Path:
    """The series as a NIfTI file in ``cache``, converted now unless it already is there.

    Raises:
        Exclusion: ``unreadable:<name>`` when dcm2niix makes no image of the series,
            ``invalid:<name>`` when it makes several (missing or unevenly spaced slices,
            several echoes or orientations in one series).
    """
    target = cached_path(series, cache)
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=WORK_PREFIX, dir=cache) as work:
        made, output = _run(series, Path(work))
        if not made:
            raise Exclusion(f"unreadable:{name}", f"dcm2niix could not convert {series}"
                            f"{_shown(output)}")
        if len(made) > 1:
            listed = ", ".join(path.name for path in made)
            raise Exclusion(f"invalid:{name}", f"dcm2niix made {len(made)} images of {series} "
                            f"({listed}): slices missing or unevenly spaced, or several echoes "
                            f"or orientations in one series; one volume is needed"
                            f"{_shown(output)}")
        _write_bare(nib.load(made[0]), target)
    return target


def _run(series: DicomSeries, work: Path) -> tuple[list[Path], str]:
    """Runs dcm2niix on links to exactly the series' files; its images and its output."""
    inputs, outputs = work / "in", work / "out"
    inputs.mkdir()
    outputs.mkdir()
    for index, path in enumerate(series.files):
        (inputs / f"{index:05d}").symlink_to(path.resolve())
    command = [dcm2niix.bin, *OPTIONS, "-o", str(outputs), str(inputs)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace", check=False,
                                timeout=TIMEOUT_S, env={**os.environ, "HOME": str(work)})
    except subprocess.TimeoutExpired:
        return [], f"Error: no result after {TIMEOUT_S} s"
    output = _original_names(result.stdout + result.stderr, inputs, series)
    made = sorted(outputs.glob("*.nii"))
    return (made if result.returncode == 0 else []), output


def _original_names(text: str, inputs: Path, series: DicomSeries) -> str:
    """dcm2niix's output with its links' paths replaced by the series' own files."""
    pattern = re.compile(re.escape(str(inputs)) + r"/(\d{5})")
    return pattern.sub(lambda found: str(series.files[int(found.group(1))]), text)


def _shown(output: str) -> str:
    """The last of dcm2niix's warning and error lines, for the reason (``""`` if none)."""
    lines = [line.strip() for line in output.splitlines()
             if re.search(r"error|warning", line, re.IGNORECASE)
             and not any(note in line for note in UNHELPFUL)]
    return f"; dcm2niix said: {' / '.join(lines[-SHOWN_LINES:])}" if lines else ""


def _write_bare(image: nib.Nifti1Image, target: Path) -> None:
    """Writes ``image``'s voxels and affine under a fresh header (no text fields), atomically."""
    data = np.asanyarray(image.dataobj)
    if data.dtype == np.float64:
        data = data.astype(np.float32)
    bare = nib.Nifti1Image(data, image.affine)
    bare.set_sform(image.affine, code="scanner")
    bare.set_qform(None, code=0)  # the sform alone: it also holds what a qform cannot (shears)
    bare.header.set_xyzt_units("mm")
    with atomic_path(target) as tmp:
        tmp.write_bytes(bare.to_bytes())


def remove_leftovers(cache: Path) -> None:
    """Removes the scratch folders of conversions killed before they finished; only when no
    other run is converting into ``cache``."""
    for leftover in cache.glob(f"{WORK_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
