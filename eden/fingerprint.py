"""Fingerprint of the code that computes a stage, so the stage cache never returns results of older code.

A stage's cache key holds, beside its config, a content hash of

- every ``.py`` file of the ``eden`` package (any edit in eden/ recomputes every stage: the engine, the stages and
  the members' bases all live there), and
- the source file of each class in the MRO of every registry member the stage uses (the error model, DRAM part,
  mapping or platform), outside eden/: editing a plugin's module recomputes the stages that used it, while an
  edit to an unused plugin changes nothing.

Files are hashed by content, not by modification time or git state, so a checkout, a copy or ``touch`` that leaves
the bytes alone keeps the cache, and an uncommitted edit does not. Hashes are computed once per process (a stage
key costs a dictionary lookup after the first); :func:`forget` drops them (tests that edit code in-process).
Code that a member merely calls (a helper module it imports outside eden/) is not part of its fingerprint.
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


def _source_file(cls: type) -> str | None:
    module = sys.modules.get(cls.__module__)
    file = getattr(module, "__file__", None)
    if not file or not file.endswith(".py"):
        return None  # built-in or compiled: not code a user edits
    return os.path.realpath(file)


def class_sources(cls: type) -> dict[str, str]:
    """``module → digest`` of the source files defining ``cls`` and its bases, except eden/'s and the stdlib's."""
    out: dict[str, str] = {}
    for klass in inspect.getmro(cls):
        file = _source_file(klass)
        if file is None or Path(file).is_relative_to(EDEN_ROOT) or klass.__module__ in sys.stdlib_module_names:
            continue
        out[klass.__module__] = file_digest(file)
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
