"""The clock of the ``@processes`` scenarios: real time, where letting time pass means waiting."""

from __future__ import annotations

import time

from lockspec import SystemClock


class RealClock(SystemClock):
    """``SystemClock`` that steps can advance, by sleeping."""

    def advance(self, ms: float) -> None:
        time.sleep(ms / 1000)
