"""Whether a lease's holder process still exists, when that can be known.

Only a holder on this host with a recorded pid can be checked, and only its
absence is proof: a pid that exists may have been reused by another process,
so a live-looking pid proves nothing. Used for reporting; lease takeover still
waits for expiry.
"""

from __future__ import annotations

import os

from lockspec.lease import Lock


def holder_is_gone(lease: Lock, this_host: str) -> bool:
    """True only if ``lease``'s holder ran on this host and its process no longer exists."""
    if lease.pid <= 0 or lease.host != this_host:
        return False
    try:
        os.kill(lease.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
