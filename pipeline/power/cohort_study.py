"""The spike-in study's replicates: pseudo-labels, folds, and every arm's detection on them.

One replicate is one draw of pseudo-labels (``pipeline.power.pseudo_labels``) with its
stratified folds; at a planted effect it becomes a cohort on which each arm is
cross-validated and judged by the one-sided Mann-Whitney test, as in the phantom study.
Whichever arm meets a replicate gets the same pseudo-labels and the same folds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline import formats
from pipeline.config.settings import TrainSettings
from pipeline.crossval.executors import run_jobs
from pipeline.crossval.fold_jobs import fold_jobs
from pipeline.crossval.splits import Fold, cross_validation_folds, usable_folds
from pipeline.evaluation.predictions import fold_results_frame
from pipeline.evaluation.reference_models import cross_validated_probabilities
from pipeline.power.arms import REFERENCE_ARMS, detection
from pipeline.power.effect_sizes import brainstem_response, cohort_d
from pipeline.power.pseudo_labels import pseudo_labels
from pipeline.power.spike_in import patient_seed, pattern_strength
from pipeline.power.spiked_cohorts import PlantedFeatures, cohort_key, spiked_cohort

# Pseudo-label draws averaged for the d of a located threshold (arithmetic only: milliseconds).
EXPECTED_D_DRAWS = 200


@dataclass
class SpikeIn:
    """The prepared cohort, each patient's fitted pattern, and the replicates drawn so far.

    Attributes:
        targets: the real labels (only their count is used for the pseudo-labels).
        patients: ``{patient_id: PreprocessedPatient}``, model crops as prepared.
        digests: each patient's crop file digest (the planted cohorts' keys).
        seed: pseudo-labels and patterns derive from it.
        folds, inner_val_size, split_seed: the stratified folds of every replicate.
        alpha: detection when the Mann-Whitney p-value is below it.
    """

    targets: dict[str, int]
    patients: dict
    digests: dict[str, str]
    seed: int
    folds: int
    inner_val_size: int
    split_seed: int
    alpha: float
    strengths: dict = field(default_factory=dict)
    responses: dict = field(default_factory=dict)
    drawn: dict = field(default_factory=dict)
    features: PlantedFeatures = field(init=False)

    def __post_init__(self):
        for patient_id, patient in self.patients.items():
            strength = pattern_strength(patient.mask.numpy(), patient.affine, patient_seed(self.seed, patient_id))
            self.strengths[patient_id] = strength
            self.responses[patient_id] = brainstem_response(patient, strength)
        self.features = PlantedFeatures(self.patients, self.strengths)

    def replicate(self, number: int) -> tuple[dict[str, int], list[Fold]]:
        """Replicate ``number``'s pseudo-labels and stratified folds."""
        if number not in self.drawn:
            labels = pseudo_labels(self.targets, self.seed, number)
            ids = sorted(labels)
            values = [labels[i] for i in ids]
            self.drawn[number] = (labels, cross_validation_folds(
                ids, values, "kfold", self.inner_val_size, self.split_seed, usable_folds(values, self.folds)))
        return self.drawn[number]

    def row(self, arm: str, effect: float, number: int, found: dict) -> dict:
        """One row of ``outputs/power/cohort.csv``, with the d this draw and effect produced."""
        return {"arm": arm, "effect": effect, "replicate": number, **found,
                **cohort_d(self.responses, self.replicate(number)[0], effect)}

    def reference_rows(self, effect: float, numbers: list[int]) -> list[dict]:
        """Radiomics and prior on each of the replicates ``numbers`` at ``effect`` (seconds)."""
        rows = []
        for number in numbers:
            labels, folds = self.replicate(number)
            table = self.features.table(labels, effect)
            rows += [self.row(arm, effect, number, detection(
                cross_validated_probabilities(arm, table, labels, folds), self.alpha)) for arm in REFERENCE_ARMS]
        return rows


@dataclass(frozen=True)
class NetworkRun:
    """How a network's folds are trained and where they and the planted cohorts are kept."""

    settings: TrainSettings
    inputs: dict
    threads: int
    executor: str
    jobs: int
    ray_address: str | None
    cohorts_root: Path
    folds_root: Path


def network_rows(study: SpikeIn, run: NetworkRun, draws: list[tuple[float, int]],
                 report: Callable[[str], None] = print) -> list[dict]:
    """The network of ``run.settings`` trained through every fold of each (effect, replicate)
    of ``draws``, all folds at once (``run.jobs`` in parallel); a line per finished draw."""
    jobs = {}
    for effect, number in draws:
        labels, folds = study.replicate(number)
        folder = spiked_cohort(run.cohorts_root / f"effect{effect:g}-r{number}", study.patients,
                               study.strengths, labels, effect,
                               cohort_key(effect, labels, study.digests, study.seed))
        jobs[effect, number] = fold_jobs(folds, run.settings, run.inputs, labels, folder, run.folds_root,
                                         run.threads)
    draw_of = {job.cache_dir: draw for draw, draw_jobs in jobs.items() for job in draw_jobs}
    done: dict[tuple, list[dict]] = {draw: [] for draw in jobs}
    rows, started = {}, time.perf_counter()
    every_job = [job for draw_jobs in jobs.values() for job in draw_jobs]
    for result in run_jobs(every_job, run.executor, run.jobs, run.ray_address):
        draw = draw_of[result["cache_dir"]]
        done[draw].append(result)
        if len(done[draw]) == len(jobs[draw]):
            effect, number = draw
            found = detection(fold_results_frame(done[draw], study.replicate(number)[0]), study.alpha)
            rows[draw] = study.row(run.settings.network, effect, number, found)
            cached = all(result["cached"] for result in done[draw])
            report(progress_line(rows[draw], "cached" if cached else f"{time.perf_counter() - started:.0f} s"))
    return [rows[draw] for draw in jobs]


def progress_line(row: dict, note: str) -> str:
    """``spike-in densenet_small effect 1.2 replicate 5: AUC 0.81 p=0.003 detected, d_flair 0.92 (41 s)``."""
    verdict = "detected" if row["detected"] else "not detected"
    auc = "n/a" if row["auc"] is None else f"{row['auc']:.2f}"
    p_value = "n/a" if row["p_value"] is None else f"{row['p_value']:.3g}"
    d_flair = "n/a" if row["d_flair"] is None else f"{row['d_flair']:.2f}"
    return (f"spike-in {row['arm']} effect {row['effect']:g} replicate {row['replicate']}: AUC {auc} "
            f"p={p_value} {verdict}, d_flair {d_flair} ({note})")


def expected_d(study: SpikeIn, effect: float, key: str = "d_flair",
               draws: int = EXPECTED_D_DRAWS) -> float | None:
    """The d that ``effect`` makes on this cohort, averaged over ``draws`` pseudo-label draws:
    the same function of the effect for every arm, whichever replicates it happened to use."""
    values = [cohort_d(study.responses, pseudo_labels(study.targets, study.seed, number), effect)[key]
              for number in range(1, draws + 1)]
    values = [value for value in values if value is not None]
    return round(float(np.mean(values)), 4) if values else None


def crop_digests(directory: str | Path, patient_ids: list[str]) -> dict[str, str]:
    """Each prepared crop's file digest: a planted cohort is rebuilt when its source changes."""
    return {patient_id: formats.file_digest(formats.patient_path(directory, patient_id))
            for patient_id in patient_ids}
