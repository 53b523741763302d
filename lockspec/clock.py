"""Time as the coordinator sees it.

Every expiry decision and every backoff wait goes through a ``Clock``, so that a
test (or a simulation) can substitute a clock it controls completely. Expiry
times are stored in lease files as wall-clock epoch milliseconds because
several processes compare them; a monotonic clock would not be comparable
between processes. The price is that lockspec trusts the instances' wall
clocks to agree to well within a TTL, unless they judge on one server's
clock instead (``ServerClock``, which a store that offers it provides).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """What the coordinator needs to know about time."""

    def now_ms(self) -> int:
        """Current wall-clock time in epoch milliseconds."""
        ...

    def sleep_ms(self, ms: float) -> None:
        """Wait for ``ms`` milliseconds (a backoff delay)."""
        ...

    def wait_ms(self, ms: float, until: threading.Event) -> bool:
        """Wait up to ``ms`` milliseconds, less if ``until`` is set meanwhile; return whether it was set.

        How a background thread (a keep-alive) waits for its next renewal, so
        that a test clock decides when that happens, as it does for backoff.
        """
        ...


class SystemClock:
    """The real clock: ``time.time_ns``, ``time.sleep`` and ``threading.Event.wait``.

    They are looked up on every call rather than bound at import time, so that
    patching ``time`` (freezegun and friends) reaches this clock too.
    """

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def sleep_ms(self, ms: float) -> None:
        time.sleep(ms / 1000)

    def wait_ms(self, ms: float, until: threading.Event) -> bool:
        return until.wait(max(0.0, ms) / 1000)


class ServerClock:
    """A server's clock as one instance follows it: the time the server last told, plus the time passed since.

    For stores whose instances should judge expiry on the server's clock
    rather than their own (hosts whose clocks disagree by seconds): every
    reply that carries the server's time goes to ``learn``, so reading the
    time costs no round trip of its own; ``ask`` fetches it (one round trip)
    only when nothing was learned yet. The time since the last reply is
    measured on this host's monotonic clock, which no step of its wall clock
    (NTP, an operator) moves. The time read is the earliest the server's
    clock can show: a reply's time was read before the reply arrived. That
    is the safe side for judging another holder's lease; a holder judging
    its own (a keep-alive whose renewals fail) may count it valid for up to
    a round trip longer than others do. Waiting is ``local``'s, so a test
    clock still decides it.
    """

    def __init__(self, local: Clock, ask: Callable[[], int]) -> None:
        self.local = local
        self._ask = ask
        #: The server's time last learned, and this host's monotonic time when it arrived.
        self._learned: tuple[int, int] | None = None

    def learn(self, server_ms: int) -> None:
        """The server's time, in epoch milliseconds, as a reply that just arrived carries it."""
        self._learned = (server_ms, _monotonic_ms())

    def now_ms(self) -> int:
        if self._learned is None:
            server_ms = self._ask()
            self.learn(server_ms)
            return server_ms
        server_ms, at_ms = self._learned
        return server_ms + _monotonic_ms() - at_ms

    def sleep_ms(self, ms: float) -> None:
        self.local.sleep_ms(ms)

    def wait_ms(self, ms: float, until: threading.Event) -> bool:
        return self.local.wait_ms(ms, until)


def _monotonic_ms() -> int:
    """The monotonic clock of this host in milliseconds, looked up when called (see ``SystemClock``)."""
    return time.monotonic_ns() // 1_000_000
