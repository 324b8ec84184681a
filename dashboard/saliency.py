"""Grad-CAM saliency of the trained network on one patient's crop (MONAI; no Streamlit).

Why not the last layer: DenseNet121 shrinks its input 32 times, so on a 32^3 crop the
final feature map (``class_layers.relu``) is 1x1x1 and its Grad-CAM is a constant. The
map is taken at the deepest feature stage that still keeps a few voxels per side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from monai.visualize import GradCAM

from pipeline.formats import PreprocessedPatient

MIN_FEATURE_SIZE = 4  # voxels per side of the feature map Grad-CAM is taken from


@dataclass(frozen=True)
class SaliencyMap:
    """A Grad-CAM map on the model crop's grid, scaled to [0, 1], and where it came from."""

    volume: np.ndarray
    layer: str
    feature_shape: tuple[int, ...]


def _feature_shapes(network: torch.nn.Module, model_input: torch.Tensor) -> dict[str, tuple]:
    """Output shape of each stage of ``network.features`` for this input, in order."""
    shapes: dict[str, tuple] = {}
    hooks = [module.register_forward_hook(
                 lambda _module, _inputs, output, name=name: shapes.__setitem__(name, output.shape))
             for name, module in network.features.named_children()]
    try:
        with torch.no_grad():
            network(model_input[None])
    finally:
        for hook in hooks:
            hook.remove()
    return shapes


def target_layer(network: torch.nn.Module, model_input: torch.Tensor) -> tuple[str, tuple]:
    """The deepest feature stage keeping ``MIN_FEATURE_SIZE`` voxels per side, and its shape."""
    shapes = _feature_shapes(network, model_input)
    large = [name for name, shape in shapes.items() if min(shape[2:]) >= MIN_FEATURE_SIZE]
    name = large[-1] if large else next(iter(shapes))
    return f"features.{name}", tuple(shapes[name][2:])


def grad_cam(network: torch.nn.Module, settings: dict, patient: PreprocessedPatient) -> SaliencyMap:
    """Grad-CAM of the network's positive-class logit for ``patient``, on the crop grid.

    Args:
        network: the trained classifier in eval mode. Grad-CAM leaves hooks on it, so pass
            a freshly loaded copy rather than one shared with other callers.
        settings: the settings saved with the network (input options such as
            ``mask_channel`` and ``one_hot_mask`` are honoured).
        patient: the preprocessed patient.
    """
    options = {key: bool(settings[key]) for key in ("one_hot_mask", "mask_channel") if key in settings}
    model_input = patient.model_input(**options).float()
    layer, feature_shape = target_layer(network, model_input)
    result = GradCAM(nn_module=network, target_layers=layer)(x=model_input[None])
    volume = result[0, 0].detach().cpu().numpy().astype(np.float32)
    return SaliencyMap(volume=volume, layer=layer, feature_shape=feature_shape)
