"""A training loader's batches for every epoch of a fit, made one ahead by a background thread.

Lightning asks for a new iterator every epoch, and a loader's iterator starts from nothing:
with a thread per epoch (MONAI's ``ThreadDataLoader``) each epoch's first step waited while a
whole batch was augmented and collated, with the training threads idle. Here one thread
runs through all the epochs, so the next epoch's first batch is made while this epoch's
last step trains.

That thread is the only one that draws from torch's global generator while training:
TorchIO's transforms draw there, and the loaders shuffle and seed from generators of their
own (``pipeline.training.datasets``). So a seeded fit augments the same way every time.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from torch.utils.data import DataLoader


class PrefetchingLoader:
    """``loader``'s batches for ``epochs`` epochs, one batch ahead; ``close`` stops early."""

    def __init__(self, loader: DataLoader, epochs: int):
        self.loader, self.epochs = loader, epochs
        self._batches: queue.Queue = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._epochs_served = 0

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator:
        if self._epochs_served == self.epochs:
            raise RuntimeError(f"all {self.epochs} epochs of this loader were served")
        self._epochs_served += 1
        if self._thread is None:
            self._thread = threading.Thread(target=self._produce, name="batches-ahead",
                                            daemon=True)
            self._thread.start()
        for _ in range(len(self)):
            batch = self._batches.get()
            if isinstance(batch, BaseException):
                raise batch
            yield batch

    def close(self) -> None:
        """Stops the thread, dropping the batch it made ahead, and waits for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _produce(self) -> None:
        try:
            for _ in range(self.epochs):
                for batch in self.loader:
                    if not self._put(batch):
                        return
        except BaseException as error:  # noqa: BLE001 - raised again in the training thread
            self._put(error)

    def _put(self, item) -> bool:
        """Queues ``item`` once there is room; False if stopped first."""
        while not self._stop.is_set():
            try:
                self._batches.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
