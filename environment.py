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
* All others in the in-process world freeze time with freezegun and drive it only through backoff
  waits and "... pass" steps. filelock is ignored (its guard polling must see
  real time) and so is behave (its step and scenario timings stay real).
  A tripwire on ``time.sleep`` fails the step if lockspec itself ever sleeps
  for real instead of waiting on its clock.
* Records of the ``lockspec`` logger are kept on ``context.log_records`` for
  the steps that check what was logged.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import SupportsIndex

from behave.model import Scenario
from behave.runner import Context
from freezegun import freeze_time

from steps.support.frozen_clock import FrozenClock
from steps.support.real_clock import RealClock
from steps.support.world import World

FROZEN_AT = "2026-01-01 00:00:00"


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def before_all(context: Context) -> None:
    """Leave lockspec's log records to behave's log capture.

    behave's default ``before_all`` calls ``logging.basicConfig()``, which
    prints every record on the console; captured, they appear only for a
    failing scenario and in the JUnit XML.
    """


#: The tags of scenarios that make sense only with in-process instances.
IN_PROCESS_ONLY = {"frozen_clock", "in_process"}


def before_scenario(context: Context, scenario: Scenario) -> None:
    in_processes = _world_of(context) == "processes"
    if in_processes and IN_PROCESS_ONLY & set(scenario.effective_tags):
        scenario.skip("needs the in-process world")
        return
    root = Path(tempfile.mkdtemp(prefix="lockspec-spec-"))
    if in_processes or "processes" in scenario.effective_tags:
        world = World(root / "locks", RealClock(), in_processes=in_processes)
    else:
        freezer = freeze_time(FROZEN_AT, ignore=["filelock", "behave"])
        world = World(root / "locks", FrozenClock(freezer.start()))
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


def _forbid_real_sleep_in_lockspec(context: Context, world: World) -> None:
    real_sleep = time.sleep

    def tripwire(seconds: float | SupportsIndex) -> None:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller == "lockspec" or caller.startswith("lockspec."):
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
    context.log_records = recorder.records

    def stop() -> None:
        logger.removeHandler(recorder)

    context.add_cleanup(stop)
