"""Short OS-level critical sections, and the fencing counters they protect.

A file store must re-read a lease and act on it without any other instance
acting in between. Each lease file name is hashed onto one of ``STRIPES``
guard files in ``<lock_dir>/.lockspec/``; holding a guard is an exclusive
``flock`` on it (via filelock's descriptor API) plus a ``threading.Lock``,
because a ``flock`` belongs to an open file description and does not exclude
threads that share one. The number of guard files is bounded whatever the
number of resources ever used, and they are invisible to lease cleanup.

The first bytes of each guard file hold a counter, the highest fencing token
issued for any resource of that stripe. Tokens therefore strictly increase
per resource across release, expiry, cleanup and process restarts (they are
not guaranteed to survive a machine crash: nothing is fsync'ed).

A guard is held for a few microseconds of file I/O. A process that is killed
inside it releases it (the kernel drops the ``flock``); one that is stopped
(SIGSTOP) inside it stalls the instances that need the same stripe until it
resumes or dies.
"""

from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import lock_descriptor, unlock_descriptor

from lockspec.errors import LockStorageError
from lockspec.permissions import Permissions

STRIPES = 256
_COUNTER_BYTES = 20
#: How long a contended guard waits between tries: guards are held for
#: microseconds, so a short real-time poll is cheaper than a kernel round trip
#: scheduled by a backoff.
_POLL_SECONDS = 0.0002


class GuardedStripe:
    """An open, locked guard file: read and advance its fencing counter."""

    def __init__(self, fd: int, path: str) -> None:
        self._fd = fd
        self.path = path

    def next_token(self, at_least: int) -> int:
        """Issue a token above both the stripe's counter and ``at_least``."""
        try:
            raw = os.pread(self._fd, _COUNTER_BYTES, 0).strip(b"\x00 \n")
            last = int(raw) if raw.isdigit() else 0
            token = max(last, at_least) + 1
            os.pwrite(self._fd, str(token).rjust(_COUNTER_BYTES).encode("ascii"), 0)
        except OSError as error:
            raise LockStorageError("update the fencing counter in", self.path, error) from error
        return token


class Guards:
    """The bounded set of guard files of one lock directory, for one store."""

    def __init__(self, folder: Path, permissions: Permissions) -> None:
        self._folder = folder
        self._permissions = permissions
        self._mutex = threading.Lock()
        self._pid = os.getpid()
        self._fds: dict[int, int] = {}
        self._thread_locks = [threading.Lock() for _ in range(STRIPES)]
        self._paths = [f"{folder}/guard-{stripe:02x}" for stripe in range(STRIPES)]

    def path_of(self, file_name: str) -> str:
        """The guard file protecting ``file_name``."""
        return self._paths[self._stripe(file_name)]

    @contextmanager
    def hold(self, file_name: str) -> Iterator[GuardedStripe]:
        """Hold the guard of ``file_name`` for the duration of the block.

        Raises ``LockStorageError`` if the guard file cannot be opened or locked.
        """
        stripe = self._stripe(file_name)
        path = self._paths[stripe]
        self._forget_parent_after_fork()
        with self._thread_locks[stripe]:
            try:
                fd = self._descriptor(stripe, path)
                lock_descriptor(fd, blocking=True, poll_interval=_POLL_SECONDS)
            except OSError as error:
                raise LockStorageError("lock guard file", path, error) from error
            try:
                yield GuardedStripe(fd, path)
            finally:
                unlock_descriptor(fd)

    def close(self) -> None:
        """Close the guard files this store opened (in this process)."""
        with self._mutex:
            if self._pid == os.getpid():
                for fd in self._fds.values():
                    os.close(fd)
            self._fds.clear()

    @staticmethod
    def _stripe(file_name: str) -> int:
        return zlib.crc32(file_name.encode("utf-8")) % STRIPES

    def _forget_parent_after_fork(self) -> None:
        # A forked child shares its parent's open file descriptions, and so its
        # flocks; its copies of the thread locks may be held by parent threads
        # that do not exist in the child. It needs guards of its own.
        with self._mutex:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._fds = {}
                self._thread_locks = [threading.Lock() for _ in range(STRIPES)]

    def _descriptor(self, stripe: int, path: str) -> int:
        with self._mutex:
            fd = self._fds.get(stripe)
            if fd is None:
                # Never parents=True: a vanished lock directory (an unmounted
                # share) must be an error, not silently recreated elsewhere.
                self._make_folder()
                fd = self._open(path)
                self._fds[stripe] = fd
            return fd

    def _make_folder(self) -> None:
        try:
            os.mkdir(self._folder, self._permissions.folder_mode)
        except FileExistsError:
            if not self._folder.is_dir():
                raise
            return
        os.chmod(self._folder, self._permissions.folder_mode)

    def _open(self, path: str) -> int:
        """Open the guard file at ``path``, creating it with the store's file mode if it is missing."""
        flags = os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, self._permissions.file_mode)
        except FileExistsError:
            return os.open(path, flags)
        os.fchmod(fd, self._permissions.file_mode)
        return fd
