"""Stage ``power`` (its own pipeline, ``power/dvc.yaml``; run by ``make power``).

How often each arm detects a planted effect, by effect size and cohort size: for every
cell of the grid (effect x patients x replicate) the built-in generator writes a cohort of
that size and balance, every arm is cross-validated on it through the same folds, and
the cell's one-sided Mann-Whitney test says whether the effect was detected. Cohorts and
network folds are cached, so a killed run resumes at the first unfinished fold; the
same replicate at every effect is the same set of generated patients, so the curves
compare like with like. The positive and negative controls are cells of this grid.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from pipeline import formats
from pipeline.config.params import load_params
from pipeline.config.settings import input_settings, preprocess_settings, train_settings
from pipeline.crossval.executors import oversubscription, run_jobs
from pipeline.crossval.fold_jobs import FoldJob, fold_jobs
from pipeline.crossval.splits import cross_validation_folds, usable_folds
from pipeline.evaluation.predictions import fold_results_frame
from pipeline.evaluation.radiomics import feature_table
from pipeline.evaluation.reference_models import cross_validated_probabilities
from pipeline.formats import paths
from pipeline.power.analysis import control_verdict, power_metrics
from pipeline.power.arms import BLIND_ARMS, REFERENCE_ARMS, detection
from pipeline.power.generated_cohorts import (
    generated_cohort,
    power_settings,
    preprocessed_dir,
)


@dataclass(frozen=True)
class Cell:
    """One generated cohort of the grid."""

    effect: float
    patients: int
    replicate: int

    @property
    def name(self) -> str:
        return f"effect{self.effect:g}-n{self.patients}-r{self.replicate}"

    def seed(self, base: int) -> int:
        """The cohort seed: one per replicate and size, the same at every effect."""
        return base + 1000 * self.patients + self.replicate


def grid_cells(effects, patients, replicates: int, controls: dict) -> list[Cell]:
    """Every cell of the grid, plus the controls' cells (effect 0 and the positive effect)."""
    effects = sorted(set(effects) | {0.0, float(controls["effect"])})
    sizes = sorted(set(patients) | {int(controls["patients"])})
    return [Cell(float(e), int(n), r) for n, e, r in itertools.product(sizes, effects, range(1, replicates + 1))]


def cell_folds(targets: dict[str, int], folds: int, inner_val_size: int, seed: int):
    """Stratified k-fold over a cell's patients (every arm's folds)."""
    ids = sorted(targets)
    labels = [targets[i] for i in ids]
    return cross_validation_folds(ids, labels, "kfold", inner_val_size, seed, usable_folds(labels, folds))


def network_results(jobs_by_cell: dict[tuple, list[FoldJob]], power: dict, ray_address):
    """Runs every network fold of the grid; yields (cell key, fold results) as cells finish."""
    jobs = [job for cell_jobs in jobs_by_cell.values() for job in cell_jobs]
    stream = run_jobs(jobs, power["executor"], power["jobs"], ray_address)
    cell_of = {job.cache_dir: key for key, cell_jobs in jobs_by_cell.items() for job in cell_jobs}
    done: dict[tuple, list[dict]] = defaultdict(list)
    for result in stream:
        key = cell_of[result["cache_dir"]]
        done[key].append(result)
        if len(done[key]) == len(jobs_by_cell[key]):
            yield key, done.pop(key)


def progress_line(index: int, total: int, arm: str, cell: Cell, found: dict, note: str) -> str:
    """``cell 3/24 densenet_small effect 1.5 n=24 replicate 2: AUC 0.81 p=0.003 detected (41 s)``."""
    verdict = "detected" if found["detected"] else "not detected"
    auc = "n/a" if found["auc"] is None else f"{found['auc']:.2f}"
    p_value = "n/a" if found["p_value"] is None else f"{found['p_value']:.3g}"
    return (f"cell {index}/{total} {arm} effect {cell.effect:g} n={cell.patients} "
            f"replicate {cell.replicate}: AUC {auc} p={p_value} {verdict} ({note})")


def make_cohorts(cells: list[Cell], params: dict) -> tuple[dict, dict]:
    """Every cell's generated cohort (cached) and its folds: ``{cell: targets}``, ``{cell: folds}``."""
    power = params["power"]
    settings, note = power_settings(preprocess_settings(params))
    if note:
        print(note, flush=True)
    targets, folds = {}, {}
    for index, cell in enumerate(cells, start=1):
        started = time.perf_counter()
        targets[cell] = generated_cohort(cohort_dir(cell), cell.effect, cell.patients,
                                         cell.seed(power["seed"]), settings, workers=power["jobs"])
        folds[cell] = cell_folds(targets[cell], power["folds"], params["loocv"]["inner_val_size"],
                                 params["seed"])
        print(f"cohort {index}/{len(cells)} {cell.name} ({time.perf_counter() - started:.0f} s)", flush=True)
    return targets, folds


def cohort_dir(cell: Cell):
    return paths.POWER_COHORTS / cell.name


def row(arm: str, cell: Cell, found: dict) -> dict:
    """One row of ``outputs/power/power.csv``."""
    return {"arm": arm, "effect": cell.effect, "patients": cell.patients, "replicate": cell.replicate,
            **found}


def reference_rows(cells: list[Cell], targets: dict, folds: dict, alpha: float) -> list[dict]:
    """The reference arms (radiomics, prior) on every cell: seconds in all."""
    rows = []
    for cell in cells:
        features = feature_table(preprocessed_dir(cohort_dir(cell)), sorted(targets[cell]))
        rows += [row(arm, cell, detection(cross_validated_probabilities(arm, features, targets[cell],
                                                                        folds[cell]), alpha))
                 for arm in REFERENCE_ARMS]
    return rows


def network_rows(network: str, cells: list[Cell], targets: dict, folds: dict, params: dict,
                 done_before: int, total: int) -> list[dict]:
    """``network`` trained through every cell's folds, a progress line per finished cell."""
    power = params["power"]
    train = train_settings(params, params["loocv"]["patience"], progress_bar=False,
                           network=network)
    jobs = {cell: fold_jobs(folds[cell], train, input_settings(params), targets[cell],
                            preprocessed_dir(cohort_dir(cell)), paths.POWER_FOLDS,
                            params["loocv"]["threads"])
            for cell in cells}
    cached = sum(job.result_path.exists() for cell_jobs in jobs.values() for job in cell_jobs)
    print(f"{network}: {cached} of {sum(map(len, jobs.values()))} folds cached", flush=True)
    rows, started = [], time.perf_counter()
    for cell, results in network_results(jobs, power, params["loocv"]["ray_address"]):
        rows.append(row(network, cell, detection(fold_results_frame(results, targets[cell]), power["alpha"])))
        note = ("cached" if all(result["cached"] for result in results)
                else f"{time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        print(progress_line(done_before + len(rows), total, network, cell, rows[-1], note), flush=True)
    return rows


def control_line(kind: str, verdict: dict) -> str:
    """``positive control densenet_small, effect 3, n = 24: passed (3 of 3 detected)``; the
    report and the explorer put each verdict in a sentence."""
    head = f"{kind} control {verdict['arm']}, effect {verdict['effect']:g}, n = {verdict['patients']}"
    if verdict["passed"] is None:
        return f"{head}: not run (no such cell in the power grid)"
    outcome = "passed" if verdict["passed"] else "CONTROL FAILED"
    return f"{head}: {outcome} ({verdict['detected']} of {verdict['replicates']} detected)"


def control_verdicts(table: pd.DataFrame, controls: dict) -> dict:
    """Every arm's positive and negative control, from the grid's rows."""
    kinds = (("positive", float(controls["effect"])), ("negative", 0.0))
    return {arm: {kind: control_verdict(table, arm, effect, controls["patients"],
                                        expected=effect > 0 and arm not in BLIND_ARMS)
                  for kind, effect in kinds}
            for arm in table["arm"].unique()}


def main() -> None:
    """Runs the stage with params.yaml."""
    params = load_params()
    power = params["power"]
    grid = power["grids"][power["grid"]]
    cells = grid_cells(grid["effects"], grid["patients"], grid["replicates"], power["controls"])
    for folder in (paths.POWER_COHORTS, paths.POWER_FOLDS):  # power_cohort keeps its own
        formats.remove_leftovers(folder)
    print(f"power study ({power['grid']} grid): {len(cells)} cohorts x "
          f"{len(grid['networks']) + len(REFERENCE_ARMS)} arms", flush=True)
    crowded = oversubscription(power["jobs"], params["loocv"]["threads"])
    if crowded:
        print(crowded, flush=True)
    targets, folds = make_cohorts(cells, params)
    rows = reference_rows(cells, targets, folds, power["alpha"])
    total = len(cells) * (len(grid["networks"]) + len(REFERENCE_ARMS))
    for network in grid["networks"]:
        rows += network_rows(network, cells, targets, folds, params, len(rows), total)
    table = pd.DataFrame(rows)
    formats.write_power_table(paths.POWER_TABLE, table)
    metrics = {**power_metrics(table, power["alpha"]), "controls": control_verdicts(table, power["controls"])}
    formats.write_metrics(paths.POWER_METRICS, metrics)
    for verdicts in metrics["controls"].values():
        for kind, verdict in verdicts.items():
            print(control_line(kind, verdict))


if __name__ == "__main__":
    main()
