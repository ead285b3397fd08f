"""The error-model contract: which DRAM cells are weak and how often a weak cell fails when read.

An error model never touches tensors. It describes the device as a few *cell classes* of a data type's
DRAM region (all cells, or the cells on weak/normal bitlines or wordlines): each class has a weak-cell
probability ``p`` and per-read failure probabilities for a cell holding 1 (``f_one``) or 0 (``f_zero``).
The engine (``eden.injection.engine``) turns classes into a fixed weak-cell set and draws fresh failures
on every read (EDEN §4: the weak-cell set is a property of the device; each read of a weak cell fails
with its probability).

Every model can be given its native parameters or a target mean BER (``ber``). When ``ber`` is set it wins:
the model keeps the *shape* of its native parameters (ratios between line classes, failure probabilities)
and scales the weak-cell probabilities by one common factor, capped at 1, until the mean BER equals the
target; only when every class is entirely weak are the failure probabilities scaled up as well. Scaling
``p`` and not ``f`` makes a higher BER mean *more weak cells* — with ``monotone: true`` the weak set and the
errors of one read at a lower BER are subsets of those at a higher BER (same seed).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import torch

from eden.errors import ConfigError, EdenError, check_range
from eden.layout import Layout
from eden.registry import Registry


@dataclass(frozen=True)
class CellClass:
    """Cells ``chunks × bitlines`` (layout rows × bitlines, row-major) sharing one weakness law.

    ``tag`` distinguishes the weak-cell streams of a model's classes (stable across BERs).
    """

    tag: int
    chunks: torch.Tensor
    bitlines: torch.Tensor
    p: float
    f_one: float
    f_zero: float

    @property
    def n_cells(self) -> int:
        return self.chunks.numel() * self.bitlines.numel()


class ErrorModel(ABC):
    """Base of every registered error model (registry group ``error_model``)."""

    registry_name: ClassVar[str]
    #: Native parameters that are probabilities (validated to [0, 1]).
    probability_fields: ClassVar[tuple[str, ...]] = ()
    #: Optional native parameters that are not probabilities (name → default), checked by ``validate``; a config
    #: may omit them (older configs and fitted parameters stay valid).
    setting_fields: ClassVar[dict[str, Any]] = {}
    #: What the contract suite (``eden.testing.ErrorModelContract``) may expect of the model; a model removes
    #: what it lacks and the tests that need it are skipped for it:
    #: ``targets_ber``: ``ber`` sets the mean BER (weak cells exist at a BER > 0);
    #: ``stochastic``: a weak cell fails at random on each read (another read seed draws other flips; a stuck-at
    #: model, whose weak cells fail on every read, lacks it).
    capabilities: ClassVar[frozenset[str]] = frozenset({"targets_ber", "stochastic"})

    def __init__(self, *, ber: float | None, monotone: bool, seed: int) -> None:
        self.ber = ber
        self.monotone = monotone
        self.seed = seed

    # --- construction -------------------------------------------------------------------------------
    @classmethod
    def from_config(cls, params: Mapping[str, Any], *, seed: int = 0, **_runtime: Any) -> Self:
        """Validate a config node (``name`` plus fields) and build the model; ``seed`` fixes the weak cells."""
        params = dict(params)
        params.pop("name", None)
        required = {*cls.probability_fields, "ber", "monotone"}
        allowed = {*required, *cls.setting_fields}
        for key in params:
            if key not in allowed:
                raise ConfigError(f"error_model.{key}", params[key], f"one of the fields {sorted(allowed)}")
        for key in sorted(required):
            if key not in params:
                raise ConfigError(f"error_model.{key}", None, "a value (field is required)")
        kwargs: dict[str, Any] = {k: params.get(k, default) for k, default in cls.setting_fields.items()}
        for key in cls.probability_fields:
            kwargs[key] = check_range(f"error_model.{key}", params[key], 0.0, 1.0)
        ber = params["ber"]
        kwargs["ber"] = None if ber is None else check_range("error_model.ber", _num(ber), 0.0, 1.0)
        if not isinstance(params["monotone"], bool):
            raise ConfigError("error_model.monotone", params["monotone"], "true or false")
        kwargs["monotone"] = params["monotone"]
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ConfigError("seed", seed, "an integer")
        model = cls(seed=seed, **kwargs)
        model.validate()
        return model

    def validate(self) -> None:  # noqa: B027 (optional hook: most models have no cross-field rule)
        """Cross-field checks of a model (override to add); raise ConfigError."""

    def native_params(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in (*self.probability_fields, *self.setting_fields)}

    def with_ber(self, ber: float) -> ErrorModel:
        """The same device (native shape, seed, monotone flag) at another target mean BER."""
        ber = check_range("error_model.ber", _num(ber), 0.0, 1.0)
        return type(self)(seed=self.seed, ber=ber, monotone=self.monotone, **self.native_params())

    def with_seed(self, seed: int) -> ErrorModel:
        return type(self)(seed=seed, ber=self.ber, monotone=self.monotone, **self.native_params())

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v:g}" for k, v in self.native_params().items())
        return f"{type(self).__name__}({fields}, ber={self.ber}, monotone={self.monotone}, seed={self.seed})"

    # --- the contract -------------------------------------------------------------------------------
    @property
    @abstractmethod
    def mean_ber(self) -> float:
        """Mean bit error rate per read over a large region (balanced 0/1 data for data-dependent models)."""

    @abstractmethod
    def cell_classes(self, layout: Layout, n_bits: int, word_bits: int) -> list[CellClass]:
        """The cell classes of the DRAM rows that hold ``n_bits`` storage bits placed by ``layout``.

        Rule: the classes never share a cell. A cell in two classes would be drawn twice per read and XORed
        twice (a failure undoing a failure); the engine checks it (``check_disjoint``) and refuses the model.
        """


def check_disjoint(model_name: str, classes: list[CellClass]) -> None:
    """Raise when two cell classes of ``model_name`` share a cell (see ``ErrorModel.cell_classes``).

    A class is rows × bitlines, so two classes share a cell exactly when they share a row and a bitline.
    """
    for i, a in enumerate(classes):
        for b in classes[i + 1 :]:
            rows = a.chunks[torch.isin(a.chunks, b.chunks)]
            lines = a.bitlines[torch.isin(a.bitlines, b.bitlines)]
            if rows.numel() and lines.numel():
                raise EdenError(
                    f"error model {model_name!r}: cell classes {a.tag} and {b.tag} share "
                    f"{rows.numel() * lines.numel()} cells (e.g. row {int(rows[0])}, bitline {int(lines[0])}); "
                    "cell_classes() must return disjoint classes, else a shared cell fails twice and XORs back"
                )


ERROR_MODELS: Registry[type[ErrorModel]] = Registry("error_model", ErrorModel)  # type: ignore[type-abstract]


def _num(value: Any) -> Any:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def scale_to_target(values: list[float], weights: list[float], target: float) -> tuple[list[float], float]:
    """Scale probabilities ``values`` by one factor α (each capped at 1) so Σ wᵢ·min(1, α·vᵢ) = target.

    Returns the scaled values and the residual factor (> 1 when even all-ones fall short of ``target``,
    i.e. the caller must scale its failure probabilities by that factor). Weights sum to 1.
    """
    if target <= 0:
        return [0.0] * len(values), 1.0
    total = sum(weights)
    if total <= 0:
        return list(values), 1.0
    weights = [w / total for w in weights]
    if all(v <= 0 for v in values):
        values = [1.0] * len(values)  # no shape to keep: make every class equally weak
    alpha = target / sum(w * v for w, v in zip(weights, values, strict=True))
    if alpha * max(values) <= 1.0:
        return [alpha * v for v in values], 1.0  # exact, the common case
    full = sum(w for w, v in zip(weights, values, strict=True) if v > 0)
    if full <= target:
        return [1.0 if v > 0 else 0.0 for v in values], target / full

    def mean(a: float) -> float:
        return sum(w * min(1.0, a * v) for w, v in zip(weights, values, strict=True))

    lo, hi = 0.0, 1.0
    while mean(hi) < target:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if mean(mid) < target:
            lo = mid
        else:
            hi = mid
    return [min(1.0, hi * v) for v in values], 1.0
