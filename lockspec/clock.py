"""Time as the coordinator sees it.

Every expiry decision and every backoff wait goes through a ``Clock``, so that a
test (or a simulation) can substitute a clock it controls completely. Expiry
times are stored in lease files as wall-clock epoch milliseconds because
several processes compare them; a monotonic clock would not be comparable
between processes. The price is that lockspec trusts the instances' wall
clocks to agree to well within a TTL.
"""

from __future__ import annotations

import threading
import time
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
