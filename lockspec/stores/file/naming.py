"""How resource names become lease file names.

The mapping is injective and always yields a single plain file name, so two
resources never share a lease and no name can reach outside the lock
directory (upstream mapped ``:`` and ``/`` to ``_``, merging ``a:b``, ``a/b``
and ``a_b`` and letting ``..`` escape). Three disjoint forms, told apart by
their first character:

* a *plain* name (letters, digits, ``-``, ``_`` and ``.``, not starting with
  ``.``, at most ``PLAIN_LIMIT`` characters) is used as it is: ``<name>.lock``;
* any other name is percent-encoded behind a ``%``: ``%<quoted>.lock``;
* a name whose encoding would exceed file-name limits is hashed behind a
  ``~``: ``~<sha256>.lock`` (the lease inside still carries the full name).

Names starting with ``.`` are never produced, which keeps lockspec's own
bookkeeping (``.lockspec/``) out of the lease namespace. Case-insensitive file
systems would merge ``A`` and ``a``; lockspec assumes a case-sensitive one.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote, unquote

LEASE_SUFFIX = ".lock"
PLAIN_LIMIT = 200
_ENCODED_LIMIT = 240
_PLAIN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
_ENCODED = re.compile(r"%[A-Za-z0-9_.~%-]+")
_HASHED = re.compile(r"~[0-9a-f]{64}")


def lease_file_name(resource: str) -> str:
    """The file name of ``resource``'s lease inside the lock directory."""
    if len(resource) <= PLAIN_LIMIT and _PLAIN.fullmatch(resource):
        return resource + LEASE_SUFFIX
    encoded = "%" + quote(resource, safe="", encoding="utf-8", errors="strict")
    if len(encoded) <= _ENCODED_LIMIT:
        return encoded + LEASE_SUFFIX
    return "~" + hashlib.sha256(resource.encode("utf-8")).hexdigest() + LEASE_SUFFIX


def is_hashed_lease_file_name(file_name: str) -> bool:
    """Whether ``file_name`` is a lease file name of the hashed form, which does not tell its resource.

    A name is a lease file name if it is hashed or ``resource_of_file_name``
    finds its resource. Files of any other name in the lock directory are not
    ours to judge and are left alone.
    """
    return file_name.endswith(LEASE_SUFFIX) and _HASHED.fullmatch(file_name[: -len(LEASE_SUFFIX)]) is not None


def resource_of_file_name(file_name: str) -> str | None:
    """The resource a lease file name stands for, when the name tells.

    ``None`` for a hashed name (only the file's content knows its resource)
    and for names lockspec would never write.
    """
    if not file_name.endswith(LEASE_SUFFIX):
        return None
    stem = file_name[: -len(LEASE_SUFFIX)]
    if _ENCODED.fullmatch(stem):
        try:
            resource = unquote(stem[1:], encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            return None
        return resource if lease_file_name(resource) == file_name else None
    if len(stem) <= PLAIN_LIMIT and _PLAIN.fullmatch(stem):
        return stem
    return None
