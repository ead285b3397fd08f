"""Runs left RUNNING by a process that died (SIGKILL, OOM killer, power loss): find and close them.

Every run :mod:`eden.tracking` creates is tagged with its process (``eden.sys.host``, ``eden.sys.pidns``,
``eden.sys.pid``, ``eden.sys.pid_start``: host name, PID namespace, PID and the kernel's start time of that PID, so
a reused PID is not mistaken for the dead process). Before a new parent run starts, every RUNNING run of the
experiment whose process, on this host and in this PID namespace, no longer exists is closed: status KILLED, tags
``eden.sys.orphan_closed=true`` and ``failure_reason``. Runs of live processes (parallel sweep workers) and of
other machines are never touched (a run of another machine is closed by the next run started there).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eden.tracking.tags import SYS

log = logging.getLogger(__name__)

#: Statuses a parent or child run ends in when its process was interrupted (SIGTERM, Ctrl-C, killed).
KILLED = "KILLED"
HOST, PIDNS, PID, PID_START = f"{SYS}host", f"{SYS}pidns", f"{SYS}pid", f"{SYS}pid_start"
ORPHAN_CLOSED = f"{SYS}orphan_closed"


def process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot, /proc/<pid>/stat field 22); None off Linux."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may contain spaces: split after it
    return fields[19]


def process_alive(pid: int, start: str | None) -> bool:
    """Whether process ``pid`` still runs and is the one that started at ``start`` (not a later reuse of the PID).

    A zombie (killed, not yet reaped by its parent) counts as dead. Where ``/proc`` is missing, ``kill(pid, 0)``
    decides, and a process we may not signal counts as alive (never close what might be running).
    """
    if pid <= 0:
        return False
    if Path("/proc/self/stat").exists():
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return False
        except OSError:
            return True
        fields = text[text.rindex(")") + 2 :].split()
        if fields[0] in ("Z", "X"):
            return False
        return start is None or fields[19] == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_namespace() -> str:
    """This process's PID namespace (``pid:[4026531836]``): PIDs of another namespace cannot be checked here."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return "unknown"


def process_tags() -> dict[str, str]:
    """Tags that identify the process owning a run, for :func:`close_orphans`."""
    pid = os.getpid()
    return {
        HOST: socket.gethostname(),
        PIDNS: pid_namespace(),
        PID: str(pid),
        PID_START: process_start(pid) or "",
    }


def close_orphans(call: Callable[..., Any], experiment_id: str) -> list[str]:
    """Mark KILLED every RUNNING run of the experiment whose process (here) is gone; return their ids.

    ``call(method, *args)`` is the tracker's retrying client call. Only runs tagged by this package, on this
    host and in this PID namespace, are judged; a live process's runs (a parallel worker) are left alone.
    """
    host, ns = socket.gethostname(), pid_namespace()
    found = call(
        "search_runs",
        [experiment_id],
        filter_string=f"attributes.status = 'RUNNING' and tags.`{HOST}` = '{host.replace(chr(39), '')}'",
        max_results=1000,
    )
    closed = []
    for run in found:
        tags = run.data.tags
        if tags.get(PIDNS) != ns or not tags.get(PID, "").isdigit():
            continue
        pid = int(tags[PID])
        if process_alive(pid, tags.get(PID_START) or None):
            continue
        run_id = run.info.run_id
        reason = f"process {pid} on {host} ended without closing this run (SIGKILL, out of memory, power loss)"
        call("set_tag", run_id, ORPHAN_CLOSED, "true")
        call("set_tag", run_id, "failure_reason", reason)
        call("set_terminated", run_id, status=KILLED)
        log.warning("closed orphaned MLflow run %s (%s): %s", run_id, run.info.run_name, reason)
        closed.append(run_id)
    return closed


def interrupted_run(call: Callable[..., Any], experiment_id: str, config_key: str | None) -> str | None:
    """The latest parent run of the same configuration, if it ended KILLED or FAILED (a new run resumes it)."""
    if not config_key:
        return None
    found = call(
        "search_runs",
        [experiment_id],
        filter_string=f"tags.`{SYS}config_key` = '{config_key}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if found and found[0].info.status in (KILLED, "FAILED"):
        return str(found[0].info.run_id)
    return None
