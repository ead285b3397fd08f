"""One field-validation mechanism for every config value: a :class:`Rule` per field, one message shape.

A member's parameter dataclass declares each field's rule in its metadata (``field(metadata=rule(...))`` via
:func:`param`); :func:`parse` then checks a YAML node against the dataclass: unknown keys, missing values, types,
ranges and allowed values, each failure one ``ConfigError`` line::

    error: <field>=<value> is invalid; allowed: <what the rule allows>

Code that checks one loose value (a run setting, a platform field) uses the same rules through
:meth:`Rule.check`, so the wording of "a number in [0, 1]", "a number > 0 (ns)", "a positive integer" or a list
of choices is written once, here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eden.errors import ConfigError


class _Missing:
    """Stands in for an absent YAML field so the error line reads ``<field>=<missing>``."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()
INF = math.inf


def is_number(value: Any) -> bool:
    """A finite int or float (``True``/``False`` are not numbers here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Rule:
    """What one field accepts: a number or integer within bounds, or one of some choices; optionally null."""

    kind: str  # "number" | "integer" | "choice"
    low: float = -INF
    high: float = INF
    low_open: bool = False  # low itself excluded (``> low``)
    high_open: bool = False
    unit: str = ""
    choices: tuple[Any, ...] = ()
    nullable: bool = False
    null_means: str = ""  # what null stands for, shown in the allowed text ("the device's grid")

    def allowed(self) -> str:
        """The text after ``allowed:``."""
        if self.kind == "choice":
            text = ", ".join(str(c) for c in self.choices)
        elif self.kind == "integer":
            text = self._integer_text()
        else:
            text = self._number_text()
        if self.unit:
            text += f" ({self.unit})"
        if self.nullable:
            text = f"null ({self.null_means}) or {text}" if self.null_means else f"null or {text}"
        return text

    def _number_text(self) -> str:
        low, high = math.isfinite(self.low), math.isfinite(self.high)
        if low and high:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"a number in {left}{self.low:g}, {self.high:g}{right}"
        if low:
            return f"a number {'>' if self.low_open else '>='} {self.low:g}"
        if high:
            return f"a number {'<' if self.high_open else '<='} {self.high:g}"
        return "a number"

    def _integer_text(self) -> str:
        if not math.isfinite(self.high):
            if self.low == 1 or (self.low == 0 and self.low_open):
                return "a positive integer"
            return f"an integer >= {self.low:g}"
        return f"an integer in [{self.low:g}, {self.high:g}]"

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        if self.kind == "choice":
            return value in self.choices
        if self.kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
            return False
        if not is_number(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def check(self, field: str, value: Any) -> Any:
        """``value`` (a float for numbers) if the rule accepts it, else a one-line ``ConfigError``."""
        if not self.accepts(value):
            raise ConfigError(field, value, self.allowed())
        if value is None or self.kind == "choice":
            return value
        return int(value) if self.kind == "integer" else float(value)


def number(
    low: float = -INF,
    high: float = INF,
    *,
    above: float | None = None,
    unit: str = "",
    nullable: bool = False,
    null_means: str = "",
) -> Rule:
    """A finite number in ``[low, high]``; ``above=x``: strictly greater than ``x``."""
    if above is not None:
        return Rule("number", above, high, low_open=True, unit=unit, nullable=nullable, null_means=null_means)
    return Rule("number", low, high, unit=unit, nullable=nullable, null_means=null_means)


def integer(low: float = 1, high: float = INF, *, unit: str = "", nullable: bool = False, null_means: str = "") -> Rule:
    """An int (not a bool) in ``[low, high]``; the default is a positive integer."""
    return Rule("integer", low, high, unit=unit, nullable=nullable, null_means=null_means)


def choice(*options: Any, nullable: bool = False, null_means: str = "") -> Rule:
    return Rule("choice", choices=tuple(options), nullable=nullable, null_means=null_means)


def param(rule: Rule, **kwargs: Any) -> Any:
    """A dataclass field validated by ``rule`` (``x: float = param(number(above=0, unit="ns"))``)."""
    return dataclasses.field(metadata={"rule": rule}, **kwargs)


def rules_of(cls: type) -> dict[str, Rule]:
    """The rules of a parameter dataclass, by field name, in declaration order."""
    return {f.name: f.metadata["rule"] for f in dataclasses.fields(cls) if "rule" in f.metadata}


def check_keys(node: Mapping[str, Any], prefix: str, allowed: Iterable[str]) -> None:
    """Unknown fields are errors (a typo must not silently fall back to a default)."""
    allowed = tuple(allowed)
    for key in node:
        if key not in allowed:
            raise ConfigError(f"{prefix}.{key}", node[key], f"a known field: {', '.join(allowed)}")


def checked(node: Mapping[str, Any], key: str, prefix: str, rule: Rule) -> Any:
    """``node[key]`` checked by ``rule`` (an absent key reads as ``<missing>``)."""
    return rule.check(f"{prefix}.{key}", node.get(key, MISSING))


def parse(cls: type, node: Mapping[str, Any], prefix: str, *, extra: Iterable[str] = ()) -> dict[str, Any]:
    """The checked values of every ruled field of dataclass ``cls`` in ``node`` (keys other than its fields and
    ``extra`` are errors); the caller adds cross-field checks and builds the instance."""
    rules = rules_of(cls)
    check_keys(node, prefix, (*rules, *extra))
    return {name: checked(node, name, prefix, rule) for name, rule in rules.items()}
