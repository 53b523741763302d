"""How every store reads what it holds for a resource: one judgement of stored bytes.

A file, a Redis value and a memory slot all hold a lease's bytes (see
``lockspec.lease``). Whether those bytes are a lease of the resource they are
kept for, and if not why, is decided here once, so that every store calls
the same entry unreadable for the same reason, and a release recognises its
own acquisition the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from lockspec.lease import UnreadableLease, decode_lease
from lockspec.stores.protocol import Observation

#: A lease is a few hundred bytes; anything much larger is not a lease.
MAX_LEASE_BYTES = 64 * 1024


def judge(
    key: str,
    resource: str | None,
    data: bytes,
    version: Hashable,
    belongs: Callable[[str], bool] | None = None,
) -> Observation:
    """The observation of ``data`` found at ``key``: a lease, or unreadable and why.

    ``resource`` is the resource the key stands for, when the key tells;
    otherwise ``belongs`` says whether a lease's resource may live at ``key``
    (a hashed file name, say). A lease kept under another resource's key is
    unreadable: taking it at its word would let one resource's lease block,
    or be released as, another's.
    """
    if len(data) > MAX_LEASE_BYTES:
        return Observation(key, resource, None, f"it is larger than {MAX_LEASE_BYTES} bytes", version)
    try:
        lease = decode_lease(data)
    except UnreadableLease as problem:
        return Observation(key, resource, None, str(problem), version)
    if resource is not None:
        belongs_here = lease.resource == resource
    else:
        belongs_here = belongs is not None and belongs(lease.resource)
    if not belongs_here:
        return Observation(key, resource, None, f"it names another resource, {lease.resource!r}", version)
    return Observation(key, lease.resource, lease, None, version)


def records(data: bytes, lock_id: str) -> bool:
    """Whether ``data`` is a lease of acquisition ``lock_id`` (renewed, say, so its bytes differ)."""
    try:
        return decode_lease(data).lock_id == lock_id
    except UnreadableLease:
        return False
