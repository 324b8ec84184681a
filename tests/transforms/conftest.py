"""The grids every comparison with TorchIO runs on (``subjects.GRIDS``)."""

import pytest

from tests.transforms.subjects import GRIDS


@pytest.fixture(params=range(len(GRIDS)), ids=["crop", "anisotropic"])
def grid(request):
    return GRIDS[request.param]
