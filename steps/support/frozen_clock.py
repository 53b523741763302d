"""The clock of the frozen-clock scenarios: freezegun's, driven by backoff waits.

``now_ms`` reads the freezer's own time rather than ``time.time()``, because
freezegun hands real time to calls made from threads (``threading`` is on its
default ignore list); read this way, every thread of a scenario sees the same
frozen instant. ``sleep_ms`` moves the frozen time instead of sleeping, and
runs the actions scheduled for the instants it passes, each at its instant.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from typing import Protocol

_EPOCH = datetime.datetime(1970, 1, 1)
_ONE_MS = datetime.timedelta(milliseconds=1)


class Freezer(Protocol):
    """The part of freezegun's ``FrozenDateTimeFactory`` this clock uses."""

    def __call__(self) -> datetime.datetime: ...

    def tick(self, delta: datetime.timedelta) -> datetime.datetime: ...


class FrozenClock:
    """A ``lockspec.Clock`` on a freezegun freezer, shared by a scenario's instances."""

    def __init__(self, freezer: Freezer) -> None:
        self._freezer = freezer
        self._mutex = threading.Lock()
        self._scheduled: list[tuple[int, Callable[[], None]]] = []

    def now_ms(self) -> int:
        return (self._freezer() - _EPOCH) // _ONE_MS

    def sleep_ms(self, ms: float) -> None:
        self.advance(ms)

    def advance(self, ms: float) -> None:
        """Move time forward by ``ms``, stopping at each scheduled action's instant to run it.

        Actions run in time order, each at its own instant, so an action that
        schedules another (a renewal every few seconds) runs as often as it
        would on a real clock.
        """
        with self._mutex:
            target = self._freezer() + datetime.timedelta(milliseconds=ms)
        target_ms = (target - _EPOCH) // _ONE_MS
        while True:
            with self._mutex:
                due = [item for item in self._scheduled if item[0] <= target_ms]
                if not due:
                    self._freezer.tick(max(target - self._freezer(), datetime.timedelta(0)))
                    return
                first = min(due, key=lambda item: item[0])
                self._scheduled.remove(first)
                at = _EPOCH + first[0] * _ONE_MS
                if at > self._freezer():
                    self._freezer.tick(at - self._freezer())
            first[1]()

    def schedule(self, delay_ms: float, action: Callable[[], None]) -> None:
        """Run ``action`` once the clock has moved ``delay_ms`` past now."""
        with self._mutex:
            self._scheduled.append((self.now_ms() + int(delay_ms), action))
