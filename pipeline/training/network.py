"""The classifier networks and their saved form.

Plain ``nn.Module``s from MONAI with one logit out; Lightning wraps them elsewhere.
``densenet121`` is the study's network (11.3 M weights). ``densenet_small`` is MONAI's
DenseNet with three short blocks (0.1 M weights): with two dozen patients the large one
memorises its training set, and the small one trains about ten times faster per step.
Saved models hold only tensors and plain values so they load with ``weights_only=True``:
opening a model file can never execute code.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import torch
from monai.networks.nets import DenseNet, DenseNet121

from pipeline.formats import read_model, save_torch

NETWORKS: dict[str, Callable[[int], torch.nn.Module]] = {
    "densenet121": lambda channels: DenseNet121(spatial_dims=3, in_channels=channels, out_channels=1),
    "densenet_small": lambda channels: DenseNet(spatial_dims=3, in_channels=channels, out_channels=1,
                                                init_features=16, growth_rate=8,
                                                block_config=(2, 4, 4), bn_size=4),
}
DEFAULT_NETWORK = "densenet121"  # what a model file without a network name holds


def build_network(in_channels: int, name: str = DEFAULT_NETWORK) -> torch.nn.Module:
    """Network ``name`` (a key of :data:`NETWORKS`) for 3D volumes with ``in_channels`` inputs."""
    if name not in NETWORKS:
        raise ValueError(f"unknown network {name!r}; known: {', '.join(NETWORKS)}")
    return NETWORKS[name](in_channels)


def save_network(path: str | os.PathLike, network: torch.nn.Module, in_channels: int,
                 settings: dict, name: str = DEFAULT_NETWORK) -> None:
    """Saves the weights plus what is needed to rebuild and feed the network."""
    record = {"state_dict": {k: v.detach().cpu() for k, v in network.state_dict().items()},
              "in_channels": int(in_channels), "network": name, "settings": dict(settings)}
    save_torch(path, record)


def load_network(path: str | os.PathLike) -> tuple[torch.nn.Module, dict]:
    """Rebuilds a saved network in eval mode; returns it with its saved settings."""
    record = read_model(path)
    network = build_network(record["in_channels"], record.get("network", DEFAULT_NETWORK))
    network.load_state_dict(record["state_dict"])
    return network.eval(), record["settings"]
