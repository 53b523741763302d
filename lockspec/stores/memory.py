"""Leases kept in this process's memory: for unit tests of code that takes locks, and the fastest world.

Coordinators of one process share a store by naming the same space
(``lockspec.connect("memory://name")``); the space lives as long as the
process, and nothing crosses a process boundary. A space holds each lease
as the bytes every other store keeps (``lockspec.lease.encode_lease``), and
its fencing counters as decimal text, so that a test may corrupt either and
see the coordinator react exactly as it does to a damaged file or value.

Every operation takes the space's mutex for a few dictionary operations:
that is the whole critical section, so nothing waits longer than another
thread's dictionary update, and ``wait_ms`` never comes into play.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from lockspec.clock import Clock, SystemClock
from lockspec.fencing import next_fencing_token, stored_counter
from lockspec.lease import Lock, encode_lease
from lockspec.stores.entries import judge, records
from lockspec.stores.protocol import Observation, SetAside

logger = logging.getLogger("lockspec")


@dataclass(frozen=True, slots=True)
class Entry:
    """What a space holds for one resource: a lease's bytes and the serial number of the write."""

    data: bytes
    serial: int


@dataclass(frozen=True, slots=True)
class KeptAside:
    """An unreadable entry moved out of the way, with what it stood for."""

    resource: str
    at_ms: int
    data: bytes


@dataclass
class Space:
    """One named set of leases, fencing counters and set-aside entries, shared by its stores.

    ``entries`` and ``counters`` are keyed by resource; ``serial`` numbers
    every write, so that an entry rewritten with equal bytes is still seen
    as changed, as a file replaced by another is.
    """

    entries: dict[str, Entry] = field(default_factory=dict)
    counters: dict[str, bytes] = field(default_factory=dict)
    aside: dict[str, KeptAside] = field(default_factory=dict)
    mutex: threading.Lock = field(default_factory=threading.Lock)
    serial: int = 0

    def put(self, resource: str, data: bytes) -> None:
        self.serial += 1
        self.entries[resource] = Entry(data, self.serial)


_SPACES: dict[str, Space] = {}
_SPACES_MUTEX = threading.Lock()


def space_named(name: str) -> Space:
    """The space called ``name`` in this process, made when first named."""
    with _SPACES_MUTEX:
        return _SPACES.setdefault(name, Space())


def forget_space(name: str) -> None:
    """Drop the space called ``name`` and everything in it (a test's teardown)."""
    with _SPACES_MUTEX:
        _SPACES.pop(name, None)


class MemoryLeaseStore:
    """A ``LeaseStore`` over one in-process ``Space`` (by default the one named by ``name``)."""

    #: One process, one clock: its instances judge expiry on their own.
    expiry_clock: Clock | None = None

    def __init__(self, name: str = "", *, clock: Clock | None = None) -> None:
        self.name = name
        self.where = f"memory://{name}"
        self.space = space_named(name)
        self._clock: Clock = clock or SystemClock()

    def observe(self, resource: str) -> Observation:
        with self.space.mutex:
            return self._observe(resource)

    def observe_all(self) -> Iterator[Observation]:
        with self.space.mutex:
            seen = [self._observe(resource) for resource in sorted(self.space.entries)]
        yield from seen

    def claim_if_absent(self, draft: Lock, *, wait_ms: float | None = None) -> tuple[Lock | None, Observation]:
        with self.space.mutex:
            seen = self._observe(draft.resource)
            if not seen.is_absent:
                return None, seen
            return self._store(draft, 0), seen

    def claim(self, seen: Observation, draft: Lock, *, wait_ms: float | None = None) -> Lock | None:
        with self.space.mutex:
            if not self._unchanged(seen):
                return None
            if seen.problem is not None:
                self._set_aside(draft.resource, seen.problem)
            return self._store(draft, seen.lease.fencing_token if seen.lease else 0)

    def replace(self, seen: Observation, lease: Lock) -> bool:
        with self.space.mutex:
            if seen.lease is None or not self._unchanged(seen):
                return False
            self.space.put(lease.resource, encode_lease(lease))
            return True

    def remove(self, seen: Observation) -> bool:
        with self.space.mutex:
            if seen.is_absent or seen.resource is None or not self._unchanged(seen):
                return False
            if seen.problem is not None:
                self._set_aside(seen.resource, seen.problem)
            else:
                del self.space.entries[seen.resource]
            return True

    def release(self, lease: Lock) -> bool:
        with self.space.mutex:
            entry = self.space.entries.get(lease.resource)
            if entry is None or (entry.data != encode_lease(lease) and not records(entry.data, lease.lock_id)):
                return False
            del self.space.entries[lease.resource]
            return True

    def kept_aside(self) -> Iterator[SetAside]:
        with self.space.mutex:
            kept = sorted(self.space.aside.items())
        for key, entry in kept:
            problem = judge(key, entry.resource, entry.data, None).problem or "it was unreadable"
            yield SetAside(key, entry.resource, entry.at_ms, problem)

    def discard(self, entry: SetAside) -> bool:
        with self.space.mutex:
            return self.space.aside.pop(entry.key, None) is not None

    def clear_leftovers(self) -> list[str]:
        """Nothing to clear: a change to a space is never half-done."""
        return []

    def close(self) -> None:
        """Nothing to let go: the space stays for other stores that name it."""

    def _observe(self, resource: str) -> Observation:
        entry = self.space.entries.get(resource)
        if entry is None:
            return Observation(resource, resource, None, None, None)
        return judge(resource, resource, entry.data, entry.serial)

    def _unchanged(self, seen: Observation) -> bool:
        entry = self.space.entries.get(seen.key)
        return (None if entry is None else entry.serial) == seen.version

    def _store(self, draft: Lock, previous: int) -> Lock:
        where = f"{self.where} (counter of {draft.resource!r})"
        last = stored_counter(self.space.counters.get(draft.resource), where)
        lease = draft.with_token(next_fencing_token(last, previous, draft.acquired_at_ms))
        self.space.counters[draft.resource] = str(lease.fencing_token).encode("ascii")
        self.space.put(draft.resource, encode_lease(lease))
        return lease

    def _set_aside(self, resource: str, problem: str) -> None:
        entry = self.space.entries.pop(resource)
        at_ms = self._clock.now_ms()
        key = f"{resource}.{at_ms}.{os.urandom(6).hex()}"
        self.space.aside[key] = KeptAside(resource, at_ms, entry.data)
        logger.warning("set unreadable lease of %r in %s aside as %r: %s", resource, self.where, key, problem)
