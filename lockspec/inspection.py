"""What an operator sees of a lease: its state and, in words, why.

``LeaseState`` is decided in this order: an unreadable entry is
``UNREADABLE``; a readable one past its expiry is ``EXPIRED``; a valid one
whose holder process provably no longer exists is ``HOLDER_GONE``; any other
is ``HELD``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lockspec.durations import format_duration
from lockspec.lease import Lock
from lockspec.liveness import holder_is_gone
from lockspec.stores.protocol import Observation


class LeaseState(enum.Enum):
    """The state of a lock directory entry, as an operator reads it."""

    HELD = "held"
    EXPIRED = "expired"
    HOLDER_GONE = "holder gone"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class LeaseStatus:
    """One entry of the lock directory as seen at ``now_ms``."""

    resource: str
    key: str
    state: LeaseState
    lease: Lock | None
    problem: str | None
    now_ms: int

    @property
    def expires_in_ms(self) -> int | None:
        """Milliseconds until expiry (negative once expired); None if unreadable."""
        return None if self.lease is None else self.lease.expires_at_ms - self.now_ms

    def describe(self) -> str:
        """Why the entry is in its state, in a few words."""
        if self.lease is None:
            return f"unreadable: {self.problem}"
        holder = f"held by {self.lease.owner!r}, token {self.lease.fencing_token}"
        remaining = self.lease.expires_at_ms - self.now_ms
        if self.state is LeaseState.EXPIRED:
            return f"expired {format_duration(-remaining)} ago ({holder})"
        if self.state is LeaseState.HOLDER_GONE:
            return f"{holder}, whose process {self.lease.pid} is gone; expires in {format_duration(remaining)}"
        return f"{holder}; expires in {format_duration(remaining)}"


def inspect(seen: Observation, now_ms: int, this_host: str) -> LeaseStatus:
    """The status of the entry ``seen`` at ``now_ms``, judged from ``this_host``."""
    resource = seen.resource or seen.key
    if seen.lease is None:
        return LeaseStatus(resource, seen.key, LeaseState.UNREADABLE, None, seen.problem, now_ms)
    if seen.lease.is_expired(now_ms):
        state = LeaseState.EXPIRED
    elif holder_is_gone(seen.lease, this_host):
        state = LeaseState.HOLDER_GONE
    else:
        state = LeaseState.HELD
    return LeaseStatus(resource, seen.key, state, seen.lease, None, now_ms)
