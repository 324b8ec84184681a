"""The volume viewer: NiiVue in the browser, one or two patients, mask and Grad-CAM overlays.

Each volume goes to the browser once as NIfTI bytes; moving the crosshair, scrolling
slices, zooming and rotating the 3D view happen in the browser with no server round
trip. The component is imported here, so only the Patients page loads it.

A fragment, so changing a control reruns only the viewer, not the page around it.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from niivue_component import niivue_viewer

from dashboard import data
from dashboard.views.common import missing
from pipeline.formats import paths

GRIDS = {"crop": "model crop", "full": "whole resampled head"}
VIEW_MODES = {"multiplanar": "three planes", "axial": "axial", "coronal": "coronal",
              "sagittal": "sagittal", "3d": "3D"}
ALL_SEQUENCES = "all"  # every channel the preprocessed patient lists (data.sequences)
MASK_COLOURMAPS = ["green", "red", "blue", "warm", "winter"]  # not red first: the crosshair is red
HEAT_COLOURMAPS = ["warm", "hot", "plasma", "viridis", "inferno"]


@dataclass(frozen=True)
class Overlay:
    """An overlay the user switched on: what, in which colour map, how opaque."""

    colourmap: str
    opacity: float


@dataclass(frozen=True)
class Display:
    """Every viewer setting, shared by the patients shown so they compare like for like."""

    sequences: list[str]
    grid: str
    view_mode: str
    radiological: bool
    mask: Overlay | None
    saliency: Overlay | None


def _overlay_controls(column, name: str, key: str, colourmaps: list[str], default_on: bool,
                      opacity: float, disabled: bool = False, help: str | None = None) -> Overlay | None:
    """A switch, a colour map and an opacity for one overlay."""
    wanted = column.toggle(name, value=default_on, key=key, disabled=disabled, help=help)
    if not wanted:
        return None
    colourmap = column.selectbox(f"{name}: colour map", colourmaps, key=f"{key}_colourmap")
    alpha = column.slider(f"{name}: opacity", 0.0, 1.0, opacity, 0.05, key=f"{key}_opacity")
    return Overlay(colourmap, alpha)


def controls(sequences: list[str], grids: list[str]) -> Display:
    """The viewer's controls; ``grids`` are those every shown patient has."""
    left, middle, right = st.columns([3, 2, 2])
    sequence = left.segmented_control("Sequence", sequences + [ALL_SEQUENCES],
                                      default=sequences[0], required=True, key="sequence",
                                      format_func=lambda name: name if name == ALL_SEQUENCES else name.upper())
    view_mode = left.segmented_control("View", list(VIEW_MODES), default="multiplanar",
                                       required=True, format_func=VIEW_MODES.get, key="view_mode")
    grid = left.radio("Volume", grids, format_func=GRIDS.get, horizontal=True, key="grid",
                      help=None if "full" in grids else "The whole head was not saved for "
                      "this patient: run `dvc repro prepare`.")
    radiological = left.toggle("Radiological convention", key="radiological",
                               help="Off: neurological (the patient's right on the right).")
    mask = _overlay_controls(middle, "Brainstem mask", "show_mask", MASK_COLOURMAPS, True, 0.4)
    available = data.model_available()
    saliency = _overlay_controls(
        right, "Grad-CAM saliency", "saliency", HEAT_COLOURMAPS, False, 0.6, disabled=not available,
        help="Which voxels push the single-split model towards 'positive'. Computed on demand "
             "(a few seconds), then cached." if available else "Needs the trained model: run "
             "`dvc repro train`.")
    shown = sequences if sequence == ALL_SEQUENCES else [sequence or sequences[0]]
    return Display(shown, grid or grids[0], view_mode or "multiplanar", radiological, mask, saliency)


def _saliency_layer(patient_id: str, grid: str) -> tuple[bytes | None, str]:
    """The Grad-CAM map as NIfTI on the shown grid, and a note on where it came from."""
    try:
        cam = data.saliency(patient_id)
    except RuntimeError as error:  # e.g. a crop too small for DenseNet121's five poolings
        st.warning(f"Grad-CAM could not run on this patient's crop: {error}")
        return None, ""
    if cam is None:
        return None, ""
    shape = "x".join(str(size) for size in cam["feature_shape"])
    note = (f"Grad-CAM of the positive-class logit at `{cam['layer']}` "
            f"({shape} feature map, upsampled).")
    if not cam["crop"].any():
        note += " It is zero everywhere: nothing in this crop pushes the model towards 'positive'."
    return cam["nifti"].get(grid), note


def overlays(patient_id: str, display: Display) -> tuple[list[dict], str]:
    """The overlays of one patient as the component takes them, and the notes on them."""
    layers, notes = [], []
    if display.mask is not None:
        layers.append({"data": data.volume_nifti(patient_id, display.grid, "mask"),
                       "name": "brainstem.nii.gz", "colormap": display.mask.colourmap,
                       "opacity": display.mask.opacity})
        notes.append(f"Brainstem mask in {display.mask.colourmap}.")
    if display.saliency is not None:
        heat, note = _saliency_layer(patient_id, display.grid)
        if heat is not None:
            layers.append({"data": heat, "name": "gradcam.nii.gz",
                           "colormap": display.saliency.colourmap,
                           "opacity": display.saliency.opacity})
            notes.append(note)
    return layers, " ".join(notes)


def _component_key(patient_id: str, sequence: str, grid: str, layers: list[dict]) -> str:
    """A key that changes with the image or its overlays, so the component starts afresh.

    The component updates a shown image in place badly: a new image or overlay set
    arrived as a second canvas beside the old one. View and convention changes stay in place.
    """
    overlays = "-".join(f"{layer['name']}:{layer['colormap']}:{layer['opacity']}" for layer in layers)
    return f"niivue-{patient_id}-{sequence}-{grid}-{overlays}"


def _panel(patient_id: str, sequence: str, display: Display, layers: list[dict],
           height: int) -> None:
    """One NiiVue canvas: a sequence with the overlays."""
    st.caption(sequence.upper())
    # No click feedback: it would rerun the script on every click. NiiVue's own status bar
    # shows the voxel under the cursor (position in mm, value) without the server.
    niivue_viewer(nifti_data=data.volume_nifti(patient_id, display.grid, sequence),
                  filename=f"{sequence}.nii.gz", overlays=layers, height=height,
                  view_mode=display.view_mode, update_interval_ms=None,
                  settings={"crosshair": True, "radiological": display.radiological,
                            "colorbar": False, "interpolation": True},
                  key=_component_key(patient_id, sequence, display.grid, layers))


def patient_viewer(patient_id: str, description: str, display: Display, narrow: bool) -> None:
    """The shown sequences of one patient, ``description`` under its name."""
    st.subheader(patient_id)
    if description:
        st.markdown(description)
    layers, notes = overlays(patient_id, display)
    count = len(display.sequences)
    per_row = 2 if narrow and count > 1 else count
    height = 560 if count == 1 else (380 if per_row == count else 340)
    for start in range(0, count, per_row):
        columns = st.columns(per_row)
        for column, sequence in zip(columns, display.sequences[start:start + per_row]):
            with column:
                _panel(patient_id, sequence, display, layers, height)
    convention = ("radiological (the patient's right on the left)" if display.radiological
                  else "neurological (the patient's right on the right)")
    st.caption(f"{GRIDS[display.grid].capitalize()}, {convention}. Click or drag to move the "
               f"crosshair; the bar under the image gives the voxel, its position in mm and "
               f"the value. {notes}")


@st.fragment
def volume_viewer(patients: dict[str, str]) -> None:
    """The viewer for one or two included patients (id -> one-line description)."""
    all_grids = {patient_id: data.grids(patient_id) for patient_id in patients}
    if any(grids is None for grids in all_grids.values()):
        missing("Preprocessed volumes", paths.PREPROCESSED)
        return
    first = next(iter(all_grids.values()))
    shared = [grid for grid in GRIDS if all(grid in grids for grids in all_grids.values())]
    display = controls(list(first["crop"].sequences), shared)
    columns = st.columns(len(patients))
    for column, (patient_id, description) in zip(columns, patients.items()):
        with column:
            patient_viewer(patient_id, description, display, narrow=len(patients) > 1)
