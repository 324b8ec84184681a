"""Power arithmetic: from one row per arm, effect, cohort size and replicate to power curves.

A replicate "detects" the planted effect when its cross-validated test rejects chance at
``alpha``. Power is the share of replicates that detect, with a Wilson interval (honest
for a handful of replicates); the AUC is summarised by its mean and a t interval over
replicates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.evaluation.intervals import wilson_interval

POWER_TARGET = 0.8


def mean_interval(values, low: float = 0.0, high: float = 1.0) -> list[float] | None:
    """95% t interval of the mean of ``values``, within [low, high] (an AUC's range);
    None with fewer than two."""
    values = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if len(values) < 2:
        return None
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return [round(float(max(low, values.mean() - half)), 4), round(float(min(high, values.mean() + half)), 4)]


def cell_summary(rows: pd.DataFrame) -> dict:
    """Power and AUC of one arm at one effect and cohort size, over its replicates."""
    detected = int(rows["detected"].sum())
    aucs = rows["auc"].dropna()
    return {"effect": float(rows["effect"].iloc[0]), "patients": int(rows["patients"].iloc[0]),
            "replicates": int(len(rows)), "power": round(detected / len(rows), 4),
            "power_ci95": wilson_interval(detected, len(rows)),
            "auc_mean": round(float(aucs.mean()), 4) if len(aucs) else None,
            "auc_ci95": mean_interval(aucs)}


def smallest_effect(cells: list[dict], patients: int, target: float = POWER_TARGET) -> float | None:
    """The smallest planted effect (> 0) detected with power >= ``target`` at ``patients``.

    Effects above it must reach the target too: a power curve that dips back under it is
    not yet a reliable detection at that effect.
    """
    curve = sorted((cell["effect"], cell["power"]) for cell in cells
                   if cell["patients"] == patients and cell["effect"] > 0)
    smallest = None
    for effect, power in reversed(curve):
        if power < target:
            break
        smallest = effect
    return smallest


def power_metrics(table: pd.DataFrame, alpha: float) -> dict:
    """``metrics/power.json`` (docs/contract.md) from the per-replicate table."""
    arms = {}
    for arm, rows in table.groupby("arm", sort=False):
        cells = [cell_summary(group) for _, group in rows.groupby(["effect", "patients"])]
        arms[arm] = {"cells": cells, "smallest_effect_power80": {
            str(patients): smallest_effect(cells, patients) for patients in sorted(rows["patients"].unique())}}
    return {"alpha": alpha, "arms": arms}


def control_verdict(table: pd.DataFrame, arm: str, effect: float, patients: int,
                    expected: bool) -> dict:
    """Whether ``arm`` detects a planted ``effect`` at ``patients`` (effect 0: the negative control).

    ``expected``: whether a working arm must detect it (never at effect 0, never for an
    arm that sees no image). ``passed``: most replicates did as expected; ``None`` when
    the grid has no such cell.
    """
    rows = table[(table["arm"] == arm) & (table["effect"] == effect) & (table["patients"] == patients)]
    if rows.empty:
        return {"arm": arm, "effect": effect, "patients": patients, "replicates": 0,
                "expected": expected, "passed": None}
    summary = cell_summary(rows)
    detected = int(rows["detected"].sum())
    majority = detected > len(rows) / 2
    return {"arm": arm, **summary, "detected": detected, "expected": expected,
            "p_values": [None if pd.isna(p) else float(p) for p in rows["p_value"]],
            "passed": bool(majority == expected)}


def cohort_cells(rows: pd.DataFrame, patients: int) -> list[dict]:
    """One spike-in arm's power at each planted effect, with the mean d_flair that effect made
    between its replicates' pseudo-classes (``metrics/power_cohort.json``'s cells)."""
    cells = []
    for _, group in rows.groupby("effect"):
        summary = cell_summary(group.assign(patients=patients))
        d_flair = group["d_flair"].dropna()
        cells.append({**{key: summary[key] for key in ("effect", "replicates", "power", "power_ci95", "auc_mean")},
                      "d_flair": round(float(d_flair.mean()), 4) if len(d_flair) else None})
    return cells
