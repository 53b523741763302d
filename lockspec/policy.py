"""How an instance judges what it finds in a store: the one place each policy question is decided.

Acquisition (may this lease be taken over?), cleanup (may it be removed?),
``holder``, ``status`` and the command line all ask ``Policy``, so that an
operator's view never disagrees with what the instances do. A lease is, in
this order: ``EXPIRED`` once the clock reaches its expiry time plus the clock
skew margin; ``HOLDER_GONE`` while valid if its holder process provably no
longer runs (see ``liveness``) and dead holders are detected; otherwise
``HELD``. Only a ``HELD`` lease is respected. Unreadable entries are set aside
and kept for ``keep_set_aside_ms`` before cleanup purges them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lockspec.lease import Lock
from lockspec.liveness import holder_is_gone
from lockspec.stores.protocol import SetAside

#: How long what was set aside as unreadable is kept for an operator: a week.
DEFAULT_KEEP_SET_ASIDE_MS = 7 * 24 * 60 * 60 * 1000


class LeaseState(enum.Enum):
    """The state of an entry of a store, as an instance judges it and an operator reads it."""

    HELD = "held"
    EXPIRED = "expired"
    HOLDER_GONE = "holder gone"
    UNREADABLE = "unreadable"
    SET_ASIDE = "set aside"


@dataclass(frozen=True, slots=True)
class Policy:
    """One instance's settings for judging leases: its host, its clock skew margin, whether it detects dead holders.

    Every setting is given: the defaults are the coordinator's and ``connect``'s (see ``Coordinator``).
    """

    host: str
    max_clock_skew_ms: int
    detect_dead_holders: bool
    keep_set_aside_ms: int

    def state_of(self, lease: Lock, now_ms: int) -> LeaseState:
        """``HELD``, ``EXPIRED`` or ``HOLDER_GONE``, at ``now_ms`` on the judging instance's clock.

        Ownership does not matter: an instance whose own lease expired
        competes for it like anyone else.
        """
        if now_ms >= lease.expires_at_ms + self.max_clock_skew_ms:
            return LeaseState.EXPIRED
        if self.detect_dead_holders and holder_is_gone(lease, self.host):
            return LeaseState.HOLDER_GONE
        return LeaseState.HELD

    def respects(self, lease: Lock, now_ms: int) -> bool:
        """Whether ``lease`` still keeps every other instance out at ``now_ms``."""
        return self.state_of(lease, now_ms) is LeaseState.HELD

    def purges(self, entry: SetAside, now_ms: int) -> bool:
        """Whether what was set aside has been kept long enough."""
        return now_ms >= entry.set_aside_at_ms + self.keep_set_aside_ms
