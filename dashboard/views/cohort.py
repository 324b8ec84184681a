"""Page "Cohort and results": who is in the study, and every evaluation side by side."""

from __future__ import annotations

import streamlit as st

from dashboard import data, tables
from dashboard.views.common import chart, missing
from pipeline import figures, paths
from pipeline.formatting import format_value
from pipeline.results import results_table


def cohort_section() -> None:
    """Counts of included patients per class and the excluded ones with their reasons."""
    st.subheader("Cohort")
    manifest = data.manifest()
    if manifest is None:
        missing("Cohort manifest", paths.MANIFEST)
        return
    included = manifest[manifest["included"]]
    positives = int((included["target"] == 1).sum())
    columns = st.columns(4)
    columns[0].metric("Included patients", len(included))
    columns[1].metric("Positive (extensive)", positives)
    columns[2].metric("Negative", len(included) - positives)
    columns[3].metric("Excluded", int((~manifest["included"]).sum()))
    excluded = tables.excluded_patients(manifest)
    if len(excluded):
        st.markdown("**Excluded patients**")
        st.table(excluded.set_index("patient_id"))
    with st.expander("Full manifest"):
        st.dataframe(manifest, hide_index=True)


def warnings_section(results: dict[str, dict | None]) -> None:
    """One red warning per evaluation that predicted a single class for everyone."""
    flagged = {name: metrics for name, metrics in results.items()
               if metrics and metrics.get("single_class")}
    if flagged:
        # Imported only when needed: pipeline.metrics loads SciPy and scikit-learn (~1.5 s).
        from pipeline.formatting import describe_single_class

        for name, metrics in flagged.items():
            st.error(describe_single_class(name, metrics), icon=":material/warning:")


def headline_section(results: dict[str, dict | None]) -> None:
    """LOOCV's headline numbers, then every evaluation with 95% intervals."""
    st.subheader("Results")
    loocv = results.get("LOOCV")
    if loocv is None:
        missing("LOOCV metrics", paths.LOOCV_METRICS)
    else:
        columns = st.columns(5)
        for column, metric in zip(columns, ["accuracy", "sensitivity", "specificity",
                                            "balanced_accuracy", "auc"]):
            column.metric(f"LOOCV {metric.replace('_', ' ')}", format_value(loocv[metric]),
                          help=f"95% interval: {loocv['ci95'].get(metric)}")
    table = results_table(results)
    if len(table):
        st.caption("Values with 95% intervals. Resubstitution scores the patients the model "
                   "was trained on: it is optimistic and is not an estimate of performance.")
        st.table(table.set_index("evaluation"))


def confusion_section(results: dict[str, dict | None]) -> None:
    """Confusion matrices of every evaluation produced, three per row."""
    produced = {name: metrics for name, metrics in results.items() if metrics is not None}
    if not produced:
        return
    st.subheader("Confusion matrices")
    names = list(produced)
    for start in range(0, len(names), 3):
        for column, name in zip(st.columns(3), names[start:start + 3]):
            with column:
                chart(figures.confusion_matrix_figure(produced[name], name), key=f"confusion-{name}",
                      toolbar=False)


def curves_section(results: dict[str, dict | None]) -> None:
    """ROC curves, LOOCV's per-patient probabilities and the permutation null."""
    st.subheader("Curves and probabilities")
    curves = tables.roc_inputs(data.loocv_predictions(), data.train_predictions(),
                               data.baseline_predictions())
    if curves:
        chart(figures.roc_figure(curves), key="roc")
    loocv = data.loocv_predictions()
    if loocv is not None:
        threshold = (results.get("LOOCV") or {}).get("threshold", 0.5)
        chart(figures.probability_figure(loocv, threshold).update_layout(
            title="LOOCV: held-out probability per patient (x: wrong)"), key="probabilities")
    null = data.permutations()
    if null is None:
        missing("Baselines and permutation test", paths.BASELINE_PERMUTATIONS)
    else:
        observed = (results.get("Baseline: radiomics") or {}).get("auc")
        chart(figures.permutation_figure(null["auc"], observed).update_layout(
            title="Radiomics baseline: AUC against shuffled labels"), key="permutations")


st.title("Cohort and results")
cohort_section()
all_results = data.results()
warnings_section(all_results)
headline_section(all_results)
confusion_section(all_results)
curves_section(all_results)
