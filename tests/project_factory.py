"""A throwaway copy of the project with a tiny cohort, for end-to-end tests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.nifti_factory import write_cohort

REPO = Path(__file__).resolve().parents[1]
LABELS = {f"P{i:02d}": ("extensive" if i % 2 else "microscopic") for i in range(1, 9)}


def environment() -> dict:
    """The environment of a subprocess: this interpreter's venv first on PATH."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def run(root: Path, *command: str) -> str:
    """Runs ``command`` in ``root``; fails the test with its output if it fails."""
    result = subprocess.run(command, cwd=root, env=environment(), capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def small_params() -> dict:
    """params.yaml sized for seconds: one epoch, two folds, few resamples."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["train"].update(max_epochs=1, holdout_size=2, validation_size=2)
    params["loocv"].update(scheme="kfold", folds=2, inner_val_size=2)
    params["evaluate"].update(bootstrap=50, permutations=5)
    return params


def make_project(root: Path, params: dict | None = None, git: bool = True) -> Path:
    """Copies the code, writes params and the tiny cohort; with ``git`` a DVC repository."""
    for name in ("pipeline", "report"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.html"))
    for name in ("dvc.yaml", "requirements.txt", "data_external/README.md"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, root / name)
    (root / "params.yaml").write_text(yaml.safe_dump(params or small_params(), sort_keys=False))
    write_cohort(root / "data", LABELS)
    if git:
        run(root, "git", "init", "-q")
        run(root, "dvc", "init", "-q")
        run(root, "dvc", "config", "core.analytics", "false")
        run(root, "git", "add", "-A")
        run(root, "git", "-c", "user.name=test", "-c", "user.email=test@example.org",
            "commit", "-qm", "init")
    return root


def kill_after_first(root: Path, command: list[str], pattern: str, timeout: float = 300) -> dict[Path, int]:
    """Starts ``command`` in ``root`` and SIGKILLs it once a file matches ``pattern`` (or
    after ``timeout`` s); returns the modification times of the files that matched by then."""
    process = subprocess.Popen(command, cwd=root, env=environment(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    started = time.monotonic()
    while process.poll() is None and not list(root.glob(pattern)) and time.monotonic() - started < timeout:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return {path: path.stat().st_mtime_ns for path in root.glob(pattern)}
