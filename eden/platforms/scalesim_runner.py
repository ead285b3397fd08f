"""SCALE-Sim 3 (PyPI ``scalesim``) per layer, with an on-disk cache keyed by layer shape + array config.

SCALE-Sim is pure Python and simulates cycle by cycle (≈0.1–0.5 ms per cycle here), so:

* every layer is simulated on its own and cached under ``sha256(layer shape, array config, word
  size, scalesim version)``; equal layer shapes (common in ResNets) and re-runs hit the cache;
* a layer whose estimated cycle count (of one group) exceeds ``max_cycles`` is not simulated: the
  analytical model below (which mirrors SCALE-Sim's accounting) stands in, and its row is marked
  ``source=analytical``.

SCALE-Sim counts DRAM traffic in 1-byte words (``word_size = 1`` in ``single_layer_sim``). To model
wider values, the SRAM sizes are handed to it in words (``kB // bytes_per_value``) and its word counts
are multiplied by ``bytes_per_value``. It runs in its bandwidth-estimation mode (``InterfaceBandwidth:
CALC``): DRAM reads are the operand words fetched into the double-buffered SRAMs (re-fetched when an
operand does not fit the active half). Its OFMAP count writes the partial outputs once per fold of the
reduction dimension over the array rows; those partial sums accumulate in the output buffer and reach DRAM
once, complete (the reduction folds of one output block run back to back), so each output is counted as
one DRAM write: ``ofm_bytes = layer OFM`` (the raw count stays in the cache file as ``ofmap_writes``).
The config is built as objects (no ``.cfg``/topology/layout CSV files), so the ``[layout]`` and
``[sparsity]`` file sections it requires are not needed; custom layouts and sparsity stay off.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import warnings
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal

from eden.cache import atomic_write_json
from eden.errors import ConfigError
from eden.platforms.scalesim_mirror import ws_reads
from eden.platforms.topology import Layer
from eden.platforms.traffic import LayerTraffic, row_hit_rate, tiled_traffic

Dataflow = Literal["ws", "os", "is"]


def default_cache_dir() -> Path:
    """``<repository>/.eden_cache/scalesim``, found from this package's location (no machine paths)."""
    return Path(__file__).resolve().parents[2] / ".eden_cache" / "scalesim"


@dataclass(frozen=True, kw_only=True)
class ArrayConfig:
    """A systolic array as SCALE-Sim models it (sizes in bytes of on-chip SRAM per operand)."""

    rows: int
    cols: int
    ifmap_sram_kb: int
    filter_sram_kb: int
    ofmap_sram_kb: int
    dataflow: Dataflow

    def __post_init__(self) -> None:
        if self.dataflow not in ("ws", "os", "is"):
            raise ConfigError("platform.dataflow", self.dataflow, ["ws", "os", "is"])

    @property
    def sram_bytes(self) -> int:
        return 1024 * (self.ifmap_sram_kb + self.filter_sram_kb + self.ofmap_sram_kb)


def _scalesim_version() -> str:
    try:
        return version("scalesim")
    except PackageNotFoundError:
        return "absent"


def _spatiotemporal(layer: Layer, dataflow: Dataflow) -> tuple[int, int, int]:
    """(S_r, S_c, T) of one group of the layer (SCALE-Sim paper, Table 1)."""
    _, m, n, k = layer.gemm()
    return {"os": (m, n, k), "ws": (k, n, m), "is": (k, m, n)}[dataflow]


def estimate_cycles(layer: Layer, array: ArrayConfig) -> float:
    """Compute cycles of the whole layer: folds × (temporal length + array fill and drain)."""
    s_r, s_c, t = _spatiotemporal(layer, array.dataflow)
    folds = math.ceil(s_r / array.rows) * math.ceil(s_c / array.cols)
    return float(layer.groups * folds * (t + array.rows + array.cols))


def analytical_systolic(
    layer: Layer, array: ArrayConfig, *, bytes_per_value: float, access_bytes: int, interleave_bytes: int
) -> LayerTraffic:
    """Stand-in for layers too large to simulate: SCALE-Sim's read count computed from shapes for the
    weight-stationary dataflow (:mod:`eden.platforms.scalesim_mirror`), the tiling model over the SRAMs for
    the others; outputs reach DRAM once."""
    w, i, o = tiled_traffic(layer, capacity_bytes=array.sram_bytes, bytes_per_value=bytes_per_value)
    if layer.has_weights and array.dataflow == "ws":
        words = 1024 * max(1, int(array.ifmap_sram_kb // max(1.0, bytes_per_value)))  # as _simulate sizes it
        w_values, i_values = ws_reads(layer, rows=array.rows, cols=array.cols, ifmap_words=words)
        w, i = layer.groups * w_values * bytes_per_value, layer.groups * i_values * bytes_per_value
    cycles = estimate_cycles(layer, array) if layer.has_weights else layer.ofm_numel / array.cols
    hit = row_hit_rate(access_bytes=access_bytes, interleave_bytes=interleave_bytes)
    return LayerTraffic(
        layer=layer.name,
        weight_bytes=w,
        ifm_bytes=i,
        ofm_bytes=o,
        row_hit_rate=hit,
        compute_cycles=cycles,
        source="analytical",
    )


class ScaleSimRunner:
    """Runs (or recalls) SCALE-Sim for one layer at a time; results cached as JSON files."""

    def __init__(self, *, array: ArrayConfig, cache_dir: Path | str | None, max_cycles: float) -> None:
        self.array = array
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.max_cycles = max_cycles
        self.simulated = 0  # layers simulated by this runner (not from cache): tests and docs read it

    def cache_key(self, layer: Layer, bytes_per_value: float) -> str:
        shape = {k: v for k, v in asdict(layer).items() if k not in ("name", "kind")}
        payload = {
            "layer": shape,
            "array": asdict(self.array),
            "bytes": bytes_per_value,
            "scalesim": _scalesim_version(),
            "schema": 1,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]

    def layer_traffic(
        self, layer: Layer, *, bytes_per_value: float, access_bytes: int, interleave_bytes: int
    ) -> LayerTraffic:
        """Traffic of one layer: cached SCALE-Sim result, fresh simulation, or the analytical stand-in."""
        # SCALE-Sim simulates one group (the others are identical), so its cost is one group's cycles.
        if not layer.has_weights or estimate_cycles(layer, self.array) / layer.groups > self.max_cycles:
            return analytical_systolic(
                layer,
                self.array,
                bytes_per_value=bytes_per_value,
                access_bytes=access_bytes,
                interleave_bytes=interleave_bytes,
            )
        path = self.cache_dir / f"{self.cache_key(layer, bytes_per_value)}.json"
        if path.exists():
            counts = json.loads(path.read_text())
        else:
            counts = self._simulate(layer, bytes_per_value)
            self.simulated += 1
            atomic_write_json(path, counts)  # atomic: parallel runs never read half a file
        g, b = layer.groups, bytes_per_value
        hit = row_hit_rate(access_bytes=access_bytes, interleave_bytes=interleave_bytes)
        return LayerTraffic(
            layer=layer.name,
            weight_bytes=g * b * counts["filter_reads"],
            ifm_bytes=g * b * counts["ifmap_reads"],
            ofm_bytes=layer.ofm_numel * b,  # partial sums accumulate on chip (module docstring)
            row_hit_rate=hit,
            compute_cycles=g * counts["cycles"],
            source="scalesim",
        )

    def _simulate(self, layer: Layer, bytes_per_value: float) -> dict[str, float]:
        """One group of the layer through SCALE-Sim's single-layer simulator (quiet, no trace files)."""
        from scalesim.layout_utils import layouts
        from scalesim.scale_config import scale_config
        from scalesim.single_layer_sim import single_layer_sim
        from scalesim.topology_utils import topologies

        a = self.array
        words = max(1.0, bytes_per_value)
        config = scale_config()
        config.array_rows, config.array_cols, config.df = a.rows, a.cols, a.dataflow
        config.ifmap_sz_kb = max(1, int(a.ifmap_sram_kb // words))
        config.filter_sz_kb = max(1, int(a.filter_sram_kb // words))
        config.ofmap_sz_kb = max(1, int(a.ofmap_sram_kb // words))
        config.use_user_bandwidth = False  # InterfaceBandwidth: CALC
        config.force_valid()
        pad_h, pad_w = layer.padded()
        topo = topologies()
        # name, ifmap h, w, filter h, w, channels, filters, stride h, w, sparsity N, M
        topo.load_layer_params_from_list(
            layer.name,
            [
                layer.name,
                pad_h,
                pad_w,
                layer.kernel_h,
                layer.kernel_w,
                layer.in_channels // layer.groups,
                layer.out_channels // layer.groups,
                layer.stride_h,
                layer.stride_w,
                1,
                1,
            ],
        )
        topo.topo_calc_hyperparams()
        sim = single_layer_sim()
        quiet = (contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()))
        with quiet[0], quiet[1], warnings.catch_warnings():
            # scalesim 3.0.0 converts 1-element arrays with int() (NumPy ≥1.25 DeprecationWarning); harmless.
            warnings.simplefilter("ignore", DeprecationWarning)
            sim.set_params(layer_id=0, config_obj=config, topology_obj=topo, layout_obj=layouts(), verbose=False)
            sim.run()
            detail = sim.get_detail_report_items()
            compute = sim.get_compute_report_items()
        return {
            "ifmap_reads": float(detail[11]),
            "filter_reads": float(detail[14]),
            "ofmap_writes": float(detail[17]),
            "cycles": float(compute[1]),
        }
