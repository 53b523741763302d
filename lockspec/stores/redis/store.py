"""Leases kept on a Redis (or Valkey) server shared by the instances.

Each lease is one string key holding exactly the bytes of ``encode_lease``,
with a fencing counter and set-aside entries beside it (see ``keys`` for the
layout). Every change is one Lua script (see ``scripts``): it compares the
entry with what the caller observed and changes it in the same atomic step,
and the claims issue their fencing token there too, so an uncontended
acquisition or a release costs one round trip.

Expiry is the coordinator's policy, judged on its clock from the lease's
content, exactly as for lease files; with ``server_clock``, that clock is
the server's (``lockspec.clock.ServerClock``): every script's reply carries
the server's time, and instances whose own clocks disagree stamp, judge and
issue tokens alike. The server's own expiry (``PX``) is
only a safety net, ``safety_net_ms`` past the lease's TTL, so that the keys
of holders that crashed do not pile up; it never decides who holds a lease.
A fencing counter is given the same safety net: once it is gone, tokens
continue from the clock (``lockspec.fencing``), as after a server restart
without persistence.

What it assumes: one server (or a cluster's primaries) that keeps what it
acknowledged. A server that restarts without persistence loses every lease,
and a replica promoted after missing a write may hand a held resource to a
second instance; tokens still increase if the clocks moved on meanwhile.
Without persistence or ``replicas`` (``WAIT``), a lease here is a good hint,
not a proof.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import redis
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.connection import URL_QUERY_ARGUMENT_PARSERS
from redis.exceptions import NoScriptError, RedisError
from redis.retry import Retry

from lockspec.clock import Clock, ServerClock, SystemClock
from lockspec.errors import InvalidArgumentError, LockStorageError
from lockspec.fencing import TOKENS_PER_MS
from lockspec.lease import LEASE_FORMAT, Lock, encode_lease
from lockspec.stores.entries import judge
from lockspec.stores.protocol import Observation, SetAside
from lockspec.stores.redis import scripts
from lockspec.stores.redis.keys import (
    checked_namespace,
    fence_key,
    lease_key,
    lease_pattern,
    released_key,
    resource_of_lease_key,
    set_aside_key,
    set_aside_of,
    set_aside_pattern,
)
from lockspec.urls import redacted, split_query
from lockspec.validation import checked_count, checked_duration_ms

logger = logging.getLogger("lockspec")

#: How long the server keeps a lease past its TTL before dropping it as a crashed holder's.
DEFAULT_SAFETY_NET_MS = 24 * 60 * 60 * 1000
#: How long one command waits for the server, connecting or answering.
DEFAULT_TIMEOUT_MS = 2000
#: Keys asked for per SCAN step and read per round trip when walking the namespace.
_BATCH = 500
#: The token's field as ``encode_lease`` writes it, up to the digits.
_TOKEN_FIELD = b'"fencing_token":'

#: The query parameters redis-py reads from a URL (lockspec.connect takes its own off before), but the
#: timeouts: ``timeout_ms`` sets them, and a URL's would silently win over it.
_QUERY_PARAMETERS = (frozenset(URL_QUERY_ARGUMENT_PARSERS) | {"db", "username", "password"}) - {
    "socket_timeout",
    "socket_connect_timeout",
}

#: How long a release is remembered, for a release retried after its reply was lost to recognise it.
_REMEMBER_RELEASE_MS = 60_000

#: How long a grant or a renewal waits for ``replicas`` replicas to acknowledge it.
DEFAULT_REPLICAS_TIMEOUT_MS = 500
#: More replicas than this is a typo: WAIT counts the replicas of one primary.
MAX_REPLICAS = 100
#: How much longer than a WAIT the socket must wait for its answer.
_WAIT_MARGIN_MS = 1000


class TooFewReplicas(Exception):
    """Fewer replicas than asked acknowledged a write in time: the cause of the ``LockStorageError`` raised."""


_Result = TypeVar("_Result")
#: What the scripts take as arguments.
_Argument = bytes | str | int


class RedisLeaseStore:
    """A ``LeaseStore`` on the Redis server ``client`` talks to, in the keys of ``namespace``.

    ``client`` must return bytes (``decode_responses`` off). ``where`` names
    the server in errors and the status (by default its address, without a
    password); ``clock`` dates what is set aside (the coordinator passes its
    own); ``safety_net_ms`` is how long past a lease's TTL the server keeps
    it. The client's own timeouts bound every wait for the server.
    ``server_clock`` has every instance on this store judge expiry, stamp
    leases and issue tokens on the server's clock (its ``TIME``, read by each
    script) rather than on ``clock``, which then only measures time between
    replies: for instances whose clocks disagree by more than a TTL allows.
    It needs Redis 5 or later (or Valkey), and every instance of a namespace
    should use it alike.

    ``replicas`` (default 0) grants a lease, or renews it, only once that
    many replicas acknowledged the write (``WAIT``, one more round trip),
    within ``replicas_timeout_ms``: a failover to one of them then keeps the
    lease. Otherwise a claim is undone (the lease released) and a renewal
    reported, both as a ``LockStorageError`` whose cause is
    ``TooFewReplicas``; the keep-alive retries a renewal until the lease
    expires. In this mode every command goes over one connection, the one
    WAIT counts the writes of. The client's socket timeout must exceed
    ``replicas_timeout_ms`` by a second (``from_url`` checks it).

    A claim, a renewal or a release whose connection broke is retried once,
    at once: the reply may be what was lost. A retried claim recognises the
    lease it stored by its lock id, a retried renewal the bytes it wrote, a
    retried release its own release by the lock id the release script
    remembers for a minute. A read is retried too. A removal (cleanup) is
    not: its retry could not tell its own removal from another's, and the
    next cleanup finds what is left. A timeout is never retried: the server
    may be stalled, and a retry would double the wait. The claims'
    ``wait_ms`` decides only whether that retry is made: a round trip cannot
    be cut short, so a claim may run past the caller's deadline by up to the
    client's timeout.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        namespace: str = "lockspec",
        clock: Clock | None = None,
        where: str | None = None,
        safety_net_ms: float = DEFAULT_SAFETY_NET_MS,
        server_clock: bool = False,
        replicas: int = 0,
        replicas_timeout_ms: float = DEFAULT_REPLICAS_TIMEOUT_MS,
    ) -> None:
        if client.get_encoder().decode_responses:
            raise InvalidArgumentError("client", "must return bytes: leases are compared byte for byte", client)
        if where is not None and (not isinstance(where, str) or not where):
            raise InvalidArgumentError("where", "must be a non-empty string naming the server", where)
        if not isinstance(server_clock, bool):
            raise InvalidArgumentError("server_clock", "must be True or False", server_clock)
        self.namespace = checked_namespace(namespace)
        self.where = where or _address_of(client)
        self.safety_net_ms = checked_duration_ms("safety_net_ms", safety_net_ms)
        self.replicas = checked_count("replicas", replicas, maximum=MAX_REPLICAS)
        self.replicas_timeout_ms = checked_duration_ms("replicas_timeout_ms", replicas_timeout_ms)
        if self.replicas:
            # WAIT counts the writes of the connection it runs on: every command goes through one.
            client = redis.Redis(connection_pool=client.connection_pool, single_connection_client=True)
        self._client = client
        local = clock or SystemClock()
        self.expiry_clock = ServerClock(local, self._server_time) if server_clock else None
        self._clock: Clock = self.expiry_clock or local

        def register(script: str) -> Script:
            return client.register_script(scripts.timed(script) if server_clock else script)

        self._claim_if_absent = register(scripts.CLAIM_IF_ABSENT)
        self._claim = register(scripts.CLAIM)
        self._replace = register(scripts.REPLACE)
        self._remove = register(scripts.REMOVE)
        self._release = register(scripts.RELEASE)
        self._observe = register(scripts.OBSERVE)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        namespace: str = "lockspec",
        clock: Clock | None = None,
        timeout_ms: float = DEFAULT_TIMEOUT_MS,
        safety_net_ms: float = DEFAULT_SAFETY_NET_MS,
        server_clock: bool = False,
        replicas: int = 0,
        replicas_timeout_ms: float = DEFAULT_REPLICAS_TIMEOUT_MS,
    ) -> RedisLeaseStore:
        """A store on the server ``url`` names (``redis://``, ``rediss://`` or ``unix://``, as redis-py reads it).

        ``timeout_ms`` bounds connecting and every command, and must exceed
        ``replicas_timeout_ms`` when ``replicas`` are waited for. redis-py's
        own retries are off: a server that does not answer is reported, not
        waited for again and again.
        """
        if not isinstance(url, str) or not url:
            raise InvalidArgumentError("url", "must be a redis://, rediss:// or unix:// URL", url)
        where = redacted(url)
        names = {name for name, _ in parse_qsl(split_query(url)[1])}
        unknown = sorted(names - _QUERY_PARAMETERS)
        if unknown:
            # redis-py would pass them on to its connections, which fail on first use with a TypeError.
            known = ", ".join(sorted(_QUERY_PARAMETERS))
            raise InvalidArgumentError("url", f"unknown parameter {', '.join(unknown)} (known: {known})", where)
        tls_only = sorted(name for name in names if name.startswith("ssl_"))
        if tls_only and not url.startswith("rediss://"):
            # The same TypeError on first use: only a TLS connection takes them.
            raise InvalidArgumentError("url", f"{', '.join(tls_only)} applies only to rediss:// (TLS) URLs", where)
        timeout = checked_duration_ms("timeout_ms", timeout_ms)
        if replicas and checked_duration_ms("replicas_timeout_ms", replicas_timeout_ms) + _WAIT_MARGIN_MS > timeout:
            # WAIT may outlast its own timeout by the server's 100 ms tick: the socket must wait longer still.
            raise InvalidArgumentError(
                "replicas_timeout_ms",
                f"must be at least 1 s shorter than timeout_ms ({timeout} ms)",
                replicas_timeout_ms,
            )
        timeout_s = timeout / 1000
        try:
            client = redis.Redis.from_url(
                url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0)
            )
        except ValueError as error:
            # redis-py's message quotes the part it could not read, which may be a password.
            reason = str(error) if where == url else "redis-py cannot read it (its reason may quote the password)"
            raise InvalidArgumentError("url", reason, where) from None
        return cls(
            client,
            namespace=namespace,
            clock=clock,
            where=where,
            safety_net_ms=safety_net_ms,
            server_clock=server_clock,
            replicas=replicas,
            replicas_timeout_ms=replicas_timeout_ms,
        )

    def observe(self, resource: str) -> Observation:
        key = lease_key(self.namespace, resource)
        reply = self._call("read lease on", lambda: self._learned(self._observe(keys=[key])), again_if_broken=True)
        return self._judge(key, resource, reply)

    def observe_all(self) -> Iterator[Observation]:
        for key, reply in self._read_all(lease_pattern(self.namespace), "list leases on"):
            resource = resource_of_lease_key(self.namespace, key)
            if resource is None:
                continue
            seen = self._judge(key, resource, reply)
            if not seen.is_absent:
                yield seen

    def claim_if_absent(self, draft: Lock, *, wait_ms: float | None = None) -> tuple[Lock | None, Observation]:
        """See ``LeaseStore``; ``wait_ms`` decides whether a claim whose connection broke is retried."""
        key = lease_key(self.namespace, draft.resource)
        keys = [key, fence_key(self.namespace, draft.resource)]
        args = self._issuing(draft)
        reply = self._claiming(wait_ms, lambda: self._learned(self._claim_if_absent(keys=keys, args=args)))
        absent = Observation(key, draft.resource, None, None, None)
        if reply[0] == b"granted":
            return self._replicated(self._granted(draft, keys[1], reply)), absent
        seen = self._judge(key, draft.resource, [reply[1]] if reply[0] == b"present" else [None, reply[1]])
        if seen.lease is not None and seen.lease.lock_id == draft.lock_id:
            # Stored by the attempt whose reply was lost, on a connection now gone: wait for a write of this one.
            return self._replicated(seen.lease, rewrite=True), absent
        return None, seen

    def claim(self, seen: Observation, draft: Lock, *, wait_ms: float | None = None) -> Lock | None:
        """See ``LeaseStore``; ``wait_ms`` decides whether a claim whose connection broke is retried."""
        kind, compared = _described(seen)
        keys = [seen.key, fence_key(self.namespace, draft.resource)]
        if seen.problem is not None:
            keys.append(set_aside_key(seen.key, self._clock.now_ms()))
        previous = seen.lease.fencing_token if seen.lease is not None else 0
        args: list[_Argument] = [*self._issuing(draft), kind, compared, str(previous)]
        reply = self._claiming(wait_ms, lambda: self._learned(self._claim(keys=keys, args=args)))
        if reply[0] == b"granted":
            if seen.problem is not None:
                logger.warning(
                    "set unreadable lease %s on %s aside as %s: %s", seen.key, self.where, keys[2], seen.problem
                )
            return self._replicated(self._granted(draft, keys[1], reply))
        if len(reply) == 1:  # absent, or not a string: not the lease a lost reply would have granted
            return None
        now = self._judge(seen.key, draft.resource, [reply[1]])
        if now.lease is None or now.lease.lock_id != draft.lock_id:
            return None
        return self._replicated(now.lease, rewrite=True)  # stored by the attempt whose reply was lost

    def replace(self, seen: Observation, lease: Lock) -> bool:
        if seen.lease is None or not isinstance(seen.version, bytes):
            return False
        args: list[_Argument] = [seen.version, encode_lease(lease), self._expiry_px(lease)]

        def renew() -> Any:
            return self._learned(self._replace(keys=[seen.key], args=args))

        if not self._call("renew lease on", renew, again_if_broken=True):  # a retry recognises its own renewal
            return False
        self._replicated(lease, undo=False)
        return True

    def remove(self, seen: Observation) -> bool:
        if seen.is_absent:
            return False
        described: list[_Argument] = list(_described(seen))
        aside = set_aside_key(seen.key, self._clock.now_ms())
        removed = bool(
            self._call("remove lease on", lambda: self._learned(self._remove(keys=[seen.key, aside], args=described)))
        )
        if removed and seen.problem is not None:
            logger.warning("set unreadable lease %s on %s aside as %s: %s", seen.key, self.where, aside, seen.problem)
        return removed

    def release(self, lease: Lock) -> bool:
        """See ``LeaseStore``; a release whose connection broke is made once more, and recognised if it was done."""
        keys = [lease_key(self.namespace, lease.resource), released_key(self.namespace, lease.resource)]
        args: list[_Argument] = [encode_lease(lease), lease.lock_id, LEASE_FORMAT, _REMEMBER_RELEASE_MS, "first"]
        try:
            return bool(self._learned(self._release(keys=keys, args=args)))
        except redis.ConnectionError:
            again = [*args[:-1], "again"]
            return bool(self._call("release lease on", lambda: self._learned(self._release(keys=keys, args=again))))
        except (RedisError, OSError) as error:
            raise LockStorageError("release lease on", self.where, error) from error

    def kept_aside(self) -> Iterator[SetAside]:
        for key, reply in self._read_all(set_aside_pattern(self.namespace), "list unreadable leases set aside on"):
            named = set_aside_of(self.namespace, key)
            if named is None or reply == [None]:  # not lockspec's, or purged since it was listed
                continue
            resource, at_ms = named
            problem = self._judge(key, resource, reply).problem or "it was unreadable"
            yield SetAside(key, resource, at_ms, problem)

    def discard(self, entry: SetAside) -> bool:
        return bool(self._call("purge unreadable lease on", lambda: self._client.delete(entry.key)))

    def clear_leftovers(self) -> list[str]:
        """Nothing to clear: every change is one script, which the server runs whole or not at all."""
        return []

    def close(self) -> None:
        """Close the client's connections; the leases stay on the server."""
        self._client.close()

    def _call(self, action: str, command: Callable[[], _Result], *, again_if_broken: bool = False) -> _Result:
        """``command()``, any failure of the client or the server raised as a ``LockStorageError`` naming the server.

        ``again_if_broken`` runs ``command`` once more on a new connection if
        the first one broke (after a server restart every pooled connection
        is dead): for reads, which change nothing if made twice.
        """
        try:
            return command()
        except redis.ConnectionError as error:
            if not again_if_broken:
                raise LockStorageError(action, self.where, error) from error
            return self._call(action, command)
        except (RedisError, OSError) as error:
            raise LockStorageError(action, self.where, error) from error

    def _replicated(self, lease: Lock, *, undo: bool = True, rewrite: bool = False) -> Lock:
        """``lease``, just written, once ``replicas`` replicas acknowledged it; else undo a claim and raise.

        ``rewrite`` first sets the lease's server expiry again: a lease the
        store recognised as its own after a lost reply was written on a
        connection since replaced, and WAIT counts only this one's writes.
        A claim is undone when WAIT fails too: its caller is told it failed.
        """
        if not self.replicas:
            return lease
        action = "replicate lease on"
        key = lease_key(self.namespace, lease.resource)

        def wait() -> int:
            if rewrite:
                self._client.pexpire(key, self._expiry_px(lease))
            acknowledged: int = self._client.wait(self.replicas, self.replicas_timeout_ms)
            return acknowledged

        try:
            acknowledged = self._call(action, wait)
        except LockStorageError:
            if undo:
                self._undo(lease)
            raise
        if acknowledged >= self.replicas:
            return lease
        if undo:
            self._undo(lease)
        shortfall = f"{acknowledged} of {self.replicas} replicas acknowledged it within {self.replicas_timeout_ms} ms"
        raise LockStorageError(action, self.where, TooFewReplicas(shortfall))

    def _undo(self, lease: Lock) -> None:
        """Release a claim its caller is told failed, so that it keeps the resource from nobody; else say so."""
        try:
            self.release(lease)
        except LockStorageError as error:
            logger.warning(
                "could not undo the claim of %r on %s; it ends with its TTL: %s", lease.resource, self.where, error
            )

    def _learned(self, reply: Any) -> Any:
        """A script's reply; with ``server_clock``, the server's time it carries goes to ``expiry_clock`` first."""
        if self.expiry_clock is None:
            return reply
        now, result = reply
        self.expiry_clock.learn(_epoch_ms(now))
        return result

    def _server_time(self) -> int:
        """The server's clock in epoch milliseconds (``TIME``): one round trip, made before anything was learned."""
        return _epoch_ms(self._call("read the time on", self._client.time, again_if_broken=True))

    def _claiming(self, wait_ms: float | None, command: Callable[[], Any]) -> list[Any]:
        """Run a claim's script, once more if its connection broke and ``wait_ms`` has not run out."""
        started_ms = self._clock.now_ms()
        try:
            reply: list[Any] = command()
        except redis.ConnectionError as error:
            if wait_ms is not None and self._clock.now_ms() - started_ms >= wait_ms:
                raise LockStorageError("claim lease on", self.where, error) from error
            # The reply may be what was lost: the retry then finds the lease by its lock id.
            reply = self._call("claim lease on", command)
        except (RedisError, OSError) as error:
            raise LockStorageError("claim lease on", self.where, error) from error
        return reply

    def _issuing(self, draft: Lock) -> list[_Argument]:
        """The arguments of ``scripts``' ``issue`` that store ``draft`` with the token it issues.

        The draft is encoded around a placeholder token that the script
        replaces with the token's digits, so the stored bytes are exactly
        ``encode_lease`` of the lease returned. The clock's bounds are
        clamped at 0 like tokens, which changes nothing in the rule.
        """
        encoded = encode_lease(draft.with_token(0))
        # No string field can hold the token's field: JSON escapes every quote inside a string.
        digits_at = encoded.index(_TOKEN_FIELD + b"0,") + len(_TOKEN_FIELD)
        now_ms = max(draft.acquired_at_ms, 0)
        return [
            encoded[:digits_at],
            encoded[digits_at + 1 :],
            now_ms * TOKENS_PER_MS,
            (now_ms + 1) * TOKENS_PER_MS,
            self._expiry_px(draft),
        ]

    def _expiry_px(self, lease: Lock) -> int:
        """The server's expiry for ``lease`` as it is written: its TTL from now, plus the safety net.

        A lease's TTL is measured from when it was acquired or last renewed,
        which is when it is written.
        """
        return lease.ttl_ms + self.safety_net_ms

    def _granted(self, draft: Lock, fence: str, reply: Sequence[Any]) -> Lock:
        """The lease a claim's script stored; warns, as ``lockspec.fencing`` does, of an unreadable counter."""
        if len(reply) > 2:
            logger.warning(
                "the fencing counter %s on %s was unreadable (%r); tokens continue from the clock",
                fence,
                self.where,
                reply[2],
            )
        return draft.with_token(int(reply[1]))

    def _judge(self, key: str, resource: str | None, reply: Sequence[Any]) -> Observation:
        """The observation of what a key holds, as ``OBSERVE`` replies: {value}, {nil} or {nil, type}."""
        if reply[0] is not None:
            data: bytes = reply[0]
            return judge(key, resource, data, data)
        if len(reply) == 1:
            return Observation(key, resource, None, None, None)
        kind = reply[1].decode()
        return Observation(key, resource, None, f"it is a Redis {kind}, not a string", ("type", kind))

    def _read_all(self, pattern: str, action: str) -> Iterator[tuple[str, list[Any]]]:
        """Every key matching ``pattern``, once each and sorted, with what it holds (``OBSERVE``'s reply).

        SCAN, never KEYS: it does not stall the server on a large database,
        but may return a key twice or miss one changed meanwhile, which a
        walk for cleanup and inspection can afford.
        """

        def listed() -> list[str]:
            found = {key.decode("utf-8", "replace") for key in self._client.scan_iter(match=pattern, count=_BATCH)}
            return sorted(found)

        keys = self._call(action, listed, again_if_broken=True)
        for start in range(0, len(keys), _BATCH):
            batch = keys[start : start + _BATCH]

            def read(batch: list[str] = batch) -> list[Any]:
                try:
                    return self._observed(batch)
                except NoScriptError:  # the server lost its scripts (a restart): load it, as a script's call does
                    self._client.script_load(self._observe.script)
                    return self._observed(batch)

            replies = self._call(action, read, again_if_broken=True)
            yield from zip(batch, map(self._learned, replies), strict=True)

    def _observed(self, keys: list[str]) -> list[Any]:
        """``OBSERVE``'s reply for each of ``keys``, in one round trip.

        By hash: a pipeline of script calls would first ask ``SCRIPT
        EXISTS``, one round trip more for every batch.
        """
        pipeline = self._client.pipeline(transaction=False)
        for key in keys:
            pipeline.evalsha(self._observe.sha, 1, key)
        replies: list[Any] = pipeline.execute()
        return replies


def _epoch_ms(time: Sequence[Any]) -> int:
    """The server's ``TIME`` (seconds and microseconds, as numbers or their digits) in epoch milliseconds."""
    seconds, microseconds = time
    return int(seconds) * 1000 + int(microseconds) // 1000


def _described(seen: Observation) -> tuple[str, bytes | str]:
    """How ``scripts`` are told what was observed: a kind, and the bytes or the Redis type seen."""
    version = seen.version
    if isinstance(version, bytes):
        return ("lease" if seen.lease is not None else "unreadable"), version
    if isinstance(version, tuple):
        return "wrongtype", str(version[1])
    return "absent", b""


def _address_of(client: redis.Redis) -> str:
    """The server ``client`` talks to, as a URL without credentials."""
    options = client.get_connection_kwargs()
    if "path" in options:
        return f"unix://{options['path']}"
    scheme = "rediss" if issubclass(client.connection_pool.connection_class, redis.SSLConnection) else "redis"
    host = str(options.get("host", "localhost"))
    bracketed = f"[{host}]" if ":" in host else host
    return f"{scheme}://{bracketed}:{options.get('port', 6379)}/{options.get('db', 0)}"
