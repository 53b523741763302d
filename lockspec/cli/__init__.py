"""The ``lockspec`` command: see and act on a lock directory without writing Python.

    lockspec status  [--lock-dir DIR] [--json]
    lockspec cleanup [--lock-dir DIR] [--dry-run]
    lockspec break   [--lock-dir DIR] RESOURCE --force
    lockspec run     [--lock-dir DIR] RESOURCE [--ttl 30s] [--timeout 10s] -- COMMAND ...

The lock directory comes from ``--lock-dir`` or the ``LOCKSPEC_DIR``
environment variable. Durations take a unit: ``150ms``, ``30s``, ``2m``.
``--shared-group`` gives what lockspec creates to the owner's group as well
(see ``lockspec.stores.file.permissions``); every user of a group's lock directory should
pass it.

Exit statuses follow sysexits.h: 0 success; 64 a usage error (a bad option,
a missing lock directory setting, ``break`` without ``--force``); 74 the lock
directory cannot be used (``status``, ``cleanup`` and ``break`` never create
it; ``run`` does); 75 ``run`` gave up waiting for the lock. Otherwise
``run`` exits with its command's status (128 + N when the command died of
signal N, 126 when it cannot be executed, 127 when it is not found). Errors
are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from lockspec.coordinator import Coordinator
from lockspec.durations import format_duration, parse_duration_ms
from lockspec.errors import InvalidArgumentError, LockStorageError, LockTimeout
from lockspec.inspection import LeaseStatus
from lockspec.keepalive import KeepAlive
from lockspec.lease import Lock

LOCK_DIR_VARIABLE = "LOCKSPEC_DIR"
STATUS_SCHEMA = 1

EXIT_USAGE = 64
EXIT_STORAGE = 74
EXIT_TIMEOUT = 75
EXIT_NOT_EXECUTABLE = 126
EXIT_NOT_FOUND = 127

_COLUMNS = ("RESOURCE", "STATE", "HOLDER", "HOST", "PID", "TOKEN", "ACQUIRED (UTC)", "EXPIRES")


class UsageError(Exception):
    """A mistake on the command line: reported in one line with exit status 64."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return its exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first "--" is run's command, whatever it looks like.
    split = words.index("--") if "--" in words else len(words)
    try:
        arguments = _parser().parse_args(words[:split])
        arguments.command = words[split + 1 :]
        if split < len(words) and arguments.handler is not _run:
            raise UsageError("only run takes a command after --")
        verbosity = getattr(arguments, "verbose", 0)
        levels = (logging.WARNING, logging.INFO, logging.DEBUG)
        logging.basicConfig(format="lockspec: %(message)s", level=levels[min(verbosity, 2)])
        lock_dir = _lock_dir(getattr(arguments, "lock_dir", None))
        if arguments.handler is not _run and not lock_dir.exists():
            # Only run may create the lock directory: a typo must not make a new, empty one.
            missing = FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
            raise LockStorageError("open lock directory", lock_dir, missing)
        coordinator = Coordinator(
            lock_dir, instance_id=f"lockspec-cli-{os.getpid()}", shared_group=getattr(arguments, "shared_group", False)
        )
        try:
            status: int = arguments.handler(coordinator, lock_dir, arguments)
        finally:
            coordinator.close()
    except (UsageError, InvalidArgumentError) as error:
        return _fail(EXIT_USAGE, f"{error} (see lockspec --help)")
    except LockTimeout as error:
        return _fail(EXIT_TIMEOUT, str(error))
    except LockStorageError as error:
        return _fail(EXIT_STORAGE, str(error))
    return status


def entry_point() -> NoReturn:
    """The installed ``lockspec`` script."""
    sys.exit(main())


def _parser() -> _Parser:
    # Options allowed before and after the command; SUPPRESS keeps the
    # command's copy from overwriting a value given before it.
    common = _Parser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--lock-dir", metavar="DIR", help=f"the lock directory (default: ${LOCK_DIR_VARIABLE})")
    common.add_argument(
        "--shared-group",
        action="store_true",
        help="make what is created usable by the group (modes 2770 and 0660; default: private)",
    )
    common.add_argument("-v", "--verbose", action="count", help="log decisions on stderr (-vv: every attempt too)")
    parser = _Parser(prog="lockspec", description="See and act on a lockspec lock directory.", parents=[common])
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    status = commands.add_parser("status", parents=[common], help="list every lease and its state")
    status.add_argument("--json", action="store_true", help=f"machine-readable output (schema {STATUS_SCHEMA})")
    status.set_defaults(handler=_status)

    cleanup = commands.add_parser("cleanup", parents=[common], help="remove expired and unreadable leases")
    cleanup.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    cleanup.set_defaults(handler=_cleanup)

    breaking = commands.add_parser("break", parents=[common], help="remove a lease whatever its state")
    breaking.add_argument("resource")
    breaking.add_argument("--force", action="store_true", help="required: the holder, if alive, loses its lease")
    breaking.set_defaults(handler=_break)

    run = commands.add_parser(
        "run",
        parents=[common],
        help="run a command while holding a lease",
        usage="%(prog)s RESOURCE [options] -- COMMAND ...",
    )
    run.add_argument("resource")
    run.add_argument("--ttl", default="30s", help="lease TTL, renewed every third of it (default 30s)")
    run.add_argument("--timeout", default="10s", help="how long to wait for the lease (default 10s)")
    run.set_defaults(handler=_run)
    return parser


def _lock_dir(option: str | None) -> Path:
    given = option or os.environ.get(LOCK_DIR_VARIABLE)
    if not given:
        raise UsageError(f"no lock directory: give --lock-dir or set {LOCK_DIR_VARIABLE}")
    return Path(given)


def _status(coordinator: Coordinator, lock_dir: Path, arguments: argparse.Namespace) -> int:
    entries = coordinator.status()
    if arguments.json:
        document = {
            "schema": STATUS_SCHEMA,
            "lock_dir": str(lock_dir),
            "now_ms": coordinator.clock.now_ms(),
            "leases": [_as_json(entry) for entry in entries],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False))
    elif not entries:
        print("no leases")
    else:
        print(_table([_COLUMNS, *(_row(entry) for entry in entries)]))
    return 0


def _cleanup(coordinator: Coordinator, _lock_dir: Path, arguments: argparse.Namespace) -> int:
    removed = coordinator.cleanup(dry_run=arguments.dry_run)
    verb = "would remove" if arguments.dry_run else "removed"
    for entry in removed:
        print(f"{verb} {entry.resource}: {entry.describe()}")
    if not removed:
        print("nothing to clean up")
    return 0


def _break(coordinator: Coordinator, _lock_dir: Path, arguments: argparse.Namespace) -> int:
    if not arguments.force:
        raise UsageError(f"refusing to break the lease on {arguments.resource!r} without --force")
    broken = coordinator.break_lock(arguments.resource)
    if broken is None:
        print(f"no lease on {arguments.resource}: nothing to break")
    else:
        print(f"broke the lease on {broken.resource}: {broken.describe()}")
    return 0


def _run(coordinator: Coordinator, _lock_dir: Path, arguments: argparse.Namespace) -> int:
    command: list[str] = arguments.command
    if not command:
        raise UsageError("run needs a command after --")
    ttl = parse_duration_ms(arguments.ttl, "--ttl")
    timeout = parse_duration_ms(arguments.timeout, "--timeout")
    lease = coordinator.acquire(arguments.resource, ttl_ms=ttl, timeout_ms=timeout)
    keepalive = KeepAlive(coordinator, lease, on_lost=_warn_lost).start()
    try:
        return _run_command(command)
    finally:
        if not coordinator.release_lock(keepalive.stop()):
            print(f"lockspec: the lease on {lease.resource} was lost before the command ended", file=sys.stderr)


def _run_command(command: list[str]) -> int:
    """Run ``command`` and return its status, forwarding SIGINT and SIGTERM to it.

    The handlers go in before the command starts: a signal that arrived
    between the start and the handlers would otherwise kill ``run`` itself
    and leave the command running unsupervised. A signal that arrives before
    the command exists is kept and delivered to it as soon as it does.
    """
    children: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []

    def forward(number: int, _frame: FrameType | None) -> None:
        if children:
            children[0].send_signal(number)
        else:
            pending.append(number)

    previous = {number: signal.signal(number, forward) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            children.append(subprocess.Popen(command))
        except FileNotFoundError:
            return _fail(EXIT_NOT_FOUND, f"command not found: {command[0]}")
        except PermissionError:
            return _fail(EXIT_NOT_EXECUTABLE, f"command cannot be executed: {command[0]}")
        for number in pending:
            children[0].send_signal(number)
        code = children[0].wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return code if code >= 0 else 128 - code


def _warn_lost(lease: Lock, because: str) -> None:
    print(f"lockspec: lost the lease on {lease.resource}: {because}", file=sys.stderr)


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


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _as_json(entry: LeaseStatus) -> dict[str, Any]:
    lease = entry.lease
    return {
        "resource": entry.resource,
        "file": entry.key,
        "state": entry.state.value,
        "holder": lease.owner if lease else None,
        "host": (lease.host or None) if lease else None,
        "pid": (lease.pid or None) if lease else None,
        "fencing_token": lease.fencing_token if lease else None,
        "lock_id": lease.lock_id if lease else None,
        "acquired_at_ms": lease.acquired_at_ms if lease else None,
        "expires_at_ms": lease.expires_at_ms if lease else None,
        "expires_in_ms": entry.expires_in_ms,
        "problem": entry.problem,
    }


def _fail(status: int, message: str) -> int:
    print(f"lockspec: {message}", file=sys.stderr)
    return status
