"""The glue from validated params to the library's settings objects, for the stages.

Library modules take these plain objects (``pipeline.fit.TrainSettings``) and values,
never the params dict, so that each can be used, and tested, without a params file.
"""

from __future__ import annotations

from pipeline.fit import TrainSettings


def train_settings(params: dict, patience: int, progress_bar: bool = True,
                   network: str | None = None) -> TrainSettings:
    """The settings of one training run: ``patience`` differs between the single split and
    the folds; ``network`` overrides ``model.network`` (the power study's arms)."""
    train = params["train"]
    return TrainSettings(
        lr=params["lr"], seed=params["seed"], max_epochs=train["max_epochs"], patience=patience,
        batch_size=train["batch_size"], val_batch_size=train["val_batch_size"],
        augment=dict(params["augment"]), pos_weight=params["model"]["pos_weight"],
        network=network or params["model"]["network"], stopping=train["stopping"],
        num_workers=train["num_workers"], precision=train["precision"], progress_bar=progress_bar)


def input_settings(params: dict) -> dict:
    """How the model input is built from a preprocessed patient (mask channels or not)."""
    return {"mask_channel": params["model"]["mask_channel"],
            "one_hot_mask": params["prepare"]["one_hot_mask"]}
