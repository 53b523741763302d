"""What an operator sees of a store's entries: their state and, in words, why.

The state is ``Policy``'s judgement (see ``policy``), so the status never
calls a lease expired that the instance would still respect.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lockspec.durations import format_duration
from lockspec.lease import Lock
from lockspec.policy import LeaseState, Policy
from lockspec.stores.protocol import Observation, SetAside


@dataclass(frozen=True, slots=True)
class LeaseStatus:
    """One entry of a store as judged at ``now_ms``.

    ``key`` names it in the store; ``lease`` is None unless it is readable;
    ``problem`` says why it is unreadable; ``set_aside_at_ms`` says when it
    was set aside, for an entry that was.
    """

    resource: str
    key: str
    state: LeaseState
    lease: Lock | None
    problem: str | None
    now_ms: int
    set_aside_at_ms: int | None = None

    @property
    def expires_in_ms(self) -> int | None:
        """Milliseconds until expiry (negative once expired); None if unreadable."""
        return None if self.lease is None else self.lease.expires_at_ms - self.now_ms

    def describe(self) -> str:
        """Why the entry is in its state, in a few words."""
        if self.set_aside_at_ms is not None:
            return f"set aside {format_duration(self.now_ms - self.set_aside_at_ms)} ago, unreadable: {self.problem}"
        if self.lease is None:
            return f"unreadable: {self.problem}"
        holder = f"held by {self.lease.owner!r}, token {self.lease.fencing_token}"
        remaining = self.lease.expires_at_ms - self.now_ms
        if self.state is LeaseState.EXPIRED:
            return f"expired {format_duration(-remaining)} ago ({holder})"
        if self.state is LeaseState.HOLDER_GONE:
            return f"{holder}, whose process {self.lease.pid} is gone; expires in {format_duration(remaining)}"
        if remaining <= 0:
            return f"{holder}; expired {format_duration(-remaining)} ago, within the clock skew margin"
        return f"{holder}; expires in {format_duration(remaining)}"


def status_of(seen: Observation, now_ms: int, policy: Policy) -> LeaseStatus:
    """The status of the entry ``seen`` at ``now_ms``, as ``policy`` judges it."""
    resource = seen.resource or seen.key
    if seen.lease is None:
        return LeaseStatus(resource, seen.key, LeaseState.UNREADABLE, None, seen.problem, now_ms)
    return LeaseStatus(resource, seen.key, policy.state_of(seen.lease, now_ms), seen.lease, None, now_ms)


def status_of_set_aside(entry: SetAside, now_ms: int) -> LeaseStatus:
    """The status of an entry that was set aside as unreadable."""
    resource = entry.resource or entry.key
    return LeaseStatus(resource, entry.key, LeaseState.SET_ASIDE, None, entry.problem, now_ms, entry.set_aside_at_ms)


class CleanupAction(enum.Enum):
    """What cleanup did (or, in a dry run, would do) with an entry."""

    REMOVED = "removed"
    MOVED_ASIDE = "moved aside"
    PURGED = "purged"


@dataclass(frozen=True, slots=True)
class CleanedUp:
    """One thing cleanup did: what, to which entry (as it was judged), and why, in ``entry.describe()``."""

    action: CleanupAction
    entry: LeaseStatus
