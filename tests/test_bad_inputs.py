"""The bad-input campaign: every broken or odd input the stage ``prepare`` must survive.

Each case below is one patient of a shared cohort, damaged in one way. The whole
``prepare_cohort`` runs once per cohort (so the campaign stays fast); each case then checks
its own manifest row: excluded with the reason code of docs/contract.md and a message naming the
patient and the file, or included with a finite crop. The untouched patient ``GOOD`` is
preprocessed in the same run, and nothing under the cohort folder may change (contents,
sizes, modification times): see :func:`run_prepare`. DICOM series are read as the stage reads
them (params.yaml's patterns), so a patient may hold its sequences as series
(:mod:`tests.dicom_factory`) and damaged series join the campaign.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from pipeline import formats
from pipeline.config.settings import PreprocessSettings
from pipeline.ingest.cohort import load_patient
from pipeline.preprocessing.chain import preprocess
from pipeline.preprocessing.cohort import prepare_cohort
from pipeline.stages.prepare import main
from tests import nifti_factory as factory
from tests.dicom_factory import DESCRIPTIONS, FOLDERS, options, write_volume_series

SETTINGS = PreprocessSettings(crop_mm=64, crop_voxels=32, percentiles=(0.5, 99.5))
HEADER = "patient_id,infiltration"
GOOD = "GOOD"


# --- running the stage ------------------------------------------------------------------


def snapshot(root: Path) -> dict:
    """Every entry under ``root`` (links not followed): type, size, mtime and content hash."""
    state = {}
    for folder, folders, files in os.walk(root, followlinks=False):
        for path in [Path(folder), *(Path(folder) / name for name in folders + files)]:
            info = path.lstat()
            if path.is_symlink():
                content = os.readlink(path)
            elif path.is_file():
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                content = None
            state[str(path.relative_to(root))] = (stat.S_IFMT(info.st_mode), info.st_size,
                                                  info.st_mtime_ns, content)
    return state


def run_prepare(root: Path, output: Path, seg_label: int | None = None,
                bids_session: str | None = None) -> dict[str, dict]:
    """``prepare_cohort`` on ``root``, DICOM series read and converted into a cache beside
    ``output``: manifest rows by id, the cohort folder left as it was."""
    before = snapshot(root)
    rows, _ = prepare_cohort(root, output, SETTINGS, "extensive", seg_label, bids_session,
                             options(output.parent / f"{output.name}-dicom"))
    assert snapshot(root) == before
    assert len({row["patient_id"] for row in rows}) == len(rows)
    return {row["patient_id"]: row for row in rows}


# --- writing odd files ------------------------------------------------------------------


def grid(name: str):
    """The affine and shape the factory uses for ``name``."""
    return factory.DEFAULT_GRIDS[name].copy(), factory.DEFAULT_SHAPES[name]


def phantom(name: str, affine: np.ndarray, shape) -> np.ndarray:
    """What the factory would write for ``name`` on this grid (label map for ``seg``)."""
    world = factory.world_coordinates(affine, shape)
    return factory.brainstem(world) if name == "seg" else factory.phantom(world, 1.0)


def replace(folder: Path, name: str, data: np.ndarray, affine: np.ndarray | None = None) -> Path:
    """Rewrites ``folder/<name>.nii.gz`` with ``data`` (on the factory's grid by default)."""
    affine = grid(name)[0] if affine is None else affine
    return factory.save(folder / f"{name}.nii.gz", data, affine)


def shifted(affine: np.ndarray, mm: float) -> np.ndarray:
    moved = affine.copy()
    moved[:3, 3] += mm
    return moved


def sheared(affine: np.ndarray, amount: float) -> np.ndarray:
    """``affine`` with world x depending on the second voxel axis (and z on the first)."""
    result = affine.copy()
    result[0, 1] += amount * affine[1, 1]
    result[2, 0] += amount / 2 * affine[0, 0]
    return result


def image_of(name: str, dtype=np.int16, qform=None, sform=None, qcode=0, scode=2):
    """The factory's image for ``name`` with explicit qform and sform (None: the grid's)."""
    affine, shape = grid(name)
    image = nib.Nifti1Image(phantom(name, affine, shape).astype(dtype), affine)
    image.set_qform(affine if qform is None else qform, code=qcode)
    image.set_sform(affine if sform is None else sform, code=scode)
    return image


def write_raw(path: Path, image: nib.Nifti1Image, **fields) -> None:
    """Saves ``image`` with header ``fields`` forced, as nibabel would not write them."""
    raw = bytearray(image.to_bytes())
    header = nib.Nifti1Header.from_fileobj(io.BytesIO(raw), check=False)
    for key, value in fields.items():
        header[key] = value
    raw[: header.sizeof_hdr] = header.binaryblock
    path.write_bytes(gzip.compress(bytes(raw), mtime=0) if path.name.endswith(".gz") else raw)


def pixdims(first: float) -> np.ndarray:
    """t2's pixdim field with the first voxel size replaced."""
    return np.array([1.0, first, *np.linalg.norm(grid("t2")[0][:3, 1:3], axis=0), 1, 1, 1, 1])


# --- damages: each takes a patient folder ------------------------------------------------


def delete(*names: str) -> Callable:
    return lambda folder: [(folder / f"{name}.nii.gz").unlink() for name in names]


def empty_folder(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()


def truncate(name: str) -> Callable:
    def damage(folder: Path) -> None:
        path = folder / f"{name}.nii.gz"
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return damage


def text_as(file_name: str) -> Callable:
    def damage(folder: Path) -> None:
        (folder / "t1.nii.gz").unlink()
        (folder / file_name).write_text("patient: P02\nthis is a note, not an image\n")
    return damage


def second_t1(folder: Path) -> None:
    factory.save(folder / "T1.nii", np.ones((4, 4, 4)), grid("t1")[0])


def voxels(name: str, change: Callable) -> Callable:
    """A damage writing ``change(data)`` (the factory's data in float32) as ``name``."""
    def damage(folder: Path) -> None:
        affine, shape = grid(name)
        replace(folder, name, change(phantom(name, affine, shape).astype(np.float32)))
    return damage


def array(name: str, data: np.ndarray) -> Callable:
    return lambda folder: replace(folder, name, data)


def moved(name: str, mm: float) -> Callable:
    """The same voxels placed ``mm`` further along every world axis."""
    def damage(folder: Path) -> None:
        affine, shape = grid(name)
        replace(folder, name, phantom(name, affine, shape).astype(np.int16), shifted(affine, mm))
    return damage


def nifti(name: str, **image_options) -> Callable:
    return lambda folder: nib.save(image_of(name, **image_options), folder / f"{name}.nii.gz")


def raw_header(name: str, image_options=None, **fields) -> Callable:
    def damage(folder: Path) -> None:
        write_raw(folder / f"{name}.nii.gz", image_of(name, **(image_options or {})), **fields)
    return damage


def nan_voxels(data):
    data[2:4, 2:4, 2:4] = np.nan
    return data


def one_voxel(data):
    empty = np.zeros_like(data)
    empty[3, 3, 3] = 7
    return empty


def tiny_mask(data):
    tiny = np.zeros_like(data)
    tiny[18, 20, 18] = 1
    return tiny


def hot_voxels(data):
    data[0, 0, 0], data[1, 1, 1] = 1e30, -1e30
    return data


def mask_with_labels(folder: Path) -> None:
    """seg marks the brainstem 7 and the rest of the head 1 and 2, as a multi-label atlas."""
    affine, shape = grid("seg")
    world = factory.world_coordinates(affine, shape)
    head = np.sum((world / [30, 36, 32]) ** 2, -1) < 1
    labels = np.where(head, np.where(world[..., 0] < 0, 1, 2), 0).astype(np.uint8)
    labels[factory.brainstem(world) > 0] = 7
    replace(folder, "seg", labels)


def outside(folder: Path) -> Path:
    """A place beside the cohort folder, out of it."""
    place = folder.parent.parent / "elsewhere" / folder.name
    place.mkdir(parents=True)
    return place


def link_out(folder: Path) -> None:
    target = outside(folder) / "t1.nii.gz"
    shutil.move(folder / "t1.nii.gz", target)
    (folder / "t1.nii.gz").symlink_to(target)


def folder_link_out(folder: Path) -> None:
    target = outside(folder) / "moved"
    shutil.move(folder, target)
    folder.symlink_to(target, target_is_directory=True)


def broken_link(folder: Path) -> None:
    (folder / "t2.nii.gz").unlink()
    (folder / "t2.nii.gz").symlink_to(folder / "gone.nii.gz")


def link_in(folder: Path) -> None:
    (folder / "t1c.nii.gz").unlink()
    (folder / "t1c.nii.gz").symlink_to(Path("..") / GOOD / "t1c.nii.gz")


def link_into_dvc_cache(folder: Path) -> None:
    """As ``dvc checkout`` leaves files with ``cache.type: symlink``."""
    cached = folder.parent.parent / ".dvc" / "cache" / "files" / "md5" / "3f" / folder.name
    cached.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(folder / "t1.nii.gz", cached)
    (folder / "t1.nii.gz").symlink_to(cached)


# --- damages of DICOM series -------------------------------------------------------------


def as_series(*names: str, described: dict[str, str] | None = None) -> Callable:
    """The sequences ``names`` written as DICOM series (``S1``..``S4``) instead of NIfTI."""
    def damage(folder: Path) -> None:
        for name in names:
            path = folder / f"{name}.nii.gz"
            write_volume_series(folder / FOLDERS[name], nib.load(path),
                                (described or {}).get(name, DESCRIPTIONS[name]),
                                uid_sources=["campaign", folder.name, name])
            path.unlink()
    return damage


def then(*damages: Callable) -> Callable:
    """Several damages, one after the other."""
    return lambda folder: [damage(folder) for damage in damages]


def series_files(folder: Path, name: str) -> list[Path]:
    return sorted((folder / FOLDERS[name]).iterdir())


def second_t1_series(folder: Path) -> None:
    """The same t1 exported twice, under two descriptions (a repeat)."""
    write_volume_series(folder / "S9", nib.load(folder / "t1.nii.gz"), "t1_mprage_tra_repeat",
                        uid_sources=["campaign", folder.name, "t1-repeat"])


def cut_one_slice(folder: Path) -> None:
    path = series_files(folder, "t2")[4]
    path.write_bytes(path.read_bytes()[:-300])  # pixel data cut short


def drop_one_slice(folder: Path) -> None:
    series_files(folder, "t2")[5].unlink()


def text_instead_of_series(folder: Path) -> None:
    for path in series_files(folder, "t2"):
        path.write_text("exported as a PDF report, not as images\n")


def unreadable_file_in_series(folder: Path) -> None:
    (folder / FOLDERS["t2"] / "IM99999").write_bytes(b"\0" * 128 + b"DICM" + bytes(range(64)))


def slice_link_out(folder: Path) -> None:
    path = series_files(folder, "t1")[3]
    target = outside(folder) / path.name
    shutil.move(path, target)
    path.symlink_to(target)


def split_series(folder: Path) -> None:
    """Half of t1's slices in another folder, as some exports split large series."""
    (folder / "S7").mkdir()
    for path in series_files(folder, "t1")[::2]:
        path.rename(folder / "S7" / path.name)


def extra_series_and_files(folder: Path) -> None:
    """A diffusion series no pattern matches, a text file and a DICOMDIR, beside the others."""
    write_volume_series(folder / "S8", nib.load(folder / "t2.nii.gz"), "AX DWI B1000",
                        uid_sources=["campaign", folder.name, "dwi"])
    (folder / "README.txt").write_text("exported from PACS\n")
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, MediaStorageDirectoryStorage
    directory = Dataset()
    directory.file_meta = FileMetaDataset()
    directory.file_meta.MediaStorageSOPClassUID = MediaStorageDirectoryStorage
    directory.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    directory.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    directory.save_as(folder / "DICOMDIR", enforce_file_format=True)


def nested_series(folder: Path) -> None:
    """Series folders deep under the patient's, as a PACS export nests them."""
    deep = folder / "export" / "STUDY1"
    deep.mkdir(parents=True)
    for name in ("t1c", "flair"):
        (folder / FOLDERS[name]).rename(deep / FOLDERS[name])


EVERY_SEQUENCE = as_series(*factory.SEQUENCES)


# --- the cases --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One bad input: what is done to a patient and what its manifest row must then say."""

    name: str
    damage: Callable[[Path], object] | None
    code: str = ""  # empty: the patient must be included
    words: tuple[str, ...] = ()  # besides the patient id, in the reason
    rows: Callable[[str], list[str]] = lambda patient_id: [f"{patient_id},none"]
    patient_id: str = ""  # when it differs from ``name``
    folder: bool = True

    @property
    def id(self) -> str:
        return self.patient_id or self.name


def labels(*templates: str) -> Callable[[str], list[str]]:
    return lambda patient_id: [template.format(id=patient_id) for template in templates]


def unsafe(name: str, patient_id: str) -> Case:
    """A labels.csv id that must never become a path."""
    return Case(name, None, "label:unsafe-id", ("labels.csv",), labels('"{id}",none'),
                patient_id=patient_id, folder=False)


EXCLUDED = [
    # files
    Case("file-missing", delete("t2"), "missing:t2", ("no file for t2",)),
    Case("two-files-missing", delete("t2", "flair"), "missing:t2,flair"),
    Case("only-segmentation", delete(*factory.SEQUENCES), "missing:t1,t1c,t2,flair"),
    Case("empty-folder", empty_folder, "missing:all", ("empty",)),
    Case("label-without-folder", shutil.rmtree, "missing:all", ("labels.csv", "no folder")),
    Case("truncated-gzip", truncate("flair"), "unreadable:flair", ("flair.nii.gz",)),
    Case("text-named-nii-gz", text_as("t1.nii.gz"), "unreadable:t1", ("t1.nii.gz", "gzip")),
    Case("text-named-nii", text_as("t1.nii"), "unreadable:t1", ("t1.nii",)),
    Case("zero-byte-file", lambda folder: (folder / "t1c.nii.gz").write_bytes(b""),
         "unreadable:t1c", ("t1c.nii.gz", "0 bytes")),
    Case("two-files-one-sequence", second_t1, "invalid:t1", ("T1.nii", "t1.nii.gz")),
    # images
    Case("2d-file", array("t2", np.ones((18, 20), np.int16)), "invalid:t2", ("t2.nii.gz", "2D")),
    Case("4d-file", array("t2", np.ones((18, 20, 12, 3), np.int16)), "invalid:t2",
         ("t2.nii.gz", "4D")),
    Case("single-slice", array("t2", np.ones((18, 20, 1), np.int16)), "invalid:t2",
         ("t2.nii.gz", "single slice")),
    Case("non-finite-image", voxels("t1c", nan_voxels), "invalid:t1c", ("t1c.nii.gz", "NaN")),
    Case("constant-image", voxels("t1c", lambda data: np.full_like(data, 12.0)), "invalid:t1c",
         ("t1c.nii.gz", "same value")),
    Case("almost-empty-image", voxels("t1c", one_voxel), "invalid:t1c", ("t1c.nii.gz", "99%")),
    Case("empty-mask", voxels("seg", np.zeros_like), "invalid:seg",
         ("seg.nii.gz", "empty brainstem mask")),
    Case("tiny-mask", voxels("seg", tiny_mask), "invalid:seg", ("seg.nii.gz", "too small")),
    Case("mask-outside-images", moved("seg", 300), "invalid:seg", ("seg.nii.gz", "every sequence")),
    Case("sequence-apart-from-others", moved("t2", 300), "invalid:t2",
         ("t2.nii.gz", "do not overlap")),
    # odd headers
    Case("qform-sform-disagree", nifti("t2", qform=shifted(grid("t2")[0], 10), qcode=1),
         "invalid:t2", ("t2.nii.gz", "qform and sform disagree by up to 17.3 mm")),
    Case("zero-pixdim-qform-only", raw_header("t2", {"qcode": 1}, pixdim=pixdims(0.0),
                                              sform_code=0),
         "invalid:t2", ("t2.nii.gz", "pixdim")),
    Case("zero-pixdim-both-forms", raw_header("t2", {"qcode": 1}, pixdim=pixdims(0.0)),
         "invalid:t2", ("t2.nii.gz", "qform and sform disagree")),
    Case("no-orientation", raw_header("t2", sform_code=0, qform_code=0), "invalid:t2",
         ("t2.nii.gz", "no orientation")),
    Case("voxel-size-in-wrong-units", nifti("t2", sform=grid("t2")[0] * [[100], [100], [100], [1]]),
         "invalid:t2", ("t2.nii.gz", "head-sized")),
    Case("sheared-reference", nifti("t1", sform=sheared(grid("t1")[0], 0.3)), "invalid:t1",
         ("t1.nii.gz", "sheared")),
    Case("sheared-sform-with-qform", nifti("t1", qcode=1, sform=sheared(grid("t1")[0], 0.3)),
         "invalid:t1", ("t1.nii.gz", "a qform cannot express")),
    Case("float64-beyond-float32", voxels("t1", lambda data: data.astype(np.float64) * 1e300),
         "invalid:t1", ("t1.nii.gz", "float32")),
    Case("huge-scale-factor", raw_header("t1", scl_slope=1e36), "invalid:t1",
         ("t1.nii.gz", "scl_slope")),
    Case("complex-voxels", array("flair", np.ones(grid("flair")[1], np.complex64)),
         "invalid:flair", ("flair.nii.gz", "complex")),
    # links
    Case("symlink-outside-data", link_out, "unreadable:t1", ("t1.nii.gz", "outside")),
    Case("folder-symlink-outside-data", folder_link_out, "unreadable:all", ("outside",)),
    Case("broken-symlink", broken_link, "unreadable:t2", ("t2.nii.gz", "broken link")),
    # labels
    Case("folder-without-label", None, "label:missing", ("labels.csv",), labels()),
    Case("empty-label", None, "label:missing", ("labels.csv", "line"), labels("{id},")),
    Case("unknown-label", None, "label:unknown", ("labels.csv", "severe"), labels("{id},severe")),
    Case("duplicate-conflicting", None, "label:duplicate", ("labels.csv", "'none'", "'Extensive'"),
         labels("{id},none", "{id},Extensive")),
    Case("folder-with-spaces", None, "label:unsafe-id", ("'P 03'",), patient_id="P 03"),
    unsafe("id-up-one-level", "../GOOD"),
    unsafe("id-with-slash", "P02/.."),
    unsafe("id-dot-dot", ".."),
    unsafe("id-absolute", "/etc"),
    unsafe("id-inner-space", "GO OD"),
    # DICOM series
    Case("dicom-two-series-one-sequence", then(second_t1_series, EVERY_SEQUENCE), "invalid:t1",
         ("several files for t1", "'AX T1 MPRAGE'", "'t1_mprage_tra_repeat'")),
    Case("dicom-and-nifti-one-sequence", then(as_series("t1"), lambda folder: factory.save(
        folder / "t1.nii.gz", phantom("t1", *grid("t1")).astype(np.int16), grid("t1")[0])),
         "invalid:t1", ("t1.nii.gz", "DICOM series", "'AX T1 MPRAGE'")),
    Case("dicom-series-fails-to-convert", then(EVERY_SEQUENCE, cut_one_slice), "unreadable:t2",
         ("dcm2niix could not convert", "S4", "not large enough")),
    Case("dicom-slice-missing", then(EVERY_SEQUENCE, drop_one_slice), "invalid:t2",
         ("S4", "2 images", "slices missing")),
    Case("dicom-folder-of-non-dicom-files", then(EVERY_SEQUENCE, text_instead_of_series),
         "missing:t2", ("no file for t2", "S4/IM00001")),
    Case("dicom-description-matching-two-patterns",
         as_series(*factory.SEQUENCES, described={"t2": "AX T1 T2 MIXED"}), "invalid:t1",
         ("'AX T1 T2 MIXED'", "t1 and t2", "data.dicom.series")),
    Case("dicom-descriptions-matching-nothing",
         as_series(*factory.SEQUENCES, described={name: f"SERIES {number}" for number, name
                                                  in enumerate(factory.SEQUENCES)}),
         "missing:t1,t1c,t2,flair", ("'SERIES 0'", "matching no pattern of data.dicom.series")),
    Case("dicom-unreadable-file-in-series", then(EVERY_SEQUENCE, unreadable_file_in_series),
         "unreadable:t2", ("S4/IM99999", "header")),
    Case("dicom-slice-links-outside-data", then(EVERY_SEQUENCE, slice_link_out), "unreadable:t1",
         ("S3/IM00004", "outside")),
]

INCLUDED = [
    Case("duplicate-agreeing", None, rows=labels("{id},none", "{id}, NONE ")),
    Case("qform-sform-within-tolerance", nifti("t2", qform=shifted(grid("t2")[0], 0.3), qcode=1)),
    Case("zero-pixdim-sform-only", raw_header("t2", pixdim=pixdims(0.0))),
    Case("negative-pixdim-qform-only", raw_header("t2", {"qcode": 1}, pixdim=pixdims(-4.0),
                                                  sform_code=0)),
    Case("sheared-sequence", nifti("t2", sform=sheared(grid("t2")[0], 0.3))),
    Case("uint16", nifti("t2", dtype=np.uint16)),
    Case("float64", nifti("t2", dtype=np.float64)),
    Case("int8", voxels("t2", lambda data: (data / 5 - 60).astype(np.int8))),
    Case("huge-values-1e30", voxels("t2", hot_voxels)),
    Case("whole-image-times-1e30", voxels("t2", lambda data: data * 1e30)),
    Case("4d-trailing-singleton", voxels("t2", lambda data: data[..., None])),
    Case("mask-other-label-values", mask_with_labels),
    Case("symlink-inside-data", link_in),
    Case("symlink-into-dvc-cache", link_into_dvc_cache),
    # DICOM series
    Case("dicom-every-sequence", EVERY_SEQUENCE),
    Case("dicom-mixed-with-nifti", as_series("t2", "flair")),
    Case("dicom-series-split-over-folders", then(EVERY_SEQUENCE, split_series)),
    Case("dicom-other-series-and-files", then(extra_series_and_files, EVERY_SEQUENCE)),
    Case("dicom-nested-folders", then(EVERY_SEQUENCE, nested_series)),
]


def build_cohort(root: Path, cases: list[Case], spreadsheet: bool = False) -> Path:
    """GOOD plus one damaged patient per case; labels.csv as a spreadsheet writes it if asked."""
    factory.write_patient(root / GOOD)
    rows = [f"{GOOD},extensive"]
    for case in cases:
        if case.folder:
            factory.write_patient(root / case.id)
        if case.damage:
            case.damage(root / case.id)
        rows += case.rows(case.id)
    if spreadsheet:  # BOM, CRLF, blank lines, an extra column, odd case and blanks
        lines = ["\ufeffPatient_ID , Infiltration,site", ""]
        lines += [f"{row.replace('none', ' None ')},A" for row in rows] + ["", ",,"]
        (root / "labels.csv").write_bytes("\r\n".join(lines).encode("utf-8"))
    else:
        (root / "labels.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def excluded_run(tmp_path_factory) -> tuple[dict, Path]:
    folder = tmp_path_factory.mktemp("excluded")
    root = build_cohort(folder / "data", EXCLUDED)
    return run_prepare(root, folder / "out"), folder / "out"


@pytest.fixture(scope="module")
def included_run(tmp_path_factory) -> tuple[dict, Path]:
    folder = tmp_path_factory.mktemp("included")
    root = build_cohort(folder / "data", INCLUDED, spreadsheet=True)
    return run_prepare(root, folder / "out"), folder / "out"


@pytest.mark.parametrize("case", EXCLUDED, ids=lambda case: case.name)
def test_bad_input_excludes_the_patient_with_a_reason(excluded_run, case):
    rows, output = excluded_run
    row = rows[case.id]
    assert not row["included"] and row["target"] is None
    assert row["reason"].split(": ", 1)[0] == case.code, row["reason"]
    for word in (case.id, *case.words):
        assert word in row["reason"], (word, row["reason"])
    assert not formats.patient_path(output, case.id).exists()


def test_the_good_patient_is_processed_beside_the_bad_ones(excluded_run):
    rows, output = excluded_run
    assert sorted(rows) == sorted([GOOD, *(case.id for case in EXCLUDED)])
    assert [pid for pid, row in rows.items() if row["included"]] == [GOOD]
    assert formats.patient_path(output, GOOD).is_file()


@pytest.mark.parametrize("case", INCLUDED, ids=lambda case: case.name)
def test_odd_but_usable_input_is_preprocessed(included_run, case):
    rows, output = included_run
    assert rows[case.id]["included"], rows[case.id]["reason"]
    image = formats.read_patient(output, case.id).image
    assert torch.isfinite(image).all() and 0 <= image.min() and image.max() <= 1


def test_labels_written_by_a_spreadsheet_are_read(included_run):
    rows, _ = included_run
    assert rows[GOOD]["infiltration"] == "extensive"
    assert {row["infiltration"] for pid, row in rows.items() if pid != GOOD} == {"none"}


# --- seg label values -------------------------------------------------------------------


def test_mask_other_labels_are_all_brainstem_by_default(included_run):
    _, output = included_run
    whole_head = formats.read_patient(output, "mask-other-label-values").full_mask.sum()
    assert whole_head > 5 * formats.read_patient(output, GOOD).full_mask.sum()


def test_seg_label_keeps_only_the_named_label(tmp_path):
    root = build_cohort(tmp_path / "data", [Case("atlas", mask_with_labels)])
    rows = run_prepare(root, tmp_path / "out", seg_label=7)
    assert rows["atlas"]["included"]
    assert rows[GOOD]["reason"].startswith("invalid:seg")
    assert "no voxels with label 7" in rows[GOOD]["reason"]
    kept = formats.read_patient(tmp_path / "out", "atlas").full_mask.sum()
    brainstem = load_patient(root, GOOD, "none", None).mask.data.sum()  # on seg's 2 mm grid
    assert abs(float(kept) - brainstem) < 0.2 * brainstem  # preprocessing is on 2 mm too


# --- geometry is handled, not just survived ------------------------------------------------


def _preprocessed_t2(folder: Path, affine_written: np.ndarray, affine_sampled: np.ndarray):
    """The t2 channel after preprocessing, voxels sampled on one grid and labelled with another."""
    factory.write_patient(folder)
    sampled = phantom("t2", affine_sampled, grid("t2")[1]).astype(np.int16)
    replace(folder, "t2", sampled, affine_written)
    patient = load_patient(folder.parent, folder.name, "none", None)
    return preprocess(patient, SETTINGS)[0].image[2]


def test_sheared_sequence_is_resampled_in_physical_space(tmp_path):
    straight, skew = grid("t2")[0], sheared(grid("t2")[0], 0.3)
    base = _preprocessed_t2(tmp_path / "base", straight, straight)
    honoured = _preprocessed_t2(tmp_path / "honoured", skew, skew)
    ignored = _preprocessed_t2(tmp_path / "ignored", straight, skew)
    assert (honoured - base).abs().mean() < 0.7 * (ignored - base).abs().mean()


def test_negative_pixdim_is_read_as_its_absolute_value(tmp_path):
    factory.write_patient(tmp_path / "P01")
    raw_header("t2", {"qcode": 1}, pixdim=pixdims(-4.0), sform_code=0)(tmp_path / "P01")
    patient = load_patient(tmp_path, "P01", "none", None)
    assert np.allclose(patient.images["t2"].affine, grid("t2")[0], atol=1e-4)


# --- a BIDS dataset ---------------------------------------------------------------------


def bids_cohort(root: Path) -> Path:
    """GOOD and one subject per BIDS problem: two sessions, no participants.tsv row, no mask."""
    factory.write_bids_cohort(root, {GOOD: "extensive", "NOROW": "none", "NOMASK": "none"},
                              rows=[f"sub-{GOOD}\textensive", "sub-NOMASK\tnone",
                                    "sub-TWOSES\tnone"])
    for session in ("01", "02"):
        factory.write_patient(root, names=factory.bids_names("TWOSES", session))
    (root / factory.bids_names("NOMASK")["seg"]).unlink()
    return root


@pytest.fixture(scope="module")
def bids_run(tmp_path_factory) -> tuple[dict, Path]:
    folder = tmp_path_factory.mktemp("bids")
    return run_prepare(bids_cohort(folder / "data"), folder / "out"), folder / "out"


@pytest.mark.parametrize(("patient_id", "code", "words"), [
    ("TWOSES", "invalid:t1", ("sub-TWOSES/ses-01/anat/sub-TWOSES_ses-01_T1w.nii.gz",
                              "sub-TWOSES/ses-02/anat/sub-TWOSES_ses-02_T1w.nii.gz",
                              "data.bids.session")),
    ("NOROW", "label:missing", ("sub-NOROW", "no row in", "participants.tsv")),
    ("NOMASK", "missing:seg", ("sub-NOMASK", "label-BS_mask", "derivatives")),
])
def test_bad_bids_input_excludes_the_subject_with_a_reason(bids_run, patient_id, code, words):
    rows, output = bids_run
    assert [pid for pid, row in rows.items() if row["included"]] == [GOOD]
    row = rows[patient_id]
    assert row["reason"].split(": ", 1)[0] == code, row["reason"]
    for word in words:
        assert word in row["reason"], (word, row["reason"])
    assert formats.patient_path(output, GOOD).is_file()
    assert not formats.patient_path(output, patient_id).exists()


def test_a_bids_session_choice_includes_the_subject(tmp_path):
    rows = run_prepare(bids_cohort(tmp_path / "data"), tmp_path / "out", bids_session="02")
    assert rows["TWOSES"]["included"], rows["TWOSES"]["reason"]
    assert rows[GOOD]["included"]  # files without a session are every session's


# --- a messy cohort, through the stage's entry point ------------------------------------


def test_messy_cohort_through_main(tmp_path, monkeypatch, capsys):
    cases = [Case("NOT2", delete("t2"), "missing:t2"),
             Case("TRUNC", truncate("flair"), "unreadable:flair"),
             Case("SHEAR", nifti("t1", sform=sheared(grid("t1")[0], 0.3)), "invalid:t1"),
             Case("NOMASK", voxels("seg", np.zeros_like), "invalid:seg"),
             Case("NOLABEL", None, "label:missing", rows=labels()),
             Case("EMPTY", empty_folder, "missing:all"),
             Case("GHOST", shutil.rmtree, "missing:all"),
             unsafe("UP", "../up"), Case("GOOD2", None, rows=labels("{id},NONE"))]
    root = build_cohort(tmp_path / "cohort", cases, spreadsheet=True)
    (tmp_path / "run").mkdir()
    shutil.copy("params.yaml", tmp_path / "run" / "params.yaml")
    monkeypatch.chdir(tmp_path / "run")
    before = snapshot(root)
    with pytest.raises(SystemExit, match="only 2 usable patients"):  # data.min_patients is 6
        main(["--data", str(root)])
    assert snapshot(root) == before
    manifest = formats.read_manifest(Path("outputs") / "manifest.csv")
    reasons = dict(zip(manifest["patient_id"], manifest["reason"].str.split(": ").str[0]))
    assert reasons == {GOOD: "", **{case.id: case.code for case in cases}}
    assert list(manifest[manifest["included"]]["target"]) == [1, 0]
    for patient_id in (GOOD, "GOOD2"):
        assert formats.patient_path(Path("outputs") / "preprocessed", patient_id).is_file()
    printed = capsys.readouterr().out
    assert "10 patients: 2 included, 8 excluded" in printed
    assert "excluded TRUNC: unreadable:flair: " in printed and "TRUNC/flair.nii.gz" in printed
