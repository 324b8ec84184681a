"""Running a block of work on a given number of torch CPU threads."""

from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def torch_threads(count: int | None):
    """Torch's intra-op pool limited to ``count`` threads inside the block, restored after.

    ``None`` leaves the pool as it is.
    """
    if count is None or count == torch.get_num_threads():
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)

