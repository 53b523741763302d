"""The names of a namespace's keys, and the resources they stand for.

Layout of a namespace ``NS`` (``ENC`` is the resource percent-encoded)::

    NS:{ENC}:lease                  the resource's lease (the bytes of ``encode_lease``)
    NS:{ENC}:fence                  the last fencing token issued for it (decimal text)
    NS:{ENC}:released               the lock id of its last release, for a minute (a retried release)
    NS:{ENC}:aside:<ms>:<random>    an unreadable entry set aside at <ms> (epoch), kept for an operator

The braces are a Redis Cluster hash tag: every key of one resource lives in
one slot, as a script that touches several of them requires. Percent-encoding
with nothing left safe keeps braces, colons and glob characters out of the
tag, so that a resource's name can neither end its tag early nor be taken
for another's; a namespace may not hold braces for the same reason.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, unquote

from lockspec.errors import InvalidArgumentError
from lockspec.validation import checked_name

#: A namespace is a prefix, not a resource: far shorter than a resource's name may be.
MAX_NAMESPACE_LENGTH = 256

_LEASE = ":lease"
_FENCE = ":fence"
#: The characters SCAN MATCH reads as a pattern, which a namespace may hold.
_GLOB = re.compile(r"([*?\[\]\\])")
_TAGGED = r"\{([^{}]+)\}"


def checked_namespace(namespace: object) -> str:
    """Return ``namespace`` if it can prefix keys: a name, without braces."""
    name = checked_name("namespace", namespace, max_length=MAX_NAMESPACE_LENGTH)
    if "{" in name or "}" in name:
        raise InvalidArgumentError("namespace", "must not contain braces (they would make a hash tag)", name)
    return name


def lease_key(namespace: str, resource: str) -> str:
    """The key of ``resource``'s lease in ``namespace``."""
    return f"{namespace}:{{{quote(resource, safe='')}}}{_LEASE}"


def released_key(namespace: str, resource: str) -> str:
    """The key remembering, for a while, the lock id of the last acquisition of ``resource`` released."""
    return f"{namespace}:{{{quote(resource, safe='')}}}:released"


def fence_key(namespace: str, resource: str) -> str:
    """The key of ``resource``'s fencing counter in ``namespace``."""
    return f"{namespace}:{{{quote(resource, safe='')}}}{_FENCE}"


def set_aside_key(lease: str, at_ms: int) -> str:
    """A new key to set the entry at the lease key ``lease`` aside under, in its slot, named with the time."""
    return f"{lease.removesuffix(_LEASE)}:aside:{at_ms}:{os.urandom(6).hex()}"


def lease_pattern(namespace: str) -> str:
    """The SCAN MATCH pattern of every lease key in ``namespace``."""
    return f"{_literal(namespace)}:{{*}}{_LEASE}"


def set_aside_pattern(namespace: str) -> str:
    """The SCAN MATCH pattern of every set-aside key in ``namespace``."""
    return f"{_literal(namespace)}:{{*}}:aside:*"


def is_fence_key(key: str) -> bool:
    """Whether ``key`` is named as a fencing counter is."""
    return re.search(_TAGGED + re.escape(_FENCE) + r"\Z", key) is not None


def resource_of_lease_key(namespace: str, key: str) -> str | None:
    """The resource ``key`` is the lease key of; ``None`` for any key lockspec would not make."""
    named = re.fullmatch(re.escape(namespace) + ":" + _TAGGED + re.escape(_LEASE), key)
    return None if named is None else _decoded(named[1])


def set_aside_of(namespace: str, key: str) -> tuple[str | None, int] | None:
    """The resource (if its name tells) and the time of a set-aside key; ``None`` for any other key."""
    named = re.fullmatch(re.escape(namespace) + ":" + _TAGGED + r":aside:(\d+):[0-9a-f]+", key)
    return None if named is None else (_decoded(named[1]), int(named[2]))


def _literal(namespace: str) -> str:
    """``namespace`` as a SCAN MATCH pattern that matches only itself."""
    return _GLOB.sub(r"\\\1", namespace)


def _decoded(encoded: str) -> str | None:
    """The resource ``encoded`` names, if lockspec encodes it so: any other spelling is a key nobody looks up."""
    resource = unquote(encoded)  # invalid UTF-8 becomes U+FFFD, which encodes differently
    return resource if quote(resource, safe="") == encoded else None
