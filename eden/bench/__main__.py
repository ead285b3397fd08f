"""``python -m eden.bench [injection|pipeline|scale|all] [--quick]``: run benches, print tables and target checks."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

from eden.bench import BENCHES, NAMED_ONLY
from eden.bench.checks import Check, print_checks


def machine() -> str:
    """One line describing where the numbers come from."""
    import torch

    from eden.host import cpu_name

    cpu = cpu_name()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return (
        f"machine: {cpu}, {os.cpu_count()} CPUs, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"GPU {gpu}, load average {load:.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eden.bench", description=__doc__)
    parser.add_argument("bench", nargs="?", default="all", choices=[*BENCHES, "all"])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (tests, smoke runs)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per measurement (median)")
    threads_help = "torch intra-op threads for every bench (default: torch's; scale --quick on a CPU: 1)"
    parser.add_argument("--threads", type=int, default=None, help=threads_help)
    modules = {name: importlib.import_module(path) for name, path in BENCHES.items()}
    for module in modules.values():
        module.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        raise SystemExit(f"--threads={args.threads} is invalid; allowed: an integer >= 1")
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(args.threads or saved)  # before the machine line, which reports it
    try:
        return _run(args, modules)
    finally:
        torch.set_num_threads(saved)


def _run(args: argparse.Namespace, modules: dict[str, Any]) -> int:
    print(machine())
    checks: list[Check] = []
    for name, module in modules.items():
        if args.bench == name or (args.bench == "all" and name not in NAMED_ONLY):
            print(f"\n## {name}\n")
            checks += module.run(args)
    if checks:
        print("\n## targets\n")
        print_checks(checks)
        short = sum(not c.passed for c in checks)
        print(f"\n{len(checks) - short}/{len(checks)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
