"""LeNet-5 (LeCun et al., 1998), the embedded default network on MNIST."""

from __future__ import annotations

from torch import Tensor, nn


class LeNet5(nn.Module):
    """Classic LeNet-5 with ReLU and max pooling; 28×28 inputs are padded to 32×32 by the first conv."""

    def __init__(self, *, num_classes: int, in_channels: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.LazyLinear(120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))
