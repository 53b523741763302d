"""A named instance that lives in a process of its own: the process world's instances.

``ProcessInstance`` offers the calls the steps make on a ``Coordinator`` and
forwards each to an ``instance_worker`` process over a pipe. Whatever the
call produced comes back as it would in process: the lease, the refusal,
the ``LockError`` (re-raised here), and lockspec's log records of the call
(re-logged here, so that the log steps see them). ``close`` kills the process
without releasing anything, as a crash would.
"""

from __future__ import annotations

import logging
import select
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lockspec import Backoff, CleanedUp, LeaseStatus, Lock
from lockspec.coordinator import DEFAULT_TIMEOUT_MS, DEFAULT_TTL_MS
from steps.support.frames import read_frame, write_frame
from steps.support.processes import BOUND_S, Process, start, stop

WORKER = Path(__file__).with_name("instance_worker.py")
_logger = logging.getLogger("lockspec")


class ProcessInstance:
    """The steps' handle on one instance process."""

    def __init__(
        self,
        store_url: str,
        instance_id: str | None,
        waits: list[float],
        *,
        backoff: Backoff | None,
        clock_offset_ms: float,
        max_clock_skew_ms: float,
        detect_dead_holders: bool,
        shared_group: bool,
    ) -> None:
        self._waits = waits
        self.observations = 0
        self._mutex = threading.Lock()
        self._process: Process = start([sys.executable, str(WORKER)])
        settings = {
            "store": store_url,
            "instance_id": instance_id,
            "backoff": backoff,
            "clock_offset_ms": int(clock_offset_ms),
            "max_clock_skew_ms": max_clock_skew_ms,
            "detect_dead_holders": detect_dead_holders,
            "shared_group": shared_group,
        }
        self._send(settings)
        self.instance_id: str = self._receive()

    def try_acquire_lock(self, resource: str, ttl_ms: float = DEFAULT_TTL_MS, max_retries: int = 0) -> Lock | None:
        result: Lock | None = self._call("try_acquire_lock", resource, ttl_ms=ttl_ms, max_retries=max_retries)
        return result

    def acquire(self, resource: str, ttl_ms: float = DEFAULT_TTL_MS, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> Lock:
        result: Lock = self._call("acquire", resource, ttl_ms=ttl_ms, timeout_ms=timeout_ms)
        return result

    @contextmanager
    def lock(
        self, resource: str, ttl_ms: float = DEFAULT_TTL_MS, timeout_ms: float = DEFAULT_TIMEOUT_MS
    ) -> Iterator[Lock]:
        lease = self.acquire(resource, ttl_ms, timeout_ms)
        try:
            yield lease
        finally:
            self.release_lock(lease)

    def release_lock(self, lock: Lock) -> bool:
        result: bool = self._call("release_lock", lock)
        return result

    def renew_lock(self, lock: Lock, ttl_ms: float | None = None) -> Lock | None:
        result: Lock | None = self._call("renew_lock", lock, ttl_ms)
        return result

    def cleanup_expired_locks(self) -> list[str]:
        result: list[str] = self._call("cleanup_expired_locks")
        return result

    def cleanup(self, dry_run: bool = False) -> list[CleanedUp]:
        result: list[CleanedUp] = self._call("cleanup", dry_run)
        return result

    def holder(self, resource: str) -> Lock | None:
        result: Lock | None = self._call("holder", resource)
        return result

    def status(self) -> list[LeaseStatus]:
        result: list[LeaseStatus] = self._call("status")
        return result

    def close(self) -> None:
        """End the process at once, releasing nothing: a crash."""
        stop(self._process)

    def _call(self, method: str, *args: object, **kwargs: object) -> Any:
        with self._mutex:
            self._send((method, args, kwargs))
            outcome, value, logs, waits, observations = self._receive()
        for level, message in logs:
            _logger.log(level, "%s", message)
        self._waits.extend(waits)
        self.observations = observations
        if outcome == "error":
            raise value
        return value

    def _send(self, value: object) -> None:
        assert self._process.stdin is not None
        write_frame(self._process.stdin, value)

    def _receive(self) -> Any:
        out = self._process.stdout
        assert out is not None
        ready, _, _ = select.select([out], [], [], BOUND_S)
        answer = read_frame(out) if ready else None
        if answer is None:
            err = stop(self._process)
            raise AssertionError(f"instance process {self._process.pid} did not answer: {err}")
        return answer
