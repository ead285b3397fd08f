"""Plugin loading is all or nothing, and a plugin module imported under two names is one registration.

Each test builds a small plugin package in ``tmp_path``, puts it on ``sys.path`` and points the ``eden.plugins``
entry-point group at it, then restores the process (modules, registrations, the loaded flag) afterwards.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from eden import registry as registry_module
from eden.errors import RegistryError
from eden.injection.error_model import ERROR_MODELS

MEMBER = '''
from eden.injection.error_model import ERROR_MODELS
from eden_plugins.error_model.uniform import UniformErrorModel


@ERROR_MODELS.register("{name}")
class {cls}(UniformErrorModel):
    """A throw-away member of the loading tests."""
'''


def write_package(root: Path, package: str, modules: dict[str, str]) -> None:
    folder = root / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    for name, source in modules.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def plugin_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``tmp_path`` on sys.path; the registries unloaded; everything the test imports or registers undone after."""
    loaded = dict(registry_module._state)
    members = dict(ERROR_MODELS._members)
    modules = set(sys.modules)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry_module._state["loaded"] = False
    yield tmp_path
    for name in set(sys.modules) - modules:
        del sys.modules[name]
    ERROR_MODELS._members.clear()
    ERROR_MODELS._members.update(members)
    registry_module._state.update(loaded)
    importlib.invalidate_caches()


def entry_point(monkeypatch: pytest.MonkeyPatch, name: str, module: str) -> None:
    eps = [EntryPoint(name=name, value=module, group=registry_module.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: eps)


def test_a_broken_entry_point_is_one_registry_error_on_every_lookup(
    plugin_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_package(
        plugin_env,
        "k1_partial",
        {"a_good": MEMBER.format(name="k1_partial_a", cls="PartialA"), "b_broken": "import k1_no_such_module\n"},
    )
    entry_point(monkeypatch, "partial", "k1_partial")
    expected = (
        "plugin entry point 'partial' (eden.plugins: k1_partial) failed to load: "
        "ModuleNotFoundError: No module named 'k1_no_such_module'"
    )
    for lookup in (ERROR_MODELS.names, lambda: ERROR_MODELS.get("uniform"), lambda: "k1_partial_a" in ERROR_MODELS):
        with pytest.raises(RegistryError) as err:
            lookup()
        assert str(err.value) == expected  # one line, naming the entry point and its exception
        assert not registry_module.plugins_loaded()  # never a half-loaded registry answering the next lookup
    # Once the plugin imports, the next lookup loads everything: the built-ins and both of its modules.
    (plugin_env / "k1_partial" / "b_broken.py").write_text(MEMBER.format(name="k1_partial_b", cls="PartialB"))
    importlib.invalidate_caches()
    names = ERROR_MODELS.names()
    assert {"k1_partial_a", "k1_partial_b", "uniform", "none"} <= set(names)
    assert registry_module.plugins_loaded()


def test_an_entry_point_naming_no_module_is_a_registry_error(plugin_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry_point(monkeypatch, "typo", "k1_not_installed")
    with pytest.raises(RegistryError, match=r"^plugin entry point 'typo' .*ModuleNotFoundError: .*k1_not_installed"):
        ERROR_MODELS.get("uniform")


def test_an_error_raised_by_a_plugin_module_is_reported_with_its_type(
    plugin_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_package(plugin_env, "k1_raises", {"bad": "raise ValueError('bad constant\\nsecond line')\n"})
    entry_point(monkeypatch, "raises", "k1_raises")
    with pytest.raises(RegistryError) as err:
        ERROR_MODELS.names()
    assert str(err.value).endswith("failed to load: ValueError: bad constant second line")
    assert isinstance(err.value.__cause__, ValueError)


def test_a_plugin_imported_under_two_names_is_one_registration(
    plugin_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_package(plugin_env, "k1_twice", {"k1_twice_member": MEMBER.format(name="k1_twice", cls="Twice")})
    entry_point(monkeypatch, "twice", "k1_twice")
    monkeypatch.syspath_prepend(str(plugin_env / "k1_twice"))  # the package folder itself is on sys.path too
    first = importlib.import_module("k1_twice.k1_twice_member").Twice
    second = importlib.import_module("k1_twice_member").Twice  # same file, second module object
    assert first is not second
    assert ERROR_MODELS.get("k1_twice") is first
    assert second.registry_name == "k1_twice"


def test_a_different_class_under_a_taken_name_still_raises(plugin_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_package(
        plugin_env,
        "k1_clash",
        {
            "one": MEMBER.format(name="k1_clash", cls="One"),
            "two": MEMBER.format(name="k1_clash", cls="One"),  # same class name, another file: a real clash
        },
    )
    entry_point(monkeypatch, "clash", "k1_clash")
    with pytest.raises(RegistryError) as err:
        ERROR_MODELS.names()
    message = str(err.value)
    assert "'k1_clash' already registered by k1_clash.one.One (cannot also register k1_clash.two.One)" in message
    assert message.startswith("plugin entry point 'clash'")


def test_builtins_load_without_any_entry_point(plugin_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A source checkout with no installed metadata still finds the built-in members."""
    monkeypatch.setattr(registry_module, "entry_points", lambda group: [])
    assert {"uniform", "none", "bitline", "wordline", "data_dependent"} <= set(ERROR_MODELS.names())
