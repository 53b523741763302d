"""A resource that checks fencing tokens, as a database or storage service would.

It remembers the highest token it has accepted and rejects any write that
carries a lower one: the guard that makes a lease safe against a holder that
paused past its expiry.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ProtectedResource:
    value: str | None = None
    highest_token: int = 0
    rejected: list[tuple[str, int]] = field(default_factory=list)

    def write(self, value: str, fencing_token: int) -> bool:
        """Store ``value`` unless a write with a higher token was already accepted."""
        if fencing_token < self.highest_token:
            self.rejected.append((value, fencing_token))
            return False
        self.highest_token = fencing_token
        self.value = value
        return True
