"""DVC experiments as a table: one row per commit or experiment, params and metrics as columns.

A thin reader of ``dvc exp show --json`` (run from the current directory, the repository
root), so the dashboard and the report compare runs exactly as DVC records them.

Column names: params of ``params.yaml`` by their dotted key as ``dvc exp show`` prints
them (``lr``, ``train.max_epochs``); metrics as ``<file stem>:<dotted key>``
(``loocv:auc``, ``baselines:radiomics.auc``). ``frame.attrs["params"]`` and
``frame.attrs["metrics"]`` list which is which.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

ID_COLUMNS = ["experiment", "rev", "parent", "created"]
DEFAULT_PARAMS_FILE = "params.yaml"
HEADLINE_METRICS = {"accuracy", "sensitivity", "specificity", "balanced_accuracy", "auc",
                    "p_value", "permutation_p_value"}


def run_dvc_json(*arguments: str, root: str | Path = ".", timeout: float = 120):
    """The parsed JSON output of ``dvc <arguments>`` in ``root``, or None when DVC cannot answer."""
    command = [sys.executable, "-m", "dvc", *arguments]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                   cwd=root)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    try:
        return json.loads(completed.stdout)
    except json.JSONDecodeError:
        return None


def run_exp_show(timeout: float = 120, root: str | Path = ".") -> list | None:
    """The parsed output of ``dvc exp show --json`` in ``root``, or None when DVC cannot answer."""
    return run_dvc_json("exp", "show", "--json", root=root, timeout=timeout)


def flatten(values: dict, prefix: str = "") -> dict:
    """``{"train": {"patience": 3}}`` -> ``{"train.patience": 3}``, as DVC names params."""
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _file_values(files: dict | None, params: bool) -> dict:
    """Flattened values of every params or metrics file of one revision, named as above."""
    values = {}
    for file_name, content in (files or {}).items():
        data = (content or {}).get("data")
        if not isinstance(data, dict):  # the file is missing or unreadable in this revision
            continue
        if params and file_name == DEFAULT_PARAMS_FILE:
            prefix = ""
        else:
            prefix = f"{Path(file_name).stem}:"
        # lists (95% intervals, a grid of rates) are no column of the comparison
        values.update({name: value for name, value in flatten(data, prefix).items()
                       if not isinstance(value, list)})
    return values


def _short(rev: str) -> str:
    """A revision as ``dvc exp show`` prints it: ``workspace`` or 7 hex digits."""
    return rev if rev == "workspace" else rev[:7]


def _row(entry: dict, name: str, parent: str | None) -> tuple[dict, dict, dict]:
    """Identity, params and metrics of one revision of the JSON."""
    data = entry.get("data") or {}
    identity = {"experiment": name, "rev": _short(entry.get("rev") or ""),
                "parent": parent, "created": data.get("timestamp")}
    return (identity, _file_values(data.get("params"), params=True),
            _file_values(data.get("metrics"), params=False))


def _rows(exp_show: list) -> list[tuple[dict, dict, dict]]:
    """Every baseline revision followed by the experiments run on top of it."""
    rows = []
    for baseline in exp_show:
        baseline_name = baseline.get("name") or _short(baseline.get("rev") or "")
        rows.append(_row(baseline, baseline_name, None))
        for experiment in baseline.get("experiments") or []:
            revisions = experiment.get("revs") or []
            if revisions:
                name = (experiment.get("name") or revisions[0].get("name")
                        or _short(revisions[0].get("rev") or ""))
                rows.append(_row(revisions[0], name, baseline_name))
    return rows


def experiments_frame(exp_show: list) -> pd.DataFrame:
    """Flattens the JSON of ``dvc exp show --json`` to one row per revision."""
    rows = _rows(exp_show)
    params = list(dict.fromkeys(key for _, values, _ in rows for key in values))
    metrics = list(dict.fromkeys(key for _, _, values in rows for key in values))
    frame = pd.DataFrame([{**identity, **p, **m} for identity, p, m in rows],
                         columns=ID_COLUMNS + params + metrics)
    frame.attrs.update(params=params, metrics=metrics)
    return frame


def list_experiments(root: str | Path = ".") -> pd.DataFrame:
    """DVC's experiments and commits in ``root`` with their params and metrics; empty if
    there are none.

    Never raises for a missing or uninitialised DVC repository: the frame is empty then.
    """
    exp_show = run_exp_show(root=root)
    frame = experiments_frame(exp_show or [])
    has_experiments = frame["parent"].notna().any()
    return frame if has_experiments else frame.iloc[0:0]


def summary_columns(frame: pd.DataFrame) -> list[str]:
    """The columns worth a first look: identity, params that vary, headline metrics."""
    varying = [name for name in frame.attrs.get("params", [])
               if frame[name].astype(str).nunique() > 1]
    headline = [name for name in frame.attrs.get("metrics", [])
                if name.rsplit(":", 1)[-1].rsplit(".", 1)[-1] in HEADLINE_METRICS]
    return ID_COLUMNS + varying + headline


def compare_experiments(frame: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """Params and metrics of two experiments side by side, with whether they differ.

    Returns:
        One row per param or metric: ``kind`` (param/metric), ``name``, the two values
        under the experiments' names, and ``differs``.
    """
    by_name = frame.set_index("experiment")
    rows = []
    for kind in ("params", "metrics"):
        for name in frame.attrs.get(kind, []):
            a, b = by_name.at[first, name], by_name.at[second, name]
            same = (pd.isna(a) and pd.isna(b)) or a == b
            rows.append({"kind": kind[:-1], "name": name, first: a, second: b,
                         "differs": not same})
    return pd.DataFrame(rows, columns=["kind", "name", first, second, "differs"])
