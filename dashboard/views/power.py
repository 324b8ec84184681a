"""Page "Power": can the network find a planted effect? First in this cohort (the spike-in),
then in generated cohorts of larger sizes; the learning curve."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.views.common import chart, missing
from pipeline.formats import paths
from pipeline.presentation import cohort_power_summaries, figures, power_summaries


def controls_section(power: dict) -> None:
    """The controls' verdicts: a failed one is an error, since it voids a negative result."""
    st.subheader("Controls")
    failed = power_summaries.failed_controls(power)
    if failed:
        st.error("Failed controls: " + ", ".join(failed) + ". An arm that misses its positive "
                 "control, or finds its negative one, cannot support any conclusion.")
    st.dataframe(power_summaries.controls_table(power), hide_index=True)
    for sentence in power_summaries.control_sentences(power):
        st.markdown(f"- {sentence}")


def cohort_section(network: str) -> None:
    """The spike-in: the effect planted in this cohort, its located thresholds in units of d."""
    st.subheader("On this cohort: the spike-in")
    cohort = data.power_cohort()
    if cohort is None:
        missing("Spike-in study", paths.POWER_COHORT_METRICS)
        return
    failed = cohort_power_summaries.failed(cohort)
    if failed:
        st.error("Failed controls on this cohort: " + ", ".join(failed) + ". Such an arm's threshold, "
                 "or its negative result on the real labels, means nothing.")
    st.markdown(cohort_power_summaries.cohort_sentence(cohort, network))
    st.dataframe(cohort_power_summaries.thresholds_table(cohort), hide_index=True)
    chart(figures.cohort_power_figure(cohort), key="cohort-power")
    with st.expander("Controls on this cohort"):
        st.dataframe(cohort_power_summaries.cohort_controls(cohort), hide_index=True)
        for sentence in cohort_power_summaries.cohort_control_sentences(cohort):
            st.markdown(f"- {sentence}")


def power_section() -> None:
    """Power curves per arm and cohort size (``make power``)."""
    power = data.power()
    if power is None:
        missing("Power study", paths.POWER_METRICS)
        st.caption("The power study is a pipeline of its own: `make power` (under 30 minutes on a "
                   "2-core CPU from a fresh clone, its `make run` included).")
        return
    st.subheader("On generated cohorts: larger sizes")
    controls_section(power)
    st.subheader("Power against planted effect")
    chart(figures.power_figure(power), key="power-curves")
    for sentence in power_summaries.power_summary(power):
        st.markdown(f"- {sentence}")


def learning_curve_section() -> None:
    """Cross-validated AUC against training-set size on this cohort, with its projection."""
    st.subheader("Learning curve on this cohort")
    curves, points = data.learning_curve(), data.learning_points()
    if curves is None or points is None:
        missing("Learning curve", paths.LEARNING_CURVE_METRICS)
        return
    chart(figures.learning_curve_figure(points, curves), key="learning-curve")
    for sentence in power_summaries.learning_curve_summary(curves):
        st.markdown(f"- {sentence}")


st.title("Power")
st.caption("A network that finds nothing on your cohort says nothing unless it finds a planted "
           "effect of the same kind: these are the instrument's own measurements.")
cohort_section((data.results().get("LOOCV") or {}).get("network") or "")  # the sentence's network, if searched
power_section()
learning_curve_section()
