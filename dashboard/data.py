"""The dashboard's one door to the pipeline's outputs: the pipeline's own readers, cached.

Every path comes from ``pipeline.formats.paths`` (relative to the working directory, the
repository root) or is built by ``pipeline.formats`` from a patient id listed in the
manifest: nothing a user types ever becomes a path. Each cache is keyed on the files'
modification times, so the results of a new ``dvc repro`` show on the next rerun. An
output not produced yet reads as ``None``; ``PRODUCED_BY`` names the stage that writes it.

SciPy, nibabel and MONAI are imported inside the functions that need them (volumes,
saliency), so the first page does not wait seconds for libraries it never uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from dashboard import tables
from pipeline import formats
from pipeline.formats import paths
from pipeline.presentation.experiments import list_experiments
from pipeline.presentation.results import load_results

if TYPE_CHECKING:
    from dashboard.nifti import Grid

PRODUCED_BY = {  # output -> the dvc.yaml stage that writes it
    paths.MANIFEST: "prepare", paths.PREPROCESSED: "prepare",
    paths.TRAIN_PREDICTIONS: "train", paths.TRAIN_LIVE: "train", paths.TRAIN_MODEL: "train",
    paths.HOLDOUT_METRICS: "train", paths.RESUBSTITUTION_METRICS: "train",
    paths.LOOCV_PREDICTIONS: "loocv", paths.LOOCV_INDEX: "loocv", paths.LOOCV_METRICS: "loocv",
    paths.BASELINE_PREDICTIONS: "baselines", paths.BASELINE_PERMUTATIONS: "baselines",
    paths.BASELINE_METRICS: "baselines",
    paths.LEARNING_CURVE_METRICS: "learning_curve", paths.LEARNING_CURVE_POINTS: "learning_curve",
    paths.POWER_METRICS: "power/dvc.yaml", paths.POWER_COHORT_METRICS: "power/dvc.yaml",
}
Stamp = tuple[str, int]  # (absolute path, newest modification time in ns): a cache key


def stamp(path: Path) -> Stamp | None:
    """The cache key of a file or of a folder's files; None when there is nothing there."""
    if path.is_file():
        return str(path.resolve()), path.stat().st_mtime_ns
    if not path.is_dir():
        return None
    times = [child.stat().st_mtime_ns for child in path.rglob("*") if child.is_file()]
    return (str(path.resolve()), max(times)) if times else None


_READERS = {"manifest": formats.read_manifest, "predictions": formats.read_predictions,
            "history": formats.read_history, "fold_index": formats.read_fold_index,
            "permutations": formats.read_permutations,
            "learning_points": formats.read_learning_points}


@st.cache_data(show_spinner=False, max_entries=64)
def _read(reader: str, key: Stamp) -> pd.DataFrame:
    return _READERS[reader](key[0])


def _load(reader: str, path: Path) -> pd.DataFrame | None:
    """``path`` read by one of the pipeline's readers, cached; None if not produced."""
    key = stamp(path)
    return None if key is None else _read(reader, key)


def manifest() -> pd.DataFrame | None:
    """``outputs/manifest.csv``: every patient, included or excluded with a reason."""
    return _load("manifest", paths.MANIFEST)


def train_predictions() -> pd.DataFrame | None:
    """The single split's predictions; ``fold`` is the split (train/validation/holdout)."""
    return _load("predictions", paths.TRAIN_PREDICTIONS)


def loocv_predictions() -> pd.DataFrame | None:
    """LOOCV's held-out predictions, one row per included patient."""
    return _load("predictions", paths.LOOCV_PREDICTIONS)


def baseline_predictions() -> pd.DataFrame | None:
    """Every baseline's held-out predictions, named in column ``baseline``."""
    return _load("predictions", paths.BASELINE_PREDICTIONS)


def permutations() -> pd.DataFrame | None:
    """AUCs of the radiomics baseline under shuffled labels (``permutation, auc``)."""
    return _load("permutations", paths.BASELINE_PERMUTATIONS)


def train_history() -> pd.DataFrame | None:
    """Loss per epoch of the single-split run (None until it logged an epoch)."""
    history = _load("history", paths.TRAIN_LIVE)
    return None if history is None or history.empty else history


def fold_index() -> pd.DataFrame | None:
    """LOOCV's fold index: held-out patients, run folder, seconds, best epoch per fold."""
    return _load("fold_index", paths.LOOCV_INDEX)


@st.cache_data(show_spinner=False, max_entries=8)
def _fold_histories(index_key: Stamp, folds_key: Stamp | None) -> pd.DataFrame:
    return formats.read_fold_histories(paths.LOOCV_INDEX)


def fold_histories() -> pd.DataFrame | None:
    """Loss curves of every LOOCV fold in long form (``formats.read_fold_histories``)."""
    index_key = stamp(paths.LOOCV_INDEX)
    if index_key is None:
        return None
    return _fold_histories(index_key, stamp(paths.LOOCV_FOLDS))


@st.cache_data(show_spinner=False, max_entries=8)
def _results(keys: tuple[Stamp | None, ...]) -> dict[str, dict | None]:
    return load_results(".")


def results() -> dict[str, dict | None]:
    """Every metrics object by display name (``pipeline.presentation.results``); None where not produced."""
    metric_files = (paths.LOOCV_METRICS, paths.HOLDOUT_METRICS, paths.RESUBSTITUTION_METRICS,
                    paths.BASELINE_METRICS)
    return _results(tuple(stamp(path) for path in metric_files))


@st.cache_data(show_spinner=False, max_entries=8)
def _metrics(key: Stamp) -> dict:
    return formats.read_metrics(key[0])


def power() -> dict | None:
    """``metrics/power.json`` (``make power``); None before the power study has run."""
    key = stamp(paths.POWER_METRICS)
    return None if key is None else _metrics(key)


def power_cohort() -> dict | None:
    """``metrics/power_cohort.json`` (the spike-in of ``make power``); None before it has run."""
    key = stamp(paths.POWER_COHORT_METRICS)
    return None if key is None else _metrics(key)


def learning_curve() -> dict | None:
    """``metrics/learning_curve.json``; None before the stage has run."""
    key = stamp(paths.LEARNING_CURVE_METRICS)
    return None if key is None else _metrics(key)


def learning_points() -> pd.DataFrame | None:
    """The learning curve's raw points (one AUC per arm, training share and repeat)."""
    return _load("learning_points", paths.LEARNING_CURVE_POINTS)


def patient_table() -> pd.DataFrame | None:
    """Included patients with label, LOOCV and single-split probabilities, right or wrong."""
    cohort = manifest()
    if cohort is None:
        return None
    return tables.patient_table(cohort, loocv_predictions(), train_predictions())


def _included(patient_id: str) -> bool:
    """Whether ``patient_id`` is an included patient of the manifest (the only ids read)."""
    cohort = manifest()
    return cohort is not None and patient_id in set(formats.included_patients(cohort)["patient_id"])


def _patient_keys(patient_id: str) -> tuple[Stamp | None, Stamp | None]:
    """Cache keys of a patient's two files: the model crop and the whole head."""
    return (stamp(formats.patient_path(paths.PREPROCESSED, patient_id)),
            stamp(formats.full_volume_path(paths.PREPROCESSED, patient_id)))


@st.cache_resource(show_spinner="Loading volumes...", max_entries=6)
def _grids(patient_id: str, crop_key: Stamp, full_key: Stamp | None) -> dict[str, Grid]:
    from dashboard.nifti import patient_grids

    patient = formats.read_patient(paths.PREPROCESSED, patient_id, full=full_key is not None)
    return patient_grids(patient)


def grids(patient_id: str) -> dict[str, Grid] | None:
    """An included patient's grids (``dashboard.nifti.Grid``): ``crop``, and ``full`` if saved."""
    crop_key, full_key = _patient_keys(patient_id)
    if not _included(patient_id) or crop_key is None:
        return None
    return _grids(patient_id, crop_key, full_key)


@st.cache_data(show_spinner=False, max_entries=96)
def _volume_nifti(patient_id: str, grid: str, layer: str, crop_key: Stamp,
                  full_key: Stamp | None) -> bytes:
    from dashboard.nifti import nifti_bytes

    volumes = _grids(patient_id, crop_key, full_key)[grid]
    if layer == "mask":
        return nifti_bytes(volumes.mask, volumes.affine, integer_labels=True)
    return nifti_bytes(volumes.image(layer), volumes.affine)


def volume_nifti(patient_id: str, grid: str, layer: str) -> bytes | None:
    """One volume of a patient as gzipped NIfTI bytes made in memory, for the viewer.

    Args:
        patient_id: an included patient.
        grid: ``crop`` or ``full``.
        layer: a sequence name, or ``mask`` for the brainstem.
    """
    crop_key, full_key = _patient_keys(patient_id)
    if not _included(patient_id) or crop_key is None:
        return None
    return _volume_nifti(patient_id, grid, layer, crop_key, full_key)


def model_available() -> bool:
    """Whether the single-split model has been saved (needed for saliency maps)."""
    return stamp(paths.TRAIN_MODEL) is not None


@st.cache_resource(show_spinner="Computing Grad-CAM...", max_entries=16)
def _saliency(patient_id: str, crop_key: Stamp, full_key: Stamp | None, model_key: Stamp) -> dict:
    from dashboard.nifti import nifti_bytes, resample_to_grid
    from dashboard.saliency import grad_cam
    from pipeline.training.network import load_network

    # A freshly loaded network for each map: Grad-CAM leaves hooks on the module it wraps.
    network, settings = load_network(paths.TRAIN_MODEL)
    patient = formats.read_patient(paths.PREPROCESSED, patient_id, full=full_key is not None)
    cam = grad_cam(network, settings, patient)
    maps = {"crop": cam.volume, "layer": cam.layer, "feature_shape": cam.feature_shape,
            "nifti": {"crop": nifti_bytes(cam.volume, patient.affine)}}
    if patient.full_affine is not None:
        maps["full"] = resample_to_grid(cam.volume, patient.affine, patient.full_affine,
                                        tuple(patient.full_mask.shape))
        maps["nifti"]["full"] = nifti_bytes(maps["full"], patient.full_affine)
    return maps


def saliency(patient_id: str) -> dict | None:
    """Grad-CAM of the single-split model for a patient, on each grid it has (``crop``, ``full``).

    ``nifti`` holds the same maps as NIfTI bytes per grid, for the viewer.

    None when the model or the patient is missing. Raises what the network raises when it
    cannot take the patient's crop (e.g. a crop smaller than 32 voxels per side).
    """
    crop_key, full_key = _patient_keys(patient_id)
    model_key = stamp(paths.TRAIN_MODEL)
    if not _included(patient_id) or crop_key is None or model_key is None:
        return None
    return _saliency(patient_id, crop_key, full_key, model_key)


@st.cache_data(show_spinner="Asking DVC for experiments...", ttl=60)
def experiments() -> pd.DataFrame:
    """``dvc exp show`` as a table (``pipeline.presentation.experiments``); empty without experiments."""
    return list_experiments()


def stage_of(path: Path) -> str:
    """The stage that produces ``path``, for "run dvc repro <stage>" notices."""
    return PRODUCED_BY.get(path, "")

