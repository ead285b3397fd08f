"""The one loader of ``conf/``: any option of any config group, composed by Hydra as a run composes it.

Code outside a run (the paper reproduction, the benchmarks, the fitting CLI, tests, notebooks) needs a member's
YAML too; reading the file with a YAML parser would skip Hydra's defaults list, so a DRAM part that inherits a
base (``conf/dram/base/``) would come back half empty. :func:`load` composes the option through Hydra's config
loader with its own search path (``conf/`` plus any search-path plugin), which needs no global Hydra state: it
works inside a running ``@hydra.main`` app, in sweep workers and in subprocesses alike.

Base configs live in a subfolder of their group (``conf/<group>/base/``): Hydra finds them through the
options' defaults lists, but they are not options of the group (:func:`options` and the CLI list only the YAML
files directly in ``conf/<group>/``).

A YAML syntax error anywhere becomes a :class:`ConfigFileError` naming the file and line (one line, exit 2).
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eden.errors import ConfigError, EdenError

if TYPE_CHECKING:
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

#: Subfolder of a group holding the configs its options inherit from (never an option itself).
BASE_FOLDER = "base"


class ConfigFileError(EdenError):
    """A config file that cannot be read as YAML: names the file and the line."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path, self.line, self.problem = path, line, problem
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: invalid YAML ({problem}); fix the syntax at that line")


def conf_dir() -> Path:
    """``<checkout>/conf``: the primary config folder of ``run.py``."""
    from eden.config import repo_root

    return repo_root() / "conf"


def yaml_error_in(exc: BaseException | None) -> ConfigFileError | None:
    """The YAML syntax error ``exc`` is or was caused by, as a one-line :class:`ConfigFileError`; else None."""
    import yaml

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ConfigFileError):
            return exc
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            problem = " ".join(str(exc.problem or exc.context or "not YAML").split())
            if exc.context and exc.context_mark is not None and exc.problem:  # e.g. where an open bracket began
                problem = f"{exc.context} from line {exc.context_mark.line + 1}: {problem}"
            path = _display(mark.name) if mark is not None else "<config>"
            return ConfigFileError(path, mark.line + 1 if mark is not None else None, problem)
        if isinstance(exc, yaml.YAMLError):
            return ConfigFileError("<config>", None, " ".join(str(exc).split()))
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _display(name: str) -> str:
    """A file name relative to the working folder when it lies under it (shorter, and no machine paths)."""
    path = Path(name)
    for alias, real in _ALIASES.items():  # copies of files outside conf/ (see load_file) show their real name
        if path == alias:
            return real
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return name


_ALIASES: dict[Path, str] = {}


@lru_cache(maxsize=8)
def _loader(extra: tuple[str, ...] = ()) -> ConfigLoaderImpl:
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery

    search_path = create_config_search_path(str(conf_dir()))  # also runs every SearchPathPlugin
    for i, folder in enumerate(extra):
        search_path.append(f"eden-extra-{i}", f"file://{folder}", anchor=SearchPathQuery(provider="main"))
    return ConfigLoaderImpl(config_search_path=search_path)


def _compose(group: str, option: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    from hydra.errors import MissingConfigException
    from hydra.types import RunMode
    from omegaconf import OmegaConf
    from omegaconf.errors import InterpolationResolutionError

    from eden.config import register_configs

    register_configs()  # the eden_root resolver, when a member interpolates it
    try:
        cfg = _loader(extra).load_configuration(
            config_name=None, overrides=[f"+{group}={option}"], run_mode=RunMode.RUN
        )
    except MissingConfigException:
        raise ConfigError(group, option, options(group)) from None
    except Exception as exc:
        err = yaml_error_in(exc)
        if err is not None:
            raise err from None
        raise
    try:
        node = OmegaConf.to_container(cfg[group], resolve=True)
    except InterpolationResolutionError:  # refers to the run's keys (``${paths.data}``): left for the run to resolve
        node = OmegaConf.to_container(cfg[group], resolve=False)
    if not isinstance(node, dict):
        raise ConfigError(group, option, f"an option whose YAML holds a mapping of fields (conf/{group}/)")
    return {str(k): v for k, v in node.items()}


@lru_cache(maxsize=256)
def _cached(group: str, option: str) -> dict[str, Any]:
    return _compose(group, option)


def load(group: str, option: str) -> dict[str, Any]:
    """Option ``option`` of config group ``group``, composed by Hydra (defaults lists applied), as plain data.

    Interpolations are resolved, except in an option that refers to the run's own keys (``${paths.data}`` in
    ``conf/data/``), which comes back unresolved as the run resolves it. A fresh copy each call (safe to mutate).
    An unknown option raises a ``ConfigError`` listing the options.
    """
    if "/" in option or option.startswith(BASE_FOLDER + "/"):
        raise ConfigError(group, option, options(group))
    return copy.deepcopy(_cached(group, option))


def load_file(path: str | Path, group: str) -> dict[str, Any]:
    """A YAML file at any path, composed as an option of ``group`` (its defaults list may name the group's bases).

    A file inside ``conf/<group>/`` is that option; any other file is composed from a copy placed in the
    group of an extra search-path folder, so ``base/...@_here_`` in its defaults list resolves as it would in
    ``conf/<group>/``. Errors name the original file.
    """
    path = Path(path)
    if path.resolve().parent == (conf_dir() / group).resolve() and path.suffix == ".yaml":
        return load(group, path.stem)
    if not path.is_file():
        raise ConfigError(group, str(path), "an existing YAML file")
    with tempfile.TemporaryDirectory(prefix="eden-conf-") as tmp:
        folder = Path(tmp) / group
        folder.mkdir()
        copy_path = folder / "user_file.yaml"
        shutil.copyfile(path, copy_path)
        _ALIASES[copy_path] = _display(str(path))
        try:
            return _compose(group, "user_file", extra=(tmp,))
        finally:
            _ALIASES.pop(copy_path, None)
            _loader.cache_clear()


def options(group: str) -> list[str]:
    """The options of ``group``: its YAML files on Hydra's search path, base configs excluded, sorted."""
    return sorted(o for o in _loader().get_group_options(group) if "/" not in o)


def clear_cache() -> None:
    """Forget composed options (after editing a YAML in the same process, e.g. in a test)."""
    _cached.cache_clear()
    _loader.cache_clear()
