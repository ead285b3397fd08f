"""Fingerprint of the code that computes a stage, so the stage cache never returns results of older code.

A stage's cache key holds, beside its config, a content hash of

- every ``.py`` file of the ``eden`` package (any edit in eden/ recomputes every stage: the engine, the stages and
  the members' bases all live there), and
- the source file of each class in the MRO of every registry member the stage uses (the error model, DRAM part,
  mapping or platform), outside eden/, and of the modules of the member's own top-level package those import
  (``optimal`` calls helpers of ``fine`` and ``coarse``): editing a plugin's module recomputes the stages that
  used it, while an edit to an unused plugin changes nothing.

Files are hashed by content, not by modification time or git state, so a checkout, a copy or ``touch`` that leaves
the bytes alone keeps the cache, and an uncommitted edit does not. Hashes are computed once per process (a stage
key costs a dictionary lookup after the first); :func:`forget` drops them (tests that edit code in-process).
Code a member reaches only through another package (a helper library of your own, not under eden/ and not in
the member's package) is not part of its fingerprint.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import eden

EDEN_ROOT = Path(eden.__file__).resolve().parent


@cache
def file_digest(path: str) -> str:
    """sha256 (16 hex digits) of one file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


@cache
def tree_digest(root: str) -> str:
    """One hash of every ``.py`` file under ``root``: relative paths and contents, in a stable order."""
    digest = hashlib.sha256()
    base = Path(root)
    for path in sorted(base.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(file_digest(str(path)).encode() + b"\0")
    return digest.hexdigest()[:16]


def eden_digest() -> str:
    """Hash of the eden package's source."""
    return tree_digest(str(EDEN_ROOT))


def _package_references(module_name: str) -> set[str]:
    """Modules of the same top-level package that ``module_name`` refers to in its namespace (its imports)."""
    module = sys.modules.get(module_name)
    if module is None:
        return set()
    top = module_name.partition(".")[0]
    found: set[str] = set()
    for value in vars(module).values():
        name = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
        if isinstance(name, str) and name != module_name and (name == top or name.startswith(top + ".")):
            found.add(name)
    return found


def class_sources(cls: type) -> dict[str, str]:
    """``module → digest`` of the code of ``cls`` outside eden/ and the stdlib: the modules defining it and its
    bases, and the modules of their own top-level package they import (directly or through one another), e.g. a
    strategy that calls another plugin's helpers."""
    pending = [klass.__module__ for klass in inspect.getmro(cls)]
    seen: set[str] = set()
    out: dict[str, str] = {}
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if not file or not file.endswith(".py") or name.partition(".")[0] in sys.stdlib_module_names:
            continue  # built-in, compiled or stdlib: not code a user edits
        real = os.path.realpath(file)
        if Path(real).is_relative_to(EDEN_ROOT):
            continue  # covered by eden's own digest
        out[name] = file_digest(real)
        pending.extend(_package_references(name))
    return out


def code_fingerprint(members: Iterable[object]) -> dict[str, object]:
    """What a stage key holds about code: eden/'s digest and the digests of the given members' modules."""
    modules: dict[str, str] = {}
    for member in members:
        modules.update(class_sources(member if isinstance(member, type) else type(member)))
    return {"eden": eden_digest(), "members": dict(sorted(modules.items()))}


def forget() -> None:
    """Drop the memoized hashes (the next key rereads the files); for code edited inside one process."""
    file_digest.cache_clear()
    tree_digest.cache_clear()
