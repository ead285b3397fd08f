"""The exact binomial intervals of the statistical tests (they live in eden.testing, for plugin packages too)."""

from eden.testing.binomial import binomial_interval, within

__all__ = ["binomial_interval", "within"]
