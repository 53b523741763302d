"""Leases kept as files in a lock directory shared by the instances.

Layout of a lock directory::

    <resource>.lock              one lease file per held resource (JSON)
    .lockspec/guard-00 .. -ff    guard files: OS-level critical sections and
                                 fencing counters (see ``lockspec.stores.file.guards``)
    .lockspec/pending-*.tmp      lease files being written, before the move
    .lockspec/unreadable/        unreadable lease files moved aside, kept for
                                 an operator to inspect

The ``.lockspec`` folder is recreated when missing (an operator may wipe it);
its fencing counters are then lost, but a new token still exceeds the token
of the lease it replaces.

Why it is race-free: a lease file is only ever created, replaced or removed
while its guard is held, after reading it under the guard: it is created only
where there is none, and replaced or removed only if it is still exactly the
file the caller observed (same inode, same bytes), or on release, if it still
records the caller's acquisition. A lease is written aside and moved into
place with ``os.replace``, so a reader sees the previous file or the complete
new one, never a partial one; an empty or half-written file at a lease path
is therefore never a peer's claim in progress and may be treated as garbage.

Assumes the lock directory is on a local file system with working ``flock``
(or a network file system that implements it for every client).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Hashable, Iterator
from pathlib import Path

from lockspec.errors import LockStorageError
from lockspec.lease import Lock, UnreadableLease, decode_lease, encode_lease
from lockspec.stores.file.filesystem import FileSystem, StoredFile
from lockspec.stores.file.guards import Guards
from lockspec.stores.file.naming import is_hashed_lease_file_name, lease_file_name, resource_of_file_name
from lockspec.stores.file.permissions import PRIVATE, Permissions
from lockspec.stores.protocol import Observation

logger = logging.getLogger("lockspec")

#: A lease file is a few hundred bytes; anything much larger is not a lease.
MAX_LEASE_BYTES = 64 * 1024

BOOKKEEPING_FOLDER = ".lockspec"


class FileLeaseStore:
    """A ``LeaseStore`` over one lock directory (created if missing, with ``permissions``)."""

    def __init__(
        self,
        lock_dir: str | os.PathLike[str],
        files: FileSystem | None = None,
        permissions: Permissions = PRIVATE,
    ) -> None:
        self.lock_dir = Path(lock_dir).absolute()
        self._files = files or FileSystem()
        self.permissions = permissions
        self.bookkeeping_folder = self.lock_dir / BOOKKEEPING_FOLDER
        self.unreadable_folder = self.bookkeeping_folder / "unreadable"
        # Plain strings on the hot path: joining pathlib paths costs more than the system calls.
        self._dir = str(self.lock_dir)
        self._bookkeeping = str(self.bookkeeping_folder)
        self._guards = Guards(self.bookkeeping_folder, permissions)
        try:
            self._files.make_folder(self.bookkeeping_folder, permissions.folder_mode)
        except OSError as error:
            raise LockStorageError("create lock directory", self.bookkeeping_folder, error) from error

    def observe(self, resource: str) -> Observation:
        return self._observe(lease_file_name(resource), resource)

    def observe_all(self) -> Iterator[Observation]:
        try:
            names = sorted(os.listdir(self.lock_dir))
        except OSError as error:
            raise LockStorageError("list lock directory", self.lock_dir, error) from error
        for name in names:
            resource = resource_of_file_name(name)
            if resource is None and not is_hashed_lease_file_name(name):
                continue
            seen = self._observe(name, resource)
            if not seen.is_absent:
                yield seen

    def claim_if_absent(self, draft: Lock) -> tuple[Lock | None, Observation]:
        key = lease_file_name(draft.resource)
        with self._guards.hold(key) as stripe:
            stored = self._read(key)
            if stored is None:
                lease = draft.with_token(stripe.next_token(0))
                self._write(self._path(key), encode_lease(lease))
                return lease, Observation(key, draft.resource, None, None, None)
        # Judged after the guard is let go: a refused contender must not hold up the holder.
        return None, self._judge(key, draft.resource, stored)

    def claim(self, seen: Observation, draft: Lock) -> Lock | None:
        with self._guards.hold(seen.key) as stripe:
            if not self._unchanged(seen):
                return None
            previous_token = seen.lease.fencing_token if seen.lease else 0
            lease = draft.with_token(stripe.next_token(previous_token))
            if seen.problem is not None:
                self._set_aside(seen)
            self._write(self._path(seen.key), encode_lease(lease))
            return lease

    def replace(self, seen: Observation, lease: Lock) -> bool:
        with self._guards.hold(seen.key):
            if seen.lease is None or not self._unchanged(seen):
                return False
            self._write(self._path(seen.key), encode_lease(lease))
            return True

    def remove(self, seen: Observation) -> bool:
        with self._guards.hold(seen.key):
            if seen.is_absent or not self._unchanged(seen):
                return False
            if seen.problem is not None:
                self._set_aside(seen)
            else:
                self._delete(self._path(seen.key))
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
            if stored.data != written and not _records(stored.data, lease.lock_id):
                return False
            self._delete(self._path(key))
            return True

    def close(self) -> None:
        """Close the guard files held open by this store."""
        self._guards.close()

    def _path(self, key: str) -> str:
        return f"{self._dir}/{key}"

    def _read(self, key: str) -> StoredFile | None:
        path = self._path(key)
        try:
            return self._files.read(path, MAX_LEASE_BYTES)
        except OSError as error:
            raise LockStorageError("read lease file", path, error) from error

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
        if len(stored.data) > MAX_LEASE_BYTES:
            return Observation(key, resource, None, f"it is larger than {MAX_LEASE_BYTES} bytes", version)
        try:
            lease = decode_lease(stored.data)
        except UnreadableLease as problem:
            return Observation(key, resource, None, str(problem), version)
        # A name that tells its resource must tell this lease's; a hashed one must be its hash.
        belongs_here = lease.resource == resource if resource is not None else lease_file_name(lease.resource) == key
        if not belongs_here:
            return Observation(key, resource, None, f"it names another resource, {lease.resource!r}", version)
        return Observation(key, lease.resource, lease, None, version)

    def _delete(self, path: str) -> None:
        try:
            self._files.delete(path)
        except OSError as error:
            raise LockStorageError("remove lease file", path, error) from error

    def _write(self, path: str, data: bytes) -> None:
        pending = f"{self._bookkeeping}/pending-{os.urandom(16).hex()}.tmp"
        try:
            self._files.write_new(pending, data, self.permissions.file_mode)
            self._files.move(pending, path)
        except OSError as error:
            # It may never have been created; the original error is the one to report.
            with contextlib.suppress(OSError):
                self._files.delete(pending)
            raise LockStorageError("write lease file", path, error) from error

    def _set_aside(self, seen: Observation) -> None:
        path = self._path(seen.key)
        target = f"{self.unreadable_folder}/{seen.key}.{os.urandom(6).hex()}"
        try:
            self._files.make_folder(self.unreadable_folder, self.permissions.folder_mode)
            self._files.move(path, target)
        except OSError as error:
            raise LockStorageError("move aside unreadable lease file", path, error) from error
        logger.warning("moved unreadable lease file %s aside to %s: %s", path, target, seen.problem)


def _records(data: bytes, lock_id: str) -> bool:
    """Whether ``data`` is a lease of acquisition ``lock_id`` (renewed, say, so its bytes differ)."""
    try:
        return decode_lease(data).lock_id == lock_id
    except UnreadableLease:
        return False


def _version(stored: StoredFile | None) -> Hashable:
    return None if stored is None else (stored.kind, stored.inode, stored.data)
