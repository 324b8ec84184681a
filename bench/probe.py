"""One pipeline task in a fresh process, reporting its peak memory and its own timings.

``run_probe(task, arguments)`` starts ``python -m bench.probe TASK ARGUMENTS_JSON``, samples
the resident memory of the process tree (the child and any workers it spawns) while it
runs, and returns the task's result with ``peak_rss_bytes`` (the child's own high-water
mark, ``VmHWM``: exact) and ``tree_peak_rss_bytes`` (sampled sum over the tree: what the
machine had to hold, workers included). A fresh process keeps one measurement's memory
out of the next. ``getrusage``'s ``ru_maxrss`` is not used: Linux carries the parent's
high-water mark into a child across ``exec``, so every child would report at least the
bench's own size.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psutil

MARKER = "BENCH-PROBE-RESULT "
SAMPLE_SECONDS = 0.05


def run_probe(task: str, arguments: dict, timeout: float = 1800,
              environment: dict[str, str | None] | None = None) -> dict:
    """Runs ``task`` in a child process; its result plus peak memory and wall seconds.

    ``environment`` adds variables to the child's environment; a None value removes one.
    """
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, **(environment or {}), "PYTHONPATH": os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
    env = {key: value for key, value in env.items() if value is not None}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bench.probe", task, json.dumps(arguments)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    tree_peak = _sample_tree(process, started + timeout)
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"probe {task} failed ({process.returncode}):\n{stderr[-3000:]}")
    line = next(line for line in reversed(stdout.splitlines()) if line.startswith(MARKER))
    return {**json.loads(line[len(MARKER):]), "tree_peak_rss_bytes": tree_peak,
            "wall_seconds": time.perf_counter() - started}


def _sample_tree(process: subprocess.Popen, deadline: float) -> int:
    """Largest summed RSS of ``process`` and its descendants until it exits."""
    peak = 0
    try:
        parent = psutil.Process(process.pid)
    except psutil.NoSuchProcess:
        return 0
    while process.poll() is None:
        if time.perf_counter() > deadline:
            process.kill()
            raise TimeoutError(f"probe {process.args[3]} ran past its time limit")
        total = 0
        for member in [parent, *_children(parent)]:
            try:
                total += member.memory_info().rss
            except psutil.Error:
                pass
        peak = max(peak, total)
        time.sleep(SAMPLE_SECONDS)
    return peak


def _children(parent: psutil.Process) -> list[psutil.Process]:
    try:
        return parent.children(recursive=True)
    except psutil.Error:
        return []


# --- the tasks, run in the child ------------------------------------------------------


def prepare_task(arguments: dict) -> dict:
    """The real ``prepare_cohort`` on a cohort folder, manifest written as the stage does."""
    from pipeline import artifacts, paths
    from pipeline.preparation import prepare_cohort
    from pipeline.preprocess import PreprocessSettings

    output = Path(arguments["output"])
    settings = PreprocessSettings(arguments["crop_mm"], arguments["crop_voxels"],
                                  tuple(arguments["percentiles"]))
    started = time.perf_counter()
    rows, applied = prepare_cohort(Path(arguments["data"]), output / paths.PREPROCESSED, settings,
                                   arguments["positive_class"], arguments["seg_label"])
    artifacts.write_manifest(output / paths.MANIFEST, rows)
    return {"seconds": time.perf_counter() - started, "patients": len(rows),
            "included": sum(row["included"] for row in rows),
            "preprocess_seconds": sum(patient["seconds"] for patient in applied.values())}


def train_task(arguments: dict) -> dict:
    """One ``fit`` on prepared patients, as the ``train`` stage runs it."""
    from bench.gpu import GpuMonitor
    from pipeline.fit import fit, load_examples
    from pipeline.settings import TrainSettings

    targets = arguments["targets"]
    examples = {e.patient_id: e for e in load_examples(
        arguments["preprocessed"], list(targets), targets, **arguments["inputs"])}
    settings = TrainSettings(**arguments["settings"])
    started = time.perf_counter()
    with GpuMonitor() as monitor:
        fit([examples[i] for i in arguments["train_ids"]],
            [examples[i] for i in arguments["validation_ids"]], settings, arguments["live_dir"])
    return {"seconds": time.perf_counter() - started, "gpu": monitor.to_dict()}


def _fold_jobs(arguments: dict):
    """The real LOOCV jobs of the project (the first ``folds``, or all), cached under ``cache_root``."""
    from pipeline import artifacts, paths
    from pipeline.settings import cv_folds
    from pipeline.stages import loocv

    os.chdir(arguments["project"])  # the stage's paths are relative to the project root
    params = arguments["params"]
    patient_ids, targets = artifacts.cohort(paths.MANIFEST)
    all_folds = cv_folds(params, patient_ids, targets)
    jobs = [dataclasses.replace(job, cache_dir=str(Path(arguments["cache_root"])
                                                   / Path(job.cache_dir).name))
            for job in loocv.build_jobs(params, all_folds[:arguments.get("folds")], targets)]
    return jobs, len(patient_ids), len(all_folds)


def loocv_task(arguments: dict) -> dict:
    """The first folds of the real LOOCV jobs through ``run_local``, then again (all cached)."""
    from pipeline.executors import run_local

    jobs, patients, total_folds = _fold_jobs(arguments)
    runs = {}
    for name in ("trained", "cached"):
        started, results, arrivals, resident = time.perf_counter(), [], [], []
        for result in run_local(jobs, arguments["params"]["loocv"]["jobs"]):
            results.append(result)
            arrivals.append(time.perf_counter() - started)
            resident.append(psutil.Process().memory_info().rss)
        runs[name] = {"seconds": time.perf_counter() - started, "folds": len(results),
                      "retrained": sum(not result["cached"] for result in results),
                      "arrivals": arrivals, "rss_after_each_fold": resident,
                      "fold_seconds": [result["seconds"] for result in results],
                      "best_epochs": [result["best_epoch"] for result in results]}
    return {"runs": runs, "patients": patients, "total_folds": total_folds}


def all_folds_task(arguments: dict) -> dict:
    """Every fold of the real LOOCV through ``run_local``, the GPU sampled all along."""
    from bench.gpu import GpuMonitor
    from pipeline.executors import run_local

    jobs, patients, total_folds = _fold_jobs(arguments)
    started, results = time.perf_counter(), []
    with GpuMonitor() as monitor:
        for result in run_local(jobs, arguments["params"]["loocv"]["jobs"]):
            results.append({key: result[key] for key in ("fold", "seconds", "best_epoch",
                                                         "probabilities", "cached")})
    return {"seconds": time.perf_counter() - started, "patients": patients,
            "total_folds": total_folds, "folds": results, "gpu": monitor.to_dict()}


def steps_task(arguments: dict) -> dict:
    """Seconds of bare training steps with this process's thread settings (after warm-up)."""
    import torch

    from bench.floor import BareLoop

    crop, batch = arguments["crop"], arguments["batch_size"]
    images = torch.rand(batch, arguments["channels"], crop, crop, crop)
    loop = BareLoop(images, torch.arange(batch) % 2, batch, arguments["lr"], seed=0,
                    network=arguments["network"])
    index, seconds = torch.arange(batch), []
    for step in range(2 + arguments["steps"]):  # two warm-up steps, not kept
        started = time.perf_counter()
        loop.step(index)
        if step >= 2:
            seconds.append(time.perf_counter() - started)
    return {"threads": torch.get_num_threads(), "seconds": seconds}


TASKS = {"prepare": prepare_task, "train": train_task, "loocv": loocv_task,
         "all_folds": all_folds_task, "steps": steps_task}


def high_water_bytes() -> int:
    """This process's peak resident memory since its ``exec`` (``VmHWM``), in bytes."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # not Linux: kilobytes


def main() -> None:
    task, arguments = sys.argv[1], json.loads(sys.argv[2])
    result = TASKS[task](arguments)
    print(MARKER + json.dumps({"result": result, "peak_rss_bytes": high_water_bytes()}),
          flush=True)


if __name__ == "__main__":
    main()
