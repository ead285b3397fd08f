"""An event-driven DRAM controller: what the analytic memory-time model (:mod:`eden.dram.latency`) abstracts.

Why it exists: the platform figures rest on a closed-form model (row-hit rate from the number of concurrent
streams, mean-value analysis of banks and buses). This simulator plays the same access streams through the
mechanisms that model summarizes, command by command, so the model can be checked against it
(``tests/dram/test_controller_sim.py``, ``python -m eden.paper.cpu_sim``) and so the effect of a lower tRCD is
measured where no formula is assumed.

What it models, per channel (Ramulator's DDR4 controller, Kim et al., IEEE CAL 2015, in the parts that move
latency):

- **Address mapping** RoBaRaCoCh (Ramulator's default; one rank): line → channel (lowest bits), column (one
  ``row_bytes`` stretch of a row), bank, row.
- **Per-bank FR-FCFS**: among the requests queued at a bank, the oldest row hit first, else the oldest. A
  channel's scheduler sees at most ``queue_depth`` requests (Ramulator's read queue: 32; GPGPU-Sim's FR-FCFS
  queue: 64 in its tested configs); later arrivals wait in order, so deep MLP cannot reorder without bound.
- **Bank timing**: a hit issues its column command ``tCCD`` after the bank's previous one; a conflict
  precharges (not before ``tRAS`` after its activation), activates ``tRP`` later (not before ``tRC`` after the
  previous activation), reads ``tRCD`` later. A **closed page** precharges after every access, so each access
  activates (no tRP in its path unless the bank is still precharging).
- **Activation limits** per rank: ``tRRD`` between activations and at most four in any ``tFAW``.
- **Data bus** per channel: ``CL`` after the column command, ``tBURST`` long, granted in command order.
- **Cores**: each keeps at most ``mlp`` requests in flight; a request reaches the controller ``on_chip_ns``
  after the previous one of its slot returned (the round trip through the caches, lumped).

Not modelled: refresh, writes' own turnaround (every access is timed as a read), the command bus and bank-group
column spacing beyond ``tCCD``. Times are in ns.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from eden.errors import ConfigError

if TYPE_CHECKING:
    from eden.dram.device import DramDevice


@dataclass(frozen=True, kw_only=True)
class ControllerTimings:
    """The timings the controller obeys (ns). ``tccd``: column-to-column spacing at one bank."""

    cl: float
    trcd: float
    trp: float
    tras: float
    trc: float
    tburst: float
    tccd: float
    trrd: float = 0.0
    tfaw: float = 0.0

    def __post_init__(self) -> None:
        for name in ("cl", "trcd", "trp", "tras", "trc", "tburst", "tccd", "trrd", "tfaw"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ConfigError(f"timings.{name}", value, "a number >= 0 (ns)")

    @classmethod
    def of(
        cls, device: DramDevice, *, trcd: float | None = None, tccd: float | None = None,
        trrd: float = 0.0, tfaw: float = 0.0,
    ) -> ControllerTimings:  # fmt: skip
        """The device's own timings; ``trcd`` None is its nominal; ``tccd`` None is one burst."""
        from eden.dram.energy import burst_ns

        t, burst = device.timings, burst_ns(device)
        return cls(
            cl=t.cl, trcd=device.nominal.trcd if trcd is None else trcd, trp=t.trp, tras=t.tras, trc=t.trc,
            tburst=burst, tccd=burst if tccd is None else tccd, trrd=trrd, tfaw=tfaw,
        )  # fmt: skip

    def with_trcd(self, trcd: float) -> ControllerTimings:
        return replace(self, trcd=trcd)


@dataclass(frozen=True, kw_only=True)
class ControllerGeometry:
    """How lines map onto the memory: ``banks`` per channel, ``row_bytes`` a stream reads from one row."""

    channels: int
    banks: int
    row_bytes: int
    line_bytes: int = 64

    def __post_init__(self) -> None:
        for name in ("channels", "banks", "row_bytes", "line_bytes"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise ConfigError(f"geometry.{name}", value, "an integer >= 1")
        if self.row_bytes % self.line_bytes:
            raise ConfigError("geometry.row_bytes", self.row_bytes, f"a multiple of line_bytes = {self.line_bytes}")

    @property
    def lines_per_row(self) -> int:
        return self.row_bytes // self.line_bytes

    def decode(self, line: int) -> tuple[int, int, int]:
        """(channel, bank, row) of a line address under RoBaRaCoCh."""
        channel = line % self.channels
        rest = line // self.channels // self.lines_per_row
        return channel, rest % self.banks, rest // self.banks


@dataclass(frozen=True)
class SimResult:
    """What one simulation measured."""

    time_ns: float  # first request issued → last data returned
    accesses: int
    row_hits: int
    dram_latency_ns: float  # mean, controller arrival → data returned (queueing included)
    steady_ns_per_access: float  # between the 10th and the 90th percentile completion: no ramp, no tail

    @property
    def row_hit_rate(self) -> float:
        return self.row_hits / self.accesses if self.accesses else 0.0

    @property
    def ns_per_access(self) -> float:
        """Steady-state time per access (what a long stream of this mix costs)."""
        return self.steady_ns_per_access


class _Bank:
    __slots__ = ("deciding", "last_act", "last_col", "next_decision", "open_row", "queue", "ready_act")

    def __init__(self) -> None:
        self.queue: list[tuple[int, int, int, float]] = []  # (seq, row, core, arrival)
        self.open_row: int | None = None
        self.last_act = -math.inf
        self.ready_act = -math.inf  # closed page: when its auto-precharge is done
        self.last_col = -math.inf
        self.deciding = False
        self.next_decision = 0.0


_ARRIVE, _DECIDE = 0, 1


def simulate(
    traces: Sequence[Sequence[int]],
    *,
    mlp: int,
    on_chip_ns: float,
    timings: ControllerTimings,
    geometry: ControllerGeometry,
    closed_page: bool = False,
    queue_depth: int = 0,
) -> SimResult:
    """Play one line-address trace per core through the controller (module docstring). ``queue_depth``: the
    requests one channel's scheduler sees at once (0: all that have arrived); the rest wait in arrival order."""
    if not (isinstance(mlp, int) and mlp >= 1):
        raise ConfigError("mlp", mlp, "an integer >= 1 (requests in flight per core)")
    if not (isinstance(queue_depth, int) and queue_depth >= 0):
        raise ConfigError("queue_depth", queue_depth, "an integer >= 0 (0: unlimited)")
    if not (math.isfinite(on_chip_ns) and on_chip_ns >= 0):
        raise ConfigError("on_chip_ns", on_chip_ns, "a number >= 0 (ns)")
    t = timings
    banks = [[_Bank() for _ in range(geometry.banks)] for _ in range(geometry.channels)]
    bus_free = [0.0] * geometry.channels
    acts: list[deque[float]] = [deque(maxlen=4) for _ in range(geometry.channels)]
    events: list[tuple[float, int, int, tuple[int, ...]]] = []
    seq = 0
    cursor = [0] * len(traces)
    pending = [0] * geometry.channels  # requests in a channel's scheduler queue
    backlog: list[deque[tuple[int, tuple[int, int, int, float]]]] = [deque() for _ in range(geometry.channels)]

    def enqueue(channel: int, b: int, entry: tuple[int, int, int, float], now: float) -> None:
        nonlocal seq
        bank = banks[channel][b]
        bank.queue.append(entry)
        pending[channel] += 1
        if not bank.deciding:
            bank.deciding = True
            seq += 1
            heapq.heappush(events, (max(now, bank.next_decision), seq, _DECIDE, (channel, b)))

    def issue(core: int, at: float) -> None:
        nonlocal seq
        i = cursor[core]
        if i >= len(traces[core]):
            return
        cursor[core] = i + 1
        channel, bank, row = geometry.decode(traces[core][i])
        seq += 1
        heapq.heappush(events, (at + on_chip_ns, seq, _ARRIVE, (channel, bank, row, core)))

    for core in range(len(traces)):
        for _ in range(mlp):
            issue(core, 0.0)

    total = sum(len(trace) for trace in traces)
    low, high = total // 10, total - total // 10
    served = hits = 0
    latency_sum = end = 0.0
    completions: list[float] = []
    while events:
        now, order, kind, data = heapq.heappop(events)
        if kind == _ARRIVE:
            channel, b, row, core = data
            if queue_depth and pending[channel] >= queue_depth:
                backlog[channel].append((b, (order, row, core, now)))
            else:
                enqueue(channel, b, (order, row, core, now), now)
            continue
        channel, b = data
        bank = banks[channel][b]
        pick = 0
        if not closed_page and bank.open_row is not None:
            pick = next((i for i, req in enumerate(bank.queue) if req[1] == bank.open_row), 0)
        _, row, core, arrival = bank.queue.pop(pick)
        pending[channel] -= 1
        if backlog[channel]:
            waiting_bank, entry = backlog[channel].popleft()
            enqueue(channel, waiting_bank, entry, now)
        if not closed_page and row == bank.open_row:
            column = max(now, bank.last_act + t.trcd, bank.last_col + t.tccd)
            hits += 1
        else:
            if closed_page or bank.open_row is None:
                activate = max(now, bank.ready_act, bank.last_act + t.trc)
            else:  # conflict: precharge the open row first
                precharge = max(now, bank.last_act + t.tras, bank.last_col + t.tburst)
                activate = max(precharge + t.trp, bank.last_act + t.trc)
            window = acts[channel]
            if window:
                activate = max(activate, window[-1] + t.trrd)
            if len(window) == 4:
                activate = max(activate, window[0] + t.tfaw)
            window.append(activate)
            bank.last_act = activate
            bank.open_row = None if closed_page else row
            column = activate + t.trcd
            if closed_page:
                bank.ready_act = max(activate + t.tras, column + t.tburst) + t.trp
        bank.last_col = column
        data_start = max(column + t.cl, bus_free[channel])
        done = bus_free[channel] = data_start + t.tburst
        served += 1
        latency_sum += done - arrival
        end = max(end, done)
        completions.append(done)
        issue(core, done)
        bank.next_decision = column + t.tccd
        if bank.queue:
            seq += 1
            heapq.heappush(events, (max(now, bank.next_decision), seq, _DECIDE, (channel, b)))
        else:
            bank.deciding = False
    if served == 0:
        return SimResult(0.0, 0, 0, 0.0, 0.0)
    completions.sort()
    steady = (completions[high - 1] - completions[low]) / (high - 1 - low) if high - 1 > low else end / served
    return SimResult(end, served, hits, latency_sum / served, steady)


def stream_traces(
    *, cores: int, streams_per_core: int, accesses_per_core: int, geometry: ControllerGeometry, seed: int = 0
) -> list[list[int]]:
    """Per core, ``streams_per_core`` sequential line streams from random row-aligned starts, interleaved access
    by access (the access pattern the analytic row-hit model assumes)."""
    for name, value in (("cores", cores), ("streams_per_core", streams_per_core),
                        ("accesses_per_core", accesses_per_core)):  # fmt: skip
        if not (isinstance(value, int) and value >= 1):
            raise ConfigError(name, value, "an integer >= 1")
    rng = random.Random(seed)
    stretch = geometry.channels * geometry.lines_per_row  # lines before a stream leaves its row
    span = stretch * geometry.banks * 4096  # 4096 rows per bank to draw from
    traces = []
    for _ in range(cores):
        starts = [rng.randrange(span // stretch) * stretch for _ in range(streams_per_core)]
        traces.append([starts[i % streams_per_core] + i // streams_per_core for i in range(accesses_per_core)])
    return traces
