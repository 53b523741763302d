"""The lease: who holds a resource, until when, and with which fencing token.

A ``Lock`` is an immutable value returned to the holder and stored, as JSON,
in the resource's lease file. ``decode_lease`` is strict: anything that is not
exactly a lease of the current format is reported as ``UnreadableLease`` so
that the coordinator can treat it as garbage rather than guess.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Bumped whenever the stored shape changes incompatibly.
LEASE_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Lock:
    """One acquisition of one resource by one instance.

    ``lock_id`` is unique per acquisition (128 random bits), so releasing an old
    acquisition can never release a newer one, even within one millisecond.
    ``fencing_token`` strictly increases with every acquisition of the same
    resource; a protected resource that remembers the highest token it has seen
    can reject writes from a holder whose lease has already expired. Renewal
    moves ``expires_at_ms`` and keeps ``acquired_at_ms``. The lease
    itself is only a hint about who should be working: without fencing, a
    holder that pauses past its expiry can still act.
    """

    resource: str
    lock_id: str
    owner: str
    acquired_at_ms: int
    expires_at_ms: int
    fencing_token: int
    #: The TTL of the last acquisition or renewal: what a renewal extends by default.
    ttl_ms: int
    #: Where the holder runs, for operators and liveness checks ("" and 0 when not recorded).
    host: str = ""
    pid: int = 0
    #: The holder process's identity (boot, pid namespace, start time; see ``liveness``), "" if unknown.
    process: str = ""

    def with_token(self, fencing_token: int) -> Lock:
        """A copy carrying ``fencing_token``: stores issue the token as they store the lease."""
        return Lock(
            self.resource,
            self.lock_id,
            self.owner,
            self.acquired_at_ms,
            self.expires_at_ms,
            fencing_token,
            self.ttl_ms,
            self.host,
            self.pid,
            self.process,
        )


class UnreadableLease(ValueError):
    """The stored bytes are not a lease of the current format; says why."""


_FIELD_TYPES: dict[str, type] = {
    "resource": str,
    "lock_id": str,
    "owner": str,
    "acquired_at_ms": int,
    "expires_at_ms": int,
    "fencing_token": int,
    "ttl_ms": int,
}
_OPTIONAL_FIELD_TYPES: dict[str, type] = {"host": str, "pid": int, "process": str}
_LEASE_FIELD_TYPES = (*_FIELD_TYPES.values(), *_OPTIONAL_FIELD_TYPES.values())
#: The scanner ``json.loads`` uses: set on each decoder at runtime, unknown to the type stubs.
_scan_json: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
#: A JSON string literal, as ``json.dumps(..., ensure_ascii=False)`` writes it.
_quoted: Callable[[str], str] = json.encoder.encode_basestring


def encode_lease(lease: Lock) -> bytes:
    """The bytes of a lease file: compact JSON, its keys in a fixed order."""
    # Formatted by hand, strings quoted by json's own (C) quoting: a generic
    # encoder costs as much as the file write it prepares.
    return (
        f'{{"format":{LEASE_FORMAT},"resource":{_quoted(lease.resource)},"lock_id":{_quoted(lease.lock_id)},'
        f'"owner":{_quoted(lease.owner)},"acquired_at_ms":{lease.acquired_at_ms:d},'
        f'"expires_at_ms":{lease.expires_at_ms:d},"fencing_token":{lease.fencing_token:d},'
        f'"ttl_ms":{lease.ttl_ms:d},"host":{_quoted(lease.host)},"pid":{lease.pid:d},'
        f'"process":{_quoted(lease.process)}}}'
    ).encode()


def decode_lease(data: bytes) -> Lock:
    """Parse a lease file, or raise ``UnreadableLease`` naming the problem."""
    if not data:
        raise UnreadableLease("the file is empty")
    try:
        document = _json_value(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise UnreadableLease(f"not JSON: {error}") from None
    except RecursionError:
        # Python's JSON parser recurses once per nesting level: a small file can exhaust the stack.
        raise UnreadableLease("not JSON: nested too deep to parse") from None
    if not isinstance(document, dict):
        raise UnreadableLease(f"expected a JSON object, found {type(document).__name__}")
    if document.get("format") != LEASE_FORMAT:
        raise UnreadableLease(f"unknown format {document.get('format')!r}")
    lease = _well_typed_lease(document)
    if not lease.resource or not lease.lock_id or not lease.owner:
        raise UnreadableLease("resource, lock_id and owner must not be empty")
    if lease.expires_at_ms < lease.acquired_at_ms:
        raise UnreadableLease("expires before it was acquired")
    if lease.fencing_token < 1:
        raise UnreadableLease("fencing token must be positive")
    if lease.ttl_ms < 1:
        raise UnreadableLease("TTL must be positive")
    if lease.pid < 0:
        raise UnreadableLease("pid must not be negative")
    return lease


def _json_value(text: str) -> Any:
    """``json.loads(text)``, going straight to the (C) scanner when the text is one value and nothing else.

    ``json.loads`` wraps the same scanner in two Python layers and two
    whitespace matches, which cost as much as the parse of a lease file. Any
    other text (surrounding whitespace, trailing data, an error) goes through
    ``json.loads`` itself, for its exact rules and messages.
    """
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        end = -1
    return value if end == len(text) else json.loads(text)


def _well_typed_lease(document: dict[str, Any]) -> Lock:
    """The lease ``document`` describes if every field has its type; else raise naming the first that has not.

    One combined check first: cleanup reads every lease in the lock directory,
    and checking field by field costs more than reading the file. Comparing
    exact types rules out bool, which is an int in Python but never a valid
    time, token or pid.
    """
    get = document.get
    fields: tuple[Any, ...] = (
        get("resource"),
        get("lock_id"),
        get("owner"),
        get("acquired_at_ms"),
        get("expires_at_ms"),
        get("fencing_token"),
        get("ttl_ms"),
        get("host", ""),
        get("pid", 0),
        get("process", ""),
    )
    if tuple(map(type, fields)) == _LEASE_FIELD_TYPES:
        return Lock(*fields)
    values: dict[str, Any] = {}
    for field, kind in _FIELD_TYPES.items():
        values[field] = _typed(document, field, kind)
    for field, kind in _OPTIONAL_FIELD_TYPES.items():
        if field in document:
            values[field] = _typed(document, field, kind)
    return Lock(**values)


def _typed(document: dict[str, Any], field: str, kind: type) -> Any:
    value = document.get(field)
    # bool is an int in Python but never a valid time, token or pid.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise UnreadableLease(f"field {field!r} is missing or not a {kind.__name__}")
    return value
