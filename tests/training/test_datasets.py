"""The training data: augmentation per draw, on one torch thread, ahead of the step."""

import threading

import pytest
import SimpleITK as sitk
import torch
import torchio as tio

from pipeline import formats
from pipeline.training.augmentation import augmentation
from pipeline.training.datasets import (
    Example,
    VolumeDataModule,
    VolumeDataset,
    augmented,
)
from pipeline.training.threads import pinned_threads, sitk_threads, torch_threads


def test_augmentation_runs_on_one_thread_and_restores_the_pools():
    # SimpleITK resamples for TorchIO's affine and motion: its threads count as well.
    seen = []

    def threads():
        return torch.get_num_threads(), sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()

    def transform(subject):
        seen.append(threads())
        return subject

    dataset = VolumeDataset([Example("P01", torch.zeros(4, 6, 6, 6), 1)], transform)
    with torch_threads(2), sitk_threads(2):
        image, target = dataset[0]
        after = threads()
    assert image.shape == (4, 6, 6, 6) and target.tolist() == [1.0]
    assert (seen, after) == ([(1, 1)], (2, 2))


def test_torch_threads_restores_the_pool_after_an_error():
    with torch_threads(2):
        try:
            with torch_threads(1):
                raise ValueError
        except ValueError:
            pass
        assert torch.get_num_threads() == 2


def test_pinned_threads_sets_both_counts_inside_and_restores_them_after():
    def threads():
        return torch.get_num_threads(), sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()

    with torch_threads(2), sitk_threads(2):
        with pinned_threads(1):
            inside = threads()
        assert (inside, threads()) == ((1, 1), (2, 2))


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


def test_augmentation_changes_the_draw_never_the_stored_example():
    everything = {"affine": 1.0, "noise": 1.0, "gamma": 1.0, "motion": 1.0, "bias_field": 1.0}
    image = torch.rand(4, 16, 16, 16, generator=torch.Generator().manual_seed(0))
    stored = image.clone()
    dataset = VolumeDataset([Example("P01", image, 1)], augmentation(everything))
    torch.manual_seed(0)
    drawn, _ = dataset[0]
    assert torch.equal(image, stored)
    assert not torch.allclose(drawn, stored)


@pytest.mark.parametrize("mask_channels", [0, 1])
def test_a_transform_working_in_place_works_on_a_copy(mask_channels):
    # The pipeline's Compose does not copy the subject (pipeline.training.augmentation): augmented() must.
    in_place = tio.Compose([tio.Lambda(lambda tensor: tensor.mul_(0), copy=False)], copy=False)
    image = torch.ones(5, 6, 6, 6)
    drawn = augmented(in_place, image, mask_channels)
    assert torch.equal(image, torch.ones(5, 6, 6, 6))
    assert drawn[:5 - mask_channels].eq(0).all()


def test_batches_are_stacked_on_the_loading_threads(monkeypatch):
    # A second thread here would give the loading thread an OpenMP team of its own,
    # spinning beside the training step's.
    import pipeline.training.datasets

    seen = []
    monkeypatch.setattr(pipeline.training.datasets, "default_collate",
                        lambda examples: seen.append(torch.get_num_threads()) or examples)
    dataset = VolumeDataset([Example("P01", torch.zeros(4, 6, 6, 6), 1)])
    with torch_threads(2):
        dataset.collate([dataset[0]])
        assert torch.get_num_threads() == 2
    assert seen == [1]


def _with_mask(one_hot: bool) -> tuple[torch.Tensor, int]:
    generator = torch.Generator().manual_seed(1)
    sequences = torch.rand(4, 16, 16, 16, generator=generator)
    brainstem = torch.zeros(16, 16, 16)
    brainstem[5:11, 4:12, 6:10] = 1
    extra = formats.mask_channels(brainstem, one_hot)
    return torch.cat([sequences, extra]), len(extra)


@pytest.mark.parametrize("one_hot", [False, True])
def test_intensity_augmentation_never_touches_the_mask_channels(one_hot):
    image, mask_channels = _with_mask(one_hot)
    intensity = {"noise": 1.0, "gamma": 1.0, "motion": 1.0, "bias_field": 1.0}
    dataset = VolumeDataset([Example("P01", image, 1, mask_channels)], augmentation(intensity))
    torch.manual_seed(0)
    drawn, _ = dataset[0]
    assert torch.equal(drawn[-mask_channels:], image[-mask_channels:])
    assert not torch.allclose(drawn[:4], image[:4])


@pytest.mark.parametrize("one_hot", [False, True])
def test_a_moved_mask_stays_binary_and_one_hot(one_hot):
    image, mask_channels = _with_mask(one_hot)
    dataset = VolumeDataset([Example("P01", image, 1, mask_channels)],
                            augmentation({"affine": 1.0, "noise": 1.0, "bias_field": 1.0}))
    torch.manual_seed(3)
    drawn, _ = dataset[0]
    mask = drawn[4:]
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert not torch.equal(mask, image[4:])  # the affine moved it
    if one_hot:
        assert torch.equal(mask.sum(0), torch.ones(16, 16, 16))


def test_the_loaders_shuffle_and_seed_without_torchs_global_generator():
    # The thread that augments must be the only one drawing there while training, or the
    # draws would depend on how the threads interleave.
    examples = [Example(f"P{i}", torch.full((4, 6, 6, 6), float(i)), i % 2) for i in range(6)]
    data = VolumeDataModule(examples, examples[:3], None, batch_size=2, val_batch_size=2, seed=5)
    state = torch.random.get_rng_state()
    orders = [[batch[0][:, 0, 0, 0, 0].tolist() for batch in data.train_dataloader()]
              for _ in range(2)]
    list(data.val_dataloader())
    assert torch.equal(torch.random.get_rng_state(), state)
    assert orders[0] == orders[1]  # the same seed, the same shuffle
