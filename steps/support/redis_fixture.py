"""The Redis world's store fixture: a key namespace of the scenario's own on the run's private server.

Imported only in that world (``behave -D store=redis``): redis-py is not
among the specification's own requirements.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import redis

from lockspec import Clock, LeaseStore
from lockspec.connect import open_store
from lockspec.stores.file.filesystem import FileSystem
from lockspec.stores.redis import scripts
from lockspec.stores.redis.keys import fence_key, is_fence_key, lease_key, set_aside_of, set_aside_pattern
from steps.support.stores import StoreFixture


class RedisFixture:
    """A key namespace of its own for the scenario, on the run's private Redis server."""

    kind = "redis"
    shared_across_processes = True

    def __init__(
        self, server_url: str, namespace: str, *, owner: bool = True, options: dict[str, Any] | None = None
    ) -> None:
        self.server_url = server_url
        self.namespace = namespace
        self.client = redis.Redis.from_url(server_url)
        #: Whether closing empties the namespace (a view that another fixture made leaves that to it).
        self.owner = owner
        #: The Redis store's options (``server_clock``, ``replicas``, ...) for the instances opened on it.
        self.options = options or {}

    def url(self) -> str:
        parameters = {"namespace": self.namespace, **self.options}
        query = urlencode({name: _in_url(value) for name, value in parameters.items()})
        return f"{self.server_url}{'&' if '?' in self.server_url else '?'}{query}"

    def open(self, clock: Clock, *, files: FileSystem | None = None, shared_group: bool = False) -> LeaseStore:
        # By its URL, options and all, as a user names it: what the URL says is what the instance gets.
        return open_store(self.url(), clock=clock)

    def plant(self, resource: str, data: bytes) -> None:
        self.client.set(lease_key(self.namespace, resource), data)

    def plant_hash(self, resource: str) -> None:
        """Put a Redis hash where ``resource``'s lease belongs, as another program sharing the server might."""
        key = lease_key(self.namespace, resource)
        self.client.delete(key)
        self.client.hset(key, "owner", "another program's data")

    def set_counter(self, resource: str, data: bytes) -> None:
        """Overwrite the fencing counter of ``resource`` with ``data``."""
        self.client.set(fence_key(self.namespace, resource), data)

    def drop_connections(self) -> None:
        """Have the server close every other client's connection, as a restart or a network cut would."""
        self.client.client_kill_filter(_type="normal", skipme=True)

    def stored(self, resource: str) -> bytes | None:
        return self._value(lease_key(self.namespace, resource).encode())

    def set_aside(self) -> list[bytes]:
        keys = sorted(self.client.scan_iter(match=set_aside_pattern(self.namespace)), key=self._set_aside_at)
        return [value for value in map(self._value, keys) if value is not None]

    def snapshot(self) -> dict[str, bytes | None]:
        found: dict[str, bytes | None] = {}
        for key in self.client.scan_iter(match=f"{self.namespace}:*"):
            if not is_fence_key(key.decode()):
                found[key.decode()] = self._value(key)
        return dict(sorted(found.items()))

    def lose_counters(self) -> None:
        for key in self._fence_keys():
            self.client.delete(key)

    def corrupt_counters(self) -> None:
        for key in self._fence_keys():
            self.client.set(key, b"#garbage!#")

    def load_scripts(self) -> None:
        """Load every script of the store on the server, as its first use would."""
        for script in (scripts.CLAIM_IF_ABSENT, scripts.CLAIM, scripts.REPLACE, scripts.REMOVE, scripts.RELEASE):
            self.client.script_load(script)
        self.client.script_load(scripts.OBSERVE)

    def configured(self, **options: Any) -> RedisFixture:
        """The same namespace, for instances whose store takes ``options`` (``server_clock=True``, ...)."""
        return RedisFixture(self.server_url, self.namespace, owner=False, options={**self.options, **options})

    def lifetime_ms(self, resource: str) -> int:
        """How long the server keeps the lease key of ``resource`` (PTTL; negative: no such key, or no expiry)."""
        return int(self.client.pttl(lease_key(self.namespace, resource)))

    def server_time_ms(self) -> int:
        """The server's clock (``TIME``), in epoch milliseconds."""
        seconds, microseconds = self.client.time()
        return seconds * 1000 + microseconds // 1000

    def through(self, url: str) -> RedisFixture:
        """The same namespace, reached at ``url`` (a relay in front of the server)."""
        return RedisFixture(url, self.namespace, owner=False, options=self.options)

    def sibling(self, name: str) -> StoreFixture:
        return RedisFixture(self.server_url, f"{self.namespace}-{name}")

    def close(self) -> None:
        if self.owner:
            for key in self.client.scan_iter(match=f"{self.namespace}:*"):
                self.client.delete(key)
        self.client.close()

    def _fence_keys(self) -> list[bytes]:
        return [key for key in self.client.scan_iter(match=f"{self.namespace}:*") if is_fence_key(key.decode())]

    def _set_aside_at(self, key: bytes) -> int:
        named = set_aside_of(self.namespace, key.decode())
        assert named is not None, f"{key!r} matched the set-aside pattern but is no set-aside key"
        return named[1]

    def _value(self, key: bytes) -> bytes | None:
        """The bytes at ``key``; for a key of another type, its type in angle brackets (``<hash>``)."""
        kind: Any = self.client.type(key)
        if kind == b"none":
            return None
        if kind != b"string":
            return b"<" + bytes(kind) + b">"
        value: Any = self.client.get(key)
        return bytes(value)


def _in_url(value: object) -> str:
    """An option's value as ``lockspec.connect`` reads it from a URL."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
