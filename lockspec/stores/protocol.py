"""The seam between the coordinator's policy and where leases are kept.

The coordinator decides (is this lease expired? is it mine?); a ``LeaseStore``
only keeps leases and offers conditional changes on them. Every change happens
only if its condition holds on the stored entry at that moment, and otherwise
changes nothing and reports ``False``/``None``: a takeover, renewal or cleanup
takes the ``Observation`` it is based on and needs the entry to be still
exactly that; claiming a free resource needs it to have no entry; a release
needs it to still record the releaser's acquisition. That rule is what makes
acquisition, takeover, cleanup, renewal and release race-free: an instance can
never delete or overwrite a lease that another instance wrote after it looked.

Every store issues fencing tokens by ``lockspec.fencing``'s rule, keeps what
was unreadable aside for an operator (``kept_aside``) rather than destroying
it, and raises ``LockStorageError`` naming where its leases are kept for any
failure of its medium: never another exception type, never a quiet "no".
Each operation waits a bounded time for the store (a busy critical section,
a server that does not answer), set by the store's own options; the two
claims also take the caller's ``wait_ms`` so that a blocking acquisition
never waits past its own deadline.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Protocol

from lockspec.clock import Clock
from lockspec.lease import Lock


@dataclass(frozen=True, slots=True)
class Observation:
    """What a store held for one entry at one moment.

    Exactly one of three cases: absent (``lease`` and ``problem`` are None),
    a readable ``lease``, or an unreadable entry whose ``problem`` says why.
    ``version`` is opaque; stores compare it to detect any change in between.
    ``key`` names the entry in the store (a file name, a key), for messages.
    """

    key: str
    resource: str | None
    lease: Lock | None
    problem: str | None
    version: Hashable

    @property
    def is_absent(self) -> bool:
        return self.lease is None and self.problem is None


@dataclass(frozen=True, slots=True)
class SetAside:
    """An unreadable entry a store moved out of the way, kept for an operator to inspect until purged.

    ``key`` names it where it is kept; ``resource`` is the resource it stood
    for, when its original name tells; ``problem`` says why it was unreadable.
    """

    key: str
    resource: str | None
    set_aside_at_ms: int
    problem: str


class LeaseStore(Protocol):
    """Keeps at most one lease per resource and changes it by compare-and-set."""

    #: Where the leases are kept (a path, a server address), as errors and the status name it.
    where: str

    @property
    def expiry_clock(self) -> Clock | None:
        """The store's own clock, when its instances are to judge expiry on it rather than on theirs.

        A Redis server's, with its ``server_clock`` option; ``None``: each
        instance judges on its own clock.
        """
        ...

    def observe(self, resource: str) -> Observation:
        """The current entry for ``resource`` (possibly absent)."""
        ...

    def observe_all(self) -> Iterator[Observation]:
        """Every entry present, readable or not, for cleanup and inspection."""
        ...

    def claim_if_absent(self, draft: Lock, *, wait_ms: float | None = None) -> tuple[Lock | None, Observation]:
        """Store ``draft`` with a fresh fencing token if its resource has no entry.

        The common, uncontended acquisition in one step (Redis ``SET NX``).
        Returns the stored lease and the absent entry it replaced, or ``None``
        and the entry that is in the way, unchanged, for the coordinator to
        judge and perhaps ``claim``. Waits at most ``wait_ms`` for the store.
        """
        ...

    def claim(self, seen: Observation, draft: Lock, *, wait_ms: float | None = None) -> Lock | None:
        """Store ``draft`` with a fresh fencing token if the entry is still ``seen``.

        The token is greater than every token issued before for this resource.
        An unreadable entry is set aside before the new lease replaces it; if
        the claim fails, it is back where it was. Returns the stored lease, or
        ``None`` when the entry changed since it was observed.
        """
        ...

    def replace(self, seen: Observation, lease: Lock) -> bool:
        """Overwrite the readable lease ``seen`` with ``lease`` (a renewal)."""
        ...

    def remove(self, seen: Observation) -> bool:
        """Delete the entry ``seen`` (setting it aside if it was unreadable)."""
        ...

    def release(self, lease: Lock) -> bool:
        """Delete ``lease``'s entry if it still records that acquisition (the same lock id).

        Returns ``False``, changing nothing, when the entry is absent,
        unreadable or another acquisition's: ownership is judged where the
        lease is kept, in one step, as Redis's compare-and-delete script does.
        """
        ...

    def kept_aside(self) -> Iterator[SetAside]:
        """Every unreadable entry set aside and not yet purged."""
        ...

    def discard(self, entry: SetAside) -> bool:
        """Purge ``entry`` for good; ``False`` if it was already gone."""
        ...

    def clear_leftovers(self) -> list[str]:
        """Remove what writers that crashed mid-change left behind; name what was removed.

        Never anything a live writer may still be using.
        """
        ...

    def close(self) -> None:
        """Let go of connections or open files; stored leases are untouched."""
        ...
