"""The stage cache sees code: editing a member's source recomputes the stages that ran it, and nothing else.

A copy of the ``uniform`` error model lives in a temporary package (the test never edits the source tree). The
pipeline runs baseline → boost (boost runs the error model; the baseline does not), the copy is edited, and the
same run is repeated in the same process with the memoized hashes dropped, as a new process would see it.
Keys also hold a hash of all of eden/, so any edit there recomputes every stage (checked on a temporary tree).
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from omegaconf import DictConfig

from eden import fingerprint
from eden.cache import StageCache
from eden.config import validate
from eden.context import RunContext
from eden.injection.error_model import ERROR_MODELS
from eden.pipeline import run_stages
from eden.tracking import Tracker

UNIFORM_SOURCE = Path(__file__).resolve().parents[2] / "eden_plugins" / "error_model" / "uniform.py"
NAME, OTHER = "k1_fp_uniform", "k1_fp_other"


@pytest.fixture
def plugin_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package ``k1_fp_plugins`` with two copies of the uniform model: ``used`` (NAME) and ``unused`` (OTHER)."""
    package = tmp_path / "pkg" / "k1_fp_plugins"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    source = UNIFORM_SOURCE.read_text()
    assert 'ERROR_MODELS.register("uniform")' in source
    (package / "used.py").write_text(source.replace('register("uniform")', f'register("{NAME}")'))
    (package / "unused.py").write_text(source.replace('register("uniform")', f'register("{OTHER}")'))
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))
    importlib.import_module("k1_fp_plugins.used")
    importlib.import_module("k1_fp_plugins.unused")
    fingerprint.forget()
    yield package
    for name in (NAME, OTHER):
        ERROR_MODELS.unregister(name)
    for module in [m for m in sys.modules if m.startswith("k1_fp_plugins")]:
        del sys.modules[module]
    fingerprint.forget()


def run(cfg: DictConfig, caplog: pytest.LogCaptureFixture) -> tuple[dict[str, Path], set[str]]:
    """Run the stages; return their folders and the stages that were computed (not reused)."""
    fingerprint.forget()  # what a new process would hash
    tracker = Tracker(enabled=False, uri=str(cfg.tracking.uri), experiment="test")
    ctx = RunContext(cfg=cfg, members=validate(cfg), tracker=tracker, cache=StageCache(cfg.paths.cache))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="eden.pipeline"):
        run_stages(ctx)
    computed = {stage for stage in ctx.folders if f"[{stage}] computing" in caplog.text}
    return dict(ctx.folders), computed


def test_editing_a_member_recomputes_the_stages_that_ran_it(
    plugin_copy: Path,
    compose_cfg: Callable[[list[str]], DictConfig],
    tiny_overrides: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    cfg = compose_cfg(
        [
            *tiny_overrides,
            "stage=boost",
            "retrain=none",
            f"error_model.name={NAME}",
            "trainer.max_epochs=1",
            "characterize.search_steps=2",
            "characterize.seeds=1",
            "characterize.sample_fraction=0.1",
            "target.max_drop=0.5",  # mechanics, not accuracy: a target the one-epoch baseline can meet
        ]
    )
    first, computed = run(cfg, caplog)
    assert computed == {"baseline", "boost"}

    again, computed = run(cfg, caplog)
    assert (again, computed) == (first, set())  # nothing changed: everything reused

    used = plugin_copy / "used.py"
    used.write_text(used.read_text().replace("Mean BER = p·f_a.", "Mean BER = p·f_a (edited)."))
    edited, computed = run(cfg, caplog)
    assert computed == {"boost"}  # the baseline never ran the error model: reused
    assert edited["baseline"] == first["baseline"] and edited["boost"] != first["boost"]
    key = (edited["boost"] / "key.json").read_text()
    assert "k1_fp_plugins.used" in key and "k1_fp_plugins.unused" not in key  # key.json says which code

    unused = plugin_copy / "unused.py"
    unused.write_text(unused.read_text() + "\n# an edit to a member this run does not use\n")
    unrelated, computed = run(cfg, caplog)
    assert (unrelated, computed) == (edited, set())


def test_the_eden_digest_covers_every_python_file_by_content(tmp_path: Path) -> None:
    tree = tmp_path / "eden_copy"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.py").write_text("x = 1\n")
    (tree / "sub" / "b.py").write_text("y = 2\n")
    (tree / "notes.txt").write_text("not code")
    base = fingerprint.tree_digest(str(tree))

    def digest() -> str:
        fingerprint.forget()
        return fingerprint.tree_digest(str(tree))

    (tree / "notes.txt").write_text("still not code")
    assert digest() == base
    (tree / "sub" / "b.py").write_text("y = 3\n")
    assert digest() != base
    (tree / "sub" / "b.py").write_text("y = 2\n")
    assert digest() == base  # content, not modification time
    (tree / "sub" / "b.py").rename(tree / "b.py")
    assert digest() != base  # a moved module is a different tree


def test_members_in_eden_or_the_stdlib_add_no_module_digest() -> None:
    from eden.dram.geometry import Geometry

    assert fingerprint.class_sources(Geometry) == {}  # covered by eden's own digest
    uniform = ERROR_MODELS.get("uniform")
    assert set(fingerprint.class_sources(uniform)) == {"eden_plugins.error_model.uniform"}


def test_a_member_calling_another_plugins_helpers_is_keyed_on_them_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member importing a sibling module of its package (helpers of another plugin) is keyed on that module too;
    the built-in strategies share their helpers through eden/mapping/ instead, so each is keyed on itself."""
    from eden.mapping.base import MAPPINGS

    package = tmp_path / "fp_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "helpers.py").write_text("def twice(x: int) -> int:\n    return 2 * x\n", encoding="utf-8")
    (package / "member.py").write_text(
        "from fp_pkg.helpers import twice\n\n\nclass Member:\n    def run(self) -> int:\n        return twice(1)\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    member = importlib.import_module("fp_pkg.member")
    try:
        assert set(fingerprint.class_sources(member.Member)) == {"fp_pkg.member", "fp_pkg.helpers"}
        helpers = importlib.import_module("fp_pkg.helpers")
        assert set(fingerprint.class_sources(type("Other", (), {"__module__": helpers.__name__}))) == {"fp_pkg.helpers"}
    finally:
        for name in ("fp_pkg.member", "fp_pkg.helpers", "fp_pkg"):
            sys.modules.pop(name, None)
    for name in ("optimal", "fine", "coarse"):
        assert set(fingerprint.class_sources(MAPPINGS.get(name))) == {f"eden_plugins.mapping.{name}"}
