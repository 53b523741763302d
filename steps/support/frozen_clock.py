"""The clock of the frozen-clock scenarios: freezegun's, driven by backoff waits and by the steps.

``now_ms`` reads the freezer's own time rather than ``time.time()``, because
freezegun hands real time to calls made from threads (``threading`` is on its
default ignore list); read this way, every thread of a scenario sees the same
frozen instant. ``sleep_ms`` moves the frozen time instead of sleeping.

Time moves only in ``advance``, which stops at every instant something is
due, in time order: an action a step scheduled, or a background thread (a
keep-alive) waiting on this clock. A waiting thread is woken at its instant
and ``advance`` waits until it waits again or ends, so a keep-alive renews at
exactly its instants, as often as it would on a real clock, and a scenario
reads the same every run. Threads of a paused owner are not woken until it
resumes; they then run late, at the instant of the resumption.
"""

from __future__ import annotations

import datetime
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

_EPOCH = datetime.datetime(1970, 1, 1)
_ONE_MS = datetime.timedelta(milliseconds=1)
#: Real seconds a woken thread may take to wait again or end; beyond, the scenario fails rather than hangs.
_YIELD_BOUND_S = 10.0
#: How often a waiting thread looks whether it was woken or told to stop, in real seconds.
_POLL_S = 0.0005


class Freezer(Protocol):
    """The part of freezegun's ``FrozenDateTimeFactory`` this clock uses."""

    def __call__(self) -> datetime.datetime: ...

    def tick(self, delta: datetime.timedelta) -> datetime.datetime: ...


@dataclass
class _Due:
    """Something due at ``at_ms``: a step's action, or a thread waiting on the clock."""

    at_ms: int
    order: int
    owner: str = ""
    action: Callable[[], None] | None = None
    thread: threading.Thread | None = None
    woken: threading.Event = field(default_factory=threading.Event)


class FrozenClock:
    """A ``lockspec.Clock`` on a freezegun freezer, shared by a scenario's instances."""

    def __init__(self, freezer: Freezer) -> None:
        self._freezer = freezer
        self._mutex = threading.Lock()
        self._due: list[_Due] = []
        self._paused: set[str] = set()
        self._order = itertools.count()

    def now_ms(self) -> int:
        return (self._freezer() - _EPOCH) // _ONE_MS

    def sleep_ms(self, ms: float) -> None:
        self.advance(ms)

    def wait_ms(self, ms: float, until: threading.Event) -> bool:
        return self.wait_as("", ms, until)

    def wait_as(self, owner: str, ms: float, until: threading.Event) -> bool:
        """``wait_ms`` for a thread of instance ``owner``: woken by ``advance`` at its instant, unless paused."""
        with self._mutex:
            waiting = _Due(self.now_ms() + max(0, int(ms)), next(self._order), owner, thread=threading.current_thread())
            self._due.append(waiting)
        try:
            while not waiting.woken.wait(_POLL_S):
                if until.is_set():
                    return True
            return until.is_set()
        finally:
            with self._mutex:
                if waiting in self._due:
                    self._due.remove(waiting)

    def schedule(self, delay_ms: float, action: Callable[[], None]) -> None:
        """Run ``action`` (in the thread that moves the clock) once the clock has moved ``delay_ms`` past now."""
        with self._mutex:
            self._due.append(_Due(self.now_ms() + int(delay_ms), next(self._order), action=action))

    def pause(self, owner: str) -> None:
        """Let no thread of ``owner`` run on this clock until ``resume``."""
        with self._mutex:
            self._paused.add(owner)

    def resume(self, owner: str) -> None:
        """Let ``owner``'s threads run again: those overdue run now, late."""
        with self._mutex:
            self._paused.discard(owner)
        self.advance(0)

    def advance(self, ms: float) -> None:
        """Move time forward by ``ms``, stopping at each instant something is due to let it run there."""
        with self._mutex:
            target = self._freezer() + datetime.timedelta(milliseconds=ms)
        target_ms = (target - _EPOCH) // _ONE_MS
        while True:
            with self._mutex:
                due = [item for item in self._due if item.at_ms <= target_ms and item.owner not in self._paused]
                due = [item for item in due if not item.woken.is_set()]
                if not due:
                    self._freezer.tick(max(target - self._freezer(), datetime.timedelta(0)))
                    return
                first = min(due, key=lambda item: (item.at_ms, item.order))
                at = _EPOCH + first.at_ms * _ONE_MS
                if at > self._freezer():
                    self._freezer.tick(at - self._freezer())
                if first.action is not None:
                    self._due.remove(first)
            if first.action is not None:
                first.action()
            else:
                self._let_run(first)

    def _let_run(self, waiting: _Due) -> None:
        """Wake a waiting thread and wait until it waits on the clock again, or ends."""
        waiting.woken.set()
        thread = waiting.thread
        assert thread is not None
        deadline = threading.Event()
        for _ in range(int(_YIELD_BOUND_S / _POLL_S)):
            with self._mutex:
                waits_again = any(item.thread is thread and not item.woken.is_set() for item in self._due)
            if waits_again or not thread.is_alive():
                return
            deadline.wait(_POLL_S)
        raise AssertionError(f"{thread.name} did not wait on the clock again within {_YIELD_BOUND_S} s")
