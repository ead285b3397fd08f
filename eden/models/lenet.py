"""LeNet-5 (LeCun et al., 1998), the embedded default network on MNIST."""

from __future__ import annotations

from torch import Tensor, nn


class LeNet5(nn.Module):
    """Classic LeNet-5 with ReLU and max pooling; 28×28 inputs are padded to 32×32 by the first conv.

    ``width`` multiplies every hidden layer's channels/units (1: the classic 6-16-120-84). Wider variants are the
    same architecture with more redundancy, which is what error tolerance after retraining depends on (docs/science.md
    §3 measures boosting at width 1 and 4)."""

    def __init__(self, *, num_classes: int, in_channels: int, width: int = 1) -> None:
        super().__init__()
        if not isinstance(width, int) or isinstance(width, bool) or width < 1:
            raise ValueError(f"model.width: expected a positive integer, got {width!r}")
        c1, c2, f1, f2 = 6 * width, 16 * width, 120 * width, 84 * width
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, kernel_size=5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.LazyLinear(f1),
            nn.ReLU(),
            nn.Linear(f1, f2),
            nn.ReLU(),
            nn.Linear(f2, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))
