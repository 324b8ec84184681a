"""The LightningModule: the network, binary cross-entropy, Adam, per-epoch losses."""

from __future__ import annotations

import lightning as L
import torch
from torch.nn import functional as F

from pipeline.training.network import build_network


class InfiltrationClassifier(L.LightningModule):
    """Predicts extensive infiltration (one logit) from a multi-sequence crop.

    Losses are logged per epoch only (the mean over the epoch's volumes): Lightning keeps
    the running sum on the training device, so a step neither waits for the loss's value
    nor calls the loggers.
    """

    def __init__(self, in_channels: int, lr: float, pos_weight: float | None = None,
                 network: str = "densenet121"):
        super().__init__()
        # Not to the logger: DVCLive would write them beside the losses and read them back at
        # every epoch's write.
        self.save_hyperparameters(logger=False)
        self.network = build_network(in_channels, network)
        self.register_buffer("pos_weight", torch.tensor([pos_weight or 1.0]))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.network(image)

    def _loss(self, batch, stage: str) -> torch.Tensor:
        image, target = batch
        loss = F.binary_cross_entropy_with_logits(self(image).float(), target,
                                                  pos_weight=self.pos_weight)
        self.log(f"{stage}_loss", loss, on_step=False, on_epoch=True, prog_bar=True,
                 batch_size=len(target))
        return loss

    def training_step(self, batch, batch_index):
        return self._loss(batch, "train")

    def validation_step(self, batch, batch_index):
        self._loss(batch, "val")

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
