"""The locks compared, behind one shape: a blocking ``acquire()`` and a ``release()``.

Every library is given the same polling granularity where it has one (1 ms,
backing off to 8 ms where it backs off), so that contended throughput compares
the locks, not their default sleep intervals. lockspec gets the equivalent
Backoff (1 ms doubling to 8 ms, half jitter).

Each library is used as its documentation shows: one lock object per lock
file for the others, one ``Coordinator`` per process (an instance) for all of
lockspec's resources.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass

import fasteners
import filelock
import flufl.lock
import portalocker

import lockspec

POLL_S = 0.001
MAX_POLL_S = 0.008
LEASE_S = 30.0


@dataclass
class Handle:
    """A blocking acquire and a release of one lock, whatever the library."""

    acquire: Callable[[], object]
    release: Callable[[], object]


@functools.cache
def _coordinator(folder: str, pid: int) -> lockspec.Coordinator:
    """One coordinator per process and lock directory: an instance serves all its resources."""
    backoff = lockspec.Backoff(base_ms=POLL_S * 1000, factor=2, cap_ms=MAX_POLL_S * 1000, jitter=0.5)
    return lockspec.connect(folder, backoff=backoff)


def _lockspec(folder: str, name: str) -> Handle:
    coordinator = _coordinator(folder, os.getpid())
    held: list[lockspec.Lock] = []

    def acquire() -> None:
        held.append(coordinator.acquire(name, ttl_ms=LEASE_S * 1000, timeout_ms=120_000))

    def release() -> None:
        coordinator.release_lock(held.pop())

    return Handle(acquire, release)


def _file_lock(folder: str, name: str) -> Handle:
    lock = filelock.FileLock(os.path.join(folder, name + ".lock"), poll_interval=POLL_S)
    return Handle(lock.acquire, lock.release)


def _soft_file_lock(folder: str, name: str) -> Handle:
    lock = filelock.SoftFileLock(os.path.join(folder, name + ".lock"), poll_interval=POLL_S)
    return Handle(lock.acquire, lock.release)


def _soft_file_lease(folder: str, name: str) -> Handle:
    lock = filelock.SoftFileLease(os.path.join(folder, name + ".lock"), lease_duration=LEASE_S, poll_interval=POLL_S)
    return Handle(lock.acquire, lock.release)


def _strict_soft_file_lock(folder: str, name: str) -> Handle:
    lock = filelock.StrictSoftFileLock(os.path.join(folder, name + ".lock"), poll_interval=POLL_S)
    return Handle(lock.acquire, lock.release)


def _flufl(folder: str, name: str) -> Handle:
    lock = flufl.lock.Lock(os.path.join(folder, name + ".lock"), lifetime=int(LEASE_S))
    return Handle(lambda: lock.lock(timeout=120), lock.unlock)


def _fasteners(folder: str, name: str) -> Handle:
    lock = fasteners.InterProcessLock(os.path.join(folder, name + ".lock"))
    return Handle(lambda: lock.acquire(delay=POLL_S, max_delay=MAX_POLL_S), lock.release)


def _portalocker(folder: str, name: str) -> Handle:
    lock = portalocker.Lock(os.path.join(folder, name + ".lock"), timeout=120, check_interval=POLL_S)
    return Handle(lock.acquire, lock.release)


#: Name shown in the report -> how to make a handle on lock ``name`` in ``folder``.
PEERS: dict[str, Callable[[str, str], Handle]] = {
    "lockspec": _lockspec,
    "filelock.FileLock": _file_lock,
    "filelock.SoftFileLock": _soft_file_lock,
    "filelock.SoftFileLease": _soft_file_lease,
    "filelock.StrictSoftFileLock": _strict_soft_file_lock,
    "flufl.lock": _flufl,
    "fasteners.InterProcessLock": _fasteners,
    "portalocker.Lock": _portalocker,
}
