"""What a repeated ``dvc repro`` costs when nothing changed, in a throwaway copy of the project.

The copy holds ``pipeline/``, ``report/``, ``dvc.yaml``, ``params.yaml`` and the built-in
cohort as ``data/``, in a fresh git + DVC repository. ``dvc repro prepare`` runs once for
real, then again: the second must run no stage, and should cost little more than DVC
starting up (``dvc --version``, the floor of any DVC command).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.context import Context
from bench.figure import Figure, Section
from bench.timing import load_average

COPIED_FOLDERS = ("pipeline", "report")
COPIED_FILES = ("dvc.yaml", "params.yaml")
IGNORED = shutil.ignore_patterns("__pycache__", "*.html", ".quarto", "*_files")


def repository_root() -> Path:
    import pipeline

    return Path(pipeline.__file__).resolve().parents[1]


def make_project(root: Path, cohort: Path) -> Path:
    """The throwaway project: code, params, cohort; ``git init`` and ``dvc init``."""
    source = repository_root()
    for name in COPIED_FOLDERS:
        shutil.copytree(source / name, root / name, ignore=IGNORED)
    for name in COPIED_FILES:
        shutil.copy(source / name, root / name)
    shutil.copytree(cohort, root / "data")
    run(root, "git", "init", "-q")
    run(root, "dvc", "init", "-q")
    return root


def run(root: Path, *command: str) -> tuple[float, str]:
    """Runs ``command`` in ``root`` with this environment's tools first on PATH; seconds, output."""
    env = {**os.environ, "DVC_NO_ANALYTICS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return seconds, result.stdout + result.stderr


def measure(context: Context) -> Section:
    """First and repeated ``dvc repro prepare``, ``dvc status``, DVC's start-up."""
    section = Section("Repeated dvc repro with nothing changed")
    section.details["load_before"] = load_average()
    root = make_project(context.scratch / "repro", context.cohort)
    first, _ = run(root, "dvc", "repro", "prepare")
    again, log = run(root, "dvc", "repro", "prepare")
    status, status_log = run(root, "dvc", "status", "prepare")
    start_up, _ = run(root, "dvc", "--version")
    rerun = "Running stage" in log
    section.figures += [
        Figure("dvc repro prepare, nothing changed", again, "s", "the first dvc repro prepare",
               first, target="no stage re-run", holds=not rerun,
               note="re-ran prepare" if rerun else "no stage ran; DVC checked hashes only"),
        Figure("same, against DVC's start-up", again, "s", "dvc --version", start_up),
        Figure("dvc status prepare", status, "s", "dvc --version", start_up,
               note=status_log.strip().splitlines()[-1] if status_log.strip() else ""),
    ]
    section.details.update(first_seconds=first, repeat_seconds=again, status_seconds=status,
                           start_up_seconds=start_up, stage_rerun=rerun, load_after=load_average())
    section.findings.append(
        f"A repeated dvc repro with nothing changed took {again:.1f} s "
        f"({again - start_up:+.1f} s over DVC's own start-up) and "
        + ("re-ran prepare: something the stage declares changed between runs."
           if rerun else "ran no stage."))
    return section
