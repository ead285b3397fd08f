"""``eden <command>`` (or ``python -m eden <command>``): the commands beside ``python run.py``.

Commands: ``report`` (tables and plots of a sweep from MLflow, see :mod:`eden.report`).
Install as a console script with ``[project.scripts] eden = "eden.__main__:main"``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


def _report(argv: Sequence[str]) -> int:
    from eden.report import main as report_main

    return report_main(argv)


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {"report": _report}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(f"usage: eden {{{','.join(COMMANDS)}}} [options]   (eden <command> --help for its options)")
        return 0 if args else 2
    command = COMMANDS.get(args[0])
    if command is None:
        print(f"error: command={args[0]!r} is invalid; allowed: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    return command(args[1:])


if __name__ == "__main__":
    sys.exit(main())
