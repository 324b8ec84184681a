"""Training: the same seed gives the same losses and predictions; precision fits the machine."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from pipeline import formats
from pipeline.training.datasets import Example
from pipeline.training.fit import (
    TrainSettings,
    fit,
    load_examples,
    predict,
    resolve_precision,
)

AUGMENT_ALL = {"affine": 1.0, "noise": 1.0, "gamma": 1.0, "motion": 1.0, "bias_field": 1.0}


def _examples(count: int, offset: int = 0) -> list[Example]:
    """``count`` random 32^3 volumes (the smallest DenseNet121 takes), both classes."""
    generator = torch.Generator().manual_seed(offset)
    return [Example(f"P{offset + i:02d}", torch.rand(4, 32, 32, 32, generator=generator), i % 2)
            for i in range(count)]


@pytest.mark.slow
def test_the_same_seed_gives_the_same_training(tmp_path):
    # Every transform fires on every draw: the background thread that augments draws many
    # random numbers, and the run must still repeat exactly.
    settings = TrainSettings(lr=1e-3, seed=3, max_epochs=2, patience=5, batch_size=2,
                             val_batch_size=2, augment=AUGMENT_ALL, progress_bar=False)
    train, validation, test = _examples(6), _examples(2, 10), _examples(3, 20)
    runs = [fit(train, validation, settings, tmp_path / f"live{i}") for i in range(2)]
    assert runs[0].history.equals(runs[1].history) and len(runs[0].history) == 2
    assert (predict(runs[0].network, test) == predict(runs[1].network, test)).all()


@pytest.mark.skipif(torch.cuda.is_available(), reason="mixed precision is for the GPU")
def test_mixed_precision_is_refused_on_a_cpu_with_the_key_named():
    with pytest.raises(ValueError, match="train.precision: bf16-mixed"):
        resolve_precision("bf16-mixed")
    assert resolve_precision("auto") == "32-true" and resolve_precision("32") == "32"


@pytest.mark.parametrize(("mask_channel", "one_hot", "channels"),
                         [(False, True, 0), (True, False, 1), (True, True, 2)])
def test_examples_say_which_channels_are_the_mask(tmp_path, mask_channel, one_hot, channels):
    # Augmentation treats those channels as a label map: it must be told how many there are.
    mask = torch.zeros(8, 8, 8, dtype=torch.uint8)
    mask[2:5, 3:6, 1:7] = 1
    formats.write_patient(tmp_path, formats.PreprocessedPatient(
        "P01", torch.rand(4, 8, 8, 8), mask, np.eye(4), torch.rand(4, 8, 8, 8), mask, np.eye(4),
        ["t1", "t1c", "t2", "flair"]))
    [example] = load_examples(tmp_path, ["P01"], {"P01": 1}, mask_channel, one_hot)
    assert example.mask_channels == channels and len(example.image) == 4 + channels
    if channels:
        assert torch.equal(example.image[-1], mask.float())


@pytest.mark.slow
def test_the_returned_network_is_the_best_validation_epochs(tmp_path):
    # A seed whose validation loss is lowest in epoch 2 of 0-3.
    settings = TrainSettings(lr=1e-3, seed=1, max_epochs=4, patience=10, batch_size=2,
                             val_batch_size=2, network="densenet_small", progress_bar=False)
    train, validation = _examples(6), _examples(4, 10)
    result = fit(train, validation, settings, tmp_path / "live")
    losses = result.history.set_index("epoch")["val_loss"]
    assert result.best_epoch == losses.idxmin() < losses.index.max()  # not simply the last
    assert result.best_val_loss == pytest.approx(losses.min(), rel=1e-5)
    # The weights are that epoch's: they give its validation loss again.
    probabilities = torch.tensor(predict(result.network, validation), dtype=torch.float64)
    targets = torch.tensor([float(example.target) for example in validation], dtype=torch.float64)
    loss = torch.nn.functional.binary_cross_entropy(probabilities, targets)
    assert float(loss) == pytest.approx(result.best_val_loss, rel=1e-4)


def test_the_fixed_rule_trains_every_patient_for_every_epoch_without_validating(tmp_path):
    settings = TrainSettings(lr=1e-3, seed=0, max_epochs=3, patience=1, batch_size=2,
                             val_batch_size=2, network="densenet_small", stopping="fixed",
                             progress_bar=False)
    train, validation = _examples(4), _examples(2, 10)
    result = fit(train, validation, settings, tmp_path / "live")
    # patience 1 would stop early under "early"; here every epoch runs and none validates.
    assert result.history["epoch"].tolist() == [0, 1, 2] and result.best_epoch == 2
    assert result.history["val_loss"].isna().all() and result.best_val_loss is None
    # The validation patients are not used at all: whether they train is the fold's to say
    # (Fold.for_stopping), so the result is the one without them.
    alone = fit(train, [], settings, tmp_path / "alone")
    assert (predict(result.network, train) == predict(alone.network, train)).all()


def _small(stopping: str, epochs: int = 3) -> TrainSettings:
    return TrainSettings(lr=1e-3, seed=0, max_epochs=epochs, patience=epochs, batch_size=2,
                         val_batch_size=2, network="densenet_small", stopping=stopping,
                         progress_bar=False)


def test_the_history_holds_each_epochs_mean_loss_over_its_volumes(tmp_path):
    # Three validation volumes in batches of 2 and 1: the mean of the batch means would
    # weigh the lone volume twice.
    train, validation = _examples(4), _examples(3, 10)
    result = fit(train, validation, _small("early"), tmp_path / "live")
    probabilities = torch.tensor(predict(result.network, validation), dtype=torch.float64)
    targets = torch.tensor([float(example.target) for example in validation], dtype=torch.float64)
    loss = torch.nn.functional.binary_cross_entropy(probabilities, targets)
    logged = result.history.set_index("epoch").loc[result.best_epoch, "val_loss"]
    assert logged == pytest.approx(float(loss), rel=1e-4)


def test_an_epoch_of_one_batch_still_gives_one_row_per_epoch(tmp_path):
    # DVCLive's logger turns Lightning's step 0 into a count of its own, so with one batch
    # per epoch its steps repeat (1, 2, 1, ...); the history is read by row, not by step.
    result = fit(_examples(2), _examples(2, 10), _small("early"), tmp_path / "live")
    steps = (tmp_path / "live/plots/metrics/val/loss.tsv").read_text().split()[2::2]
    assert len(set(steps)) < len(steps)
    assert result.history["epoch"].tolist() == [0, 1, 2]
    assert result.history[["train_loss", "val_loss"]].notna().all().all()


def _run(root, *command) -> str:
    return subprocess.run(command, cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.mark.slow
def test_inside_a_dvc_project_fit_writes_the_losses_and_touches_nothing_else(tmp_path,
                                                                             monkeypatch):
    # DVCLive can write a dvc.yaml, a report and a DVC experiment (git refs, staged files).
    _run(tmp_path, "git", "init", "-q")
    _run(tmp_path, sys.executable, "-m", "dvc", "init", "-q")
    _run(tmp_path, "git", "-c", "user.name=test", "-c", "user.email=test@example.org",
         "commit", "-qm", "init")
    refs, status = _run(tmp_path, "git", "for-each-ref"), _run(tmp_path, "git", "status", "-s")
    monkeypatch.chdir(tmp_path)
    fit(_examples(4), _examples(2, 10), _small("early", epochs=2), tmp_path / "live")
    written = sorted(str(path.relative_to(tmp_path / "live"))
                     for path in (tmp_path / "live").rglob("*") if path.is_file())
    assert written == ["metrics.json", "plots/metrics/epoch.tsv",
                       "plots/metrics/train/loss.tsv", "plots/metrics/val/loss.tsv"]
    assert _run(tmp_path, "git", "for-each-ref") == refs
    assert _run(tmp_path, "git", "status", "-s") == status + "?? live/\n"
