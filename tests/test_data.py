"""The training data: augmentation per draw, on one torch thread, ahead of the step."""

import threading

import torch

from pipeline.data import Example, VolumeDataModule, VolumeDataset
from pipeline.threads import torch_threads


def _threads_seen(dataset_threads) -> tuple[list[int], int]:
    """Torch threads inside the transform, and after it, with two threads configured."""
    seen = []

    def transform(image):
        seen.append(torch.get_num_threads())
        return image

    dataset = VolumeDataset([Example("P01", torch.zeros(4, 6, 6, 6), 1)], transform)
    dataset.augmentation_threads = dataset_threads
    with torch_threads(2):
        image, target = dataset[0]
        after = torch.get_num_threads()
    assert image.shape == (4, 6, 6, 6) and target.tolist() == [1.0]
    return seen, after


def test_augmentation_runs_on_one_thread_and_restores_the_pool():
    assert _threads_seen(1) == ([1], 2)


def test_augmentation_threads_none_leaves_the_pool_alone():
    assert _threads_seen(None) == ([2], 2)


def test_torch_threads_restores_the_pool_after_an_error():
    with torch_threads(2):
        try:
            with torch_threads(1):
                raise ValueError
        except ValueError:
            pass
        assert torch.get_num_threads() == 2


def test_without_workers_the_next_batch_is_augmented_in_a_background_thread():
    threads = []

    def transform(image):
        threads.append(threading.current_thread())
        return image

    examples = [Example(f"P{i}", torch.zeros(4, 6, 6, 6), i % 2) for i in range(6)]
    data = VolumeDataModule(examples, examples[:2], transform, batch_size=2, val_batch_size=2)
    batches = list(data.train_dataloader())
    assert len(batches) == 3 and len(threads) == 6
    assert threading.main_thread() not in threads
    assert all(len(batch[0]) == 2 for batch in batches)
