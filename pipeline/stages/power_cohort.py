"""Stage ``power_cohort`` (power/dvc.yaml; run by ``make power``): power on the cohort in data/.

Spike-in controls, as assays earn trust: the prepared patients keep their own images; each
replicate draws pseudo-labels in the cohort's class balance, independent of the real
labels, and the generator's infiltration pattern, fitted to each patient's own brainstem
mask, is planted in the pseudo-positives at a chosen effect. Every arm is cross-validated
through the replicate's stratified folds and detects the effect when its one-sided
Mann-Whitney p is below alpha. Effect 0 (negative) and the largest effect (positive) are
the controls; each arm's threshold, the effect detected with power 0.8, is then located by
a sequential probit design instead of a grid (``pipeline.power.threshold_search``). Planted
cohorts and network folds are cached, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import time

import pandas as pd

from pipeline import formats
from pipeline.config.params import load_params
from pipeline.config.settings import input_settings, train_settings
from pipeline.crossval.executors import oversubscription
from pipeline.formats import paths
from pipeline.power.analysis import cohort_cells, control_verdict
from pipeline.power.arms import BLIND_ARMS, REFERENCE_ARMS
from pipeline.power.cohort_study import (
    NetworkRun,
    SpikeIn,
    crop_digests,
    expected_d,
    network_rows,
)
from pipeline.power.effect_sizes import cohort_d
from pipeline.power.spike_in import MIN_MASK_VOXELS
from pipeline.power.threshold_search import located_threshold, search

SEARCHED_REFERENCE = "radiomics"  # prior sees no image: it rides along on radiomics' replicates


def spike_in(params: dict) -> SpikeIn:
    """The prepared cohort of ``outputs/`` with its fitted patterns."""
    power, spike = params["power"], params["power"]["cohort"]
    ids, targets = formats.cohort(paths.MANIFEST)
    patients = {patient_id: formats.read_patient(paths.PREPROCESSED, patient_id, full=False) for patient_id in ids}
    for patient_id, patient in list(patients.items()):
        if int(patient.mask.sum()) < MIN_MASK_VOXELS:
            print(f"spike-in: {patient_id} left out, its brainstem crop has {int(patient.mask.sum())} voxels "
                  f"(the pattern needs {MIN_MASK_VOXELS})", flush=True)
            del patients[patient_id], targets[patient_id]
    return SpikeIn(targets, patients, crop_digests(paths.PREPROCESSED, list(patients)), spike["seed"],
                   power["folds"], params["loocv"]["inner_val_size"], params["seed"], power["alpha"])


def network_run(params: dict, network: str) -> NetworkRun:
    """How ``network``'s folds train (the params' recipe, patience of the cross-validation)."""
    power = params["power"]
    return NetworkRun(train_settings(params, params["loocv"]["patience"], progress_bar=False, network=network),
                      input_settings(params), params["loocv"]["threads"], power["executor"], power["jobs"],
                      params["loocv"]["ray_address"], paths.SPIKE_IN_COHORTS, paths.SPIKE_IN_FOLDS)


def probe_numbers(controls: int, per_probe: int, probe: int) -> list[int]:
    """Replicate numbers of an arm's ``probe``-th probe: fresh draws after the controls' 1..controls."""
    first = controls + (probe - 1) * per_probe + 1
    return list(range(first, first + per_probe))


def outcomes(rows: list[dict], arm: str) -> tuple[list[float], list[bool]]:
    """An arm's effects and detections so far."""
    mine = [row for row in rows if row["arm"] == arm]
    return [row["effect"] for row in mine], [bool(row["detected"]) for row in mine]


def reference_search(study: SpikeIn, rows: list[dict], spike: dict) -> list[dict]:
    """Radiomics' adaptive probes (prior evaluated on the same replicates)."""
    found = []

    def evaluate(effect: float, probe: int) -> list[bool]:
        started = time.perf_counter()
        new = study.reference_rows(effect, probe_numbers(spike["control_replicates"], spike["reference_replicates"],
                                                         probe))
        found.extend(new)
        print(probe_line(SEARCHED_REFERENCE, probe, spike["probes"], effect, new, time.perf_counter() - started),
              flush=True)
        return [row["detected"] for row in new if row["arm"] == SEARCHED_REFERENCE]

    search(evaluate, *outcomes(rows, SEARCHED_REFERENCE), spike["largest_effect"], spike["probes"])
    return found


def network_search(study: SpikeIn, run: NetworkRun, rows: list[dict], spike: dict) -> list[dict]:
    """A network's adaptive probes; none when it missed its positive control (nothing to locate)."""
    network = run.settings.network
    effects, detected = outcomes(rows, network)
    positive = [hit for effect, hit in zip(effects, detected) if effect == spike["largest_effect"]]
    if sum(positive) <= len(positive) / 2:
        print(f"{network}: positive control missed, no threshold to locate below effect "
              f"{spike['largest_effect']:g}", flush=True)
        return []
    found = []

    def evaluate(effect: float, probe: int) -> list[bool]:
        started = time.perf_counter()
        numbers = probe_numbers(spike["control_replicates"], spike["replicates"], probe)
        new = network_rows(study, run, [(effect, number) for number in numbers])
        found.extend(new)
        print(probe_line(network, probe, spike["probes"], effect, new, time.perf_counter() - started), flush=True)
        return [row["detected"] for row in new]

    search(evaluate, effects, detected, spike["largest_effect"], spike["probes"])
    return found


def probe_line(arm: str, probe: int, probes: int, effect: float, rows: list[dict], seconds: float) -> str:
    """``radiomics probe 2/4 at effect 0.75: 14 of 20 detected (6 s)``."""
    mine = [row for row in rows if row["arm"] == arm]
    return (f"{arm} probe {probe}/{probes} at effect {effect:g}: {sum(row['detected'] for row in mine)} of "
            f"{len(mine)} detected ({seconds:.0f} s)")


def controls(study: SpikeIn, runs: list[NetworkRun], spike: dict) -> list[dict]:
    """Every arm at effect 0 and at the largest effect, on the same replicates."""
    draws = [(effect, number) for effect in (0.0, float(spike["largest_effect"]))
             for number in range(1, spike["control_replicates"] + 1)]
    started = time.perf_counter()
    rows = [row for effect, number in draws for row in study.reference_rows(effect, [number])]
    print(f"radiomics and prior: controls on {len(draws)} replicates ({time.perf_counter() - started:.0f} s)",
          flush=True)
    for run in runs:  # both controls' folds in one pool: no idle core between them
        rows += network_rows(study, run, draws)
    return rows


def arm_summary(study: SpikeIn, table: pd.DataFrame, arm: str, largest: float) -> dict:
    """An arm's cells, located threshold (with the d_flair it means here) and control verdicts."""
    rows = table[table["arm"] == arm].assign(patients=len(study.targets))
    threshold = located_threshold(rows["effect"].tolist(), rows["detected"].tolist(), largest)
    threshold["d_flair"] = None if threshold["effect"] is None else expected_d(study, threshold["effect"])
    verdicts = {kind: control_verdict(rows, arm, effect, len(study.targets),
                                      expected=effect > 0 and arm not in BLIND_ARMS)
                for kind, effect in (("positive", largest), ("negative", 0.0))}
    return {"cells": cohort_cells(rows, len(study.targets)), "threshold": threshold, "controls": verdicts}


def summary_line(arm: str, summary: dict) -> str:
    """``densenet_small: power 0.8 at effect 1.2 [0.9, 1.6], d_flair 0.95; controls passed``."""
    threshold = summary["threshold"]
    low, high = threshold["ci95"] or (None, None)
    where = ("not reached within the effects tried" if threshold["effect"] is None else
             f"power 0.8 at effect {threshold['effect']:g} [{low:g}, {'open' if high is None else f'{high:g}'}], "
             f"d_flair {threshold['d_flair']}")
    verdicts = [f"{kind} control {'passed' if verdict['passed'] else 'FAILED'} ({verdict['detected']} of "
                f"{verdict['replicates']})" for kind, verdict in summary["controls"].items()]
    return f"spike-in {arm}: {where}; " + ", ".join(verdicts)


def main() -> None:
    """Runs the stage with params.yaml."""
    params = load_params()
    power, spike = params["power"], params["power"]["cohort"]
    formats.remove_leftovers(paths.SPIKE_IN)
    study = spike_in(params)
    observed = cohort_d(study.responses, study.targets, 0.0)  # the real classes, nothing planted
    print(f"spike-in on {len(study.targets)} patients ({sum(study.targets.values())} positive): the real "
          f"classes differ by d_flair {observed['d_flair']}, d_t2 {observed['d_t2']}", flush=True)
    crowded = oversubscription(power["jobs"], params["loocv"]["threads"])
    if crowded:
        print(crowded, flush=True)
    runs = [network_run(params, network) for network in spike["networks"]]
    rows = controls(study, runs, spike)
    rows += reference_search(study, rows, spike)
    for run in runs:
        rows += network_search(study, run, rows, spike)
    table = pd.DataFrame(rows)
    formats.write_cohort_power_table(paths.POWER_COHORT_TABLE, table)
    arms = {arm: arm_summary(study, table, arm, float(spike["largest_effect"]))
            for arm in [*spike["networks"], *REFERENCE_ARMS]}
    formats.write_metrics(paths.POWER_COHORT_METRICS, {"patients": len(study.targets), "alpha": power["alpha"],
                                                       "arms": arms, "observed": observed})
    for arm, summary in arms.items():
        print(summary_line(arm, summary), flush=True)


if __name__ == "__main__":
    main()
