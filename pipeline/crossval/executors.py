"""Runs fold jobs: in this process, in a local process pool, or as tasks on a Ray cluster.

Every executor calls the same :func:`~pipeline.crossval.fold_jobs.run_fold` and yields results as
folds finish (:func:`run_jobs` picks one by its params name), so the stage can print a line
per fold whatever runs them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from pipeline.crossval.fold_jobs import FoldJob, cached_result, run_fold


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. under taskset or a batch
    scheduler), not every core of the machine."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def oversubscription(jobs: int, threads: int) -> str | None:
    """A note when ``jobs`` folds of ``threads`` threads each ask for more than the usable cores."""
    cores = usable_cores()
    if jobs * threads <= cores:
        return None
    return (f"note: {jobs} folds at once x {threads} threads each = {jobs * threads} threads on "
            f"{cores} usable cores; they will take turns (loocv.jobs, loocv.threads)")


def run_jobs(jobs_to_run: list[FoldJob], executor: str, jobs: int,
             ray_address: str | None = None) -> Iterator[dict]:
    """Fold results as they finish, from the ``executor`` params name (``local`` or ``ray``)."""
    if executor == "ray":
        return run_ray(jobs_to_run, jobs, ray_address)
    return run_local(jobs_to_run, jobs)


def _cached_first(jobs_to_run: list[FoldJob]) -> tuple[list[dict], list[FoldJob]]:
    """Results of the folds already finished, and the jobs still to run."""
    cached = [result for result in map(cached_result, jobs_to_run) if result is not None]
    pending = [job for job in jobs_to_run if cached_result(job) is None]
    return [{**result, "cached": True} for result in cached], pending


def run_local(jobs_to_run: list[FoldJob], jobs: int) -> Iterator[dict]:
    """Runs fold jobs here (``jobs`` = 1) or in ``jobs`` spawned processes."""
    cached, pending = _cached_first(jobs_to_run)
    yield from cached
    if jobs <= 1 or len(pending) <= 1:
        for job in pending:
            yield run_fold(job)
        return
    context = multiprocessing.get_context("spawn")  # never fork a process holding torch threads
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(run_fold, job) for job in pending]
        for future in as_completed(futures):
            yield future.result()


def run_ray(jobs_to_run: list[FoldJob], jobs: int, address: str | None) -> Iterator[dict]:
    """Runs one Ray task per fold, each with its share of a GPU when the cluster has some.

    ``address`` (or ``$RAY_ADDRESS``) names a running cluster; without one a local Ray
    instance is started. Workers import this repository from its root folder, so on a
    remote cluster the same checkout must be on every node's path.
    """
    import ray

    cached, pending_jobs = _cached_first(jobs_to_run)  # cached folds need no cluster at all
    yield from cached
    if not pending_jobs:
        return
    _start_ray(address or os.environ.get("RAY_ADDRESS"))
    gpus = ray.cluster_resources().get("GPU", 0)
    task = ray.remote(num_cpus=1, num_gpus=min(1.0, gpus / jobs) if gpus else 0)(_run_in_dir)
    pending = [task.remote(job, str(Path.cwd())) for job in pending_jobs]
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        ray.shutdown()


def _start_ray(address: str | None) -> None:
    """Connects to ``address``, or starts a Ray instance on this machine's loopback only."""
    import ray

    import pipeline

    code_root = str(Path(pipeline.__file__).resolve().parents[1])
    options = {} if address else {"_node_ip_address": "127.0.0.1", "num_cpus": usable_cores()}
    ray.init(address=address, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": code_root}}, **options)


def _run_in_dir(job: FoldJob, root: str) -> dict:
    os.chdir(root)  # fold caches are relative to the repository root
    return run_fold(job)
