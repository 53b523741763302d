"""The coordinator: lease policy on top of a ``LeaseStore``.

Algorithm, per acquisition attempt: claim the resource if it has no entry
(one step in the store); otherwise judge the entry found: if it holds a lease
that has not expired on *this* instance's clock, the attempt fails
(contention); otherwise claim the entry with a compare-and-set against exactly
what was found. An expired or unreadable entry is thereby taken over, and
a claim that lost a race to another instance changes nothing. Between
attempts the coordinator waits on its clock following its ``Backoff``.

What it does not guarantee: a lease is a promise that expires. A holder that
pauses (GC, SIGSTOP, a slow disk) past its expiry may still believe it holds
the lock while another instance does; protected resources that must never
see two writers should check the lease's fencing token. Expiry is judged on
each instance's own wall clock: instances on several hosts should set
``max_clock_skew_ms`` to a bound on how far their clocks disagree, and another
instance's lease is then taken over only that much after its expiry.

A lease whose holder process provably no longer runs (same host; see
``liveness``) is abandoned and taken over at once, without waiting for its
expiry, unless ``detect_dead_holders`` is off.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace as with_changes

from lockspec.backoff import Backoff
from lockspec.clock import Clock, SystemClock
from lockspec.errors import InvalidArgumentError, LockTimeout
from lockspec.inspection import LeaseStatus, inspect
from lockspec.lease import Lock
from lockspec.liveness import holder_is_gone, process_identity
from lockspec.stores.file.permissions import PRIVATE, SHARED_GROUP
from lockspec.stores.file.store import FileLeaseStore
from lockspec.stores.protocol import LeaseStore, Observation
from lockspec.validation import checked_duration_ms, checked_name, checked_retries, checked_skew_ms

logger = logging.getLogger("lockspec")

DEFAULT_TTL_MS = 30_000
DEFAULT_TIMEOUT_MS = 5_000


def default_instance_id() -> str:
    """Host, process and a random suffix: unique even for two coordinators in one process."""
    return f"{socket.gethostname()}-{os.getpid()}-{os.urandom(4).hex()}"


class Coordinator:
    """One instance's view of a set of shared leases.

    Give either ``lock_dir`` (leases kept as files there, the directory
    created if missing) or a ``store``. Several coordinators, in one process
    or many, coordinate through the same directory or store; each should have
    its own ``instance_id``. A coordinator is safe to use from several
    threads.

    ``max_clock_skew_ms`` (default 0: instances on one host share one clock)
    delays taking over or cleaning up another instance's expired lease by that
    margin. ``detect_dead_holders`` (default on) takes over at once a lease
    whose holder process provably no longer runs. ``shared_group`` makes what
    is created in the lock directory usable by the owner's group, not only by
    the owner (see ``lockspec.stores.file.permissions``).
    """

    def __init__(
        self,
        lock_dir: str | os.PathLike[str] | None = None,
        instance_id: str | None = None,
        clock: Clock | None = None,
        *,
        store: LeaseStore | None = None,
        backoff: Backoff | None = None,
        max_clock_skew_ms: float = 0,
        detect_dead_holders: bool = True,
        shared_group: bool = False,
    ) -> None:
        if (lock_dir is None) == (store is None):
            raise InvalidArgumentError("lock_dir", "give either a lock directory or a store", lock_dir)
        if shared_group and store is not None:
            raise InvalidArgumentError(
                "shared_group", "applies to a lock directory; give the store its permissions", store
            )
        given_id = default_instance_id() if instance_id is None else instance_id
        self.instance_id = checked_name("instance_id", given_id, max_length=256)
        self.clock: Clock = clock or SystemClock()
        self.backoff = backoff or Backoff()
        if store is None:
            assert lock_dir is not None  # checked above: exactly one of the two is given
            store = FileLeaseStore(lock_dir, permissions=SHARED_GROUP if shared_group else PRIVATE)
        self.store: LeaseStore = store
        self.max_clock_skew_ms = checked_skew_ms("max_clock_skew_ms", max_clock_skew_ms)
        self.detect_dead_holders = bool(detect_dead_holders)
        self._host = socket.gethostname()

    def try_acquire_lock(self, resource: str, ttl_ms: float = DEFAULT_TTL_MS, max_retries: int = 0) -> Lock | None:
        """Acquire ``resource`` for ``ttl_ms``, trying up to ``max_retries + 1`` times.

        Returns the new lease, or ``None`` if every attempt found the resource
        held. Waits between attempts follow the backoff, one ``clock.sleep_ms``
        per wait. Raises ``InvalidArgumentError`` for a bad argument and
        ``LockStorageError`` when the storage fails (never ``None`` for that).
        """
        resource = checked_name("resource", resource)
        ttl = checked_duration_ms("ttl_ms", ttl_ms)
        retries = checked_retries("max_retries", max_retries)
        delays = self.backoff.delays()
        for attempt in range(retries + 1):
            if attempt:
                self.clock.sleep_ms(next(delays))
            lease, _ = self._attempt(resource, ttl)
            if lease is not None:
                return lease
        return None

    def acquire(self, resource: str, ttl_ms: float = DEFAULT_TTL_MS, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> Lock:
        """Acquire ``resource``, retrying with backoff until ``timeout_ms`` has passed on the clock.

        Raises ``LockTimeout`` naming the last holder seen when time runs out;
        the last wait is shortened so that the final attempt happens at the
        deadline.
        """
        resource = checked_name("resource", resource)
        ttl = checked_duration_ms("ttl_ms", ttl_ms)
        timeout = checked_duration_ms("timeout_ms", timeout_ms)
        deadline = self.clock.now_ms() + timeout
        delays = self.backoff.delays()
        lease, seen = self._attempt(resource, ttl)
        while lease is None:
            remaining = deadline - self.clock.now_ms()
            if remaining <= 0:
                raise LockTimeout(resource, timeout, seen.lease.owner if seen.lease else None)
            self.clock.sleep_ms(min(next(delays), remaining))
            lease, seen = self._attempt(resource, ttl)
        return lease

    @contextmanager
    def lock(
        self, resource: str, ttl_ms: float = DEFAULT_TTL_MS, timeout_ms: float = DEFAULT_TIMEOUT_MS
    ) -> Iterator[Lock]:
        """Hold ``resource`` for the duration of a ``with`` block (see ``acquire``).

        Releases on exit; a lease lost before that (it expired and another
        instance took it over) is logged as a warning.
        """
        lease = self.acquire(resource, ttl_ms, timeout_ms)
        try:
            yield lease
        finally:
            if not self.release_lock(lease):
                logger.warning("%s: lease on %r (token %d) was lost before release", *self._who(lease))

    def release_lock(self, lock: Lock) -> bool:
        """Release ``lock`` if this instance still holds that acquisition.

        Returns ``False`` and touches nothing when ``lock`` belongs to another
        instance, or its lease file no longer records this acquisition (taken
        over or cleaned up). An expired lease that nobody took over is still
        this acquisition's and is removed. Storage failures raise.
        """
        if not isinstance(lock, Lock):
            raise InvalidArgumentError("lock", "must be a Lock returned by an acquisition", lock)
        if lock.owner != self.instance_id:
            logger.info("%s: refused to release %r (token %d), held by %r", *self._who(lock), lock.owner)
            return False
        if not self.store.release(lock):
            logger.info("%s: lease on %r (token %d) is no longer ours; nothing released", *self._who(lock))
            return False
        logger.info("%s: released %r (token %d)", *self._who(lock))
        return True

    def renew_lock(self, lock: Lock, ttl_ms: float | None = None) -> Lock | None:
        """Extend ``lock`` to expire ``ttl_ms`` (default: its last TTL) from now.

        Keeps the lock id, the acquisition time and the fencing token. Returns ``None`` (touching
        nothing) when the lease was lost: it belongs to another instance, or
        its file no longer records this acquisition.
        """
        if not isinstance(lock, Lock):
            raise InvalidArgumentError("lock", "must be a Lock returned by an acquisition", lock)
        ttl = checked_duration_ms("ttl_ms", lock.ttl_ms if ttl_ms is None else ttl_ms)
        if lock.owner != self.instance_id:
            return None
        seen = self.store.observe(lock.resource)
        if seen.lease is None or seen.lease.lock_id != lock.lock_id:
            logger.warning("%s: cannot renew %r (token %d): the lease was lost", *self._who(lock))
            return None
        now = self.clock.now_ms()
        renewed = with_changes(seen.lease, expires_at_ms=now + ttl, ttl_ms=ttl)
        if not self.store.replace(seen, renewed):
            logger.warning("%s: cannot renew %r (token %d): the lease changed meanwhile", *self._who(lock))
            return None
        return renewed

    def cleanup_expired_locks(self) -> list[str]:
        """Remove every expired, abandoned or unreadable lease; return their resources.

        Expired counts once the clock skew margin has passed too; abandoned
        means its holder process provably no longer runs (unless
        ``detect_dead_holders`` is off). Valid leases are never touched, and an entry that changed after it was
        looked at (a new holder took it over) is left alone. Unreadable files
        are moved aside for inspection. A hashed entry whose file is unreadable
        is reported by its file name, the only name it has.
        """
        return [entry.resource for entry in self._clean_up(dry_run=False)]

    def cleanup(self, dry_run: bool = False) -> list[LeaseStatus]:
        """Like ``cleanup_expired_locks``, but say why each lease went (or would go)."""
        return list(self._clean_up(dry_run))

    def _clean_up(self, dry_run: bool) -> Iterator[LeaseStatus]:
        """The entries removed (or, dry, to remove), one at a time: a caller that keeps only names keeps little."""
        for seen in self.store.observe_all():
            now = self.clock.now_ms()
            if seen.lease is not None and not self._abandoned(seen.lease, now):
                continue
            entry = inspect(seen, now, self._host)
            if dry_run:
                yield entry
            elif self.store.remove(seen):
                if logger.isEnabledFor(logging.INFO):  # describing costs more than removing, unlogged
                    logger.info("%s: cleaned up %r: %s", self.instance_id, entry.resource, entry.describe())
                yield entry

    def status(self) -> list[LeaseStatus]:
        """Every entry of the lock directory (or store) with its state, by resource name."""
        now = self.clock.now_ms()
        entries = [inspect(seen, now, self._host) for seen in self.store.observe_all()]
        return sorted(entries, key=lambda entry: entry.resource)

    def break_lock(self, resource: str) -> LeaseStatus | None:
        """Remove ``resource``'s lease whatever its state; return what was removed.

        For operators clearing a lease by hand: it ignores ownership and
        expiry, so the holder, if alive, loses its lease. ``None`` when there
        was nothing to remove. Logged as a warning.
        """
        resource = checked_name("resource", resource)
        while True:
            seen = self.store.observe(resource)
            if seen.is_absent:
                return None
            entry = inspect(seen, self.clock.now_ms(), self._host)
            if self.store.remove(seen):
                logger.warning("%s: broke the lease on %r: %s", self.instance_id, resource, entry.describe())
                return entry

    def holder(self, resource: str) -> Lock | None:
        """The lease currently held on ``resource``, unless it is missing, unreadable or abandoned."""
        seen = self.store.observe(checked_name("resource", resource))
        if seen.lease is None or self._abandoned(seen.lease, self.clock.now_ms()):
            return None
        return seen.lease

    def _attempt(self, resource: str, ttl: int) -> tuple[Lock | None, Observation]:
        now = self.clock.now_ms()
        draft = Lock(
            resource,
            os.urandom(16).hex(),
            self.instance_id,
            now,
            now + ttl,
            fencing_token=0,
            ttl_ms=ttl,
            host=self._host,
            pid=os.getpid(),
            process=process_identity(),
        )
        lease, seen = self.store.claim_if_absent(draft)
        if lease is not None:
            logger.info("%s: acquired %r (token %d)", *self._who(lease))
            return lease, seen
        if seen.lease is not None and not self._abandoned(seen.lease, now):
            logger.debug(
                "%s: %r is held by %r (token %d) for %d ms more",
                self.instance_id,
                resource,
                seen.lease.owner,
                seen.lease.fencing_token,
                seen.lease.expires_at_ms - now,
            )
            return None, seen
        lease = self.store.claim(seen, draft)
        if lease is None:
            logger.debug("%s: %r changed while we looked; another instance got there first", self.instance_id, resource)
            return None, seen
        if seen.lease is not None:
            gone = not seen.lease.is_expired(now)
            logger.info(
                "%s: took over %r from %r, %s (token %d, now %d)",
                self.instance_id,
                resource,
                seen.lease.owner,
                f"whose process {seen.lease.pid} is gone"
                if gone
                else f"whose lease expired {now - seen.lease.expires_at_ms} ms ago",
                seen.lease.fencing_token,
                lease.fencing_token,
            )
        elif seen.problem is not None:
            logger.warning(
                "%s: took over %r (token %d), whose lease file was unreadable: %s",
                self.instance_id,
                resource,
                lease.fencing_token,
                seen.problem,
            )
        logger.info("%s: acquired %r (token %d)", *self._who(lease))
        return lease, seen

    def _abandoned(self, lease: Lock, now: int) -> bool:
        """Whether another instance may take ``lease`` over (or clean it up) at ``now``.

        Expired counts only once the skew margin has passed too; a dead holder
        counts at once. Ownership does not matter: an instance whose own lease
        expired competes for it like anyone else.
        """
        if now >= lease.expires_at_ms + self.max_clock_skew_ms:
            return True
        return self.detect_dead_holders and holder_is_gone(lease, self._host)

    def close(self) -> None:
        """Release the storage's resources (open guard files); leases are untouched."""
        self.store.close()

    def _who(self, lock: Lock) -> tuple[str, str, int]:
        return self.instance_id, lock.resource, lock.fencing_token
