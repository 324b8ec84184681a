"""A fold of the spike-in power study against a fold of LOOCV, on the prepared built-in
cohort, each stage in a fresh process with the params' ``jobs``: a fold's wall time on its
worker against the training inside it, training per patient-epoch (the spike-in's folds
train on about 19 patients, LOOCV's on 23), and where the rest of the spike-in stage goes
(radiomics and prior, start-up, reading the crops, fitting the patterns, planting the
cohorts, writing).

The spike-in runs its controls only (``power.cohort.probes`` 0, one replicate per control:
10 network folds); folds train for ``--epochs`` epochs (default 3).

``python -m bench.power [--epochs N]``
"""

from __future__ import annotations

import re
import statistics

from bench import common
from pipeline import formats
from pipeline.formats import paths

# A spike-in fold trains the same network on the same kind of crops as a LOOCV fold.
PER_PATIENT_TARGET = 1.2


def seconds_said(output: str, pattern: str) -> float:
    """The seconds of the last line of ``output`` matching ``pattern`` (one group)."""
    found = re.findall(pattern, output)
    if not found:
        raise RuntimeError(f"the stage did not print {pattern!r}:\n{output[-2000:]}")
    return float(found[-1])


def fold_records(folder) -> list[dict]:
    """The stored results of every fold cached under ``folder``."""
    return [formats.read_json(path) for path in sorted(folder.glob("*/result.json"))]


def per_fold(phase_seconds: float, folds: int, jobs: int) -> float:
    """A fold's wall time on its worker, ``jobs`` folds running at once."""
    return phase_seconds * min(jobs, folds) / folds


def main(argv: list[str] | None = None) -> dict:
    parser = common.parser(__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fold (default 3)")
    args = parser.parse_args(argv)
    epochs = 1 if args.quick else args.epochs
    section = common.Section("power", f"A spike-in fold against a LOOCV fold ({epochs} epoch"
                             f"{'s' * (epochs != 1)} per fold)", argv)
    overrides = {"train": {"max_epochs": epochs, "stopping": "fixed"},
                 "power": {"cohort": {"control_replicates": 1, "probes": 0}}}
    with common.scratch() as folder:
        root = common.make_project(folder / "project", common.cohort(folder, args.cohort), args.params, overrides)
        common.run_stage(root, "prepare")
        params = common.project_params(root)
        patients = len(formats.cohort(root / paths.MANIFEST)[0])
        loocv = common.run_stage(root, "loocv")
        loocv_index = formats.read_fold_index(root / paths.LOOCV_INDEX)
        spike = common.run_stage(root, "power_cohort")
        spike_folds = fold_records(root / paths.SPIKE_IN_FOLDS)
    loocv_phase = seconds_said(loocv.output, r"done in (\d+) s")
    network_phase = seconds_said(spike.output, r"spike-in \S+ effect \S+ replicate \d+: .*\((\d+) s\)")
    references = seconds_said(spike.output, r"radiomics and prior: controls on \d+ replicates \((\d+) s\)")
    loocv_jobs, spike_jobs = params["loocv"]["jobs"], params["power"]["jobs"]
    loocv_fold = per_fold(loocv_phase, len(loocv_index), loocv_jobs)
    spike_fold = per_fold(network_phase, len(spike_folds), spike_jobs)
    loocv_train = statistics.mean(loocv_index["seconds"])
    spike_train = statistics.mean(record["seconds"] for record in spike_folds)
    loocv_patients = patients - statistics.mean(len(str(ids).split(";")) for ids in loocv_index["test_patients"])
    spike_patients = patients - statistics.mean(len(record["test_ids"]) for record in spike_folds)
    loocv_unit = loocv_train / (loocv_patients * epochs)
    spike_unit = spike_train / (spike_patients * epochs)
    section.add(
        common.Row("LOOCV: a fold's wall on its worker", loocv_fold, "s", "its training (mean)", loocv_train,
                   note=f"{len(loocv_index)} folds, {loocv_jobs} at once, {loocv_patients:.1f} training patients"),
        common.Row("spike-in: a fold's wall on its worker", spike_fold, "s", "its training (mean)", spike_train,
                   note=f"{len(spike_folds)} folds, {spike_jobs} at once, {spike_patients:.1f} training patients"),
        common.Row("spike-in: training per patient-epoch", spike_unit, "s", "LOOCV: training per patient-epoch",
                   loocv_unit, target=f"<= {PER_PATIENT_TARGET}x LOOCV's",
                   holds=spike_unit <= PER_PATIENT_TARGET * loocv_unit),
        common.Row("spike-in: around training, per fold", spike_fold - spike_train, "s",
                   "LOOCV: around training, per fold", loocv_fold - loocv_train,
                   note="loading, predicting, caching, the worker pool's start"),
        common.Row("spike-in stage: radiomics and prior, both controls", references, "s",
                   "the whole stage", spike.seconds),
        common.Row("spike-in stage: all but the folds and the reference arms", spike.seconds - network_phase - references,
                   "s", "the whole stage", spike.seconds,
                   note="start-up, reading the crops, fitting the patterns, planting the cohorts, writing"))
    section.details.update(patients=patients, loocv_stage=loocv.seconds, spike_stage=spike.seconds,
                           network_phase=network_phase, loocv_phase=loocv_phase)
    return section.save(args.output)


if __name__ == "__main__":
    main()
