"""Benchmarks: ``python -m eden.bench [injection|pipeline|scale|all]`` (targets in docs/performance.md).

Each bench is one module in this package listed in ``BENCHES``; it exposes ``add_arguments(parser)`` and
``run(args) -> list[Check]`` and prints its own table. A ``Check`` is one target: the measured ratio, the
target and whether it passed. Ratios are taken against baselines measured in the same run, so they survive a
noisy, shared machine better than absolute times.
"""

from __future__ import annotations

#: bench name → module (imported only when that bench runs: heavy imports stay out of ``--help``).
BENCHES: dict[str, str] = {
    "injection": "eden.bench.injection",
    "pipeline": "eden.bench.pipeline",
    "scale": "eden.bench.scale",
}
#: Benches that run only when named: ``all`` keeps to the CPU-sized ones (scale builds ResNet-50 and a 25M-250M
#: word tensor).
NAMED_ONLY = frozenset({"scale"})
