"""Keeping a lease alive while long work runs.

``KeepAlive`` renews a held lease from a background thread every third of its
TTL, so that two renewals can fail before the lease runs out. It stops on
``stop()`` (or leaving its ``with`` block) and then hands back the latest
lease, which is the one to release.

The lease is *lost* when a renewal is refused (another instance took it over,
or it was cleaned up or broken) or when renewals keep failing until the lease
would have expired. A single failing renewal (a storage hiccup) is only
logged. Loss is reported once, through the ``lost`` property and the optional
``on_lost`` callback (called from the keep-alive thread); after that the
thread stops renewing, and never re-takes a lease held by someone else.

Waits between renewals are real time (a thread cannot be woken by a frozen
clock); expiry is still judged on the coordinator's clock. A renewal that
runs more than half an interval late (a paused process, an overloaded host)
is logged as a warning. ``beat()`` is one renewal as the thread makes it, for
callers that schedule renewals themselves (an event loop, a simulated clock).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType

from lockspec.coordinator import Coordinator
from lockspec.errors import LockError
from lockspec.lease import Lock

logger = logging.getLogger("lockspec")


class KeepAlive:
    """Renews ``lease`` through ``coordinator`` until stopped or lost."""

    def __init__(
        self,
        coordinator: Coordinator,
        lease: Lock,
        interval_ms: float | None = None,
        on_lost: Callable[[Lock, str], None] | None = None,
    ) -> None:
        self._coordinator = coordinator
        self._lease = lease
        self.interval_ms = interval_ms if interval_ms is not None else lease.ttl_ms / 3
        self._on_lost = on_lost
        self._stopping = threading.Event()
        self._lost_because: str | None = None
        self._thread = threading.Thread(target=self._run, name=f"lockspec-keepalive-{lease.resource}", daemon=True)

    @property
    def lease(self) -> Lock:
        """The latest lease: the original one, or its last successful renewal."""
        return self._lease

    @property
    def lost(self) -> bool:
        return self._lost_because is not None

    @property
    def lost_because(self) -> str | None:
        return self._lost_because

    def start(self) -> KeepAlive:
        self._thread.start()
        return self

    def stop(self) -> Lock:
        """Stop renewing (waiting for a renewal in progress); return the latest lease."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        return self._lease

    def __enter__(self) -> KeepAlive:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def beat(self) -> bool:
        """Renew once; return whether to go on (False once the lease is lost).

        A renewal that fails with a storage error before the lease's expiry
        is logged and retried at the next beat; one that fails at or after
        the expiry, or is refused, loses the lease.
        """
        if self.lost:
            return False
        try:
            renewed = self._coordinator.renew_lock(self._lease)
        except LockError as error:
            if self._coordinator.clock.now_ms() < self._lease.expires_at_ms:
                logger.warning("%s: renewing %r (token %d) failed, will retry: %s", *self._who(), error)
                return True
            self._lose(f"renewals failed until the lease expired: {error}")
            return False
        if renewed is None:
            self._lose("another instance took it over, or it was cleaned up or broken")
            return False
        self._lease = renewed
        return True

    def _run(self) -> None:
        interval_s = self.interval_ms / 1000
        due = time.monotonic() + interval_s
        while not self._stopping.wait(max(0.0, due - time.monotonic())):
            late_s = time.monotonic() - due
            if late_s > interval_s / 2:
                logger.warning("%s: renewal of %r (token %d) ran %.0f ms late", *self._who(), late_s * 1000)
            due = time.monotonic() + interval_s
            if not self.beat():
                return

    def _who(self) -> tuple[str, str, int]:
        return self._coordinator.instance_id, self._lease.resource, self._lease.fencing_token

    def _lose(self, because: str) -> None:
        self._lost_because = because
        logger.error("%s: lease on %r (token %d) lost: %s", *self._who(), because)
        if self._on_lost is not None:
            self._on_lost(self._lease, because)
