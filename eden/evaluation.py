"""Accuracy of a classifier over a loader, with a confidence interval for the characterization decisions."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn


@torch.no_grad()
def count_correct(model: nn.Module, loader: Iterable, device: torch.device | str = "cpu") -> tuple[int, int]:
    """(correct, total) of ``model`` in eval mode over ``loader``."""
    was_training = model.training
    model.eval()
    correct: torch.Tensor | int = 0  # summed on the device: one host sync per evaluation, not per batch
    total = 0
    try:
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            correct = correct + (model(x).argmax(1) == y).sum()
            total += len(y)
    finally:
        model.train(was_training)
    return int(correct), total


@torch.no_grad()
def correct_mask(model: nn.Module, loader: Iterable, device: torch.device | str = "cpu") -> torch.Tensor:
    """Per-image correctness (bool, in loader order) of ``model`` in eval mode: what a paired bootstrap resamples."""
    was_training = model.training
    model.eval()
    parts = []
    try:
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            parts.append((model(x).argmax(1) == y).cpu())
    finally:
        model.train(was_training)
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.bool)


def accuracy(model: nn.Module, loader: Iterable, device: torch.device | str = "cpu") -> float:
    correct, total = count_correct(model, loader, device)
    return correct / total if total else float("nan")


@dataclass(frozen=True)
class AccuracyEstimate:
    """Mean accuracy over error seeds and a two-sided confidence interval of that mean."""

    mean: float
    low: float
    high: float
    samples: tuple[float, ...]


def estimate(samples: list[float], n_images: int, confidence: float) -> AccuracyEstimate:
    """Combine per-seed accuracies: the interval covers both seed-to-seed spread (Student t) and the finite
    image sample (binomial, normal approximation), whichever is wider — a conservative rule for pass/fail."""
    from statistics import NormalDist, mean, stdev

    m = mean(samples)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    half_binom = z * math.sqrt(max(m * (1 - m), 1e-12) / max(n_images * len(samples), 1))
    half_seed = 0.0
    if len(samples) > 1:
        # Student t quantile ≈ z·(1 + (z²+1)/(4·df)) (Cornish-Fisher; good to ~1% for df ≥ 2)
        df = len(samples) - 1
        t = z * (1 + (z * z + 1) / (4 * df))
        half_seed = t * stdev(samples) / math.sqrt(len(samples))
    half = max(half_binom, half_seed)
    return AccuracyEstimate(m, max(0.0, m - half), min(1.0, m + half), tuple(samples))
