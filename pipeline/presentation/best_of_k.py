"""The best of k experiments, and what choosing it on the reported patients costs.

Picking the experiment (say, the learning rate) with the best LOOCV score out of k, all
scored on the same patients, repeats the study's own mistake one level up: the winner's
score and its p-value against chance are optimistic. Holm's step-down adjustment of the
k p-values controls the chance of any false "better than chance" whatever rule picked
the winner, so the winner's adjusted p-value is one that accounts for the selection.
Plain functions of an experiments frame (``pipeline.presentation.experiments``); no Streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

SCORE = "loocv:auc"
P_VALUE = "loocv:p_value"


def holm(p_values: list[float]) -> list[float]:
    """Holm-adjusted p-values, in the order given (each at most 1)."""
    k = len(p_values)
    order = sorted(range(k), key=lambda index: p_values[index])
    adjusted, running = [0.0] * k, 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (k - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def _signature(frame: pd.DataFrame, params: list[str]) -> pd.Series:
    """Each row's params as one string. ``map(str)``, not ``astype(str)``: pandas' string
    dtype keeps a null param (``seg_label: null``) missing, and joining it fails."""
    return frame[params].map(str).agg("|".join, axis=1)


def distinct_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct set of params that has a score and a p-value.

    The workspace and the commit it was run from usually hold the same run twice; the
    pipeline is deterministic, so equal params mean the same experiment.
    """
    if SCORE not in frame or P_VALUE not in frame:
        return frame.iloc[0:0]
    scored = frame[frame[SCORE].notna() & frame[P_VALUE].notna()]
    params = [name for name in frame.attrs.get("params", []) if name in frame]
    if not params:
        return scored
    signature = _signature(scored, params)
    return scored[~signature.duplicated()]


@dataclass(frozen=True)
class Selection:
    """The best of k distinct experiments by LOOCV AUC, with its selection-adjusted p-value."""

    k: int
    patients: int | None
    best: str
    score: float
    p_value: float
    adjusted_p_value: float
    chosen: dict  # the params that differ between the k runs, as the winner has them


def best_of_k(frame: pd.DataFrame) -> Selection | None:
    """The winner among the frame's distinct runs; None unless there are at least two."""
    runs = distinct_runs(frame).reset_index(drop=True)
    if len(runs) < 2:
        return None
    winner = int(runs[SCORE].astype(float).idxmax())
    adjusted = holm(runs[P_VALUE].astype(float).tolist())
    params = [name for name in frame.attrs.get("params", []) if name in runs]
    varying = [name for name in params if runs[name].astype(str).nunique() > 1]
    patients = runs.at[winner, "loocv:n"] if "loocv:n" in runs else None
    return Selection(k=len(runs), best=str(runs.at[winner, "experiment"]),
                     patients=None if patients is None or pd.isna(patients) else int(patients),
                     score=float(runs.at[winner, SCORE]), p_value=float(runs.at[winner, P_VALUE]),
                     adjusted_p_value=adjusted[winner],
                     chosen={name: runs.at[winner, name] for name in varying})


def _format_p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def selection_note(selection: Selection) -> str:
    """Markdown sentences saying what choosing the best of k means for its figures."""
    on = f"the same {selection.patients} patients" if selection.patients else "the same patients"
    choice = ", ".join(f"`{name}={value}`" for name, value in selection.chosen.items())
    chosen = (f" Its {choice} is therefore a choice made on the test patients, not a setting "
              f"fixed in advance." if choice else "")
    return (f"**The best of {selection.k} experiments is selected on {on} it is scored on.** "
            f"`{selection.best}` has the highest LOOCV AUC ({selection.score:.3f}); that figure "
            f"is optimistic, because the choice among {selection.k} already looked at these "
            f"patients' results.{chosen} Its p-value against chance is "
            f"{_format_p(selection.p_value)} unadjusted and "
            f"**{_format_p(selection.adjusted_p_value)} adjusted for choosing among "
            f"{selection.k}** (Holm). An honest estimate needs the choice made inside each "
            f"fold, or new patients.")


def adjusted_column(frame: pd.DataFrame) -> pd.Series:
    """Holm-adjusted LOOCV p-value per row, over the frame's distinct runs (NaN elsewhere).

    A row that repeats a run (same params) gets that run's adjusted value.
    """
    runs = distinct_runs(frame)
    result = pd.Series(math.nan, index=frame.index, name=f"{P_VALUE} (Holm over {len(runs)})")
    if runs.empty:
        return result
    adjusted = dict(zip(runs.index, holm(runs[P_VALUE].astype(float).tolist())))
    params = [name for name in frame.attrs.get("params", []) if name in frame]
    if not params:
        return result.index.to_series().map(adjusted).rename(result.name)
    signature = _signature(frame, params)
    by_signature = {signature[index]: value for index, value in adjusted.items()}
    scored = frame[SCORE].notna() & frame[P_VALUE].notna()
    return signature.map(by_signature).where(scored).rename(result.name)


def selection_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The distinct runs with what the choice is made on: the params that differ, LOOCV AUC,
    its p-value unadjusted and Holm-adjusted; best first."""
    runs = distinct_runs(frame)
    params = [name for name in frame.attrs.get("params", []) if name in runs]
    varying = [name for name in params if runs[name].astype(str).nunique() > 1]
    adjusted = adjusted_column(frame).loc[runs.index]
    table = runs[["experiment", "rev", *varying, SCORE, P_VALUE]].assign(**{adjusted.name: adjusted})
    return table.sort_values(SCORE, ascending=False, kind="stable")
