"""Page "Power": can the network find a planted effect? Controls, power curves, learning curve."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.views.common import chart, missing
from pipeline.formats import paths
from pipeline.presentation import figures, power_summaries


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


def power_section() -> None:
    """Power curves per arm and cohort size (``make power``)."""
    power = data.power()
    if power is None:
        missing("Power study", paths.POWER_METRICS)
        st.caption("The power study is a pipeline of its own: `make power` (about 25 minutes on a "
                   "2-core CPU with the `cpu` grid).")
        return
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
power_section()
learning_curve_section()
