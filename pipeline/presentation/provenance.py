"""Where a set of results came from: git commit, DVC-tracked hashes, settings, package versions.

The report's Methods and Reproducibility sections are built from these, so every setting
and hash it shows is read from the run's own files rather than typed into the report.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
import subprocess
from pathlib import Path

import pandas as pd
import yaml
from packaging.requirements import Requirement

from pipeline.presentation.experiments import flatten, run_dvc_json

# Human titles of the params groups, in the order a reader follows the pipeline.
PARAM_GROUPS = {
    "data": "Cohort",
    "prepare": "Preprocessing",
    "augment": "Augmentation (training only)",
    "model": "Model",
    "train": "Training",
    "loocv": "Evaluation: LOOCV",
    "evaluate": "Evaluation",
}
TOP_LEVEL_GROUP = "Training"
EXPERIMENT_FILES = {"params.yaml", "dvc.lock"}  # what `dvc exp run -S ...` rewrites
PARAMS_FILE = "params.yaml"  # as dvc status names it: the repository root's params file
DISTRIBUTION = "brainstem-infiltration-kit"  # pyproject.toml's project name
_PARAM_LINE = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_][\w-]*):[^#]*?(#\s*(?P<note>.*))?$")


def _git(root: Path, *arguments: str) -> str | None:
    # --no-optional-locks: reading the status must not rewrite the index of a live checkout.
    command = ["git", "--no-optional-locks", "-C", str(root), *arguments]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout if completed.returncode == 0 else None


def git_state(root: str | Path = ".") -> dict:
    """The checked-out commit and the tracked files that differ from it.

    Returns:
        ``{"commit": sha or None, "changed": [paths] or None}``; None where ``root`` is
        not inside a git repository (or git is missing).
    """
    commit = _git(Path(root), "rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "changed": None}
    commit = commit.strip()
    status = _git(Path(root), "status", "--porcelain", "--untracked-files=no")
    changed = None if status is None else [line[3:] for line in status.splitlines()]
    return {"commit": commit, "changed": changed}


def describe_git_state(state: dict, shown: int = 8) -> str:
    """One sentence naming the commit and any tracked file changed since it."""
    if state["commit"] is None:
        return "The code is not in a git repository here, so no commit can be named."
    changed = state["changed"]
    if changed is None:
        return f"Code: git commit `{state['commit']}` (whether files changed is unknown)."
    if not changed:
        return f"Code: git commit `{state['commit']}`, no uncommitted changes to tracked files."
    names = ", ".join(f"`{name}`" for name in changed[:shown])
    more = f" and {len(changed) - shown} more" if len(changed) > shown else ""
    if set(changed) <= EXPERIMENT_FILES:
        return (f"Code: git commit `{state['commit']}`; only {names} changed since, as a "
                "`dvc exp run` does: the settings used are in the Methods table, the hashes below.")
    return (f"Code: git commit `{state['commit']}`, with uncommitted changes to {names}{more}: "
            "the commit alone does not reproduce these results.")


def read_lock(path: str | Path) -> dict | None:
    """The parsed ``dvc.lock``, or None when the pipeline has not been run through DVC."""
    path = Path(path)
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _entry_hash(entry: dict) -> str | None:
    return entry.get("md5") or entry.get("etag") or entry.get("checksum")


def lock_hashes(lock: dict, skip_suffixes: tuple[str, ...] = (".py",)) -> pd.DataFrame:
    """Every data and model hash DVC recorded: one row per stage input or output.

    Code files are skipped (``skip_suffixes``): the git commit already pins them.
    """
    rows = []
    for stage, record in (lock.get("stages") or {}).items():
        for role, key in (("input", "deps"), ("output", "outs")):
            for entry in record.get(key) or []:
                if entry["path"].endswith(skip_suffixes):
                    continue
                rows.append({"stage": stage, "role": role, "path": entry["path"],
                             "md5": _entry_hash(entry), "files": entry.get("nfiles", 1),
                             "bytes": entry.get("size")})
    return pd.DataFrame(rows, columns=["stage", "role", "path", "md5", "files", "bytes"])


def locked_params(lock: dict) -> dict:
    """The parameter values DVC recorded for the last run, nested like ``params.yaml``."""
    nested: dict = {}
    for record in (lock.get("stages") or {}).values():
        for values in (record.get("params") or {}).values():
            for dotted, value in values.items():
                *parents, leaf = dotted.split(".")
                node = nested
                for parent in parents:
                    node = node.setdefault(parent, {})
                node[leaf] = value
    return nested


def changed_params(root: str | Path = ".") -> set[str] | None:
    """The params whose value differs from the one ``dvc.lock`` recorded, by dotted key,
    as ``dvc status`` finds them; None when DVC cannot answer (no repository, no DVC)."""
    status = run_dvc_json("status", "--json", root=root)
    if not isinstance(status, dict):
        return None
    changed = set()
    for entries in status.values():
        for entry in entries:
            if isinstance(entry, dict):
                params = (entry.get("changed deps") or {}).get(PARAMS_FILE)
                changed |= set(params) if isinstance(params, dict) else set()
    return changed


def params_drift(params: dict, lock: dict | None, changed: set[str] | None) -> dict[str, tuple]:
    """Each changed key (``changed_params``) with its value now and in the last DVC run."""
    if not lock or not changed:
        return {}
    current, used = flatten(params), flatten(locked_params(lock))
    return {key: (current.get(key), used.get(key)) for key in sorted(changed)}


def describe_params_drift(drift: dict[str, tuple]) -> str | None:
    """A warning naming each setting edited since the run, or None when there is none."""
    if not drift:
        return None
    changes = "; ".join(f"`{key}`: {now} now, {used} in the run"
                        for key, (now, used) in drift.items())
    return (f"**params.yaml has changed since the last `dvc repro`** ({changes}). The results "
            "come from the run, i.e. from the values in dvc.lock.")


def param_notes(params_text: str) -> dict[str, str]:
    """The comment that explains each key of ``params.yaml``, by dotted key.

    Uses the comment on the key's own line, else the full-line comments just above it.
    """
    notes, stack, pending = {}, [], []
    for line in params_text.splitlines():
        if line.strip().startswith("#"):
            pending.append(line.strip().lstrip("#").strip())
            continue
        match = _PARAM_LINE.match(line)
        if not match:
            pending = []
            continue
        depth = len(match["indent"])
        stack = [(indent, key) for indent, key in stack if indent < depth] + [(depth, match["key"])]
        note = match["note"] or " ".join(pending)
        if note:
            notes[".".join(key for _, key in stack)] = note
        pending = []
    return notes


def _format_setting(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "null" if value is None else str(value)


def settings_table(params: dict, notes: dict[str, str] | None = None) -> pd.DataFrame:
    """Every parameter as a row: group, setting (dotted key), value, meaning from the comments."""
    notes = notes or {}
    rows = []
    for key, value in flatten(params).items():
        group = key.split(".")[0] if "." in key else None
        rows.append({"group": PARAM_GROUPS.get(group, group or TOP_LEVEL_GROUP), "setting": key,
                     "value": _format_setting(value), "meaning": notes.get(key, "")})
    order = list(dict.fromkeys([*PARAM_GROUPS.values(), TOP_LEVEL_GROUP]))
    frame = pd.DataFrame(rows, columns=["group", "setting", "value", "meaning"])
    rank = frame["group"].map(lambda name: order.index(name) if name in order else len(order))
    return frame.assign(rank=rank).sort_values("rank", kind="stable").drop(columns="rank")


def preprocessing_table(applied: dict) -> pd.DataFrame:
    """What preprocessing actually did, from ``outputs/preprocessed/applied.json``."""
    rows = [("transforms, in order", " -> ".join(applied.get("transforms", []))),
            ("sequences (channels)", _format_setting(applied.get("sequences", []))),
            ("reference grid", applied.get("reference")),
            ("voxel spacing of the crop (mm)", applied.get("spacing_mm"))]
    rows += [(f"prepare.{key}", _format_setting(value))
             for key, value in (applied.get("params") or {}).items()]
    return pd.DataFrame([(name, value) for name, value in rows if value is not None],
                        columns=["step or setting", "value"])


def requirement_pins(distribution: str = DISTRIBUTION) -> dict[str, str]:
    """Package name -> pinned version, as the installed project declares them (its
    dependencies are ``requirements.txt``'s pins, read when ``make install`` installed it)."""
    pins = {}
    for line in importlib.metadata.requires(distribution) or []:
        requirement = Requirement(line)
        exact = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        if exact and requirement.marker is None:
            pins[requirement.name] = exact[0]
    return pins


def package_versions(pins: dict[str, str]) -> pd.DataFrame:
    """The installed version of each pinned package next to its pin, plus Python itself."""
    rows = [{"package": "python", "pinned": "", "installed": platform.python_version()}]
    for name, pinned in pins.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "not installed"
        rows.append({"package": name, "pinned": pinned, "installed": installed})
    frame = pd.DataFrame(rows)
    # A local build label (torch's "+cpu") is the same release as its pin.
    frame["matches pin"] = ["yes" if row.pinned in ("", row.installed.split("+")[0]) else "NO"
                            for row in frame.itertuples()]
    return frame
