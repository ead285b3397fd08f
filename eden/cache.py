"""Content-addressed cache of stage results, so a re-run or a resumed run skips finished stages.

A stage's folder is ``<root>/<stage>/<hash of the config that determines it>``. Files are written to a temporary
name and renamed (atomic on POSIX), and ``done.json`` is written last: a folder without it is an interrupted
stage and is recomputed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def config_key(determining: Mapping[str, Any]) -> str:
    """Stable short hash of the (JSON-able) config subset that determines a stage's result."""
    blob = json.dumps(determining, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        with open(folder / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def is_done(folder: Path) -> bool:
        return (folder / "done.json").is_file()

    @staticmethod
    def read_result(folder: Path) -> dict[str, Any]:
        result = json.loads((folder / "done.json").read_text())
        assert isinstance(result, dict)
        return result

    @staticmethod
    def mark_done(folder: Path, result: Mapping[str, Any], determining: Mapping[str, Any]) -> None:
        atomic_write_json(folder / "key.json", dict(determining))
        atomic_write_json(folder / "done.json", dict(result))
