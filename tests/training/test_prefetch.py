"""The prefetching loader: every epoch's batches in order, one ahead, across epoch ends."""

import threading

import pytest

from pipeline.training.prefetch import PrefetchingLoader


class Batches:
    """A loader of ``count`` batches per epoch that records when each one is made."""

    def __init__(self, count: int):
        self.count, self.made, self.epoch = count, [], 0

    def __len__(self) -> int:
        return self.count

    def __iter__(self):
        self.epoch += 1
        for index in range(self.count):
            self.made.append((self.epoch, index))
            yield self.epoch, index


def _made_after(loader: PrefetchingLoader, source: Batches, count: int) -> list:
    """What ``source`` has made once the thread has caught up (the queue is full)."""
    for _ in range(100):
        if len(source.made) == count:
            break
        threading.Event().wait(0.01)
    return list(source.made)


def test_every_epoch_in_order_and_the_next_epochs_first_batch_made_ahead():
    source = Batches(2)
    loader = PrefetchingLoader(source, epochs=2)
    first = list(loader)
    assert first == [(1, 0), (1, 1)]
    # Epoch 1 is consumed and epoch 2 not asked for: its first batch is made already.
    assert _made_after(loader, source, 3)[-1] == (2, 0)
    assert list(loader) == [(2, 0), (2, 1)] and len(loader) == 2
    with pytest.raises(RuntimeError, match="all 2 epochs"):
        next(iter(loader))


def test_an_error_making_a_batch_is_raised_where_batches_are_used():
    def failing():
        yield 1
        raise ValueError("bad volume")

    class Failing(Batches):
        def __iter__(self):
            return failing()

    with pytest.raises(ValueError, match="bad volume"):
        list(PrefetchingLoader(Failing(2), epochs=1))


def test_close_stops_the_thread_before_its_epochs_are_done():
    loader = PrefetchingLoader(Batches(3), epochs=5)
    assert next(iter(loader)) == (1, 0)
    loader.close()
    assert not loader._thread.is_alive()
