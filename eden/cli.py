"""Turn the framework's own errors into one clear line on stderr and a non-zero exit, with no traceback."""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from eden.errors import ConfigError, EdenError

EXIT_BAD_INPUT = 2
T = TypeVar("T")
R = TypeVar("R")


def check_group_choices(conf_dir: Path, argv: list[str]) -> None:
    """Reject ``group=option`` overrides naming no YAML in ``conf/<group>/``, listing the options.

    Hydra would report this too, but over a dozen lines with its search path; this runs before Hydra starts.
    Sweep values (``a,b``) are checked one by one; sweep functions (``range(...)``, ``glob(...)``) are left to Hydra.
    """
    for arg in argv:
        match = re.fullmatch(r"\+{0,2}([A-Za-z_][\w/]*)=(.*)", arg)
        if not match or "(" in match.group(2):
            continue
        group, value = match.groups()
        folder = conf_dir / group
        if not folder.is_dir() or value in ("null", ""):
            continue
        options = sorted(p.stem for p in folder.glob("*.yaml"))
        for option in value.split(","):
            if option not in options:
                raise ConfigError(group, option, options)


def fail(exc: EdenError) -> NoReturn:
    print(f"error: {exc}", file=sys.stderr, flush=True)
    sys.exit(EXIT_BAD_INPUT)


def one_line_errors(task: Callable[[T], R]) -> Callable[[T], R]:
    """Wrap a Hydra task function: an ``EdenError`` (bad input, missing data) exits 2 with one line.

    It must sit *inside* ``@hydra.main``, which otherwise reports exceptions over several lines itself.
    """

    @functools.wraps(task)
    def wrapped(cfg: T) -> R:
        try:
            return task(cfg)
        except EdenError as exc:
            fail(exc)

    return wrapped


def main_guard(main: Callable[[], Any], conf_dir: Path | None = None) -> None:
    """Check group choices on the command line, then run the Hydra main."""
    try:
        if conf_dir is not None:
            check_group_choices(conf_dir, sys.argv[1:])
    except EdenError as exc:
        fail(exc)
    main()
