"""Page "Experiments": DVC experiments side by side, the cost of picking the best, two compared."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from pipeline.presentation.best_of_k import adjusted_column, best_of_k, selection_note
from pipeline.presentation.experiments import compare_experiments, summary_columns


def comparison_section(frame) -> None:
    """Two experiments chosen by the user, params and metrics row by row."""
    names = frame["experiment"].tolist()
    left, right = st.columns(2)
    first = left.selectbox("Compare", names, index=0, key="first")
    second = right.selectbox("with", names, index=len(names) - 1, key="second")
    if first == second:
        st.info("Choose two different experiments to compare.")
        return
    comparison = compare_experiments(frame, first, second)
    only_differences = st.toggle("Only what differs", value=True, key="only_differences")
    if only_differences:
        comparison = comparison[comparison["differs"]]
    st.dataframe(comparison.drop(columns="differs").astype(str), hide_index=True)


st.title("Experiments")
if st.button("Refresh", help="Ask DVC again (results are kept for a minute)."):
    data.experiments.clear()
experiments = data.experiments()
if experiments.empty:
    st.info("No DVC experiments yet. Run one from the repository root, for example "
            "`dvc exp run -S lr=3e-4`; `dvc exp show` lists them.")
    st.stop()
selection = best_of_k(experiments)
if selection is not None:
    st.warning(selection_note(selection), icon=":material/rule:")
    adjusted = adjusted_column(experiments)
    experiments = experiments.assign(**{adjusted.name: adjusted})
    experiments.attrs["metrics"] = experiments.attrs["metrics"] + [adjusted.name]
st.caption("As `dvc exp show` gives them: one row per commit (`parent` empty) or experiment. "
           "Params by their key in params.yaml; metrics as `<file>:<key>`.")
every_column = st.toggle("Every param and metric", key="every_column",
                         help="Off: only params that differ between rows and headline metrics.")
summary = summary_columns(experiments) + ([adjusted.name] if selection is not None else [])
st.dataframe(experiments if every_column else experiments[summary], hide_index=True)
comparison_section(experiments)
