"""Leases kept as files in a lock directory shared by the instances.

Layout of a lock directory::

    <resource>.lock              one lease file per held resource (JSON)
    .lockspec/guard-00 .. -ff    guard files: OS-level critical sections and
                                 fencing counters (see ``guards``)
    .lockspec/pending-SS-*.tmp   lease files being written under the guard of
                                 stripe SS, before the move into place
    .lockspec/unreadable/        unreadable lease files moved aside, named
                                 ``<lease file>.<when, epoch ms>.<random>``,
                                 kept for an operator until cleanup purges them

The ``.lockspec`` folder is made when a guard is first needed, never by
reading, and made again when missing: an operator or a tmp cleaner may
remove it at any time (see ``guards`` for why that never splits a guard, and
``lockspec.fencing`` for why tokens still increase).

Why it is race-free: a lease file is only ever created, replaced or removed
while its guard is held, after reading it under the guard: it is created only
where there is none, and replaced or removed only if it is still exactly the
file the caller observed (same inode, same bytes), or on release, if it still
records the caller's acquisition. A lease is written aside and moved into
place with ``os.replace``, so a reader sees the previous file or the complete
new one, never a partial one; an empty or half-written file at a lease path
is therefore never a peer's claim in progress and may be treated as garbage.
A pending file is only ever used under its stripe's guard: whoever holds
that guard may remove the pending files of its stripe, which only a writer
that died inside the guard can have left behind.

Assumes the lock directory is on a local file system with working ``flock``
(or a network file system that implements it for every client).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
from collections.abc import Hashable, Iterator
from pathlib import Path

from lockspec.clock import Clock, SystemClock
from lockspec.errors import LockStorageError
from lockspec.lease import Lock, encode_lease
from lockspec.stores.entries import MAX_LEASE_BYTES, judge, records
from lockspec.stores.file.filesystem import FileSystem, StoredFile
from lockspec.stores.file.guards import DEFAULT_GUARD_TIMEOUT_MS, STRIPES, GuardBusy, GuardedStripe, Guards
from lockspec.stores.file.naming import is_hashed_lease_file_name, lease_file_name, resource_of_file_name
from lockspec.stores.file.permissions import PRIVATE, Permissions
from lockspec.stores.protocol import Observation, SetAside
from lockspec.validation import checked_duration_ms

logger = logging.getLogger("lockspec")

BOOKKEEPING_FOLDER = ".lockspec"
_PENDING = re.compile(r"pending-([0-9a-f]{2})-[0-9a-f]+\.tmp")
_SET_ASIDE = re.compile(r"(?P<key>.+)\.(?P<at_ms>\d+)\.[0-9a-f]+")


class FileLeaseStore:
    """A ``LeaseStore`` over one lock directory (created if missing, with ``permissions``).

    ``clock`` dates what is set aside (the coordinator passes its own);
    ``guard_timeout_ms`` bounds every wait for a guard (see ``guards``).
    """

    #: Instances judge expiry on their own clocks: file times are no clock to trust (see ``clock``).
    expiry_clock: Clock | None = None

    def __init__(
        self,
        lock_dir: str | os.PathLike[str],
        files: FileSystem | None = None,
        permissions: Permissions = PRIVATE,
        *,
        clock: Clock | None = None,
        guard_timeout_ms: float = DEFAULT_GUARD_TIMEOUT_MS,
    ) -> None:
        self.lock_dir = Path(lock_dir).absolute()
        self.where = str(self.lock_dir)
        self._files = files or FileSystem()
        self._clock: Clock = clock or SystemClock()
        self.permissions = permissions
        self.bookkeeping_folder = self.lock_dir / BOOKKEEPING_FOLDER
        self.unreadable_folder = self.bookkeeping_folder / "unreadable"
        # Plain strings on the hot path: joining pathlib paths costs more than the system calls.
        self._dir = str(self.lock_dir)
        self._bookkeeping = str(self.bookkeeping_folder)
        self._unreadable = str(self.unreadable_folder)
        timeout_ms = checked_duration_ms("guard_timeout_ms", guard_timeout_ms)
        self._guards = Guards(self._dir, self._bookkeeping, permissions, timeout_ms)
        try:
            self._files.make_folder(self.lock_dir, permissions.folder_mode)
        except FileExistsError:
            # Something that is not a folder is in the way: say so, not that "it exists".
            not_a_folder = NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
            raise LockStorageError("use lock directory", self.lock_dir, not_a_folder) from None
        except OSError as error:
            raise LockStorageError("create lock directory", self.lock_dir, error) from error

    def observe(self, resource: str) -> Observation:
        return self._observe(lease_file_name(resource), resource)

    def observe_all(self) -> Iterator[Observation]:
        for name in self._list(self._dir, "list lock directory"):
            resource = resource_of_file_name(name)
            if resource is None and not is_hashed_lease_file_name(name):
                continue
            seen = self._observe(name, resource)
            if not seen.is_absent:
                yield seen

    def claim_if_absent(self, draft: Lock, *, wait_ms: float | None = None) -> tuple[Lock | None, Observation]:
        key = lease_file_name(draft.resource)
        # Looked at without the guard first: a held resource is refused without
        # taking the guard, which would hold up its holder's release. That is
        # safe because a lease file only ever changes by an atomic rename.
        stored = self._read(key)
        if stored is None:
            with self._guards.hold(key, wait_ms) as guard:
                stored = self._read(key)
                if stored is None:
                    lease = draft.with_token(guard.next_token(0, draft.acquired_at_ms))
                    self._write(guard, key, encode_lease(lease))
                    return lease, Observation(key, draft.resource, None, None, None)
        # Judged after the guard is let go: a refused contender must not hold up the holder.
        return None, self._judge(key, draft.resource, stored)

    def claim(self, seen: Observation, draft: Lock, *, wait_ms: float | None = None) -> Lock | None:
        with self._guards.hold(seen.key, wait_ms) as guard:
            if not self._unchanged(seen):
                return None
            previous_token = seen.lease.fencing_token if seen.lease else 0
            lease = draft.with_token(guard.next_token(previous_token, draft.acquired_at_ms))
            if seen.problem is None:
                self._write(guard, seen.key, encode_lease(lease))
            else:
                self._replace_unreadable(guard, seen, encode_lease(lease))
            return lease

    def replace(self, seen: Observation, lease: Lock) -> bool:
        with self._guards.hold(seen.key) as guard:
            if seen.lease is None or not self._unchanged(seen):
                return False
            self._write(guard, seen.key, encode_lease(lease))
            return True

    def remove(self, seen: Observation) -> bool:
        with self._guards.hold(seen.key):
            if seen.is_absent or not self._unchanged(seen):
                return False
            path = self._path(seen.key)
            if seen.problem is not None:
                aside = self._set_aside(path, seen.key)
                logger.warning("moved unreadable lease file %s aside to %s: %s", path, aside, seen.problem)
            else:
                self._delete(path, "remove lease file")
            return True

    def release(self, lease: Lock) -> bool:
        key = lease_file_name(lease.resource)
        # The bytes the lease was written with: equal bytes are that very lease,
        # without decoding the file inside the guard.
        written = encode_lease(lease)
        with self._guards.hold(key):
            stored = self._read(key)
            if stored is None or stored.kind != "file":
                return False
            if stored.data != written and not records(stored.data, lease.lock_id):
                return False
            self._delete(self._path(key), "remove lease file")
            return True

    def kept_aside(self) -> Iterator[SetAside]:
        for name in self._list(self._unreadable, "list unreadable lease files in"):
            path = f"{self._unreadable}/{name}"
            named = _SET_ASIDE.fullmatch(name)
            if named is not None:
                key, at_ms = named["key"], int(named["at_ms"])
            else:  # set aside by an older lockspec, whose names carried no time: its change time tells
                key, at_ms = name, self._changed_at_ms(path)
            resource = resource_of_file_name(key)
            problem = self._judge(key, resource, self._read_at(path)).problem or "it was unreadable"
            yield SetAside(name, resource, at_ms, problem)

    def discard(self, entry: SetAside) -> bool:
        path = f"{self._unreadable}/{entry.key}"
        try:
            self._files.remove_tree(path)
        except FileNotFoundError:
            return False
        except OSError as error:
            raise LockStorageError("purge unreadable lease file", path, error) from error
        return True

    def clear_leftovers(self) -> list[str]:
        removed = []
        for name in self._list(self._bookkeeping, "list bookkeeping folder"):
            pending = _PENDING.fullmatch(name)
            if pending is None:
                continue
            stripe = int(pending[1], 16) % STRIPES
            try:
                with self._guards.hold_stripe(stripe, wait_ms=0):
                    # Inside its stripe's guard nobody else writes: the file is a dead writer's.
                    self._delete(f"{self._bookkeeping}/{name}", "remove half-written lease file")
            except LockStorageError as error:
                # Busy: a live writer may be using it right now. Missing: another cleaner was first.
                if isinstance(error.cause, (GuardBusy, FileNotFoundError)):
                    continue
                raise
            removed.append(name)
        return removed

    def close(self) -> None:
        """Close the guard files held open by this store."""
        self._guards.close()

    def _path(self, key: str) -> str:
        return f"{self._dir}/{key}"

    def _list(self, folder: str, action: str) -> list[str]:
        """The names in ``folder``, sorted; none if it does not exist (bookkeeping is made only when needed)."""
        try:
            return sorted(os.listdir(folder))
        except FileNotFoundError:
            if folder == self._dir:
                raise LockStorageError(action, folder, FileNotFoundError(2, os.strerror(2))) from None
            return []
        except OSError as error:
            raise LockStorageError(action, folder, error) from error

    def _read(self, key: str) -> StoredFile | None:
        return self._read_at(self._path(key))

    def _read_at(self, path: str) -> StoredFile | None:
        try:
            return self._files.read(path, MAX_LEASE_BYTES)
        except OSError as error:
            raise LockStorageError("read lease file", path, error) from error

    def _changed_at_ms(self, path: str) -> int:
        try:
            return os.lstat(path).st_ctime_ns // 1_000_000
        except OSError as error:
            raise LockStorageError("read unreadable lease file", path, error) from error

    def _unchanged(self, seen: Observation) -> bool:
        """Whether the entry is still exactly what ``seen`` observed (same inode, same bytes).

        Comparing raw bytes, not decoded leases, keeps the guarded section short:
        equal bytes mean an equal lease.
        """
        return _version(self._read(seen.key)) == seen.version

    def _observe(self, key: str, resource: str | None) -> Observation:
        return self._judge(key, resource, self._read(key))

    def _judge(self, key: str, resource: str | None, stored: StoredFile | None) -> Observation:
        """The observation of what was read at ``key``: absent, a lease, or unreadable and why."""
        if stored is None:
            return Observation(key, resource, None, None, None)
        version = _version(stored)
        if stored.kind != "file":
            return Observation(key, resource, None, f"it is a {stored.kind}", version)
        # A name that tells its resource must tell this lease's; a hashed one must be its hash.
        return judge(key, resource, stored.data, version, lambda named: lease_file_name(named) == key)

    def _delete(self, path: str, action: str) -> None:
        try:
            self._files.delete(path)
        except OSError as error:
            raise LockStorageError(action, path, error) from error

    def _write(self, guard: GuardedStripe, key: str, data: bytes) -> None:
        """Put ``data`` at ``key``'s lease path, whatever is there: written aside, then moved into place."""
        path = self._path(key)
        pending = self._write_pending(guard, path, data)
        try:
            self._files.move(pending, path)
        except OSError as error:
            self._forget(pending)
            raise LockStorageError("write lease file", path, error) from error

    def _replace_unreadable(self, guard: GuardedStripe, seen: Observation, data: bytes) -> None:
        """Set the unreadable file at ``seen`` aside and put ``data`` in its place; on failure, change nothing.

        The new lease is written before anything moves, and the file set aside
        goes back if the new one cannot take its place.
        """
        path = self._path(seen.key)
        pending = self._write_pending(guard, path, data)
        try:
            aside = self._set_aside(path, seen.key)
        except LockStorageError:
            self._forget(pending)
            raise
        try:
            self._files.move(pending, path)
        except OSError as error:
            self._forget(pending)
            with contextlib.suppress(OSError):
                self._files.move(aside, path)
            raise LockStorageError("write lease file", path, error) from error
        logger.warning("moved unreadable lease file %s aside to %s: %s", path, aside, seen.problem)

    def _write_pending(self, guard: GuardedStripe, path: str, data: bytes) -> str:
        """Write ``data`` to a new pending file of ``guard``'s stripe; return its path."""
        pending = f"{self._bookkeeping}/pending-{guard.stripe:02x}-{os.urandom(8).hex()}.tmp"
        try:
            self._files.write_new(pending, data, self.permissions.file_mode)
        except OSError as error:
            self._forget(pending)
            raise LockStorageError("write lease file", path, error) from error
        return pending

    def _forget(self, pending: str) -> None:
        # It may never have been created; the original error is the one to report.
        with contextlib.suppress(OSError):
            self._files.delete(pending)

    def _set_aside(self, path: str, key: str) -> str:
        """Move the unreadable file at ``path`` into the unreadable folder, named with the time; return where."""
        target = f"{self._unreadable}/{key}.{self._clock.now_ms()}.{os.urandom(6).hex()}"
        try:
            self._files.make_folder(self.unreadable_folder, self.permissions.folder_mode)
            self._files.move(path, target)
        except OSError as error:
            raise LockStorageError("move aside unreadable lease file", path, error) from error
        return target


def _version(stored: StoredFile | None) -> Hashable:
    return None if stored is None else (stored.kind, stored.inode, stored.data)
