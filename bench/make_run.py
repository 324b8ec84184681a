"""``make run`` itself, in a throwaway git + DVC copy of the project: the built-in cohort
written, then ``dvc repro``. Its wall time (target: at most 10 min on this 2-core machine)
against the floor of the training it does (every model's epochs at the bare loop's speed),
its peak memory (target: under 4 GiB), and what is not re-done: a repeated ``dvc repro``
runs no stage; after a change of ``lr``, DVC would re-run training but not ``prepare``; a
forced LOOCV re-run retrains no fold.

``python -m bench.make_run``
"""

from __future__ import annotations

import json
import re
import shutil
import sys

from bench import common
from bench.loocv import trained_folds
from bench.loop import step_seconds
from pipeline import formats
from pipeline.config.params import read_params
from pipeline.formats import paths

TARGET_SECONDS, CACHED = 600, "no stage re-run"


def training_volumes(params: dict, usable: int) -> int:
    """Volumes one epoch of every model of ``dvc repro`` trains on: the hold-out model and
    each LOOCV fold's. Early stopping holds the validation patients out of training; a
    nested learning-rate grid trains each rate without the inner patients, then under the
    fixed rule the winner again on all of them."""
    train, loocv = params["train"], params["loocv"]
    early, grid, inner = train["stopping"] == "early", loocv["lr_grid"], loocv["inner_val_size"]
    holdout = usable - train["holdout_size"] - (train["validation_size"] if early else 0)
    folds = loocv["folds"] if loocv["scheme"] == "kfold" else usable
    fold_train = {"loo": usable - 1, "rebalanced_loo": usable - 2,
                  "kfold": usable - usable // folds}[loocv["scheme"]]
    if grid:
        per_fold = len(grid) * (fold_train - inner) + (0 if early else fold_train)
    else:
        per_fold = fold_train - inner if early else fold_train
    return holdout + folds * per_fold


def stage_seconds(output: str, pattern: str) -> float | None:
    found = re.search(pattern, output, re.MULTILINE)
    return float(found[1]) if found else None


def main(argv: list[str] | None = None) -> dict:
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    section = common.Section("make_run", "make run, and what it does not re-do", argv)
    with common.scratch() as folder:
        root = common.make_project(folder / "project", None, args.params, dvc=True)
        if args.cohort is None:
            written = common.run_child([sys.executable, "-m", "pipeline.synth", str(paths.DATA)], root)
        else:
            written = common.Child(0.0, 0, "")
            shutil.copytree(args.cohort, root / paths.DATA)
        first = common.run_child(["dvc", "repro"], root)
        again = common.run_child(["dvc", "repro"], root)
        start_up = common.run_child(["dvc", "--version"], root)
        params = read_params(root / paths.PARAMS, recipe=False)
        common.write_params(root, {**params, "lr": params["lr"] * 3})
        status = common.run_child(["dvc", "status", "--json"], root).output
        stale = json.loads(status[status.find("{"):]) if "{" in status else {}
        common.write_params(root, params)
        forced = common.run_child(["dvc", "repro", "--force", "--single-item", "loocv"], root)
        params = read_params(root / paths.PARAMS)
        usable = len(formats.cohort(root / paths.MANIFEST)[0])
    total = written.seconds + first.seconds
    per_volume = step_seconds(params, params["prepare"]["crop_voxels"]) / params["train"]["batch_size"]
    volumes = training_volumes(params, usable) * params["train"]["max_epochs"]
    early = params["train"]["stopping"] == "early"
    floor = volumes * per_volume
    loocv_first = stage_seconds(first.output, rf"^{params['loocv']['scheme']} done in (\d+) s")
    forced_cached, forced_trained = trained_folds(forced.output)
    reran = "Running stage" in again.output
    section.add(
        common.Row("make run (cohort written, dvc repro), wall", total, "s",
                   "its training on the bare floor", floor,
                   target=f"<= {TARGET_SECONDS // 60} min", holds=total <= TARGET_SECONDS,
                   note=f"cohort {written.seconds:.0f} s; floor: {volumes:,} volume-epochs at "
                        f"{per_volume * 1e3:.1f} ms ({usable} usable patients, "
                        f"{params['train']['max_epochs']} epochs per model"
                        + (", an upper bound under early stopping)" if early else ")")),
        common.peak_row("make run peak memory", first.peak_bytes, note="dvc repro's process tree, sampled"),
        common.Row("dvc repro again, nothing changed", again.seconds, "s", "dvc --version",
                   start_up.seconds, target=CACHED, holds=not reran,
                   note="a stage re-ran" if reran else "no stage ran; DVC checked hashes only"),
        common.Row("stages stale after an lr change", len(stale), "stages", note=", ".join(sorted(stale)),
                   target="prepare not among them", holds="prepare" not in stale),
        common.Row("forced LOOCV re-run (dvc repro -f -s loocv)", forced.seconds, "s",
                   "the LOOCV stage of make run", loocv_first, target="no fold retrained",
                   holds=forced_trained == 0,
                   note=f"{forced_cached} folds cached, {forced_trained} trained"))
    section.details.update(cohort_seconds=written.seconds, repro_seconds=first.seconds,
                           floor_seconds=floor, stale=stale)
    return section.save(args.output)


if __name__ == "__main__":
    main()
