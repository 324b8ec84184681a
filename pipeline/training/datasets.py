"""Preprocessed patients as PyTorch datasets: in memory, augmented on the fly for training.

Without worker processes (``num_workers: 0``, the default) the training batches are
augmented in one background thread a batch ahead of the step, across epoch ends too
(:class:`pipeline.training.prefetch.PrefetchingLoader`). It is the only thread that draws from
torch's global generator while training: the loaders shuffle and seed from generators of
their own, seeded with ``seed``. So the draws, and the run, repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import lightning as L
import torch
import torchio as tio
from torch.utils.data import DataLoader, Dataset, default_collate

from pipeline import formats
from pipeline.training.prefetch import PrefetchingLoader
from pipeline.training.threads import loading_threads


@dataclass(frozen=True)
class Example:
    """One model input and its label.

    ``mask_channels``: how many of ``image``'s last channels are the brainstem mask
    (:func:`pipeline.formats.mask_channels`; 0 unless params ``model.mask_channel``).
    """

    patient_id: str
    image: torch.Tensor
    target: int
    mask_channels: int = 0


# Torch and SimpleITK threads that augment and stack a batch: one, as in a DataLoader
# worker process. The element-wise work, small FFTs and resampling of a few crops gain
# nothing from more, and with more the loading thread got an OpenMP team of its own whose
# idle threads spun beside the training step's: on a 2-core machine the step slowed down by
# half. The torch limit is the loading thread's own; the step in the main thread keeps
# every core.
LOADING_THREADS = 1


class VolumeDataset(Dataset):
    """Model inputs held in memory; ``transform`` (TorchIO) is applied per draw, and it and
    the stacking of a batch (:meth:`collate`) run on :data:`LOADING_THREADS` threads."""

    def __init__(self, examples: Sequence[Example], transform: tio.Transform | None = None):
        self.examples = list(examples)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        example = self.examples[index]
        image = example.image
        if self.transform is not None:
            with loading_threads(LOADING_THREADS):
                image = augmented(self.transform, image, example.mask_channels)
        return image.float(), torch.tensor([float(example.target)])

    def collate(self, examples: list) -> list[torch.Tensor]:
        """A batch of ``__getitem__`` results, stacked on the loading threads (``collate_fn``)."""
        with loading_threads(LOADING_THREADS):
            return default_collate(examples)


def augmented(transform: tio.Transform, image: torch.Tensor, mask_channels: int) -> torch.Tensor:
    """One draw of ``transform`` on a model input whose last ``mask_channels`` are the mask.

    The sequences go in as intensities; the brainstem mask as a label map, so spatial
    transforms move it with nearest-neighbour sampling and intensity transforms (noise,
    gamma, bias field, motion) leave it alone. It stays binary, and one-hot if it was.
    """
    # A copy: the transforms change the subject they are given (pipeline.training.augmentation).
    image = image.clone()
    subject = tio.Subject(image=tio.ScalarImage(tensor=image[:len(image) - mask_channels]))
    if mask_channels:
        subject.add_image(tio.LabelMap(tensor=image[-1:]), "brainstem")
    drawn = transform(subject)
    if not mask_channels:
        return drawn["image"].data
    one_hot = mask_channels == formats.mask_channel_count(mask_channel=True, one_hot=True)
    return torch.cat([drawn["image"].data,
                      formats.mask_channels(drawn["brainstem"].data[0], one_hot)])


class VolumeDataModule(L.LightningDataModule):
    """Training and validation loaders over in-memory examples, for ``epochs`` epochs."""

    def __init__(self, train: Sequence[Example], validation: Sequence[Example],
                 transform: tio.Transform | None, batch_size: int, val_batch_size: int,
                 num_workers: int = 0, epochs: int = 1, seed: int = 0):
        super().__init__()
        self.train, self.validation, self.transform = train, validation, transform
        self.batch_size, self.val_batch_size = batch_size, val_batch_size
        self.num_workers, self.epochs, self.seed = num_workers, epochs, seed
        self._prefetching: PrefetchingLoader | None = None

    def _loader(self, dataset: VolumeDataset, batch_size: int, shuffle: bool) -> DataLoader:
        # A training batch of one cannot be batch-normalised: drop such a remainder.
        drop_last = shuffle and len(dataset) % batch_size == 1
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                          collate_fn=dataset.collate, num_workers=self.num_workers,
                          pin_memory=torch.cuda.is_available(),
                          persistent_workers=self.num_workers > 0,
                          generator=torch.Generator().manual_seed(self.seed))

    def train_dataloader(self) -> DataLoader | PrefetchingLoader:
        loader = self._loader(VolumeDataset(self.train, self.transform), self.batch_size, True)
        if self.num_workers:  # worker processes already prepare batches ahead
            return loader
        self._prefetching = PrefetchingLoader(loader, self.epochs)
        return self._prefetching

    def val_dataloader(self) -> DataLoader:
        return self._loader(VolumeDataset(self.validation), self.val_batch_size, False)

    def teardown(self, stage: str) -> None:
        if self._prefetching is not None:
            self._prefetching.close()

    def on_exception(self, exception: BaseException) -> None:
        self.teardown("fit")
