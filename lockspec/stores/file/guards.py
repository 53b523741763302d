"""Short OS-level critical sections, and the fencing counters they protect.

A file store must re-read a lease and act on it without any other instance
acting in between. Each lease file name is hashed onto one of ``STRIPES``
guard files in ``<lock_dir>/.lockspec/``; holding a guard is an exclusive
``flock`` on it plus a ``threading.Lock``, because a ``flock`` belongs to an
open file description and does not exclude threads that share one. The
``flock`` blocks in the kernel, which wakes a waiter as soon as the guard is
let go; polling (filelock's descriptor API) would add a sleep to every
contended guard, and so to the holder's release while contenders look. The
number of guard files is bounded whatever the number of resources ever used,
and they are invisible to lease cleanup.

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

import fcntl
import os
import threading
import weakref
import zlib
from pathlib import Path

from lockspec.errors import LockStorageError
from lockspec.stores.file.permissions import Permissions

STRIPES = 256
_COUNTER_BYTES = 20


class GuardedStripe:
    """The guard of one stripe, as a context manager; while it is held, ``next_token`` advances the counter.

    A class rather than a generator-based context manager: the guard is taken
    twice per acquire/release cycle, where a generator's frames cost as much as
    the ``flock`` calls themselves.
    """

    def __init__(self, guards: Guards, stripe: int) -> None:
        self._guards = guards
        self._stripe = stripe
        self.path = guards.paths[stripe]
        self._fd = -1

    def __enter__(self) -> GuardedStripe:
        thread_lock = self._guards.thread_locks[self._stripe]
        thread_lock.acquire()
        try:
            self._fd = self._guards.descriptor(self._stripe)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError as error:
            thread_lock.release()
            raise LockStorageError("lock guard file", self.path, error) from error
        except BaseException:
            thread_lock.release()
            raise
        return self

    def __exit__(self, *exception: object) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._guards.thread_locks[self._stripe].release()

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
        self._fds: dict[int, int] = {}
        self.thread_locks = [threading.Lock() for _ in range(STRIPES)]
        self.paths = [f"{folder}/guard-{stripe:02x}" for stripe in range(STRIPES)]
        _IN_THIS_PROCESS.add(self)

    def hold(self, file_name: str) -> GuardedStripe:
        """The guard of ``file_name``, held for the duration of a ``with`` block.

        Entering raises ``LockStorageError`` if the guard file cannot be opened or locked.
        """
        return GuardedStripe(self, self._stripe(file_name))

    def close(self) -> None:
        """Close the guard files this store opened (in this process)."""
        with self._mutex:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()

    def descriptor(self, stripe: int) -> int:
        """The open guard file of ``stripe``, opened (and created if missing) on first use."""
        fd = self._fds.get(stripe)
        if fd is not None:
            return fd
        with self._mutex:
            fd = self._fds.get(stripe)
            if fd is None:
                # Never parents=True: a vanished lock directory (an unmounted
                # share) must be an error, not silently recreated elsewhere.
                self._make_folder()
                fd = self._open(self.paths[stripe])
                self._fds[stripe] = fd
            return fd

    def forget_parent(self) -> None:
        """In a forked child: drop the parent's guard files and thread locks.

        The child shares its parent's open file descriptions, and so its
        flocks; its copies of the thread locks may be held by parent threads
        that do not exist in the child. It needs guards of its own. The
        descriptors stay open (closing them would not release anything the
        parent holds, and they are closed on exec).
        """
        self._mutex = threading.Lock()
        self._fds = {}
        self.thread_locks = [threading.Lock() for _ in range(STRIPES)]

    @staticmethod
    def _stripe(file_name: str) -> int:
        return zlib.crc32(file_name.encode("utf-8")) % STRIPES

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


#: Every ``Guards`` of this process, so that a forked child can drop its parent's.
_IN_THIS_PROCESS: weakref.WeakSet[Guards] = weakref.WeakSet()


def _forget_parents_guards() -> None:
    for guards in list(_IN_THIS_PROCESS):
        guards.forget_parent()


os.register_at_fork(after_in_child=_forget_parents_guards)
