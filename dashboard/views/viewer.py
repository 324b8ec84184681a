"""The slice viewer: four sequences side by side, brainstem outline, window, Grad-CAM.

A fragment, so moving the slider reruns only the viewer, not the page around it.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import data, slices
from dashboard.views.common import chart, missing
from pipeline import paths

VIEWS = {"crop": "model crop", "full": "whole resampled head"}


def saliency_overlay(patient_id: str, view: str) -> tuple[np.ndarray | None, str]:
    """The Grad-CAM map on the shown grid if switched on (computed once, then cached)."""
    available = data.model_available()
    wanted = st.toggle("Grad-CAM saliency", key="saliency", disabled=not available,
                       help="Which voxels push the single-split model towards 'positive'. "
                            "Computed on demand (a few seconds), then cached."
                       if available else "Needs the trained model: run `dvc repro train`.")
    if not wanted:
        return None, ""
    try:
        cam = data.saliency(patient_id)
    except RuntimeError as error:  # e.g. a crop too small for DenseNet121's five poolings
        st.warning(f"Grad-CAM could not run on this patient's crop: {error}")
        return None, ""
    if cam is None:
        return None, ""
    shape = "x".join(str(size) for size in cam["feature_shape"])
    note = (f" Heat: Grad-CAM of the positive-class logit at `{cam['layer']}` "
            f"({shape} feature map, upsampled).")
    if not cam["crop"].any():
        note += " It is zero everywhere: nothing in this crop pushes the model towards 'positive'."
    return cam.get(view), note


def _window(grid: slices.Volumes, view: str) -> tuple[float, float]:
    """The window control: the intensities shown from black to white."""
    low, high = grid.intensity_range()
    low, high = min(low, 0.0), max(high, 1.0)  # preprocessed intensities lie in [0, 1]
    return st.slider("Window/level (intensities shown from black to white)", low, high, (low, high),
                     step=(high - low) / 100, key=f"window-{view}-{low:.3g}-{high:.3g}")


def _controls(views: list[str]) -> tuple[str, str, bool]:
    """The volume (among ``views``), plane and outline switches."""
    left, middle, right = st.columns([2, 2, 1])
    view = left.radio("Volume", views, format_func=VIEWS.get, horizontal=True, key="view",
                      help=None if "full" in views else "The whole head was not saved for this "
                      "patient: run `dvc repro prepare`.")
    plane = middle.radio("Plane", list(slices.PLANES), horizontal=True, key="plane")
    show_mask = right.toggle("Brainstem outline", value=True, key="show_mask")
    return view, plane, show_mask


@st.fragment
def slice_viewer(patient_id: str, description: str = "") -> None:
    """Renders the viewer for one included patient, ``description`` under its title."""
    volumes = data.volumes(patient_id)
    if volumes is None:
        missing("Preprocessed volumes", paths.PREPROCESSED)
        return
    st.subheader(f"Slices of {patient_id}")
    if description:
        st.markdown(description)
    view, plane, show_mask = _controls([view for view in VIEWS if view in volumes])
    grid = volumes[view]
    axis_length = grid.shape[slices.PLANES[plane]]
    index = st.slider("Slice", 0, axis_length - 1, grid.centre(plane),
                      key=f"slice-{patient_id}-{view}-{plane}")
    window = _window(grid, view)
    heat, heat_note = saliency_overlay(patient_id, view)
    panels = slices.slice_panels(grid, plane, index, window, show_mask, heat)
    # No toolbar over the panel titles: drag to zoom, double-click to zoom out.
    chart(slices.panels_figure(panels, [name.upper() for name in grid.sequences]), key="slices",
          toolbar=False)
    box_note = " Yellow: the model's crop." if grid.box is not None else ""
    st.caption(f"{plane.capitalize()} slice {index} of {axis_length - 1}, neurological "
               f"convention (patient's right on the right). Red: brainstem outline."
               f"{box_note}{heat_note}")
