"""Running a block of work on a given number of CPU threads."""

from __future__ import annotations

import contextlib

import SimpleITK as sitk
import torch


@contextlib.contextmanager
def torch_threads(count: int | None):
    """Torch's intra-op pool limited to ``count`` threads inside the block, restored after.

    ``None`` leaves the pool as it is. The limit is the calling thread's own (OpenMP keeps
    it per thread): other threads keep theirs.
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


@contextlib.contextmanager
def sitk_threads(count: int | None):
    """SimpleITK filters created inside the block run on ``count`` threads; restored after.

    TorchIO's affine and motion resample through SimpleITK, which by default starts a
    thread per core. Unlike torch's, this default is the whole process's.
    """
    previous = sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()
    if count is None or count == previous:
        yield
        return
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(count)
    try:
        yield
    finally:
        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(previous)


@contextlib.contextmanager
def loading_threads(count: int | None):
    """Torch's and SimpleITK's threads both limited to ``count`` inside the block."""
    with torch_threads(count), sitk_threads(count):
        yield


@contextlib.contextmanager
def pinned_threads(count: int):
    """Torch's and SimpleITK's threads set to ``count`` inside the block, whatever they were.

    For work whose numbers depend on the count, such as training a fold: torch's CPU kernels
    (oneDNN's convolutions among them) split their sums between the threads, so the same
    fold trained on 1 and on 2 threads gives different weights. Unlike
    :func:`torch_threads` it sets torch's count even where the calling thread already has
    it, because ``torch.set_num_threads`` also sets the count that threads started later in
    the block (the data-loading thread) begin with.
    """
    previous_torch = torch.get_num_threads()
    previous_sitk = sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()
    torch.set_num_threads(count)
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous_torch)
        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(previous_sitk)
