"""The targets of the speed and power issues, judged from the sections' figures: the CPU's, and the GPU's where one ran."""

from __future__ import annotations

from bench.figure import PENDING_GPU
from bench.throughput import TARGET

MAKE_RUN_SECONDS = 600  # "make run on the built-in cohort in about 10 minutes"
BUDGET_GIB = 4.0


def find(sections: dict, section: str, prefix: str) -> dict | None:
    """The first figure of ``section`` whose name starts with ``prefix``."""
    figures = sections.get(section, {}).get("figures", [])
    return next((figure for figure in figures if figure["name"].startswith(prefix)), None)


def row(target: str, measured: str, holds: bool | None) -> dict:
    return {"target": target, "measured": measured, "holds": holds}


def evaluate(sections: dict, params: dict, loocv_epochs: int,
             omp_wait_policy: str | None = None) -> list[dict]:
    """One row per target whose figures were measured in this run."""
    rows = []
    policy = f", with OMP_WAIT_POLICY={omp_wait_policy}" if omp_wait_policy else ""
    real = find(sections, "throughput", "training throughput, real loop")
    if real:
        rows.append(row(f"training loop <= {TARGET:.2f}x the bare floor",
                        f"{real['ratio']:.2f}x measured{policy}", real["holds"]))
    cached = [figure for figure in (find(sections, "repro", "dvc repro prepare"),
                                    find(sections, "loocv", "re-run of finished folds, jobs=1"),
                                    find(sections, "loocv", "re-run of finished folds, jobs=2"))
              if figure]
    if cached:
        rows.append(row("nothing re-done that is cached",
                        "; ".join(f"{f['name']}: {f['note']} ({f['value']:.1f} s)" for f in cached),
                        all(f["holds"] for f in cached)))
    flat = find(sections, "memory", "prepare peak,")
    if flat:
        rows.append(row("prepare's peak memory flat in cohort size",
                        f"{flat['ratio']:.2f}x ({flat['note']})", flat["holds"]))
    peaks = default_peaks(sections)
    if peaks:
        worst = max(peaks, key=peaks.get)
        rows.append(row(f"default make run under {BUDGET_GIB:g} GiB",
                        f"largest peak {peaks[worst]:.2f} GiB ({worst})",
                        peaks[worst] < BUDGET_GIB))
    duration = make_run_seconds(sections, params, loocv_epochs)
    if duration:
        rows.append(row("make run on the built-in cohort in about 10 min",
                        f"projected {duration['low'] / 60:.0f} to {duration['high'] / 60:.0f} min "
                        f"({duration['how']}{policy})",
                        within(duration["low"], duration["high"], MAKE_RUN_SECONDS)))
    pair = find(sections, "concurrent", "two pipelines at once, wall")
    if pair:
        rows.append(row("two pipelines at once in <= 2.2x the time of one",
                        f"{pair['ratio']:.2f}x ({pair['value']:.0f} s against {pair['reference']:.0f} s)",
                        pair["holds"]))
    return rows + gpu_rows(sections)


def gpu_rows(sections: dict) -> list[dict]:
    """The study-scale LOOCV's targets on the GPU; pending (holds None) without a GPU."""
    rows = []
    for prefix, target in (("all LOOCV folds", "study-scale LOOCV: all folds in <= 5 min on one H100"),
                           ("GPU busy", "study-scale LOOCV: GPU busy >= 80% of the time")):
        figure = find(sections, "study_loocv", prefix)
        if figure:
            if figure["value"] is None:
                measured = ("pending (no GPU in the run)" if figure["note"] == PENDING_GPU
                            else figure["note"])
            else:
                measured = f"{figure['value']:.0f} {figure['unit']} ({figure['note']})"
            rows.append(row(target, measured, figure["holds"]))
    return rows


def within(low: float, high: float, limit: float) -> bool | None:
    """True if even the high projection is within ``limit``, False if even the low is not."""
    if high <= limit:
        return True
    return False if low > limit else None


def default_peaks(sections: dict) -> dict[str, float]:
    """Peak memory (GiB) of every default-scale process measured: what make run runs."""
    names = ["prepare, default", "one training process, default",
             "peak memory of the LOOCV process tree, jobs=1"]
    found = {}
    for section in ("memory", "loocv"):
        for name in names:
            figure = find(sections, section, name)
            if figure and figure["value"] is not None:
                found[figure["name"]] = figure["value"]
    return found


def make_run_seconds(sections: dict, params: dict, loocv_epochs: int) -> dict | None:
    """A low and a high projection of ``make run``'s stages from the measured parts.

    prepare: measured. The train stage and each LOOCV fold: the measured cost per epoch of a
    LOOCV fold after the first (jobs=1), times the fewest epochs early stopping allows
    (patience + 1) for the low projection and ``max_epochs`` for the high one, plus the
    first fold's extra (a process's warm-up) once per stage. Writing the cohort,
    baselines and the report are not counted.
    """
    loocv = sections.get("loocv", {}).get("details", {})
    prepare = sections.get("prepare", {}).get("details", {})
    if "later_fold_seconds" not in loocv or "prepare_seconds" not in prepare:
        return None
    per_epoch = loocv["later_fold_seconds"] / loocv_epochs
    warm_up = max(0.0, loocv["first_fold_seconds"] - loocv["later_fold_seconds"])
    max_epochs, folds = params["train"]["max_epochs"], loocv["total_folds"]
    fixed_epochs = params["train"]["stopping"] == "fixed"  # every fold trains max_epochs
    fewest = {stage: max_epochs if fixed_epochs else min(max_epochs, params[stage]["patience"] + 1)
              for stage in ("train", "loocv")}
    fixed = prepare["prepare_seconds"] + 2 * warm_up  # the train and loocv processes warm up once each
    low = fixed + per_epoch * (fewest["train"] + folds * fewest["loocv"])
    high = fixed + per_epoch * max_epochs * (1 + folds)
    return {"low": low, "high": high,
            "how": f"prepare {prepare['prepare_seconds']:.0f} s"
                   + (f", two process warm-ups of {warm_up:.0f} s" if warm_up >= 1 else "")
                   + f", 1 + {folds} trainings at {per_epoch:.1f} s per epoch for "
                   f"{fewest['loocv']} to {max_epochs} epochs; writing the cohort, baselines "
                   f"and report not counted"}
