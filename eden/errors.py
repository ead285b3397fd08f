"""Errors that reach the user as one clear line."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class EdenError(Exception):
    """Base of every error the framework raises on purpose; the CLI prints it as one line."""


class ConfigError(EdenError, ValueError):
    """A configuration value is wrong: names the field, the value and what is allowed."""

    def __init__(self, field: str, value: Any, allowed: str | Iterable[Any]) -> None:
        if not isinstance(allowed, str):
            allowed = ", ".join(str(a) for a in allowed)
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field}={value!r} is invalid; allowed: {allowed}")


class RegistryError(EdenError, KeyError):
    """Unknown, duplicate or malformed registry member."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it one plain line
        return str(self.args[0]) if self.args else ""


class DataError(EdenError):
    """A data set, checkpoint or data file is missing or malformed."""


def check_range(field: str, value: float, low: float, high: float) -> float:
    """Return value (a float) if low <= value <= high, else a ConfigError naming the interval (:mod:`eden.fields`)."""
    from eden.fields import number

    result: float = number(low, high).check(field, value)
    return result


def check_choice(field: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return value if it is one of choices, else raise a ConfigError listing them (:mod:`eden.fields`)."""
    from eden.fields import choice

    return choice(*choices).check(field, value)
