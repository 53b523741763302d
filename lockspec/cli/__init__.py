"""The ``lockspec`` command: see and act on a store of leases without writing Python.

    lockspec status  [--store URL | --lock-dir DIR] [--json]
    lockspec cleanup [--store URL | --lock-dir DIR] [--dry-run]
    lockspec break   [--store URL | --lock-dir DIR] RESOURCE --force
    lockspec run     [--store URL | --lock-dir DIR] RESOURCE [--ttl 30s] [--timeout 10s]
                     [--on-loss terminate|continue] [--grace 10s] -- COMMAND ...

The store comes from ``--store`` (any URL ``lockspec.connect`` takes) or
``--lock-dir`` (a lock directory), else from the ``LOCKSPEC_STORE`` or
``LOCKSPEC_DIR`` environment variable; one of them, never two. Durations take a unit: ``150ms``, ``30s``, ``2m``.
``--max-clock-skew`` and ``--no-detect-dead-holders`` give the command the
instances' policy (see ``Coordinator``), so that it judges leases as they
do. ``--shared-group`` gives what lockspec creates to the owner's group as
well (see ``lockspec.stores.file.permissions``); every user of a group's
lock directory should pass it.

Exit statuses follow sysexits.h: 0 success; 64 a usage error (a bad option,
no store or two, ``break`` without ``--force``); 69 ``run``'s lease was
lost while its command ran (the command was stopped, unless ``--on-loss
continue``); 74 the store cannot be used (``status``, ``cleanup`` and
``break`` never create a lock directory, nor anything in it; ``run``
does); 75 ``run`` gave up waiting for the lock; 130 interrupted (Ctrl-C);
141 the output was closed early (``| head``). Otherwise ``run`` exits with
its command's status (128 + N when the command died of signal N, 126 when
it cannot be executed, 127 when it is not found). Errors are one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from lockspec.cli.output import STATUS_SCHEMA, document, table
from lockspec.cli.supervisor import CommandNotStarted, Supervisor
from lockspec.connect import connect, lock_dir_of
from lockspec.coordinator import Coordinator
from lockspec.durations import parse_duration_ms
from lockspec.errors import InvalidArgumentError, LockStorageError, LockTimeout
from lockspec.inspection import CleanupAction
from lockspec.keepalive import LOSS_RECORD, KeepAlive
from lockspec.stores.file.store import FileLeaseStore
from lockspec.validation import checked_duration_ms, checked_skew_ms

LOCK_DIR_VARIABLE = "LOCKSPEC_DIR"
STORE_VARIABLE = "LOCKSPEC_STORE"

EXIT_USAGE = 64
EXIT_LOST = 69
EXIT_STORAGE = 74
EXIT_TIMEOUT = 75
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE

_RUN_USAGE = "lockspec run RESOURCE [options] -- COMMAND ..."


class UsageError(Exception):
    """A mistake on the command line: reported in one line with exit status 64."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return its exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(words)
    except (UsageError, InvalidArgumentError, LockTimeout, LockStorageError, CommandNotStarted) as error:
        return _report(error)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Whoever read the output stopped early (`| head`): not an error worth a word. Python would
        # complain again when it flushes stdout at exit, so stdout goes nowhere from now on.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def entry_point() -> NoReturn:
    """The installed ``lockspec`` script."""
    sys.exit(main())


def _main(words: list[str]) -> int:
    # Everything after the first "--" is run's command, whatever it looks like.
    split = words.index("--") if "--" in words else len(words)
    arguments, unknown = _parser().parse_known_args(words[:split])
    if unknown:
        hint = f"; put the command after --, as in: {_RUN_USAGE}" if arguments.handler is _run else ""
        raise UsageError(f"unrecognized arguments: {' '.join(unknown)}{hint}")
    arguments.command = words[split + 1 :]
    if split < len(words) and arguments.handler is not _run:
        raise UsageError("only run takes a command after --")
    _log_to_stderr(getattr(arguments, "verbose", 0))
    url = _store_url(getattr(arguments, "store", None), getattr(arguments, "lock_dir", None))
    lock_dir = lock_dir_of(url)
    if lock_dir is not None and arguments.handler is not _run and not Path(lock_dir).exists():
        # Only run may create the lock directory: a typo must not make a new, empty one.
        missing = FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
        raise LockStorageError("open lock directory", Path(lock_dir).absolute(), missing)
    store_options: dict[str, Any] = {"shared_group": True} if getattr(arguments, "shared_group", False) else {}
    coordinator = connect(
        url,
        instance_id=f"lockspec-cli-{os.getpid()}",
        max_clock_skew_ms=_skew(getattr(arguments, "max_clock_skew", "0ms")),
        detect_dead_holders=getattr(arguments, "detect_dead_holders", True),
        **store_options,
    )
    try:
        status: int = arguments.handler(coordinator, arguments)
    finally:
        coordinator.close()
    return status


def _parser() -> _Parser:
    # Options allowed before and after the command; SUPPRESS keeps the
    # command's copy from overwriting a value given before it.
    common = _Parser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument(
        "--store", metavar="URL", help=f"the store: a path, file://..., redis://... (or ${STORE_VARIABLE})"
    )
    common.add_argument("--lock-dir", metavar="DIR", help=f"the lock directory (or ${LOCK_DIR_VARIABLE})")
    common.add_argument(
        "--shared-group",
        action="store_true",
        help="make what is created usable by the group (modes 2770 and 0660; default: private)",
    )
    common.add_argument(
        "--max-clock-skew",
        metavar="DURATION",
        help="respect another instance's lease this much past its expiry, as the instances do (default 0ms)",
    )
    common.add_argument(
        "--no-detect-dead-holders",
        dest="detect_dead_holders",
        action="store_false",
        help="wait for the expiry even of a lease whose holder process is gone, as instances told so do",
    )
    common.add_argument("-v", "--verbose", action="count", help="log decisions on stderr (-vv: every attempt too)")
    parser = _Parser(prog="lockspec", description="See and act on a lockspec store of leases.", parents=[common])
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
        "run", parents=[common], help="run a command while holding a lease", usage=_RUN_USAGE.replace("lockspec ", "")
    )
    run.add_argument("resource")
    run.add_argument("--ttl", default="30s", help="lease TTL, renewed every third of it (default 30s)")
    run.add_argument("--timeout", default="10s", help="how long to wait for the lease (default 10s)")
    run.add_argument(
        "--on-loss",
        choices=("terminate", "continue"),
        default="terminate",
        help="if the lease is lost while the command runs: stop it (default), or let it go on",
    )
    run.add_argument("--grace", default="10s", help="after SIGTERM on a loss, how long before SIGKILL (default 10s)")
    run.set_defaults(handler=_run)
    return parser


def _log_to_stderr(verbosity: int) -> None:
    """Log lockspec's decisions on stderr, warnings and worse by default.

    A lost lease is reported by ``run`` itself, on one line saying what happens
    next; the keep-alive's own record of it would say the same again.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("lockspec: %(message)s"))
    handler.addFilter(lambda record: not getattr(record, LOSS_RECORD, False))
    levels = (logging.WARNING, logging.INFO, logging.DEBUG)
    logging.basicConfig(level=levels[min(verbosity, 2)], handlers=[handler])


def _store_url(store: str | None, lock_dir: str | None) -> str:
    """The store named on the command line, else in the environment: exactly one place to keep leases."""
    given = {"--store": store, "--lock-dir": lock_dir}
    if not any(given.values()):
        given = {name: os.environ.get(name) for name in (STORE_VARIABLE, LOCK_DIR_VARIABLE)}
    named = [(name, value) for name, value in given.items() if value]
    if len(named) > 1:
        raise UsageError(f"give one store, not both {named[0][0]} and {named[1][0]}")
    if not named:
        raise UsageError(f"no store: give --store or --lock-dir, or set {STORE_VARIABLE} or {LOCK_DIR_VARIABLE}")
    return named[0][1] or ""


def _duration(text: str, option: str) -> int:
    """The milliseconds of a duration option, or a usage error naming the option as the operator wrote it."""
    try:
        return checked_duration_ms(option, parse_duration_ms(text, option))
    except InvalidArgumentError as error:
        raise InvalidArgumentError(option, error.problem, text) from None


def _skew(text: str) -> int:
    try:
        return checked_skew_ms("--max-clock-skew", parse_duration_ms(text, "--max-clock-skew"))
    except InvalidArgumentError as error:
        raise InvalidArgumentError("--max-clock-skew", error.problem, text) from None


def _status(coordinator: Coordinator, arguments: argparse.Namespace) -> int:
    entries = coordinator.status()
    if arguments.json:
        store = coordinator.store
        lock_dir = store.where if isinstance(store, FileLeaseStore) else None
        report = document(entries, store.where, lock_dir, coordinator.clock.now_ms())
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif not entries:
        print("no leases")
    else:
        print(table(entries))
    return 0


def _cleanup(coordinator: Coordinator, arguments: argparse.Namespace) -> int:
    done = coordinator.cleanup(dry_run=arguments.dry_run)
    for cleaned in done:
        verb = f"would {_INFINITIVES[cleaned.action]}" if arguments.dry_run else cleaned.action.value
        print(f"{verb} {cleaned.entry.resource}: {cleaned.entry.describe()}")
    if not done:
        print("nothing to clean up")
    return 0


_INFINITIVES = {CleanupAction.REMOVED: "remove", CleanupAction.MOVED_ASIDE: "move aside", CleanupAction.PURGED: "purge"}


def _break(coordinator: Coordinator, arguments: argparse.Namespace) -> int:
    if not arguments.force:
        raise UsageError(f"refusing to break the lease on {arguments.resource!r} without --force")
    broken = coordinator.break_lock(arguments.resource)
    if broken is None:
        print(f"no lease on {arguments.resource}: nothing to break")
    else:
        print(f"broke the lease on {broken.resource}: {broken.describe()}")
    return 0


def _run(coordinator: Coordinator, arguments: argparse.Namespace) -> int:
    command: list[str] = arguments.command
    if not command:
        raise UsageError(f"run needs a command after --, as in: {_RUN_USAGE}")
    ttl = _duration(arguments.ttl, "--ttl")
    timeout = _duration(arguments.timeout, "--timeout")
    grace = _duration(arguments.grace, "--grace")
    lease = coordinator.acquire(arguments.resource, ttl_ms=ttl, timeout_ms=timeout)
    supervisor = Supervisor(command, stop_on_loss=arguments.on_loss == "terminate", grace_s=grace / 1000)
    keepalive = KeepAlive(coordinator, lease, on_lost=supervisor.lost).start()
    try:
        status = supervisor.run()
    finally:
        # False once the lease was lost: the loss was reported when it happened.
        coordinator.release_lock(keepalive.stop())
    if supervisor.lost_because is not None and arguments.on_loss == "terminate":
        return EXIT_LOST
    return status


def _report(error: Exception) -> int:
    """Say what went wrong in one line on stderr; return the exit status that tells it."""
    if isinstance(error, UsageError | InvalidArgumentError):
        return _fail(EXIT_USAGE, f"{error} (see lockspec --help)")
    if isinstance(error, CommandNotStarted):
        return _fail(error.status, str(error))
    return _fail(EXIT_TIMEOUT if isinstance(error, LockTimeout) else EXIT_STORAGE, str(error))


def _fail(status: int, message: str) -> int:
    print(f"lockspec: {message}", file=sys.stderr)
    return status
