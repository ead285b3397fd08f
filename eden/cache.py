"""Content-addressed cache of stage results, so a re-run or a resumed run skips finished stages.

A stage's folder is ``<root>/<stage>/<hash of the config that determines it>``. Files are written to a temporary
name and renamed (atomic on POSIX), and ``done.json`` is written last: a folder without it is an interrupted
stage (SIGTERM, SIGKILL, power loss) and is recomputed after its stale partial files are removed
(:meth:`StageCache.clear_partial`). A reader therefore never sees half a file, and a finished folder is never
touched again: its ``done.json`` keeps its modification time across resumed runs.

Every writer into a stage folder should go through :func:`atomic_write_bytes`, :func:`atomic_write_text`,
:func:`atomic_write_json` or :func:`atomic_open` (a file object whose content appears under its name only when the
``with`` block ends without an exception).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

DONE = "done.json"
LOCK = ".lock"


def config_key(determining: Mapping[str, Any]) -> str:
    """Stable short hash of the (JSON-able) config subset that determines a stage's result."""
    blob = json.dumps(determining, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (the directory entry itself), where the OS allows opening a directory."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_open(path: Path, mode: str = "w", *, newline: str | None = None) -> Iterator[IO[Any]]:
    """``open(path, mode)`` whose content appears under ``path`` only if the block completes.

    Written to a hidden temporary file in the same folder (same file system, so the rename is atomic), flushed
    and fsynced, then renamed over ``path``; on any exception (SIGTERM included) the temporary file is removed and
    ``path`` keeps its previous content, if any.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open mode={mode!r}: allowed 'w' or 'wb'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding="utf-8", newline=newline) if mode == "w" else os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=2, sort_keys=True, default=str).encode())


class StageCache:
    """One folder per (stage, key); ``done.json`` marks a complete result."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def folder(self, stage: str, determining: Mapping[str, Any]) -> Path:
        return self.root / stage / config_key(determining)

    @staticmethod
    @contextmanager
    def lock(folder: Path) -> Iterator[None]:
        """Exclusive lock on a stage folder: parallel sweep jobs needing the same stage compute it once."""
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / LOCK, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def is_done(folder: Path) -> bool:
        return (folder / DONE).is_file()

    @staticmethod
    def read_result(folder: Path) -> dict[str, Any]:
        result = json.loads((folder / DONE).read_text())
        if not isinstance(result, dict):
            raise ValueError(f"{folder / DONE}: expected a JSON object, got {type(result).__name__}")
        return result

    @classmethod
    def load_done(cls, folder: Path) -> dict[str, Any] | None:
        """The cached result, or None when the folder holds no complete one (missing or unreadable done.json).

        ``done.json`` is written atomically, so an unreadable one only comes from outside (a disk error, a
        hand edit, a copy cut short): it is treated as absent and the stage is recomputed.
        """
        if not cls.is_done(folder):
            return None
        try:
            return cls.read_result(folder)
        except (OSError, ValueError):
            return None

    @staticmethod
    def clear_partial(folder: Path) -> list[str]:
        """Remove what an interrupted computation left in ``folder`` (all but the lock); return the names removed.

        Call it with the folder's lock held and ``done.json`` absent: the next computation starts from an empty
        folder, so a stale partial file (a checkpoint of the killed run, a temporary file) is never read back.
        """
        removed: list[str] = []
        if not folder.is_dir():
            return removed
        for entry in sorted(folder.iterdir()):
            if entry.name == LOCK:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry.name)
        return removed

    @staticmethod
    def mark_done(folder: Path, result: Mapping[str, Any], determining: Mapping[str, Any]) -> None:
        atomic_write_json(folder / "key.json", dict(determining))
        atomic_write_json(folder / DONE, dict(result))  # last: its presence means every other file is complete
