"""``lockspec.connect``: a coordinator on the store a URL names.

The one place that knows every store: the core takes any ``LeaseStore``, and
users name theirs by URL, so that moving from one host (a lock directory) to
several (Redis) changes a string, not code. A store's client library is
imported only when its URL is used, so the core needs none of them.

URL forms:

* a path, or ``file:///path``: lease files in that lock directory (made if missing);
* ``memory://NAME``: this process's in-memory space ``NAME`` (``memory://`` is the default space);
* ``redis://[:password@]host[:port][/db]``, ``rediss://...`` (TLS), ``unix:///path/to/socket[?db=N]``:
  a Redis (or Valkey) server, as redis-py reads these URLs; needs
  ``pip install lockspec[redis]``. Each of the store's options may also be
  given as a query parameter (``?namespace=NS&server_clock=yes&replicas=1``),
  so that one string says it all for the command line too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit

from lockspec.backoff import Backoff
from lockspec.clock import Clock, SystemClock
from lockspec.coordinator import Coordinator
from lockspec.errors import InvalidArgumentError
from lockspec.policy import DEFAULT_KEEP_SET_ASIDE_MS
from lockspec.stores.file.guards import DEFAULT_GUARD_TIMEOUT_MS
from lockspec.stores.file.permissions import PRIVATE, SHARED_GROUP
from lockspec.stores.file.store import FileLeaseStore
from lockspec.stores.memory import MemoryLeaseStore
from lockspec.stores.protocol import LeaseStore
from lockspec.urls import redacted, split_query

REDIS_SCHEMES = ("redis", "rediss", "unix")

_YES, _NO = ("yes", "true", "1", "on"), ("no", "false", "0", "off")


def _yes_or_no(text: str) -> bool:
    """A yes or a no, as a URL spells it (``server_clock=yes``)."""
    if text.lower() in _YES:
        return True
    if text.lower() in _NO:
        return False
    raise ValueError(f"{text!r} is neither {'/'.join(_YES)} nor {'/'.join(_NO)}")


def _whole_number(text: str) -> int:
    """A count as a URL spells it: ASCII digits only (``int`` would take ``1_0``, `` +2`` or other digits)."""
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


#: The Redis store's options, which a URL may carry too, with how each is read from its text.
_REDIS_OPTIONS: dict[str, Callable[[str], object]] = {
    "namespace": str,
    "timeout_ms": float,
    "safety_net_ms": float,
    "server_clock": _yes_or_no,
    "replicas": _whole_number,
    "replicas_timeout_ms": float,
}

#: The options each kind of store takes, beside the coordinator's own.
STORE_OPTIONS: dict[str, tuple[str, ...]] = {
    "file": ("shared_group", "guard_timeout_ms"),
    "memory": (),
    "redis": tuple(_REDIS_OPTIONS),
}


def connect(
    url: str | os.PathLike[str],
    *,
    instance_id: str | None = None,
    clock: Clock | None = None,
    backoff: Backoff | None = None,
    max_clock_skew_ms: float = 0,
    detect_dead_holders: bool = True,
    keep_set_aside_ms: float = DEFAULT_KEEP_SET_ASIDE_MS,
    **store_options: Any,
) -> Coordinator:
    """A ``Coordinator`` on the store ``url`` names; ``store_options`` go to that store.

    The coordinator's options are ``Coordinator``'s. An option the store does
    not take is an ``InvalidArgumentError`` naming it, before anything is
    opened: a misspelt ``namespace`` must not silently share the default one.
    """
    clock = clock or SystemClock()
    store = open_store(url, clock=clock, **store_options)
    return Coordinator(
        store,
        instance_id,
        clock,
        backoff=backoff,
        max_clock_skew_ms=max_clock_skew_ms,
        detect_dead_holders=detect_dead_holders,
        keep_set_aside_ms=keep_set_aside_ms,
    )


def open_store(url: str | os.PathLike[str], *, clock: Clock | None = None, **options: Any) -> LeaseStore:
    """The ``LeaseStore`` ``url`` names, built with ``options`` (see the module's URL forms)."""
    kind, opener = _opener(url)
    unknown = sorted(set(options) - set(STORE_OPTIONS[kind]))
    if unknown:
        accepted = ", ".join(STORE_OPTIONS[kind]) or "none"
        raise InvalidArgumentError(
            "store option",
            f"the {kind} store does not take {', '.join(unknown)} (it takes: {accepted})",
            redacted(os.fspath(url)),
        )
    return opener(clock or SystemClock(), options)


def lock_dir_of(url: str | os.PathLike[str]) -> str | None:
    """The lock directory ``url`` names, or ``None`` if it names another kind of store."""
    text = os.fspath(url)
    scheme = _split(text).scheme if "://" in text else ""
    if scheme == "":
        if _looks_like_a_url(text):
            # "redis:/host" must not become a folder named "redis:" that only this host locks in.
            raise InvalidArgumentError("store URL", "a URL needs :// after its scheme (or use ./ for a path)", text)
        return text
    if scheme == "file":
        return _file_path(text)
    return None


def _split(text: str) -> SplitResult:
    """``urlsplit(text)``, a URL it cannot read (a bracket left open) an ``InvalidArgumentError``."""
    try:
        return urlsplit(text)
    except ValueError as error:
        raise InvalidArgumentError("store URL", str(error), redacted(text)) from None


def _looks_like_a_url(text: str) -> bool:
    """Whether ``text`` starts like a URL (``scheme:``) rather than a path."""
    head, colon, _ = text.partition(":")
    return bool(colon) and len(head) > 1 and head.replace("+", "").replace("-", "").replace(".", "").isalnum()


_Opener = Callable[[Clock, dict[str, Any]], LeaseStore]


def _opener(url: str | os.PathLike[str]) -> tuple[str, _Opener]:
    if not isinstance(url, (str, os.PathLike)) or not os.fspath(url):
        raise InvalidArgumentError("store URL", "give a lock directory path or a store URL", url)
    text = os.fspath(url)
    lock_dir = lock_dir_of(text)
    if lock_dir is not None:
        return "file", lambda clock, options: _file_store(lock_dir, clock, options)
    scheme = _split(text).scheme
    if scheme == "memory":
        return "memory", lambda clock, options: _memory_store(text, clock)
    if scheme in REDIS_SCHEMES:
        if _split(text).fragment:
            # redis-py would read it as part of the last parameter's value.
            raise InvalidArgumentError("store URL", "a Redis URL has no #fragment", redacted(text))
        return "redis", lambda clock, options: _redis_store(text, clock, options)
    raise InvalidArgumentError(
        "store URL", f"unknown scheme {scheme!r}; use a path, file://, memory:// or redis://", redacted(text)
    )


def _file_path(url: str) -> str:
    parts = _split(url)
    if parts.netloc not in ("", "localhost"):
        raise InvalidArgumentError("store URL", "a file:// URL names a folder on this host", url)
    if not parts.path:
        raise InvalidArgumentError("store URL", "a file:// URL needs a path", url)
    return unquote(parts.path)


def _file_store(lock_dir: str, clock: Clock, options: dict[str, Any]) -> LeaseStore:
    permissions = SHARED_GROUP if options.get("shared_group", False) else PRIVATE
    guard_timeout_ms = options.get("guard_timeout_ms", DEFAULT_GUARD_TIMEOUT_MS)
    return FileLeaseStore(lock_dir, permissions=permissions, clock=clock, guard_timeout_ms=guard_timeout_ms)


def _memory_store(url: str, clock: Clock) -> LeaseStore:
    parts = _split(url)
    return MemoryLeaseStore(unquote(parts.netloc + parts.path), clock=clock)


def _redis_store(url: str, clock: Clock, options: dict[str, Any]) -> LeaseStore:
    try:
        # Imported only here: redis-py is an optional extra that the other stores do not need.
        from lockspec.stores.redis import RedisLeaseStore  # noqa: PLC0415
    except ImportError as missing:
        raise InvalidArgumentError(
            "store URL", f"a Redis store needs redis-py: pip install 'lockspec[redis]' ({missing})", redacted(url)
        ) from None
    server_url, given = _url_options_of(url)
    twice = sorted(set(given) & set(options))
    if twice:
        raise InvalidArgumentError(
            "store option", f"{', '.join(twice)} given twice, in the URL and as an option", redacted(url)
        )
    return RedisLeaseStore.from_url(server_url, clock=clock, **given, **options)


def _url_options_of(url: str) -> tuple[str, dict[str, Any]]:
    """``url`` without the store options among its query parameters (``_REDIS_OPTIONS``), and those options."""
    base, query_text = split_query(url)
    query = parse_qsl(query_text, keep_blank_values=True)
    given: dict[str, Any] = {}
    for name, value in query:
        if name not in _REDIS_OPTIONS:
            continue
        if name in given:
            raise InvalidArgumentError("store URL", f"{name} given more than once", redacted(url))
        try:
            given[name] = _REDIS_OPTIONS[name](value)
        except ValueError as error:
            raise InvalidArgumentError("store URL", f"{name}: {error}", redacted(url)) from None
    rest = urlencode([(name, value) for name, value in query if name not in _REDIS_OPTIONS])
    # Rebuilt by hand: urlunsplit writes "unix:/path" for an empty host, which redis-py refuses.
    return (f"{base}?{rest}" if rest else base), given
