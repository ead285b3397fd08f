"""Turn the framework's own errors into one clear line on stderr and a non-zero exit, with no traceback.

Three kinds of bad input reach the command line, each as ``error: <field>=<value> is invalid; allowed: ...``
on stderr and exit status 2:

- an ``EdenError`` raised anywhere in a run, also when Hydra wraps it (an instantiated data set or model
  raising ``ConfigError`` reaches us as Hydra's ``InstantiationException`` with the error as its cause);
- a group option naming no YAML (checked here before Hydra starts, which would report it over a dozen lines);
- a composition error of Hydra/OmegaConf: a value of the wrong type (``trainer.max_epochs=two``), a key that is
  not in the schema (``characterize.ber_mni=1e-6``), an override that does not parse;
- a config file that is not valid YAML: ``error: <file>:<line>: invalid YAML (<problem>); ...``.

Any other exception is a bug, not bad input: it keeps its traceback.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from eden.conf import BASE_FOLDER
from eden.errors import ConfigError, EdenError

EXIT_BAD_INPUT = 2
T = TypeVar("T")
R = TypeVar("R")
#: OmegaConf's type names in its conversion messages → what a user may write instead.
_TYPE_WORDS = {
    "Integer": "an integer",
    "Float": "a number",
    "Boolean": "true or false",
    "String": "a string",
    "bool": "true or false",
}


def check_group_choices(conf_dir: Path, argv: list[str]) -> None:
    """Reject ``group=option`` overrides naming no option of the group (conf/ or a search-path plugin), listing them.

    Hydra would report this too, but over a dozen lines with its search path; this runs before Hydra starts.
    Sweep values (``a,b``) are checked one by one; sweep functions (``range(...)``, ``glob(...)``) are left to Hydra.
    """
    for arg in argv:
        match = re.fullmatch(r"\+{0,2}([A-Za-z_][\w/]*)=(.*)", arg)
        if not match or "(" in match.group(2):
            continue
        group, value = match.groups()
        parent, _, last = group.rpartition("/")
        if parent and last == BASE_FOLDER:  # conf/<group>/base/ holds what the options inherit, not options
            raise ConfigError(
                group, value, f"a config group; {parent}/{BASE_FOLDER}/ is inherited, not chosen ({parent}: "
                f"{', '.join(group_options(conf_dir, parent))})"
            )
        folder = conf_dir / group
        if not folder.is_dir() or value in ("null", ""):
            continue
        options = group_options(conf_dir, group)
        for option in value.split(","):
            if option not in options:
                raise ConfigError(group, option, options)


def group_options(conf_dir: Path, group: str) -> list[str]:
    """The options of ``group``: the YAML files in ``conf_dir/<group>/`` and those of every Hydra search-path plugin
    (a third-party package's own options, see docs/plugins.md)."""
    from eden import conf

    if conf_dir.resolve() == conf.conf_dir().resolve():
        return conf.options(group)
    return sorted(p.stem for p in (conf_dir / group).glob("*.yaml"))


def eden_error_in(exc: BaseException | None) -> EdenError | None:
    """The ``EdenError`` that ``exc`` is or was caused by (Hydra wraps errors of instantiated targets)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, EdenError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _override_value(key: str, argv: list[str]) -> str:
    """The value the command line gave ``key`` (``<not given>`` when it came from a YAML file)."""
    for arg in argv:
        name, sep, value = arg.partition("=")
        if sep and name.lstrip("+~") == key:
            return value
    return "<not given>"


def composition_error(exc: BaseException, argv: list[str]) -> ConfigError | None:
    """A one-line ``ConfigError`` for Hydra's composition and override-parsing errors; None for anything else."""
    try:
        from hydra.errors import ConfigCompositionException, OverrideParseException
        from omegaconf.errors import ConfigKeyError, OmegaConfBaseException
    except ImportError:  # pragma: no cover - hydra is a hard dependency
        return None
    if isinstance(exc, OverrideParseException):
        first = str(exc).splitlines()[0]
        bad = next((a for a in argv if a.partition("=")[2] and a.partition("=")[2] in first), None)
        if bad is None:
            return ConfigError("override", first, "key=value in Hydra's override grammar")
        key, _, value = bad.partition("=")
        return ConfigError(key.lstrip("+~"), value, f"a value in Hydra's override grammar ({first})")
    cause = exc.__cause__
    if not isinstance(exc, ConfigCompositionException) or not isinstance(cause, OmegaConfBaseException):
        return None
    key = str(getattr(cause, "full_key", "") or "")
    msg = str(getattr(cause, "msg", "") or str(cause)).splitlines()[0]
    if not key:
        return ConfigError("config", msg, "a configuration that composes (see `run.py --cfg job`)")
    value = _override_value(key, argv)
    if isinstance(cause, ConfigKeyError | AttributeError):
        parent = getattr(cause, "parent_node", None)
        node = key.rpartition(".")[0]
        known = ", ".join(str(k) for k in parent) if parent is not None else ""
        where = f"the keys of {node}" if node else "the top-level keys"
        return ConfigError(key, value, f"{where}: {known} (a new key needs +{key}=...)")
    typed = re.search(r"converted to (\w+)|not a valid (bool)", msg)
    word = _TYPE_WORDS.get(next(g for g in typed.groups() if g), "") if typed else ""
    return ConfigError(key, value, f"{word or 'a value of the schema type'} ({msg})")


def fail(exc: EdenError) -> NoReturn:
    from eden.logs import to_run_log

    text = " ".join(str(exc).split()) or type(exc).__name__  # one line, whatever the message held
    print(f"error: {text}", file=sys.stderr, flush=True)
    to_run_log(text, logging.ERROR)  # Hydra's run.log keeps why the run stopped
    sys.exit(EXIT_BAD_INPUT)


def one_line_errors(task: Callable[[T], R]) -> Callable[[T], R]:
    """Wrap a Hydra task function: an ``EdenError`` (bad input, missing data) exits 2 with one line.

    It must sit *inside* ``@hydra.main``, which otherwise reports exceptions over several lines itself.
    """

    @functools.wraps(task)
    def wrapped(cfg: T) -> R:
        try:
            return task(cfg)
        except Exception as exc:
            err = eden_error_in(exc)
            if err is None:
                from eden.logs import to_run_log

                last = f"{type(exc).__name__}: {exc}".strip().splitlines()
                to_run_log((last[-1] if last else type(exc).__name__)[:280], logging.ERROR)
                raise
            fail(err)

    return wrapped


def main_guard(main: Callable[[], Any], conf_dir: Path | None = None) -> None:
    """Check group choices on the command line, then run the Hydra main; bad input ends as one line.

    Hydra prints composition errors itself over several lines unless ``HYDRA_FULL_ERROR`` is set, so it is set
    here (when the user has not set it) and the errors come back to be reported as one line. A user who sets
    ``HYDRA_FULL_ERROR=1`` gets Hydra's full report of composition errors, as Hydra documents.
    """
    from eden.logs import quiet_third_party

    quiet_third_party()  # known-harmless library messages (each named in eden.logs)
    argv = sys.argv[1:]
    user_wants_full = "HYDRA_FULL_ERROR" in os.environ
    os.environ.setdefault("HYDRA_FULL_ERROR", "1")
    try:
        if conf_dir is not None:
            check_group_choices(conf_dir, argv)
        main()
    except Exception as exc:
        from eden.conf import yaml_error_in

        err = eden_error_in(exc) or yaml_error_in(exc)
        if err is None and not user_wants_full:
            err = composition_error(exc, argv)
        if err is None:
            raise
        fail(err)
