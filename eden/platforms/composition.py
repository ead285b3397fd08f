"""Energy and time of one inference from per-layer traffic, a mapping and a DRAM device.

Time (per layer, a roofline whose memory roof is a queueing model):

* compute: the simulator's cycles / clock, or MACs / (peak MAC rate × efficiency × the share of the
  contexts the layer can occupy);
* bandwidth: bytes / (peak bandwidth × efficiency) — independent of tRCD;
* memory (cache-based processors): the layer's accesses through the banks and buses of the DRAM at its
  row-hit rate and memory-level parallelism (:mod:`eden.platforms.memory_time`); accelerators that
  prefetch into double buffers never wait for DRAM latency (``issue = None``);
* the layer takes ``max(compute, bandwidth, memory)``; its ``bound`` names the largest term (``latency``
  when the memory term wins and no bank or bus is saturated).

So reducing tRCD shortens only memory-bound layers, and tRCD = 0 (the ideal) bounds every speedup.

Energy (DRAM only, per layer): reads, writes and row activations of each data type at its partition's
operating point, plus background power (standby + refresh) over the layer's time. Background power
is shared out by each data type's footprint (bytes stored), because each partition idles at its own VDD.
Two scaling modes:

* ``idd``: every term from the device's current model at the operating point (currents fall with VDD,
  and a shorter run spends less background energy);
* ``paper``: EDEN §7's method — each data type's nominal energy scaled by ``1 − ΔVDD / V_ref`` (the
  device's ``paper_reference_vdd``, 1.2 V); time does not enter, so a coarse mapping gives exactly
  ``ΔVDD / 1.2 V`` (paper Fig. 13).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eden.errors import ConfigError
from eden.platforms.memory_time import IssueModel, LayerIssue, layer_issue
from eden.platforms.operating import DramCosts, OpPoint, as_op_point
from eden.platforms.results import SCALINGS, Bound, LayerResult, PlatformResult, Scaling
from eden.platforms.topology import Layer, Topology
from eden.platforms.traffic import LayerTraffic

__all__ = ["SCALINGS", "LayerResult", "PlatformResult", "Scaling", "TimingModel", "compose"]
#: Data-type keys of a layer's (weight, IFM, OFM) streams; no weight key for weightless layers.
StreamKeys = tuple[str | None, str, str]
OUTPUT_KEY = "<output>"  # the network's final output: no EDEN data type, always at nominal


@dataclass(frozen=True, kw_only=True)
class TimingModel:
    """A platform's compute and memory-system rates (SI units).

    ``issue`` describes a cache-based processor's DRAM accesses (:mod:`eden.platforms.memory_time`); None for
    accelerators that prefetch into double buffers and so never wait for DRAM latency.
    """

    peak_macs_per_s: float
    compute_efficiency: float
    clock_hz: float
    bandwidth_bytes_per_s: float
    bandwidth_efficiency: float
    access_bytes: int
    issue: IssueModel | None = None


def data_type_key(layer_name: str, kind: str) -> str:
    """EDEN data-type key of a layer (a repeated call ``name#2`` shares the module's data type)."""
    module = re.sub(r"#\d+$", "", layer_name)
    return f"{module}.{kind}"


def stream_keys(topology: Topology) -> list[tuple[str | None, str, str]]:
    """Per layer, the data-type keys its (weights, IFM, OFM) traffic belongs to.

    Weights and IFM of a conv/linear layer are its own data types. An OFM is the next conv/linear
    layer's IFM (EDEN §3), and so are the activations a pooling layer reads and writes in between;
    activations after the last conv/linear layer belong to no data type (nominal).
    """
    layers = list(topology)
    keys: list[tuple[str | None, str, str]] = []
    for idx, layer in enumerate(layers):
        following = next((data_type_key(nxt.name, "ifm") for nxt in layers[idx + 1 :] if nxt.has_weights), None)
        out_key = following or OUTPUT_KEY
        if layer.has_weights:
            keys.append((data_type_key(layer.name, "weights"), data_type_key(layer.name, "ifm"), out_key))
        else:
            keys.append((None, out_key, out_key))
    return keys


def data_type_keys(topology: Topology) -> list[str]:
    """Every key a mapping may name for ``topology``: its EDEN data types plus :data:`OUTPUT_KEY`."""
    keys = dict.fromkeys(k for triple in stream_keys(topology) for k in triple if k is not None)
    keys.pop(OUTPUT_KEY, None)
    return [*keys, OUTPUT_KEY]


def uniform_mapping(topology: Topology, point: Any) -> dict[str, Any]:
    """EDEN's coarse mapping: the whole module (every data type and the output) at one operating point."""
    return dict.fromkeys(data_type_keys(topology), point)


def footprint_shares(topology: Topology, bytes_per_value: float) -> dict[str, float]:
    """Share of the stored bytes per data-type key (weights once, each IFM once)."""
    sizes: dict[str, float] = {}
    for layer, (w_key, i_key, _) in zip(topology, stream_keys(topology), strict=True):
        if w_key is not None:
            sizes[w_key] = layer.weight_numel * bytes_per_value
            sizes.setdefault(i_key, layer.ifm_numel * bytes_per_value)
    sizes.setdefault(OUTPUT_KEY, topology.layers[-1].ofm_numel * bytes_per_value)
    total = sum(sizes.values())
    return {k: v / total for k, v in sizes.items()}


def resolve_mapping(
    mapping: Mapping[str, Any] | None, keys: set[str], nominal: OpPoint, reference: OpPoint | None
) -> dict[str, OpPoint]:
    """Operating point per data-type key; unmapped keys at nominal, unknown keys rejected."""
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - keys)
    if unknown:
        raise ConfigError("mapping", unknown[0], f"data-type keys of the model, e.g. {', '.join(sorted(keys)[:3])}")
    return {
        k: as_op_point(mapping[k], key=k, memory=nominal, reference=reference) if k in mapping else nominal
        for k in keys
    }


class _Evaluator:
    """Applies the time and energy models of the module docstring to one topology and traffic list."""

    def __init__(
        self,
        *,
        topology: Topology,
        traffic: list[LayerTraffic],
        costs: DramCosts,
        timing: TimingModel,
        bytes_per_value: float,
    ) -> None:
        self.topology, self.traffic, self.costs, self.timing = topology, traffic, costs, timing
        self.keys = stream_keys(topology)
        self.shares = footprint_shares(topology, bytes_per_value)
        self._background: dict[OpPoint, tuple[float, float]] = {}

    @staticmethod
    def streams(traffic: LayerTraffic, keys: StreamKeys) -> list[tuple[str, float, bool]]:
        """(data-type key, bytes, is_write) of the layer's weight, IFM and OFM streams."""
        sizes = (traffic.weight_bytes, traffic.ifm_bytes, traffic.ofm_bytes)
        return [(k, b, i == 2) for i, (k, b) in enumerate(zip(keys, sizes, strict=True)) if k is not None and b > 0]

    def issue_of(self, layer: Layer, traffic: LayerTraffic) -> LayerIssue | None:
        """The layer's streams, row hits and MLP on a cache-based processor (None: prefetching accelerator)."""
        issue = self.timing.issue
        return None if issue is None else layer_issue(layer, traffic, issue, banks=self.costs.banks_per_channel)

    def layer_time(
        self,
        layer: Layer,
        traffic: LayerTraffic,
        keys: StreamKeys,
        ops: Mapping[str, OpPoint],
        issued: LayerIssue | None,
    ) -> tuple[float, Bound, float]:
        """(time, bound, memory-boundness) of one layer with its data types at ``ops``."""
        t = self.timing
        if traffic.compute_cycles is not None:
            t_compute = traffic.compute_cycles / t.clock_hz
        else:
            occupied = 1.0 if issued is None or t.issue is None else issued.contexts / t.issue.contexts
            t_compute = layer.macs / (t.peak_macs_per_s * t.compute_efficiency * occupied)
        t_bw = traffic.total_bytes / (t.bandwidth_bytes_per_s * t.bandwidth_efficiency)
        t_mem = 0.0
        saturated = True
        if issued is not None and t.issue is not None and traffic.total_bytes > 0:
            parts = self.streams(traffic, keys)
            total = sum(b for _, b, _ in parts)
            trcd = sum(ops[k].trcd * b for k, b, _ in parts) / total  # latency is linear in tRCD
            t_mem, saturated = self.costs.memory_time_s(
                trcd=trcd,
                issue=issued,
                extra_latency_ns=t.issue.on_chip_latency_ns,
                closed_page=t.issue.page_policy == "closed",
            )
        memory = max(t_bw, t_mem)
        bound: Bound = (
            "compute" if t_compute >= memory else ("latency" if t_mem > t_bw and not saturated else "bandwidth")
        )
        duration = max(t_compute, memory)
        return duration, bound, (memory / duration if duration > 0 else 0.0)

    def access_energy(
        self, traffic: LayerTraffic, keys: StreamKeys, ops: Mapping[str, OpPoint], hit: float
    ) -> dict[str, dict[str, float]]:
        """Per data-type key: read, write and activate energy (J) at the key's operating point."""
        out: dict[str, dict[str, float]] = {}
        for key, nbytes, is_write in self.streams(traffic, keys):
            op = ops[key]
            part = out.setdefault(key, {"read": 0.0, "write": 0.0, "activate": 0.0})
            if is_write:
                part["write"] += self.costs.write_energy(op, nbytes)
            else:
                part["read"] += self.costs.read_energy(op, nbytes)
            part["activate"] += nbytes / self.timing.access_bytes * (1 - hit) * self.costs.activation_energy(op)
        return out

    def background(
        self, traffic: LayerTraffic, duration_s: float, shares: Mapping[OpPoint, float], hit: float
    ) -> float:
        """Standby + refresh energy (J) of the layer: each operating point's footprint share of the device
        (``shares``, summed over the data types at that point) at that point's power."""
        activations = traffic.total_bytes / self.timing.access_bytes * (1 - hit)
        f_act = self.costs.active_fraction(nbytes=traffic.total_bytes, activations=activations, duration_s=duration_s)
        total = 0.0
        for op, share in shares.items():
            idle, slope = self.background_line(op)
            total += share * (idle + f_act * slope)
        return total * duration_s

    def shares_by_op(self, ops: Mapping[str, OpPoint]) -> dict[OpPoint, float]:
        """Footprint share of the device per operating point (data types at one point summed)."""
        out: dict[OpPoint, float] = {}
        for key, share in self.shares.items():
            out[ops[key]] = out.get(ops[key], 0.0) + share
        return out

    def background_line(self, op: OpPoint) -> tuple[float, float]:
        """(power at f_active = 0, slope in f_active): standby power is linear in the active fraction."""
        if op not in self._background:
            idle = self.costs.background_power(op, active_fraction=0.0)
            self._background[op] = (idle, self.costs.background_power(op, active_fraction=1.0) - idle)
        return self._background[op]

    def run(
        self, platform: str, mapping: Mapping[str, Any] | None, scaling: Scaling, reference: OpPoint | None
    ) -> PlatformResult:
        nominal = self.costs.nominal
        all_keys = set(self.shares) | {k for keys in self.keys for k in keys if k is not None}
        nom = dict.fromkeys(all_keys, nominal)
        ops = resolve_mapping(mapping, all_keys, nominal, reference)
        ideal = {k: OpPoint(op.vdd, 0.0) for k, op in ops.items()}
        paper = {k: self.costs.paper_scale(op) for k, op in ops.items()}
        at_nom, at_ops = self.shares_by_op(nom), self.shares_by_op(ops)
        # nominal background is spread by footprint share, each share then scaled by its data type's factor
        paper_bg = sum(share * paper[k] for k, share in self.shares.items())
        rows: list[LayerResult] = []
        br_nom = {"read": 0.0, "write": 0.0, "activate": 0.0, "background": 0.0}
        br = dict.fromkeys(br_nom, 0.0)
        for layer, traffic, keys in zip(self.topology, self.traffic, self.keys, strict=True):
            issued = self.issue_of(layer, traffic)
            hit = traffic.row_hit_rate if issued is None else issued.row_hit_rate
            t_nom, bound, boundness = self.layer_time(layer, traffic, keys, nom, issued)
            t_map = self.layer_time(layer, traffic, keys, ops, issued)[0]
            t_ideal = self.layer_time(layer, traffic, keys, ideal, issued)[0]
            acc_nom, acc = self.access_energy(traffic, keys, nom, hit), self.access_energy(traffic, keys, ops, hit)
            bg_nom, bg = self.background(traffic, t_nom, at_nom, hit), self.background(traffic, t_map, at_ops, hit)
            e_nom = sum(sum(p.values()) for p in acc_nom.values()) + bg_nom
            e_idd = sum(sum(p.values()) for p in acc.values()) + bg
            # Paper mode: each data type's nominal energy (time-independent) times its linear VDD factor.
            e_paper = sum(sum(p.values()) * paper[k] for k, p in acc_nom.items()) + bg_nom * paper_bg
            for parts, target in ((acc_nom, br_nom), (acc, br)):
                for p in parts.values():
                    for name, value in p.items():
                        target[name] += value
            br_nom["background"] += bg_nom
            br["background"] += bg
            rows.append(
                LayerResult(
                    layer=layer.name,
                    kind=layer.kind,
                    weight_bytes=traffic.weight_bytes,
                    ifm_bytes=traffic.ifm_bytes,
                    ofm_bytes=traffic.ofm_bytes,
                    row_hit_rate=hit,
                    source=traffic.source,
                    bound_nominal=bound,
                    memory_boundness=boundness,
                    streams=0.0 if issued is None else issued.streams,
                    mlp=0.0 if issued is None else issued.mlp,
                    contexts=0 if issued is None else issued.contexts,
                    time_nominal_s=t_nom,
                    time_s=t_map,
                    time_ideal_s=t_ideal,
                    energy_nominal_j=e_nom,
                    energy_j={"idd": e_idd, "paper": e_paper},
                )
            )
        return PlatformResult(
            platform=platform,
            scaling=scaling,
            layers=rows,
            time_nominal_s=sum(r.time_nominal_s for r in rows),
            time_s=sum(r.time_s for r in rows),
            time_ideal_s=sum(r.time_ideal_s for r in rows),
            energy_nominal_j=sum(r.energy_nominal_j for r in rows),
            energy_j={s: sum(r.energy_j[s] for r in rows) for s in SCALINGS},
            breakdown_nominal_j=br_nom,
            breakdown_j=br,
        )


def compose(
    *,
    platform: str,
    topology: Topology,
    traffic: list[LayerTraffic],
    costs: DramCosts,
    timing: TimingModel,
    mapping: Mapping[str, Any] | None,
    scaling: Scaling,
    bytes_per_value: float,
    reference: OpPoint | None = None,
) -> PlatformResult:
    """Time and DRAM energy of one inference under ``mapping`` versus nominal DRAM.

    ``reference`` is the nominal point of the device the mapping's points were characterized on (see
    :mod:`eden.platforms.operating`); None means the points are the platform memory's own.
    """
    if scaling not in SCALINGS:
        raise ConfigError("scaling", scaling, SCALINGS)
    return _Evaluator(
        topology=topology, traffic=traffic, costs=costs, timing=timing, bytes_per_value=bytes_per_value
    ).run(platform, mapping, scaling, reference)
