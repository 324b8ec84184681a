"""Writes a small, format-correct set of pipeline outputs for dashboard and report tests.

Everything goes through the pipeline's own writers (``pipeline.formats``, the DVCLive
logger of ``pipeline.training.fit``, ``pipeline.evaluation.metrics``), so a test on these outputs exercises the real formats. Paths are
``pipeline.formats.paths`` relative to ``root``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pipeline import formats
from pipeline.evaluation.metrics import evaluate, mann_whitney_test, permutation_p_value
from pipeline.formats import paths
from pipeline.training.fit import live_logger
from pipeline.training.network import build_network, save_network

SEQUENCES = ["t1", "t1c", "t2", "flair"]
EXCLUDED = [("GBM-090", "extensive", "missing:t2: no file for t2 in data/GBM-090"),
            ("GBM-091", "none", "missing:all: folder data/GBM-091 does not exist"),
            ("GBM-092", "microscopic", "unreadable:flair: truncated gzip stream")]


def _patient_ids(n: int) -> list[str]:
    return [f"GBM-{index:03d}" for index in range(1, n + 1)]


def _write_manifest(targets: dict[str, int]) -> None:
    rows = [{"patient_id": pid, "infiltration": "extensive" if t else "microscopic",
             "target": t, "included": True, "reason": ""} for pid, t in targets.items()]
    rows += [{"patient_id": pid, "infiltration": label, "target": None, "included": False,
              "reason": reason} for pid, label, reason in EXCLUDED]
    formats.write_manifest(paths.MANIFEST, rows)


def _write_preprocessed(patient_ids: list[str], rng: np.random.Generator, crop: int) -> None:
    full = crop * 2
    for pid in patient_ids:
        full_mask = torch.zeros(full, full, full, dtype=torch.uint8)
        full_mask[full // 2 - 3: full // 2 + 3, full // 2 - 3: full // 2 + 3, 4: full - 4] = 1
        full_image = torch.from_numpy(rng.random((4, full, full, full), dtype=np.float32))
        start = full // 2 - crop // 2
        window = (slice(start, start + crop),) * 3
        full_affine = np.diag([2.0, 2.0, 2.0, 1.0])
        affine = full_affine.copy()
        affine[:3, 3] = 2.0 * start
        formats.write_patient(paths.PREPROCESSED, formats.PreprocessedPatient(
            patient_id=pid, image=full_image[(slice(None),) + window].clone(),
            mask=full_mask[window].clone(), affine=affine, full_image=full_image,
            full_mask=full_mask, full_affine=full_affine, sequences=list(SEQUENCES)))
    formats.write_applied(paths.APPLIED, {
        "params": {"crop_mm": 2 * crop, "crop_voxels": crop, "percentiles": [0.5, 99.5],
                   "one_hot_mask": True},
        "spacing_mm": 2.0, "reference": "t1", "sequences": SEQUENCES,
        "transforms": ["ToCanonical()", "Resample(target=t1)", "RescaleIntensity()",
                       "CropOrPad(mask_name=seg)"],
        "patients": {pid: {"sources": {s: f"{s}.nii.gz" for s in SEQUENCES}}
                     for pid in patient_ids}})


def _write_history(run_dir: Path, epochs: int, rng: np.random.Generator,
                   batches_per_epoch: int = 4) -> None:
    """Epoch losses as ``fit`` logs them: through its DVCLive logger, at each epoch's last
    training batch."""
    logger = live_logger(run_dir)
    for epoch in range(epochs):
        logger.log_metrics({"train_loss": float(0.7 * 0.85 ** epoch + 0.02 * rng.random()),
                            "val_loss": float(0.6 + 0.05 * (epoch - epochs / 2) ** 2 / epochs),
                            "epoch": epoch}, step=(epoch + 1) * batches_per_epoch - 1)
    logger.finalize("success")


def _predictions(targets: dict[str, int], prob: np.ndarray, fold) -> pd.DataFrame:
    return pd.DataFrame({"patient_id": list(targets), "target": list(targets.values()),
                         "prob": np.round(prob, 4), "pred": (prob >= 0.5).astype(int),
                         "fold": fold})


def _write_train(targets: dict[str, int], rng: np.random.Generator, with_model: bool) -> None:
    target = np.array(list(targets.values()))
    prob = np.clip(0.35 + 0.3 * target + 0.2 * rng.standard_normal(len(target)), 0, 1)
    split = np.array(["train"] * len(target), dtype=object)
    split[-5:] = "holdout"
    split[-8:-5] = "validation"
    predictions = _predictions(targets, prob, split)
    formats.write_predictions(paths.TRAIN_PREDICTIONS, predictions)
    holdout = predictions[predictions["fold"] == "holdout"]
    formats.write_metrics(paths.HOLDOUT_METRICS, {
        **evaluate(holdout["target"], holdout["prob"], bootstrap=200), "evaluation": "holdout"})
    formats.write_metrics(paths.RESUBSTITUTION_METRICS, {
        **evaluate(target, prob, bootstrap=200), "evaluation": "resubstitution",
        "optimistic": True})
    _write_history(paths.TRAIN_LIVE, 8, rng)
    if with_model:
        save_network(paths.TRAIN_MODEL, build_network(4), 4, {"sequences": SEQUENCES})


def _write_loocv(targets: dict[str, int], rng: np.random.Generator, single_class: bool) -> None:
    target = np.array(list(targets.values()))
    if single_class:
        prob = 0.6 + 0.3 * rng.random(len(target))
    else:
        prob = np.clip(0.3 + 0.35 * target + 0.2 * rng.standard_normal(len(target)), 0, 1)
    folds = np.arange(1, len(target) + 1)
    formats.write_predictions(paths.LOOCV_PREDICTIONS, _predictions(targets, prob, folds))
    formats.write_metrics(paths.LOOCV_METRICS, {
        **evaluate(target, prob, bootstrap=200), **mann_whitney_test(target, prob),
        "evaluation": "loocv", "scheme": "loo"})
    rows = []
    for fold, pid in zip(folds, targets):
        run_dir = paths.LOOCV_FOLDS / f"fold-{fold:03d}" / "dvclive"
        _write_history(run_dir, 3 + fold % 3, rng)
        rows.append({"fold": fold, "test_patients": pid, "run_dir": str(run_dir),
                     "seconds": 12.5, "best_epoch": 2, "lr": 1e-3})
    formats.write_fold_index(paths.LOOCV_INDEX, pd.DataFrame(rows))


def _write_baselines(targets: dict[str, int], rng: np.random.Generator) -> None:
    target = np.array(list(targets.values()))
    prevalence = (target.sum() - target) / (len(target) - 1)  # leave-one-out prior
    radiomics = np.clip(0.25 + 0.5 * target + 0.15 * rng.standard_normal(len(target)), 0, 1)
    null = rng.uniform(0.2, 0.8, size=50)
    radiomics_metrics = evaluate(target, radiomics, bootstrap=200)
    frames, result = [], {}
    for name, prob in (("prior", prevalence), ("radiomics", radiomics)):
        result[name] = {**evaluate(target, prob, bootstrap=200), **mann_whitney_test(target, prob)}
        frame = _predictions(targets, prob, np.arange(1, len(target) + 1))
        frame["baseline"] = name
        frames.append(frame)
    result["radiomics"].update({
        "permutation_p_value": permutation_p_value(radiomics_metrics["auc"], null),
        "permutations": len(null)})
    formats.write_metrics(paths.BASELINE_METRICS, result)
    formats.write_predictions(paths.BASELINE_PREDICTIONS, pd.concat(frames))
    formats.write_permutations(paths.BASELINE_PERMUTATIONS, null)


def write_external(root: str | os.PathLike, seed: int = 1) -> None:
    """An external validation: 6 patients scored (one more excluded), at sites A and B of
    ``data_external/labels.csv``."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    targets = {f"EXT-{index}": int(index % 2 == 0) for index in range(1, 7)}
    target = np.array(list(targets.values()))
    prob = np.clip(0.3 + 0.3 * target + 0.2 * rng.standard_normal(len(target)), 0, 1)
    rows = [{"patient_id": pid, "infiltration": "extensive" if t else "none", "target": t,
             "included": True, "reason": ""} for pid, t in targets.items()]
    rows.append({"patient_id": "EXT-7", "infiltration": "none", "target": None, "included": False,
                 "reason": "unreadable:t1: truncated gzip stream"})
    formats.write_manifest(root / paths.EXTERNAL_MANIFEST, rows)
    formats.write_predictions(root / paths.EXTERNAL_PREDICTIONS,
                              _predictions(targets, prob, 0).drop(columns="fold"))
    formats.write_metrics(root / paths.EXTERNAL_METRICS, {
        "done": True, **evaluate(target, prob, bootstrap=200), **mann_whitney_test(target, prob),
        "evaluation": "external", "network": "densenet_small"})
    labels = root / paths.DATA_EXTERNAL / "labels.csv"
    labels.parent.mkdir(parents=True, exist_ok=True)
    labels.write_text("patient_id,infiltration,site\n" + "".join(
        f"{row['patient_id']},{row['infiltration']},{'A' if i < 4 else 'B'}\n"
        for i, row in enumerate(rows)))


def write_power(root: str | os.PathLike, network_finds_positive: bool = True) -> None:
    """``metrics/power.json`` of a grid with both controls at n = 24, three cohorts each."""
    from pipeline.power.analysis import control_verdict, power_metrics

    rows = []
    for arm in ("densenet_small", "radiomics", "prior"):
        for effect in (0.0, 3.0):
            for replicate in (1, 2, 3):
                hit = effect > 0 and arm != "prior" and (arm == "radiomics" or network_finds_positive)
                rows.append({"arm": arm, "effect": effect, "patients": 24, "replicate": replicate,
                             "auc": 0.95 if hit else 0.45, "p_value": 0.001 if hit else 0.6,
                             "detected": hit})
    table = pd.DataFrame(rows)
    metrics = power_metrics(table, 0.05)
    metrics["controls"] = {arm: {kind: control_verdict(table, arm, effect, 24, effect > 0 and arm != "prior")
                                 for kind, effect in (("positive", 3.0), ("negative", 0.0))}
                           for arm in table["arm"].unique()}
    formats.write_metrics(Path(root) / paths.POWER_METRICS, metrics)


def write_power_cohort(root: str | os.PathLike, network_finds_positive: bool = True) -> None:
    """``metrics/power_cohort.json`` of a spike-in on 24 patients: controls (3 replicates each)
    and probes at 1 and 2, where the network detects from effect 2 on and radiomics from 1."""
    from pipeline.power.analysis import cohort_cells, control_verdict
    from pipeline.power.threshold_search import located_threshold

    rows = []
    for arm, smallest in (("densenet_small", 2.0), ("radiomics", 1.0), ("prior", None)):
        for effect in (0.0, 1.0, 2.0, 3.0):
            for replicate in (1, 2, 3):
                hit = smallest is not None and effect >= smallest and (arm != "densenet_small" or network_finds_positive)
                rows.append({"arm": arm, "effect": effect, "replicate": replicate, "patients": 24,
                             "auc": 0.95 if hit else 0.5, "p_value": 0.001 if hit else 0.5, "detected": hit,
                             "d_flair": 0.5 * effect, "d_t2": 0.4 * effect})
    table = pd.DataFrame(rows)
    arms = {}
    for arm, group in table.groupby("arm", sort=False):
        threshold = located_threshold(group["effect"].tolist(), group["detected"].tolist(), 3.0)
        threshold["d_flair"] = None if threshold["effect"] is None else 0.5 * threshold["effect"]
        arms[arm] = {"cells": cohort_cells(group, 24), "threshold": threshold, "controls": {
            kind: control_verdict(group, arm, effect, 24, effect > 0 and arm != "prior")
            for kind, effect in (("positive", 3.0), ("negative", 0.0))}}
    formats.write_metrics(Path(root) / paths.POWER_COHORT_METRICS, {
        "patients": 24, "alpha": 0.05, "arms": arms, "observed": {"d_flair": 0.42, "d_t2": 0.31}})


def write_learning_curve(root: str | os.PathLike) -> None:
    """The learning curve's points and metrics of a radiomics arm that improves with size."""
    from pipeline.stages.learning_curve import summary

    points = pd.DataFrame([{"arm": "radiomics", "fraction": f, "repeat": r, "train_patients": 19 * f,
                            "auc": 0.9 - 0.3 / (19 * f) ** 0.5 + 0.01 * r}
                           for f in (0.3, 0.5, 0.75, 1.0) for r in (1, 2, 3)])
    formats.write_learning_points(Path(root) / paths.LEARNING_CURVE_POINTS, points)
    settings = {"project_to": [50, 100, 200], "bootstrap": 20}
    formats.write_metrics(Path(root) / paths.LEARNING_CURVE_METRICS,
                            {"radiomics": summary(points, settings, 0)})


def write_fake_outputs(root: str | os.PathLike, n_patients: int = 10, single_class: bool = False,
                       with_model: bool = True, crop: int = 16, seed: int = 0) -> list[str]:
    """Writes manifest, preprocessed patients, train/LOOCV/baseline outputs under ``root``.

    Args:
        root: the folder that plays the repository root (outputs/, metrics/ go under it).
        n_patients: included patients (three excluded ones are added to the manifest).
        single_class: make LOOCV predict every patient positive, as the study's did.
        with_model: also save an (untrained) network for saliency maps.
        crop: side of the model crop in voxels (the full volume is twice as large).
        seed: seed of the random values.

    Returns:
        The included patient ids.
    """
    rng = np.random.default_rng(seed)
    patient_ids = _patient_ids(n_patients)
    targets = {pid: int(index % 3 != 0) for index, pid in enumerate(patient_ids)}
    cwd = os.getcwd()
    os.chdir(root)
    try:
        _write_manifest(targets)
        _write_preprocessed(patient_ids, rng, crop)
        _write_train(targets, rng, with_model)
        _write_loocv(targets, rng, single_class)
        _write_baselines(targets, rng)
    finally:
        os.chdir(cwd)
    return patient_ids


def write_experiment(root: str | os.PathLike, name: str, lr: float, auc: float,
                     p_value: float) -> None:
    """Makes ``root`` a git and DVC repository (on first use) whose commit holds the
    current params and metrics, and saves a DVC experiment beside it with ``lr`` and the
    LOOCV ``auc`` and ``p_value`` given; the workspace is left as it was.

    ``dvc exp save`` records the workspace as an experiment without running anything, so
    ``dvc exp show`` answers as it would after ``dvc exp run -S lr=...``.
    """
    import json
    import subprocess
    import sys

    import yaml

    root = Path(root)
    dvc = [sys.executable, "-m", "dvc"]

    def run(*command):
        subprocess.run(command, cwd=root, check=True, capture_output=True, text=True)

    if not (root / ".dvc").exists():
        run("git", "init", "-q")
        run("git", "config", "user.email", "test@example.org")
        run("git", "config", "user.name", "test")
        run(*dvc, "init", "-q")
        (root / "dvc.yaml").write_text(yaml.safe_dump(
            {"params": ["params.yaml"], "metrics": [str(paths.LOOCV_METRICS)]}))
        run("git", "add", ".dvc", "dvc.yaml", "params.yaml", str(paths.LOOCV_METRICS))
        run("git", "commit", "-q", "-m", "baseline")
    params_file, metrics_file = root / "params.yaml", root / paths.LOOCV_METRICS
    params_text, metrics_text = params_file.read_text(), metrics_file.read_text()
    params = yaml.safe_load(params_text)
    metrics = json.loads(metrics_text)
    params_file.write_text(yaml.safe_dump({**params, "lr": lr}, sort_keys=False))
    metrics_file.write_text(json.dumps({**metrics, "auc": auc, "p_value": p_value}))
    try:
        run(*dvc, "exp", "save", "-n", name)
    finally:
        params_file.write_text(params_text)
        metrics_file.write_text(metrics_text)
