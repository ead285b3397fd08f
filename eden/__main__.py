"""``eden <command>`` (or ``python -m eden <command>``): the commands beside ``python run.py``.

Commands: ``report`` (tables and plots of a sweep from MLflow, see :mod:`eden.report`); ``plugins`` (the members of
every registry and the options of their config groups, third-party plugins included: docs/plugins.md).
Install as a console script with ``[project.scripts] eden = "eden.__main__:main"``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


def _report(argv: Sequence[str]) -> int:
    from eden.report import main as report_main

    return report_main(argv)


def _plugins(argv: Sequence[str]) -> int:
    from eden.cli import eden_error_in
    from eden.registries import describe

    if argv:
        print("usage: eden plugins   (lists registered members and config options)", file=sys.stderr)
        return 2
    try:
        print(describe())
    except Exception as exc:
        err = eden_error_in(exc)
        if err is None:
            raise
        print(f"error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    return 0


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {"report": _report, "plugins": _plugins}


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
