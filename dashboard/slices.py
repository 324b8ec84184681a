"""Drawing for the slice viewer: 2D slices of a patient's volumes as small RGB images.

No Streamlit here. Volumes are RAS+ numpy arrays (axis 0 = x, left to right; 1 = y,
posterior to anterior; 2 = z, inferior to superior). Slices are shown in neurological
convention: the patient's right on the viewer's right, anterior or superior at the top.
Each panel goes to the browser as one small PNG, so moving the slider sends a few
kilobytes, never a volume.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from scipy import ndimage

from pipeline.artifacts import PreprocessedPatient

PLANES = {"axial": 2, "coronal": 1, "sagittal": 0}  # plane -> the axis it cuts
MASK_COLOUR = np.array([255, 40, 40], dtype=np.float32)
BOX_COLOUR = np.array([255, 210, 0], dtype=np.float32)
SALIENCY_OPACITY = 0.6


@dataclass(frozen=True)
class Volumes:
    """One grid of a patient (model crop or whole head) as the viewer draws it.

    Attributes:
        images: (sequences, x, y, z) float32.
        mask: (x, y, z) bool, the brainstem.
        affine: voxel-to-world matrix (mm).
        sequences: channel names of ``images``.
        box: (x, y, z) bool, the model crop's extent on this grid (None on the crop itself).
    """

    images: np.ndarray
    mask: np.ndarray
    affine: np.ndarray
    sequences: tuple[str, ...]
    box: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    def centre(self, plane: str) -> int:
        """The slice through the brainstem's centre (the volume's middle without a mask)."""
        axis = PLANES[plane]
        if not self.mask.any():
            return self.shape[axis] // 2
        other = tuple(a for a in range(3) if a != axis)
        counts = self.mask.sum(axis=other)
        return int(round(float(np.average(np.arange(len(counts)), weights=counts))))

    def intensity_range(self) -> tuple[float, float]:
        """Lowest and highest intensity over all sequences, for the window control."""
        low, high = float(self.images.min()), float(self.images.max())
        return (low, high) if high > low else (low, low + 1.0)


def resample_to_grid(volume: np.ndarray, source_affine: np.ndarray, target_affine: np.ndarray,
                     target_shape: tuple[int, ...], order: int = 1) -> np.ndarray:
    """``volume`` (on ``source_affine``) interpolated onto another grid; 0 outside it."""
    target_to_source = np.linalg.inv(source_affine) @ target_affine
    return ndimage.affine_transform(volume.astype(np.float32), target_to_source[:3, :3],
                                    offset=target_to_source[:3, 3], output_shape=target_shape,
                                    order=order, mode="constant", cval=0.0)


def _read_only(array: np.ndarray) -> np.ndarray:
    """Marks a cached array read-only so no caller can change it for the others."""
    array.flags.writeable = False
    return array


def patient_volumes(patient: PreprocessedPatient) -> dict[str, Volumes]:
    """A patient's grids as numpy: ``crop`` and, when it was read, the whole head ``full``."""
    sequences = tuple(patient.sequences)
    crop = Volumes(_read_only(patient.image.float().numpy()),
                   _read_only(patient.mask.numpy() > 0), patient.affine, sequences)
    if patient.full_image is None:
        return {"crop": crop}
    full_mask = _read_only(patient.full_mask.numpy() > 0)
    box = resample_to_grid(np.ones(crop.shape, np.float32), patient.affine,
                           patient.full_affine, full_mask.shape, order=0) > 0.5
    full = Volumes(_read_only(patient.full_image.float().numpy()), full_mask,
                   patient.full_affine, sequences, _read_only(box))
    return {"crop": crop, "full": full}


def take_slice(volume: np.ndarray, plane: str, index: int) -> np.ndarray:
    """The 2D slice ``index`` of a (x, y, z) volume, oriented for display (row 0 on top)."""
    section = np.take(volume, index, axis=PLANES[plane])
    return section.T[::-1]


def outline(mask: np.ndarray) -> np.ndarray:
    """The boundary pixels of a 2D boolean mask."""
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def heat_colours(values: np.ndarray) -> np.ndarray:
    """A red-to-yellow colour map of values in [0, 1], as float RGB in [0, 255].

    No black or white in it, so the heat never reads as tissue intensity.
    """
    values = np.clip(values, 0, 1)
    return np.stack([np.ones_like(values), values, np.zeros_like(values)], axis=-1) * 255


def compose(section: np.ndarray, window: tuple[float, float], mask: np.ndarray | None = None,
            saliency: np.ndarray | None = None, box: np.ndarray | None = None) -> np.ndarray:
    """One RGB uint8 panel: the windowed slice, saliency blended in, outlines on top."""
    low, high = window
    grey = np.clip((section - low) / max(high - low, 1e-6), 0, 1) * 255
    rgb = np.repeat(grey[..., None], 3, axis=-1).astype(np.float32)
    if saliency is not None:
        alpha = SALIENCY_OPACITY * np.clip(saliency, 0, 1)[..., None]
        rgb = (1 - alpha) * rgb + alpha * heat_colours(saliency)
    for overlay, colour in ((box, BOX_COLOUR), (mask, MASK_COLOUR)):
        if overlay is not None:
            rgb[outline(overlay)] = colour
    return rgb.astype(np.uint8)


def png_data_uri(rgb: np.ndarray) -> str:
    """An RGB uint8 image as a ``data:image/png`` URI, the form Plotly images accept."""
    buffer = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def slice_panels(volumes: Volumes, plane: str, index: int, window: tuple[float, float],
                 show_mask: bool = True, saliency: np.ndarray | None = None) -> list[np.ndarray]:
    """One composed RGB panel per sequence, for slice ``index`` of ``plane``."""
    mask = take_slice(volumes.mask, plane, index) if show_mask else None
    box = take_slice(volumes.box, plane, index) if volumes.box is not None else None
    heat = take_slice(saliency, plane, index) if saliency is not None else None
    return [compose(take_slice(image, plane, index), window, mask, heat, box)
            for image in volumes.images]


def panels_figure(panels: list[np.ndarray], titles: list[str], height: int = 300) -> go.Figure:
    """The panels side by side in one Plotly figure, each with square voxels."""
    count, gap = len(panels), 0.01
    width = (1 - gap * (count - 1)) / count
    traces, layout = [], {"annotations": []}
    for number, (panel, title) in enumerate(zip(panels, titles), start=1):
        start, suffix = (number - 1) * (width + gap), "" if number == 1 else str(number)
        traces.append(go.Image(source=png_data_uri(panel), xaxis=f"x{suffix}",
                               yaxis=f"y{suffix}", hoverinfo="skip"))
        layout[f"xaxis{suffix}"] = dict(domain=[start, start + width], visible=False,
                                        constrain="domain")
        # Square voxels; a panel narrower than tall keeps to the top, under its title.
        layout[f"yaxis{suffix}"] = dict(visible=False, scaleanchor=f"x{suffix}", autorange="reversed",
                                        constrain="domain", constraintoward="top")
        layout["annotations"].append(dict(text=title, x=start + width / 2, y=1.0, xref="paper",
                                          yref="paper", yanchor="bottom", showarrow=False,
                                          font=dict(size=15)))
    # One Figure call: Plotly validates the whole layout once instead of per update.
    return go.Figure(data=traces, layout=dict(layout, height=height, dragmode="zoom",
                                              margin=dict(l=0, r=0, t=30, b=0)))
