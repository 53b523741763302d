"""The clock of the frozen-clock scenarios: freezegun's, driven by backoff waits.

``now_ms`` reads the freezer's own time rather than ``time.time()``, because
freezegun hands real time to calls made from threads (``threading`` is on its
default ignore list); read this way, every thread of a scenario sees the same
frozen instant. ``sleep_ms`` moves the frozen time instead of sleeping, records
the wait, and runs the actions scheduled for the instants it passes.
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
        """Move time forward and run the actions now due, in time order."""
        with self._mutex:
            self._freezer.tick(datetime.timedelta(milliseconds=ms))
            now = self.now_ms()
            due = sorted((item for item in self._scheduled if item[0] <= now), key=lambda item: item[0])
            self._scheduled = [item for item in self._scheduled if item[0] > now]
        for _, action in due:
            action()

    def schedule(self, delay_ms: float, action: Callable[[], None]) -> None:
        """Run ``action`` once the clock has moved ``delay_ms`` past now."""
        with self._mutex:
            self._scheduled.append((self.now_ms() + int(delay_ms), action))
