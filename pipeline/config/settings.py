"""The settings objects the library takes, and the glue that builds them from params.

Library modules take these plain objects and values, never the params dict, so that each
can be used, and tested, without a params file; the stages call the builders below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STUDY_SEQUENCES = ("t1", "t1c", "t2", "flair")  # pipeline.ingest.naming.SEQUENCES


@dataclass(frozen=True)
class LabelScheme:
    """Which column of the labels table holds the label and the values it may take (params'
    ``data.label_column`` and ``data.classes``); the study's by default."""

    column: str = "infiltration"
    classes: tuple[str, ...] = ("none", "microscopic", "extensive")


STUDY = LabelScheme()


@dataclass(frozen=True)
class PreprocessSettings:
    """The preprocessing parameters (params.yaml ``prepare``) and the chosen sequences
    (``data.sequences``): the image channels, in this order."""

    crop_mm: float
    crop_voxels: int
    percentiles: tuple[float, float]
    sequences: tuple[str, ...] = STUDY_SEQUENCES

    @property
    def reference(self) -> str:
        """The sequence whose grid every other image is resampled onto: the first chosen."""
        return self.sequences[0]

    @property
    def spacing_mm(self) -> float:
        """Voxel size of the common grid and of the crop."""
        return self.crop_mm / self.crop_voxels


def preprocess_settings(params: dict) -> PreprocessSettings:
    """The preprocessing of params ``prepare`` on the sequences of ``data.sequences`` (the
    prepare stage's, and the power study's cohorts')."""
    prepare = params["prepare"]
    return PreprocessSettings(prepare["crop_mm"], prepare["crop_voxels"],
                              tuple(prepare["percentiles"]), tuple(params["data"]["sequences"]))


@dataclass(frozen=True)
class TrainSettings:
    """What one training run needs (``pipeline.training.fit.fit``)."""

    lr: float
    seed: int
    max_epochs: int
    patience: int
    batch_size: int
    val_batch_size: int
    augment: dict = field(default_factory=dict)
    pos_weight: float | str | None = None
    network: str = "densenet121"
    stopping: str = "early"
    num_workers: int = 0
    precision: str = "auto"
    progress_bar: bool = True

    @property
    def early_stopping(self) -> bool:
        """Whether validation patients stop training (``early``) rather than train (``fixed``)."""
        return self.stopping == "early"


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


def label_scheme(params: dict) -> LabelScheme:
    """The label column and its classes (params ``data.label_column``, ``data.classes``)."""
    data = params["data"]
    return LabelScheme(data["label_column"], tuple(data["classes"]))


def positive_classes(params: dict) -> tuple[str, ...]:
    """``data.positive_class`` as a tuple: one class or several make the positive group."""
    value = params["data"]["positive_class"]
    return (value,) if isinstance(value, str) else tuple(value)


def input_settings(params: dict) -> dict:
    """How the model input is built from a preprocessed patient (mask channels or not)."""
    return {"mask_channel": params["model"]["mask_channel"],
            "one_hot_mask": params["prepare"]["one_hot_mask"]}
