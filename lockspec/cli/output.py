"""How the command line prints a store's entries: a table for people, a JSON document for programs."""

from __future__ import annotations

import time
from typing import Any

from lockspec.durations import format_duration
from lockspec.inspection import LeaseStatus

STATUS_SCHEMA = 1
_COLUMNS = ("RESOURCE", "STATE", "HOLDER", "HOST", "PID", "TOKEN", "ACQUIRED (UTC)", "EXPIRES")


def table(entries: list[LeaseStatus]) -> str:
    """One row per entry under a header, columns padded to their widest cell."""
    rows = [_COLUMNS, *(_row(entry) for entry in entries)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def document(entries: list[LeaseStatus], where: str, lock_dir: str | None, now_ms: int) -> dict[str, Any]:
    """The status as a JSON document of schema ``STATUS_SCHEMA``; fields that do not apply are null.

    ``where`` names the store (a path, a server); ``lock_dir`` is the lock
    directory of a file store, else null, as is each entry's ``file``.
    """
    leases = [_as_json(entry, on_files=lock_dir is not None) for entry in entries]
    return {"schema": STATUS_SCHEMA, "store": where, "lock_dir": lock_dir, "now_ms": now_ms, "leases": leases}


def _row(entry: LeaseStatus) -> tuple[str, ...]:
    lease = entry.lease
    if lease is None:
        return (entry.resource, entry.state.value, "-", "-", "-", "-", "-", entry.describe())
    remaining = entry.expires_in_ms or 0
    expires = f"in {format_duration(remaining)}" if remaining > 0 else f"{format_duration(-remaining)} ago"
    acquired = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(lease.acquired_at_ms / 1000))
    return (
        entry.resource,
        entry.state.value,
        lease.owner,
        lease.host or "-",
        str(lease.pid) if lease.pid else "-",
        str(lease.fencing_token),
        acquired,
        expires,
    )


def _as_json(entry: LeaseStatus, *, on_files: bool) -> dict[str, Any]:
    lease = entry.lease
    return {
        "resource": entry.resource,
        "key": entry.key,
        "file": entry.key if on_files else None,
        "state": entry.state.value,
        "holder": lease.owner if lease else None,
        "host": (lease.host or None) if lease else None,
        "pid": (lease.pid or None) if lease else None,
        "fencing_token": lease.fencing_token if lease else None,
        "lock_id": lease.lock_id if lease else None,
        "acquired_at_ms": lease.acquired_at_ms if lease else None,
        "expires_at_ms": lease.expires_at_ms if lease else None,
        "expires_in_ms": entry.expires_in_ms,
        "ttl_ms": lease.ttl_ms if lease else None,
        "set_aside_at_ms": entry.set_aside_at_ms,
        "problem": entry.problem,
    }
