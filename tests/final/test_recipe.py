"""The final model trains what the folds trained: their median epochs, their rate."""

import pandas as pd
import pytest

from pipeline.config.settings import TrainSettings
from pipeline.final.recipe import final_epochs, final_lr, final_settings


def index(best_epochs, lrs=None):
    lrs = lrs or [1e-3] * len(best_epochs)
    return pd.DataFrame({"fold": range(1, len(best_epochs) + 1), "best_epoch": best_epochs, "lr": lrs})


def test_under_fixed_stopping_every_fold_trained_max_epochs_and_so_does_the_final_model():
    assert final_epochs(index([29] * 24)) == 30  # best_epoch counts from 0


@pytest.mark.parametrize(("best_epochs", "epochs"), [([2, 4, 9], 5), ([2, 3], 4), ([0, 0, 0, 1], 1)])
def test_under_early_stopping_the_median_of_the_folds_epochs(best_epochs, epochs):
    assert final_epochs(index(best_epochs)) == epochs


def test_no_folds_is_refused():
    with pytest.raises(ValueError, match="fold index is empty"):
        final_epochs(index([]))


def test_the_rate_most_folds_chose_the_smaller_on_a_tie_lr_without_a_grid():
    grid = [1e-4, 1e-3, 1e-2]
    assert final_lr(index([1] * 5, [1e-2, 1e-2, 1e-3, 1e-2, 1e-4]), grid, 5e-4) == 1e-2
    assert final_lr(index([1] * 4, [1e-2, 1e-3, 1e-3, 1e-2]), grid, 5e-4) == 1e-3
    assert final_lr(index([1] * 2, [1e-2, 1e-2]), [], 5e-4) == 5e-4


def test_final_settings_are_fixed_epochs_whatever_the_stopping_rule():
    settings = TrainSettings(lr=1e-3, seed=0, max_epochs=30, patience=3, batch_size=4,
                             val_batch_size=5, stopping="early")
    final = final_settings(settings, index([3, 5, 7]), [])
    assert (final.stopping, final.max_epochs, final.lr, final.batch_size) == ("fixed", 6, 1e-3, 4)
