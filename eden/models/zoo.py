"""Any torchvision classification model by name (the paper's ResNet101, MobileNetV2, VGG-16, ...).

Weights are never downloaded (no network here): the models start from random initialization, which is all the
platform evaluation needs (layer shapes), and a user with data can train them.
"""

from __future__ import annotations

from torch import nn

from eden.errors import ConfigError


def torchvision_model(*, name: str, num_classes: int) -> nn.Module:
    """Build ``torchvision.models.<name>(weights=None, num_classes=...)``; unknown names list the choices."""
    from torchvision import models

    available = sorted(models.list_models(module=models))
    if name not in available:
        raise ConfigError("model.name", name, available)
    return models.get_model(name, weights=None, num_classes=num_classes)
