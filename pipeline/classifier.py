"""The LightningModule: the network, binary cross-entropy, Adam, per-epoch losses."""

from __future__ import annotations

import lightning as L
import torch
from torch.nn import functional as F

from pipeline.network import build_network


class InfiltrationClassifier(L.LightningModule):
    """Predicts extensive infiltration (one logit) from a multi-sequence crop."""

    def __init__(self, in_channels: int, lr: float, pos_weight: float | None = None,
                 network: str = "densenet121"):
        super().__init__()
        self.save_hyperparameters()
        self.network = build_network(in_channels, network)
        self.register_buffer("pos_weight", torch.tensor([pos_weight or 1.0]))
        self.epoch_losses: dict[str, list[float]] = {"train": [], "val": []}
        self._sums: dict[str, list[float]] = {"train": [0.0, 0], "val": [0.0, 0]}

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.network(image)

    def _loss(self, batch, stage: str) -> torch.Tensor:
        image, target = batch
        loss = F.binary_cross_entropy_with_logits(self(image).float(), target,
                                                  pos_weight=self.pos_weight)
        self._sums[stage][0] += float(loss.detach()) * len(target)
        self._sums[stage][1] += len(target)
        return loss

    def training_step(self, batch, batch_index):
        loss = self._loss(batch, "train")
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch[1]))
        return loss

    def validation_step(self, batch, batch_index):
        loss = self._loss(batch, "val")
        self.log("val_loss", loss, prog_bar=True, on_epoch=True, batch_size=len(batch[1]))

    def close_epoch(self, stage: str) -> float | None:
        """The mean loss of ``stage`` over the epoch just ended (None if it had no batch)."""
        total, count = self._sums[stage]
        self._sums[stage] = [0.0, 0]
        if not count:
            return None
        self.epoch_losses[stage].append(total / count)
        return total / count

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
