"""Every network of ``model.network`` takes the kit's inputs and survives a save and load."""

import pytest
import torch

from pipeline.training.network import (
    NETWORKS,
    build_network,
    load_network,
    save_network,
)


@pytest.mark.parametrize(("name", "channels", "weights_below"),
                         [("densenet121", 4, 12_000_000), ("densenet_small", 5, 200_000)])
def test_one_logit_per_volume(name, channels, weights_below):
    network = build_network(channels, name).eval()
    with torch.no_grad():
        assert network(torch.rand(2, channels, 32, 32, 32)).shape == (2, 1)
    assert sum(p.numel() for p in network.parameters()) < weights_below


def test_the_small_network_is_far_smaller_than_the_studys():
    count = {name: sum(p.numel() for p in build_network(4, name).parameters()) for name in NETWORKS}
    assert count["densenet_small"] * 50 < count["densenet121"]


def test_a_saved_network_comes_back_as_the_same_architecture(tmp_path):
    network = build_network(4, "densenet_small").eval()
    save_network(tmp_path / "model.pt", network, 4, {"note": "x"}, "densenet_small")
    loaded, settings = load_network(tmp_path / "model.pt")
    volume = torch.rand(1, 4, 32, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(volume), network(volume))
    assert settings == {"note": "x"}


def test_an_unknown_network_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown network 'resnet'"):
        build_network(4, "resnet")
