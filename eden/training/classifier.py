"""The LightningModule that trains any of EDEN's classifiers (baseline and retraining share it)."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn


class Classifier(pl.LightningModule):
    """Cross-entropy classifier; logs ``train_loss`` per step and ``train_acc`` per epoch."""

    def __init__(
        self,
        model: nn.Module,
        *,
        optimizer: str,
        lr: float,
        momentum: float,
        weight_decay: float,
        lr_schedule: str = "constant",
    ) -> None:
        super().__init__()
        self.model = model
        self.optimizer_name = optimizer
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self._correct: torch.Tensor | int = 0  # on the model's device: no host sync per step
        self._seen = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        logits = self.model(x)
        loss = F.cross_entropy(logits, y)
        self._correct = self._correct + (logits.argmax(1) == y).sum()
        self._seen += len(y)
        self.log("train_loss", loss, on_step=True, on_epoch=False, prog_bar=True)
        return loss

    @property
    def epoch_accuracy(self) -> float:
        """Training accuracy of the epoch so far (NaN before any batch); callbacks read it at the epoch's end."""
        return float(self._correct) / self._seen if self._seen else float("nan")

    def on_train_epoch_end(self) -> None:
        if self._seen:
            self.log("train_acc", float(self._correct) / self._seen, prog_bar=True)
        self._correct = self._seen = 0

    def configure_optimizers(self) -> Any:
        """The optimizer, and with ``lr_schedule=cosine`` a per-step cosine decay to 0 over the whole fit
        (retraining under errors converges to a lower clean accuracy at a constant rate)."""
        params = self.model.parameters()
        optimizer: torch.optim.Optimizer
        if self.optimizer_name == "sgd":
            optimizer = torch.optim.SGD(params, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay)
        else:
            optimizer = torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        if self.lr_schedule == "constant":
            return optimizer
        steps = max(1, int(self.trainer.estimated_stepping_batches))
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
