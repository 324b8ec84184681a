"""What every measurement receives: the sizes to measure at and a throwaway workspace.

The workspace holds the built-in cohort (written once by ``pipeline.synth``) and project
folders where the real ``prepare`` has run, so measurements share them instead of
regenerating. Nothing here is written inside the repository.
"""

from __future__ import annotations

import functools
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.probe import run_probe
from pipeline import artifacts, paths
from pipeline.fit import load_examples
from pipeline.settings import TrainSettings
from pipeline.ingest.naming import SEQUENCES
from pipeline.settings import input_settings


@dataclass(frozen=True)
class BenchSettings:
    """Sizes and repeats; the defaults keep ``python -m bench`` near ten minutes on 2 cores."""

    params: dict
    default_crop: int = 32
    study_crop: int = 64
    repeats: int = 3
    train_volumes: int = 19  # as in a LOOCV fold of the study: 24 - 1 tested - 4 validation
    validation_volumes: int = 4
    epochs: int = 3
    loocv_folds: int = 4
    loocv_epochs: int = 2
    cohort_sizes: tuple[int, ...] = (4, 8, 16)
    ablations: bool = True
    study_epochs: int = 100  # the README's study scale: early stopping (patience 2) ends folds
    gpu_jobs: int = 4  # folds trained at once on one GPU
    gpu_workers: int | None = None  # DataLoader workers per fold; None: the cores shared out

    @property
    def crop_mm(self) -> float:
        return self.params["prepare"]["crop_mm"]

    @property
    def batch_size(self) -> int:
        return self.params["train"]["batch_size"]

    @property
    def mask_channels(self) -> int:
        """Mask channels after the 4 sequences with the params' mask settings (0, 1 or 2)."""
        return artifacts.mask_channel_count(self.params["model"]["mask_channel"],
                                            self.params["prepare"]["one_hot_mask"])

    @property
    def channels(self) -> int:
        """Model input channels: the sequences, + the mask channels."""
        return len(SEQUENCES) + self.mask_channels

    @property
    def inputs(self) -> dict:
        """How a prepared patient becomes a model input (``pipeline.settings.input_settings``)."""
        return input_settings(self.params)

    @property
    def network(self) -> str:
        """The configured network (params ``model.network``)."""
        return self.params["model"]["network"]

    def train_settings(self, epochs: int) -> TrainSettings:
        """The params' training settings for ``epochs`` epochs; early stopping cannot cut them."""
        params, train = self.params, self.params["train"]
        return TrainSettings(
            lr=params["lr"], seed=params["seed"], max_epochs=epochs, patience=epochs + 1,
            batch_size=train["batch_size"], val_batch_size=train["val_batch_size"],
            augment=dict(params["augment"]), pos_weight=params["model"]["pos_weight"],
            network=self.network, stopping=train["stopping"],
            num_workers=train["num_workers"], precision=train["precision"], progress_bar=False)

    def to_dict(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if key != "params"}


@dataclass
class Prepared:
    """A project folder whose ``outputs/`` the real ``prepare`` filled, with what it cost.

    ``probe`` is the prepare run's report (seconds, patients, peak memory; see ``bench.probe``).
    """

    root: Path
    probe: dict

    @property
    def preprocessed(self) -> Path:
        return self.root / paths.PREPROCESSED

    @property
    def targets(self) -> dict[str, int]:
        return artifacts.cohort(self.root / paths.MANIFEST)[1]


@dataclass
class Context:
    """The settings, a scratch folder, and the cohort and prepared projects built on demand."""

    settings: BenchSettings
    scratch: Path
    given_cohort: Path | None = None
    timings: dict = field(default_factory=dict)
    _projects: dict = field(default_factory=dict)

    @functools.cached_property
    def cohort(self) -> Path:
        """The built-in cohort (``pipeline.synth``'s study-like 33 patients), or the one given."""
        if self.given_cohort is not None:
            return self.given_cohort
        from pipeline.synth import write_cohort

        started = time.perf_counter()
        directory = self.scratch / "cohort"
        write_cohort(directory, seed=0,  # what `make run` writes: the generator's default seed
                     workers=min(2, os.cpu_count() or 1))
        self.timings["cohort_seconds"] = round(time.perf_counter() - started, 2)
        return directory

    def project(self, crop_voxels: int) -> Prepared:
        """The cohort prepared at ``crop_voxels`` in a fresh process (cached per crop)."""
        if crop_voxels not in self._projects:
            root = self.scratch / f"project-{crop_voxels}"
            self._projects[crop_voxels] = Prepared(root, self.prepare(self.cohort, root, crop_voxels))
        return self._projects[crop_voxels]

    def prepare(self, cohort: Path, output: Path, crop_voxels: int) -> dict:
        """Runs the real ``prepare`` on ``cohort`` into ``output`` in a child process."""
        params = self.settings.params
        return run_probe("prepare", {
            "data": str(cohort), "output": str(output), "crop_mm": self.settings.crop_mm,
            "crop_voxels": crop_voxels, "percentiles": params["prepare"]["percentiles"],
            "positive_class": params["data"]["positive_class"],
            "seg_label": params["data"]["seg_label"]})

    def examples(self, crop_voxels: int, count: int):
        """``count`` prepared patients as model inputs, both classes interleaved."""
        prepared = self.project(crop_voxels)
        targets = prepared.targets
        by_class = [[pid for pid, t in targets.items() if t == c] for c in (1, 0)]
        interleaved = [pid for pair in zip(*by_class) for pid in pair]
        rest = [pid for pid in targets if pid not in interleaved]
        chosen = (interleaved + rest)[:count]
        if len(chosen) < count:
            raise ValueError(f"the cohort has {len(chosen)} usable patients, {count} asked for")
        return load_examples(prepared.preprocessed, chosen, targets, **self.settings.inputs)

    def sub_cohort(self, patient_ids: list[str], name: str) -> Path:
        """A copy of the cohort limited to ``patient_ids`` (copies: ingest refuses outside links)."""
        directory = self.scratch / name
        if not directory.exists():
            for patient_id in patient_ids:
                shutil.copytree(self.cohort / patient_id, directory / patient_id)
            lines = (self.cohort / "labels.csv").read_text(encoding="utf-8").splitlines()
            kept = [lines[0]] + [line for line in lines[1:] if line.split(",")[0] in patient_ids]
            (directory / "labels.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
        return directory
