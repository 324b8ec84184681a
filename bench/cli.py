"""The command line of ``python -m bench``: runs the measurements, writes results.json and RESULTS.md.

Options: ``--quick`` (fewer repeats and ablations, about half the time), ``--only NAME ...``
(a subset), ``--cohort DIR`` (an existing cohort instead of writing the built-in one),
``--output-dir DIR``, ``--gpu-jobs``, ``--gpu-workers`` and ``--study-epochs`` (the
study-scale LOOCV on a GPU), and sizes for tests (``--crops``, ``--batch-size``,
``--repeats``).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import (augmentation, concurrent, cpu_threads, flops, loocv_folds, machine, memory,
                   prepare_cost, repro, study_loocv, throughput)
from bench.context import BenchSettings, Context
from bench.report import render
from bench.targets import evaluate
from bench.timing import LoadSampler
from pipeline.artifacts import write_json, write_text
from pipeline.params import load_params

# Order matters only for sharing: prepare first builds the prepared projects the others reuse.
MEASUREMENTS = {
    "prepare": prepare_cost, "repro": repro, "threads": cpu_threads, "flops": flops,
    "augmentation": augmentation, "throughput": throughput, "loocv": loocv_folds,
    "memory": memory, "concurrent": concurrent, "study_loocv": study_loocv,
}
OUTPUT_DIR = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no ablations")
    parser.add_argument("--only", nargs="+", choices=list(MEASUREMENTS), metavar="NAME",
                        help=f"run only these: {', '.join(MEASUREMENTS)}")
    parser.add_argument("--cohort", type=Path, help="use this cohort folder (default: write "
                        "the built-in one to a temporary folder)")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR,
                        help="where results.json and RESULTS.md go (default: bench/)")
    parser.add_argument("--crops", type=int, nargs=2, metavar=("DEFAULT", "STUDY"),
                        help="crop sides in voxels (default: params' crop_voxels and 64)")
    parser.add_argument("--batch-size", type=int, help="training batch size (default: params)")
    parser.add_argument("--repeats", type=int, help="repeats per timing (default 3, quick 1)")
    parser.add_argument("--gpu-jobs", type=int, help="folds at once in the GPU's study-scale "
                        "LOOCV (default 4)")
    parser.add_argument("--study-epochs", type=int, help="max_epochs of that LOOCV (default 100; "
                        "early stopping ends folds sooner)")
    parser.add_argument("--gpu-workers", type=int, help="DataLoader workers per fold there "
                        "(default: the CPU's cores shared out)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    return parser.parse_args(argv)


def bench_settings(args: argparse.Namespace, params: dict) -> BenchSettings:
    """The sizes to measure at, from params and the command line."""
    if args.batch_size:
        params["train"]["batch_size"] = args.batch_size
    default_crop, study_crop = args.crops or (params["prepare"]["crop_voxels"], 64)
    overrides = {"repeats": 1, "epochs": 2, "loocv_folds": 2, "loocv_epochs": 1,
                 "cohort_sizes": (4, 8), "ablations": False} if args.quick else {}
    if args.repeats:
        overrides["repeats"] = args.repeats
    if args.gpu_jobs:
        overrides["gpu_jobs"] = args.gpu_jobs
    if args.study_epochs:
        overrides["study_epochs"] = args.study_epochs
    if args.gpu_workers is not None:
        overrides["gpu_workers"] = args.gpu_workers
    return BenchSettings(params=params, default_crop=default_crop, study_crop=study_crop,
                         **overrides)


def run_measurement(name: str, context: Context) -> dict:
    """One module's section as a dict, timed; a failure is recorded, not fatal to the rest."""
    started = time.perf_counter()
    print(f"bench: {name} ...", flush=True)
    try:
        section = MEASUREMENTS[name].measure(context).to_dict()
    except Exception as error:  # noqa: BLE001 - one broken measurement must not lose the others
        traceback.print_exc()
        section = {"title": name, "figures": [], "findings": [], "details": {},
                   "error": f"{type(error).__name__}: {error}"}
    section["seconds"] = round(time.perf_counter() - started, 1)
    print(f"bench: {name} done in {section['seconds']:.0f} s", flush=True)
    return section


def finite(value):
    """JSON without NaN: non-finite floats become null, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value


def main(argv: list[str] | None = None) -> dict:
    """Runs the measurements; writes and returns the results."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    settings = bench_settings(args, load_params())
    names = args.only or list(MEASUREMENTS)
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    started, clock = time.strftime("%Y-%m-%d %H:%M"), time.perf_counter()
    try:
        context = Context(settings, scratch, args.cohort.resolve() if args.cohort else None)
        with LoadSampler() as load:
            sections = {name: run_measurement(name, context) for name in names}
    finally:
        if args.keep:
            print(f"bench: scratch folder kept: {scratch}", flush=True)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    results = finite({
        "command": " ".join(["python -m bench", *argv]), "started": started,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "seconds": time.perf_counter() - clock, "machine": machine.describe(),
        "load": load.summary(), "settings": settings.to_dict(),
        "cohort": "given" if args.cohort else "built-in (python -m pipeline.synth, seed 0)",
        "cohort_seconds": context.timings.get("cohort_seconds"),
        "targets": evaluate(sections, settings.params, settings.loocv_epochs,
                            os.environ.get("OMP_WAIT_POLICY")),
        "sections": sections,
    })
    write_json(args.output_dir / "results.json", results)
    write_text(args.output_dir / "RESULTS.md", render(results))
    print(f"bench: wrote {args.output_dir / 'RESULTS.md'} in {results['seconds'] / 60:.1f} min")
    return results
