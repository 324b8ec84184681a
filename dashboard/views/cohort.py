"""Page "Cohort and results": who is in the study, and every evaluation side by side."""

from __future__ import annotations

import streamlit as st

from dashboard import data, tables
from dashboard.views.common import chart, missing
from pipeline.formats import paths
from pipeline.presentation import figures, narrative
from pipeline.presentation.formatting import describe_single_class, format_value
from pipeline.presentation.results import calibration_table, results_table


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
    if data.stamp(paths.BASELINE_METRICS) is None:
        missing("Baseline metrics", paths.BASELINE_METRICS)


def confusion_tables(results: dict[str, dict | None]) -> None:
    """The 2x2 counts of every evaluation produced, three per row."""
    produced = {name: metrics for name, metrics in results.items() if metrics is not None}
    if not produced:
        st.info("No evaluation produced yet: run `dvc repro`.", icon=":material/hourglass_empty:")
        return
    names = list(produced)
    for start in range(0, len(names), 3):
        for column, name in zip(st.columns(3), names[start:start + 3]):
            column.markdown(f"**{name}**")
            column.table(tables.confusion_table(produced[name]))


def roc_curves(_results: dict[str, dict | None]) -> None:
    curves = tables.roc_inputs(data.loocv_predictions(), data.train_predictions(),
                               data.baseline_predictions())
    if curves:
        chart(figures.roc_figure(curves), key="roc")
    else:
        missing("LOOCV predictions", paths.LOOCV_PREDICTIONS)


def loocv_probabilities(results: dict[str, dict | None]) -> None:
    loocv = data.loocv_predictions()
    if loocv is None:
        missing("LOOCV predictions", paths.LOOCV_PREDICTIONS)
        return
    threshold = (results.get("LOOCV") or {}).get("threshold", 0.5)
    chart(figures.probability_figure(loocv, threshold).update_layout(
        title="LOOCV: held-out probability per patient (x: wrong)"), key="probabilities")


def permutation_null(results: dict[str, dict | None]) -> None:
    null = data.permutations()
    if null is None:
        missing("Baselines and permutation test", paths.BASELINE_PERMUTATIONS)
        return
    observed = (results.get("Baseline: radiomics") or {}).get("auc")
    chart(figures.permutation_figure(null["auc"], observed).update_layout(
        title="Radiomics baseline: AUC against shuffled labels"), key="permutations")


def _held_out(name: str) -> dict:
    """LOOCV's and the radiomics baseline's held-out predictions, by display name."""
    frames = {}
    loocv = data.loocv_predictions()
    if loocv is not None:
        frames[name] = loocv
    baselines = data.baseline_predictions()
    if baselines is not None:
        radiomics = baselines[baselines["baseline"] == "radiomics"]
        if not radiomics.empty:
            frames["radiomics"] = radiomics
    return frames


def calibration(results: dict[str, dict | None]) -> None:
    table = calibration_table(results)
    if table.empty:
        missing("Calibration figures (rerun the pipeline)", paths.LOOCV_METRICS)
        return
    st.caption("Brier score (lower is better), calibration intercept (0 when right on "
               "average) and slope (1 when the spread is right), with 95% intervals. With two "
               "dozen patients, wide intervals are the rule.")
    st.table(table.set_index("evaluation"))
    frames = _held_out("LOOCV")
    if frames:
        chart(figures.reliability_figure(frames), key="reliability")


def decision_curves(results: dict[str, dict | None]) -> None:
    # Imported when the tab opens: dcurves brings statsmodels, lifelines and matplotlib (seconds).
    from pipeline.evaluation import decision_curve

    frames = _held_out((results.get("LOOCV") or {}).get("network", "network") + " (LOOCV)")
    if not frames:
        missing("LOOCV predictions", paths.LOOCV_PREDICTIONS)
        return
    curves = decision_curve.net_benefit(frames)
    chart(figures.decision_curve_figure(curves), key="decision_curve")
    st.caption(narrative.decision_curve_summary(
        {name: decision_curve.useful_thresholds(curves, name) for name in frames},
        list(decision_curve.THRESHOLDS)))


def views_section(results: dict[str, dict | None]) -> None:
    """Confusion matrices as tables; each chart built only while its tab is open.

    The first page holds no chart because loading Plotly and drawing charts delays the
    LOOCV numbers above them (``bench.dashboard``); the tabs rerun the page on change.
    """
    st.subheader("Confusion matrices and curves")
    views = {"Confusion matrices": confusion_tables, "ROC curves": roc_curves,
             "LOOCV probabilities": loocv_probabilities, "Calibration": calibration,
             "Decision curve": decision_curves, "Permutation null": permutation_null}
    for tab, show in zip(st.tabs(list(views), key="cohort_view", on_change="rerun"), views.values()):
        if tab.open:
            with tab:
                show(results)


st.title("Cohort and results")
cohort_section()
all_results = data.results()
warnings_section(all_results)
headline_section(all_results)
views_section(all_results)
