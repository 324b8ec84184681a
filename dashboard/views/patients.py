"""Page "Patients": every included patient, right or wrong, and a volume viewer for one or two."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, tables
from dashboard.views.common import missing
from dashboard.views.viewer import volume_viewer
from pipeline.formats import paths

COLUMN_CONFIG = {
    "patient_id": st.column_config.TextColumn("patient"),
    "loocv_prob": st.column_config.NumberColumn("LOOCV probability", format="%.3f"),
    "loocv_correct": st.column_config.CheckboxColumn("LOOCV right"),
    "split": st.column_config.TextColumn("single split"),
    "single_split_prob": st.column_config.NumberColumn("single-split probability", format="%.3f"),
    "single_split_correct": st.column_config.CheckboxColumn("single split right"),
}


def filters() -> tuple[str, bool]:
    """The class filter and the "LOOCV errors only" switch."""
    left, right = st.columns([2, 1])
    label = left.segmented_control("True class", ["all", "negative", "positive"], default="all",
                                   required=True, key="class_filter")
    errors_only = right.toggle("LOOCV errors only", key="loocv_errors_only",
                               help="Patients whose held-out LOOCV prediction was wrong.")
    return label or "all", errors_only


def _describe(row: pd.Series) -> str:
    """A patient in the picker: id, class, and LOOCV's verdict."""
    if pd.isna(row["loocv_prob"]):
        return f"{row['patient_id']} · {row['label']}"
    verdict = "right" if row["loocv_correct"] else "WRONG"
    return f"{row['patient_id']} · {row['label']} · LOOCV p={row['loocv_prob']:.2f} ({verdict})"


def _summary(row: pd.Series) -> str:
    """One line on the patient opened in the viewer: class and both predictions."""
    parts = [f"**{row['label']}** ({row['infiltration']})"]
    for name, prefix in (("LOOCV", "loocv"), ("single split", "single_split")):
        if not pd.isna(row[f"{prefix}_prob"]):
            verdict = "right" if row[f"{prefix}_correct"] else "**wrong**"
            split = f", {row['split']}" if prefix == "single_split" else ""
            parts.append(f"{name} p={row[f'{prefix}_prob']:.3f} ({verdict}{split})")
    return " · ".join(parts)


def patient_table(shown: pd.DataFrame, filter_key: str) -> None:
    """The sortable table; clicking a row opens that patient (it sets the picker below)."""
    event = st.dataframe(shown, hide_index=True, column_config=COLUMN_CONFIG,
                         height=min(38 + 35 * len(shown), 600),  # ~24 patients without scrolling
                         on_select="rerun", selection_mode="single-row", key=f"rows-{filter_key}")
    rows = [row for row in event.selection.rows if row < len(shown)]
    clicked = shown["patient_id"].iloc[rows[0]] if rows else None
    # Only a new click moves the picker, so a later choice in the picker is not undone.
    if clicked is not None and clicked != st.session_state.get("clicked_patient"):
        st.session_state["patient"] = clicked
    st.session_state["clicked_patient"] = clicked


NOBODY = "(none)"


def patient_picker(shown: pd.DataFrame, table: pd.DataFrame) -> list[str]:
    """The patients to open in the viewer: one among the rows shown, and optionally a second.

    The second is picked among every included patient, so a missed negative can sit next to
    a correctly classified one whatever the filters.
    """
    labels = {row.patient_id: _describe(row) for _, row in table.iterrows()}
    left, right = st.columns(2)
    first = left.selectbox("Open patient", list(shown["patient_id"]), format_func=labels.get,
                           key="patient")
    others = [NOBODY] + [patient_id for patient_id in labels if patient_id != first]
    second = right.selectbox("Side by side with", others, format_func=lambda p: labels.get(p, p),
                             key="second_patient")
    return [patient_id for patient_id in (first, second) if patient_id not in (None, NOBODY)]


st.title("Patients")
table = data.patient_table()
if table is None:
    missing("Cohort manifest", paths.MANIFEST)
    st.stop()
if data.loocv_predictions() is None:
    missing("LOOCV predictions", paths.LOOCV_PREDICTIONS)
label, errors_only = filters()
shown = tables.filter_patients(table, label, errors_only)
st.caption(f"{len(shown)} of {len(table)} included patients. Click a column header to sort, "
           "tick a row to open that patient.")
patient_table(shown, f"{label}-{errors_only}")
if shown.empty:
    st.info("No patient matches these filters.")
    st.stop()
chosen = patient_picker(shown, table)
if chosen:
    by_id = table.set_index("patient_id")
    volume_viewer({patient_id: _summary(by_id.loc[patient_id]) for patient_id in chosen})
