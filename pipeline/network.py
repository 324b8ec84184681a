"""The classifier network and its saved form.

A plain ``nn.Module`` (MONAI's 3D DenseNet121 with one logit out); Lightning wraps it
elsewhere. Saved models hold only tensors and plain values so they load with
``weights_only=True``: opening a model file can never execute code.
"""

from __future__ import annotations

import os

import torch
from monai.networks.nets import DenseNet121

from pipeline.artifacts import save_torch


def build_network(in_channels: int) -> torch.nn.Module:
    """DenseNet121 for 3D volumes with ``in_channels`` inputs and a single logit."""
    return DenseNet121(spatial_dims=3, in_channels=in_channels, out_channels=1)


def save_network(path: str | os.PathLike, network: torch.nn.Module, in_channels: int,
                 settings: dict) -> None:
    """Saves the weights plus what is needed to rebuild and feed the network."""
    record = {"state_dict": {k: v.detach().cpu() for k, v in network.state_dict().items()},
              "in_channels": int(in_channels), "settings": dict(settings)}
    save_torch(path, record)


def load_network(path: str | os.PathLike) -> tuple[torch.nn.Module, dict]:
    """Rebuilds a saved network in eval mode; returns it with its saved settings."""
    record = torch.load(path, weights_only=True, map_location="cpu")
    network = build_network(record["in_channels"])
    network.load_state_dict(record["state_dict"])
    return network.eval(), record["settings"]
