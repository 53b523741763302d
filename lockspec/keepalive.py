"""Keeping a lease alive while long work runs.

``KeepAlive`` renews a held lease from a background thread every third of its
TTL (or every ``interval_ms``), so that two renewals can fail before the lease
runs out. It stops on ``stop()`` (or leaving its ``with`` block) and then
hands back the latest lease, which is the one to release. The thread waits
on the coordinator's clock (``Clock.wait_ms``), so a test clock decides when
each renewal happens.

The lease is *lost* when a renewal is refused (another instance took it over,
or it was cleaned up or broken) or when renewals keep failing until the lease
has expired. A failing renewal before that, whatever the error (a storage
hiccup, or any exception a store lets escape), is logged and retried at the
next beat. Loss is reported once: through the ``lost`` property and the
optional ``on_lost`` callback (called from the keep-alive thread; an error
it raises is logged, never lost), and as an error on the ``lockspec`` logger.
After that the thread stops renewing, and never re-takes a lease held by
someone else. A renewal that runs more than half an interval late (a paused
process, an overloaded host) is logged as a warning.

Handing a lease to a forked child: the lease names the process that holds it
(see ``liveness``), so a keep-alive started in a process other than the one
the lease names renews at once, before ``start`` returns. A parent that
forks, starts the child's keep-alive and then exits leaves a lease that names
a live process.

``beat()`` is one renewal exactly as the thread makes it, for callers that
schedule renewals themselves (an event loop).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from lockspec.errors import InvalidArgumentError, LockError
from lockspec.lease import Lock
from lockspec.validation import checked_duration_ms

if TYPE_CHECKING:
    from lockspec.coordinator import Coordinator

logger = logging.getLogger("lockspec")

#: Set on the log record that reports a loss, for handlers that report losses their own way (the command line).
LOSS_RECORD = "lockspec_lease_lost"


class KeepAlive:
    """Renews ``lease`` through ``coordinator`` until stopped or lost."""

    def __init__(
        self,
        coordinator: Coordinator,
        lease: Lock,
        interval_ms: float | None = None,
        on_lost: Callable[[Lock, str], None] | None = None,
    ) -> None:
        if not isinstance(lease, Lock):
            raise InvalidArgumentError("lease", "must be a Lock returned by an acquisition", lease)
        interval = checked_duration_ms("interval_ms", lease.ttl_ms / 3 if interval_ms is None else interval_ms)
        if interval >= lease.ttl_ms:
            raise InvalidArgumentError(
                "interval_ms", f"must be shorter than the lease's TTL of {lease.ttl_ms} ms", interval_ms
            )
        self._coordinator = coordinator
        self._lease = lease
        self.interval_ms = interval
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
        """Start renewing; first renew at once if the lease names another process (a forked child's)."""
        if self._lease.pid != os.getpid() and not self.beat():
            return self
        self._thread.start()
        return self

    def stop(self) -> Lock:
        """Stop renewing (waiting for a renewal in progress); return the latest lease."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
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

        A renewal that fails before the lease's expiry is logged and retried at
        the next beat; one that fails at or after the expiry, or is refused,
        loses the lease.
        """
        if self.lost:
            return False
        try:
            renewed = self._coordinator.renew_lock(self._lease)
        except Exception as error:
            if self._coordinator.clock.now_ms() < self._lease.expires_at_ms:
                # A store's own error says all; anything else is a bug somewhere, shown with its traceback.
                unexpected = not isinstance(error, LockError)
                logger.warning(
                    "%s: renewing %r (token %d) failed, will retry: %s", *self._who(), error, exc_info=unexpected
                )
                return True
            self._lose(f"renewals failed until the lease expired: {error}")
            return False
        if renewed is None:
            self._lose("another instance took it over, or it was cleaned up or broken")
            return False
        self._lease = renewed
        return True

    def _run(self) -> None:
        clock = self._coordinator.clock
        due = clock.now_ms() + self.interval_ms
        while not clock.wait_ms(due - clock.now_ms(), self._stopping):
            late_ms = clock.now_ms() - due
            if late_ms > self.interval_ms / 2:
                logger.warning("%s: renewal of %r (token %d) ran %d ms late", *self._who(), late_ms)
            due = clock.now_ms() + self.interval_ms
            if not self.beat():
                return

    def _who(self) -> tuple[str, str, int]:
        return self._coordinator.instance_id, self._lease.resource, self._lease.fencing_token

    def _lose(self, because: str) -> None:
        self._lost_because = because
        logger.error("%s: lease on %r (token %d) lost: %s", *self._who(), because, extra={LOSS_RECORD: True})
        if self._on_lost is None:
            return
        try:
            self._on_lost(self._lease, because)
        except Exception:
            logger.exception(
                "%s: the on_lost callback for %r failed", self._coordinator.instance_id, self._lease.resource
            )
