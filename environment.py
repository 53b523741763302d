"""behave hooks: a fresh lock directory per scenario and, usually, a frozen clock.

* ``before_scenario`` makes a temporary folder holding the scenario's lock
  directory and removes it afterwards, so scenarios never share leases and
  nothing is left behind.
* Two worlds: by default the named instances live in this process (the
  in-process world); with ``behave -D instances=processes features/`` each
  lives in an OS process of its own (the process world), on the real clock.
  The process world skips the scenarios tagged ``@frozen_clock`` (they check
  exact instants) or ``@in_process`` (they steer an instance from inside).
* Scenarios tagged ``@processes`` start OS processes of their own, which
  cannot see a frozen clock: they use the real clock, with bounded waits.
  So do those tagged ``@real_clock``, about real time passing elsewhere (a
  server that stalls), which no frozen clock could measure.
* All others in the in-process world freeze time with freezegun and drive it
  only through backoff waits and "... pass" steps. filelock is ignored (the
  protected resource's ``FileLock`` polls in real time) and so is behave (its
  step and scenario timings stay real). A tripwire on ``time.sleep`` fails the
  step if lockspec itself ever sleeps for real instead of waiting on its
  clock. The one exception is the file store's guard, which waits in real
  time for another process's microseconds-long critical section: that is no
  backoff, and no frozen clock could end it.
* The store: files in the scenario's lock directory by default; ``-D
  store=memory`` runs the same scenarios on an in-memory space of the
  scenario's own (in this process only: it skips ``@processes`` scenarios
  and cannot be combined with the process world); ``-D store=redis`` on a
  private Redis-compatible server that ``before_all`` starts (see
  ``steps.support.redis_server``) and ``after_all`` stops, each scenario in
  a key namespace of its own. Scenarios tagged with a store (``@file``,
  ``@redis``) are about that medium and run only on it.
* Records of the ``lockspec`` logger are kept on ``context.log_records`` for
  the steps that check what was logged.
"""

from __future__ import annotations

import logging
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import SupportsIndex

from behave.model import Feature, Scenario
from behave.runner import Context
from freezegun import freeze_time

from steps.support.frozen_clock import FrozenClock
from steps.support.real_clock import RealClock
from steps.support.report import report
from steps.support.stores import KINDS, FileFixture, MemoryFixture, StoreFixture
from steps.support.world import World

#: Where a frozen clock starts: not on a round second, so that a mistake in time arithmetic (an ``|`` for
#: a ``+``, a ``//`` for a ``-``) cannot hide behind the zero low bits of a round number.
FROZEN_AT = "2026-01-01 00:00:00.379"


def _feature_duration(feature: Feature) -> float:
    """Time of all the feature's scenarios, those inside its rules too.

    behave 1.3.3's ``Feature.duration`` adds up ``feature.scenarios``, which
    holds only the scenarios outside any ``Rule:``; the JUnit testsuite of a
    feature made of rules then says ``time="0.0"``.
    """
    return sum(item.duration for item in feature.run_items)


Feature.duration = property(_feature_duration)  # type: ignore[assignment]


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def before_all(context: Context) -> None:
    """Start the Redis world's server, and configure no console logging.

    behave's default ``before_all`` calls ``logging.basicConfig()``, which
    would print every record on the console. Instead ``after_scenario``
    shows a failing scenario's lockspec records; behave's own log capture
    cannot (in behave 1.3.3 it is lost once a captured ``before_scenario``
    hook ran, and neither the ``progress`` formatter nor the JUnit XML show
    captured log records).

    Also lets Ctrl-C reach the commands the scenarios start as it reaches a
    terminal's: a shell that runs behave in the background ignores SIGINT,
    and a command inherits an ignored signal, so the scenarios about Ctrl-C
    would test a command that cannot be interrupted.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a handler, unlike SIG_IGN, ends at exec
    if context.config.userdata.get("store") == "redis":
        # Imported only in the Redis world: the other worlds need no Redis client.
        from steps.support.redis_server import RedisServer  # noqa: PLC0415

        folder = Path(tempfile.mkdtemp(prefix="lockspec-redis-"))
        context.redis_server = RedisServer.start(folder)


def after_all(context: Context) -> None:
    """Stop the Redis world's server and remove its folder."""
    server = getattr(context, "redis_server", None)
    if server is not None:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


#: behave's console formatters that never print a failing scenario's captured output.
_SILENT_FORMATS = {"progress", "progress2"}


def after_scenario(context: Context, scenario: Scenario) -> None:
    """Show the lockspec log records of a failing scenario (INFO and DEBUG included)."""
    records: list[logging.LogRecord] = getattr(context, "log_records", [])
    if not (scenario.status.has_failed() and records):
        return
    formatter = logging.Formatter(context.config.logging_format)
    text = "lockspec log:\n" + "\n".join(formatter.format(record) for record in records)
    # Captured with this hook into the scenario's stdout: the JUnit XML's
    # <system-out> and the plain and pretty formatters show it.
    print(text)
    if sys.stdout is not sys.__stdout__ and _SILENT_FORMATS & set(context.config.format or ()):
        report(f"{scenario.location}: {scenario.name}\n{text}")


#: The tags of scenarios that make sense only with in-process instances.
IN_PROCESS_ONLY = {"frozen_clock", "in_process"}


def before_scenario(context: Context, scenario: Scenario) -> None:
    in_processes = _world_of(context) == "processes"
    kind = _store_of(context, in_processes)
    tags = set(scenario.effective_tags)
    if in_processes and IN_PROCESS_ONLY & tags:
        scenario.skip("needs the in-process world")
        return
    media = tags & set(KINDS)
    if media and kind not in media:
        scenario.skip(f"about the {' and '.join(sorted(media))} store")
        return
    if kind == "memory" and "processes" in tags:
        scenario.skip("needs a store that other processes reach")
        return
    root = Path(tempfile.mkdtemp(prefix="lockspec-spec-"))
    store = _fixture(context, kind, root)
    if in_processes or {"processes", "real_clock"} & tags:
        world = World(root / "locks", RealClock(), in_processes=in_processes, store=store)
    else:
        freezer = freeze_time(FROZEN_AT, ignore=["filelock", "behave"])
        world = World(root / "locks", FrozenClock(freezer.start()), store=store)
        context.add_cleanup(freezer.stop)
        _forbid_real_sleep_in_lockspec(context, world)
    context.world = world
    context.add_cleanup(world.close)
    _record_lockspec_logs(context)


def _world_of(context: Context) -> str:
    world = str(context.config.userdata.get("instances", "in-process"))
    if world not in ("in-process", "processes"):
        raise ValueError(f"-D instances={world}: expected in-process or processes")
    return world


def _store_of(context: Context, in_processes: bool) -> str:
    kind = str(context.config.userdata.get("store", "file"))
    if kind not in KINDS:
        raise ValueError(f"-D store={kind}: expected one of {', '.join(KINDS)}")
    if kind == "memory" and in_processes:
        raise ValueError("-D store=memory keeps leases in one process: the process world needs file or redis")
    return kind


def _fixture(context: Context, kind: str, root: Path) -> StoreFixture:
    if kind == "memory":
        return MemoryFixture(f"spec-{root.name}")
    if kind == "redis":
        from steps.support.redis_fixture import RedisFixture  # noqa: PLC0415  (see before_all)

        return RedisFixture(context.redis_server.url, f"spec-{root.name}")
    return FileFixture(root / "locks")


#: The lockspec module allowed to sleep for real: see the module docstring.
_WAITS_IN_REAL_TIME = {"lockspec.stores.file.guards"}


def _forbid_real_sleep_in_lockspec(context: Context, world: World) -> None:
    real_sleep = time.sleep

    def tripwire(seconds: float | SupportsIndex) -> None:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if (caller == "lockspec" or caller.startswith("lockspec.")) and caller not in _WAITS_IN_REAL_TIME:
            world.real_sleeps.append(seconds)
            raise AssertionError(f"{caller} slept {seconds} s for real in a frozen-clock scenario")
        real_sleep(seconds)

    time.sleep = tripwire

    def restore() -> None:
        time.sleep = real_sleep

    context.add_cleanup(restore)


def _record_lockspec_logs(context: Context) -> None:
    logger = logging.getLogger("lockspec")
    recorder = _Recorder()
    logger.addHandler(recorder)
    level = logger.level
    logger.setLevel(logging.DEBUG)  # not left to the root level behave's log capture happens to set
    context.log_records = recorder.records

    def stop() -> None:
        logger.removeHandler(recorder)
        logger.setLevel(level)

    context.add_cleanup(stop)
