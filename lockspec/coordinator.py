"""The coordinator: lease policy on top of a ``LeaseStore``.

Algorithm, per acquisition attempt: claim the resource if it has no entry
(one step in the store); otherwise judge the entry found: if it holds a lease
that ``Policy`` still respects on *this* instance's clock, the attempt fails
(contention); otherwise claim the entry with a compare-and-set against exactly
what was found. An expired, abandoned or unreadable entry is thereby taken
over, and a claim that lost a race to another instance changes nothing.
Between attempts the coordinator waits on its clock following its ``Backoff``.

What it does not guarantee: a lease is a promise that expires. A holder that
pauses (GC, SIGSTOP, a slow disk) past its expiry may still believe it holds
the lock while another instance does; protected resources that must never
see two writers should check the lease's fencing token. Expiry is judged on
each instance's own wall clock: instances on several hosts should set
``max_clock_skew_ms`` to a bound on how far their clocks disagree, and another
instance's lease is then taken over only that much after its expiry.

A lease whose holder process provably no longer runs (same host; see
``liveness``) is abandoned and taken over at once, without waiting for its
expiry, unless ``detect_dead_holders`` is off. A lease names the process that
acquired or last renewed it.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace as with_changes

from lockspec.backoff import Backoff
from lockspec.clock import Clock, SystemClock
from lockspec.errors import InvalidArgumentError, LockLost, LockTimeout
from lockspec.inspection import CleanedUp, CleanupAction, LeaseStatus, status_of, status_of_set_aside
from lockspec.keepalive import KeepAlive
from lockspec.lease import Lock
from lockspec.liveness import process_identity
from lockspec.policy import DEFAULT_KEEP_SET_ASIDE_MS, LeaseState, Policy
from lockspec.stores.protocol import LeaseStore, Observation
from lockspec.validation import (
    MAX_KEEP_SET_ASIDE_MS,
    checked_count,
    checked_duration_ms,
    checked_name,
    checked_skew_ms,
)

logger = logging.getLogger("lockspec")

DEFAULT_TTL_MS = 30_000
DEFAULT_TIMEOUT_MS = 5_000


def default_instance_id() -> str:
    """Host, process and a random suffix: unique even for two coordinators in one process."""
    return f"{socket.gethostname()}-{os.getpid()}-{os.urandom(4).hex()}"


class Coordinator:
    """One instance's view of a set of shared leases.

    Coordinators in one process or many coordinate through one ``store``
    (see ``lockspec.connect`` to open one from a URL or a lock directory);
    each should have its own ``instance_id``. A coordinator is safe to use
    from several threads, and a forked child may go on using its parent's.

    ``max_clock_skew_ms`` (default 0: instances on one host share one clock)
    delays taking over or cleaning up another instance's expired lease by that
    margin. ``detect_dead_holders`` (default on) takes over at once a lease
    whose holder process provably no longer runs. ``keep_set_aside_ms``
    (default a week) is how long cleanup keeps what was set aside as
    unreadable. A store with an ``expiry_clock`` of its own (a Redis server's
    time) sets the clock: ``clock`` is then unused, and the store's own
    clock follows the one the store was given.
    """

    def __init__(
        self,
        store: LeaseStore,
        instance_id: str | None = None,
        clock: Clock | None = None,
        *,
        backoff: Backoff | None = None,
        max_clock_skew_ms: float = 0,
        detect_dead_holders: bool = True,
        keep_set_aside_ms: float = DEFAULT_KEEP_SET_ASIDE_MS,
    ) -> None:
        if isinstance(store, (str, os.PathLike)) or not hasattr(store, "claim_if_absent"):
            # The coordinator took a lock directory before it knew other stores: point the way.
            raise InvalidArgumentError(
                "store", "a LeaseStore is needed; open one from a path or URL with lockspec.connect", store
            )
        given_id = default_instance_id() if instance_id is None else instance_id
        self.instance_id = checked_name("instance_id", given_id, max_length=256)
        # A store that keeps time judges on its clock, which it built on the one it was given.
        # getattr: a store written before stores could keep time has no expiry_clock, and needs none.
        self.clock: Clock = getattr(store, "expiry_clock", None) or clock or SystemClock()
        self.backoff = backoff or Backoff()
        self.policy = Policy(
            host=socket.gethostname(),
            max_clock_skew_ms=checked_skew_ms("max_clock_skew_ms", max_clock_skew_ms),
            detect_dead_holders=bool(detect_dead_holders),
            keep_set_aside_ms=checked_duration_ms(
                "keep_set_aside_ms", keep_set_aside_ms, maximum=MAX_KEEP_SET_ASIDE_MS
            ),
        )
        self.store: LeaseStore = store

    @property
    def max_clock_skew_ms(self) -> int:
        return self.policy.max_clock_skew_ms

    @property
    def detect_dead_holders(self) -> bool:
        return self.policy.detect_dead_holders

    def try_acquire_lock(self, resource: str, ttl_ms: float = DEFAULT_TTL_MS, max_retries: int = 0) -> Lock | None:
        """Acquire ``resource`` for ``ttl_ms``, trying up to ``max_retries + 1`` times.

        Returns the new lease, or ``None`` if every attempt found the resource
        held. Waits between attempts follow the backoff, one ``clock.sleep_ms``
        per wait. Raises ``InvalidArgumentError`` for a bad argument and
        ``LockStorageError`` when the storage fails (never ``None`` for that).
        """
        resource = checked_name("resource", resource)
        ttl = checked_duration_ms("ttl_ms", ttl_ms)
        retries = checked_count("max_retries", max_retries)
        delays = self.backoff.delays()
        for attempt in range(retries + 1):
            if attempt:
                self.clock.sleep_ms(next(delays))
            lease, _ = self._attempt(resource, ttl, None)
            if lease is not None:
                return lease
        return None

    def acquire(self, resource: str, ttl_ms: float = DEFAULT_TTL_MS, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> Lock:
        """Acquire ``resource``, retrying with backoff until ``timeout_ms`` has passed on the clock.

        Raises ``LockTimeout`` naming the last holder seen when time runs out;
        the last wait is shortened so that the final attempt happens at the
        deadline. No attempt waits for the store past the deadline either: a
        store that stays busy that long (a guard held by a stopped process)
        raises ``LockStorageError`` naming what is stuck.
        """
        resource = checked_name("resource", resource)
        ttl = checked_duration_ms("ttl_ms", ttl_ms)
        timeout = checked_duration_ms("timeout_ms", timeout_ms)
        deadline = self.clock.now_ms() + timeout
        delays = self.backoff.delays()
        lease, seen = self._attempt(resource, ttl, timeout)
        while lease is None:
            remaining = deadline - self.clock.now_ms()
            if remaining <= 0:
                raise LockTimeout(resource, timeout, seen.lease.owner if seen.lease else None)
            self.clock.sleep_ms(min(next(delays), remaining))
            lease, seen = self._attempt(resource, ttl, max(0, deadline - self.clock.now_ms()))
        return lease

    @contextmanager
    def lock(
        self,
        resource: str,
        ttl_ms: float = DEFAULT_TTL_MS,
        timeout_ms: float = DEFAULT_TIMEOUT_MS,
        *,
        keep_alive: bool = True,
        on_lost: Callable[[Lock, str], None] | None = None,
    ) -> Iterator[Lock]:
        """Hold ``resource`` for the duration of a ``with`` block (see ``acquire``), renewing it meanwhile.

        A ``KeepAlive`` renews the lease every third of its TTL for as long as
        the block runs (unless ``keep_alive`` is False), and calls ``on_lost``
        at once if the lease is lost. The lease is released when the block
        ends. If it was lost at any point during the block, leaving the block
        raises ``LockLost``; if the block is leaving with an exception of its
        own, that exception goes on, with a note saying the lease was lost.
        """
        lease = self.acquire(resource, ttl_ms, timeout_ms)
        keeper = KeepAlive(self, lease, on_lost=on_lost).start() if keep_alive else None
        try:
            yield lease
        finally:
            latest = keeper.stop() if keeper is not None else lease
            released = self.release_lock(latest)
            because = keeper.lost_because if keeper is not None else None
            if because is None and not released:
                because = "it was no longer this acquisition's when the block ended"
            if because is not None:
                lost = LockLost(lease.resource, lease.fencing_token, because)
                leaving_with = sys.exc_info()[1]
                if leaving_with is None:
                    raise lost
                leaving_with.add_note(str(lost))

    def release_lock(self, lock: Lock) -> bool:
        """Release ``lock`` if this instance still holds that acquisition.

        Returns ``False`` and touches nothing when ``lock`` belongs to another
        instance, or the store no longer records this acquisition (taken
        over, cleaned up or broken). An expired lease that nobody took over is
        still this acquisition's and is removed. Storage failures raise.
        """
        if not isinstance(lock, Lock):
            raise InvalidArgumentError("lock", "must be a Lock returned by an acquisition", lock)
        if not self._is_ours(lock):
            logger.info("%s: refused to release %r (token %d), held by %r", *self._who(lock), lock.owner)
            return False
        if not self.store.release(lock):
            logger.info("%s: lease on %r (token %d) is no longer ours; nothing released", *self._who(lock))
            return False
        logger.info("%s: released %r (token %d)", *self._who(lock))
        return True

    def renew_lock(self, lock: Lock, ttl_ms: float | None = None) -> Lock | None:
        """Extend ``lock`` to expire ``ttl_ms`` (default: its last TTL) from now.

        Keeps the lock id, the acquisition time and the fencing token, and
        records the renewing process as the holder (a forked child that renews
        its parent's lease holds it from then on). Returns ``None`` (touching
        nothing) when the lease was lost: it belongs to another instance, or
        the store no longer records this acquisition.
        """
        if not isinstance(lock, Lock):
            raise InvalidArgumentError("lock", "must be a Lock returned by an acquisition", lock)
        ttl = checked_duration_ms("ttl_ms", lock.ttl_ms if ttl_ms is None else ttl_ms)
        if not self._is_ours(lock):
            return None
        seen = self.store.observe(lock.resource)
        if seen.lease is None or seen.lease.lock_id != lock.lock_id:
            logger.info("%s: cannot renew %r (token %d): the lease was lost", *self._who(lock))
            return None
        now = self.clock.now_ms()
        renewed = with_changes(
            seen.lease,
            expires_at_ms=now + ttl,
            ttl_ms=ttl,
            host=self.policy.host,
            pid=os.getpid(),
            process=process_identity(),
        )
        if not self.store.replace(seen, renewed):
            logger.info("%s: cannot renew %r (token %d): the lease changed meanwhile", *self._who(lock))
            return None
        return renewed

    def cleanup_expired_locks(self) -> list[str]:
        """Remove every expired, abandoned or unreadable lease; return their resources.

        Expired counts once the clock skew margin has passed too; abandoned
        means its holder process provably no longer runs (unless
        ``detect_dead_holders`` is off). Valid leases are never touched, and an
        entry that changed after it was looked at (a new holder took it over)
        is left alone. Unreadable entries are set aside for inspection; what
        was set aside longer than ``keep_set_aside_ms`` ago is purged, and
        what writers that died mid-write left behind is removed. A hashed
        entry whose file is unreadable is reported by its file name, the only
        name it has.
        """
        return [
            done.entry.resource for done in self._clean_up(dry_run=False) if done.action is not CleanupAction.PURGED
        ]

    def cleanup(self, dry_run: bool = False) -> list[CleanedUp]:
        """Like ``cleanup_expired_locks``, but say what was done (or, dry, would be) with each entry, and why."""
        return list(self._clean_up(dry_run))

    def _clean_up(self, dry_run: bool) -> Iterator[CleanedUp]:
        """What was cleaned up (or, dry, would be), one at a time: a caller that keeps only names keeps little."""
        for seen in self.store.observe_all():
            now = self.clock.now_ms()
            if seen.lease is not None and self.policy.respects(seen.lease, now):
                continue
            entry = status_of(seen, now, self.policy)
            action = CleanupAction.REMOVED if seen.lease is not None else CleanupAction.MOVED_ASIDE
            if dry_run or self.store.remove(seen):
                yield self._cleaned(action, entry, dry_run)
        for aside in self.store.kept_aside():
            now = self.clock.now_ms()
            if self.policy.purges(aside, now) and (dry_run or self.store.discard(aside)):
                yield self._cleaned(CleanupAction.PURGED, status_of_set_aside(aside, now), dry_run)
        if not dry_run:
            for leftover in self.store.clear_leftovers():
                logger.info("%s: removed %s, which a writer that died left half written", self.instance_id, leftover)

    def _cleaned(self, action: CleanupAction, entry: LeaseStatus, dry_run: bool) -> CleanedUp:
        if not dry_run and logger.isEnabledFor(logging.INFO):  # describing costs more than removing, unlogged
            logger.info("%s: cleaned up %r (%s): %s", self.instance_id, entry.resource, action.value, entry.describe())
        return CleanedUp(action, entry)

    def status(self) -> list[LeaseStatus]:
        """Every entry of the store with its state, by resource name: leases, unreadable entries, what was set aside."""
        now = self.clock.now_ms()
        entries = [status_of(seen, now, self.policy) for seen in self.store.observe_all()]
        entries += [status_of_set_aside(aside, now) for aside in self.store.kept_aside()]
        return sorted(entries, key=lambda entry: (entry.resource, entry.state is LeaseState.SET_ASIDE, entry.key))

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
            entry = status_of(seen, self.clock.now_ms(), self.policy)
            if self.store.remove(seen):
                logger.warning("%s: broke the lease on %r: %s", self.instance_id, resource, entry.describe())
                return entry

    def holder(self, resource: str) -> Lock | None:
        """The lease currently held on ``resource``, unless it is missing, unreadable, expired or abandoned."""
        seen = self.store.observe(checked_name("resource", resource))
        if seen.lease is None or not self.policy.respects(seen.lease, self.clock.now_ms()):
            return None
        return seen.lease

    def _attempt(self, resource: str, ttl: int, wait_ms: float | None) -> tuple[Lock | None, Observation]:
        now = self.clock.now_ms()
        draft = Lock(
            resource,
            os.urandom(16).hex(),
            self.instance_id,
            now,
            now + ttl,
            fencing_token=0,
            ttl_ms=ttl,
            host=self.policy.host,
            pid=os.getpid(),
            process=process_identity(),
        )
        lease, seen = self.store.claim_if_absent(draft, wait_ms=wait_ms)
        if lease is not None:
            logger.info("%s: acquired %r (token %d)", *self._who(lease))
            return lease, seen
        state = self.policy.state_of(seen.lease, now) if seen.lease is not None else LeaseState.UNREADABLE
        if state is LeaseState.HELD:
            assert seen.lease is not None
            logger.debug(
                "%s: %r is held by %r (token %d) for %d ms more",
                self.instance_id,
                resource,
                seen.lease.owner,
                seen.lease.fencing_token,
                seen.lease.expires_at_ms - now,
            )
            return None, seen
        lease = self.store.claim(seen, draft, wait_ms=wait_ms)
        if lease is None:
            logger.debug("%s: %r changed while we looked; another instance got there first", self.instance_id, resource)
            return None, seen
        if seen.lease is not None:
            logger.info(
                "%s: took over %r from %r, %s (token %d, now %d)",
                self.instance_id,
                resource,
                seen.lease.owner,
                f"whose process {seen.lease.pid} is gone"
                if state is LeaseState.HOLDER_GONE
                else f"whose lease expired {now - seen.lease.expires_at_ms} ms ago",
                seen.lease.fencing_token,
                lease.fencing_token,
            )
        elif seen.problem is not None:
            logger.warning(
                "%s: took over %r (token %d), whose lease was unreadable: %s",
                self.instance_id,
                resource,
                lease.fencing_token,
                seen.problem,
            )
        logger.info("%s: acquired %r (token %d)", *self._who(lease))
        return lease, seen

    def _is_ours(self, lock: Lock) -> bool:
        """Whether ``lock`` is an acquisition of this instance (the store then says whether it still holds)."""
        return lock.owner == self.instance_id

    def close(self) -> None:
        """Release the storage's resources (open guard files, connections); leases are untouched."""
        self.store.close()

    def _who(self, lock: Lock) -> tuple[str, str, int]:
        return self.instance_id, lock.resource, lock.fencing_token
