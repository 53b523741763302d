"""Short OS-level critical sections, and the fencing counters they protect.

A file store must re-read a lease and act on it without any other instance
acting in between. Each lease file name is hashed onto one of ``STRIPES``
guard files in ``<lock_dir>/.lockspec/``; holding a guard is an exclusive
``flock`` on it plus a ``threading.Lock``, because a ``flock`` belongs to an
open file description and does not exclude threads that share one. The
number of guard files is bounded whatever the number of resources ever used,
and they are invisible to lease cleanup.

Guard files may vanish while instances run: an operator removes
``.lockspec/``, a tmp cleaner prunes idle files. An instance that keeps a
guard file open would then lock a file nobody else sees while a newcomer
locks a new one, and both would be inside at once. So, after locking, a guard
proves that the file it locked is the one at the path now (same device and
inode); otherwise it opens the one at the path and tries again. And a guard
file is created only while no instance is inside any guard: every guarded
section also holds a shared ``flock`` on the lock directory itself, and
creating a guard file takes it exclusively. The lock directory cannot vanish
without the whole store failing, so no removal, at any moment, can let two
instances into one stripe.

Waits are bounded. A guard is held for microseconds of file I/O, but a
process stopped inside one (SIGSTOP, a debugger) holds it until it resumes.
Waiting polls with short, growing pauses, measured on the real monotonic
clock (a test's frozen clock must not make a wait endless), and gives up
after the store's guard timeout or the caller's own deadline with a
``LockStorageError`` naming the guard file. A process killed inside a guard
releases it: the kernel drops its ``flock`` once no descriptor of it is open,
and a forked child closes its copies of its parent's guard descriptors, so
that it never keeps a dead parent's guard locked. (A command exec'd by a
holder never gets them: ``os.open`` makes every descriptor non-inheritable,
PEP 446, so none asks for ``O_CLOEXEC``.)

The first bytes of each guard file hold a counter, the highest fencing token
issued for any resource of that stripe. Tokens follow ``lockspec.fencing``:
they increase per resource across release, expiry, cleanup, restarts, and the
loss of the counters themselves. A counter whose bytes are not a number is
reported with a warning, never silently taken for zero.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import threading
import time
import weakref
import zlib

from lockspec.errors import LockStorageError
from lockspec.fencing import next_fencing_token, stored_counter
from lockspec.stores.file.permissions import Permissions

logger = logging.getLogger("lockspec")

STRIPES = 256
_COUNTER_BYTES = 20
#: How long an operation waits for a guard (or the lock directory's own lock) by default.
DEFAULT_GUARD_TIMEOUT_MS = 2_000
#: Retries at a busy guard: yielding at first for this long (sections last tens of microseconds),
#: then pausing, longer each time but never long.
_SPIN_S = 0.000_1
_FIRST_PAUSE_S = 0.000_02
_LONGEST_PAUSE_S = 0.001


def _monotonic_s() -> float:
    # CLOCK_MONOTONIC read directly: freezegun patches time.monotonic, not this.
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class GuardBusy(Exception):
    """A guard (or the lock directory's own lock) stayed held past the wait allowed."""

    def __init__(self, path: str, waited_ms: float) -> None:
        self.path = path
        self.waited_ms = waited_ms
        super().__init__(f"held by another process for {waited_ms:.0f} ms; is one stopped inside it?")

    def __reduce__(self) -> tuple[type[GuardBusy], tuple[str, float]]:
        return type(self), (self.path, self.waited_ms)


def lock_within(fd: int, kind: int, deadline_s: float, path: str) -> None:
    """``flock(fd, kind)``, retrying until the monotonic ``deadline_s``; then ``GuardBusy`` naming ``path``.

    A busy guard is usually free again within a few tens of microseconds,
    while a sleep lasts 80 us at the least here: so first yield the processor
    and retry for ``_SPIN_S``, then sleep between retries, longer each time.
    """
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    started = _monotonic_s()
    spin_until = started + _SPIN_S
    pause = _FIRST_PAUSE_S
    while True:
        now = _monotonic_s()
        if now >= deadline_s:
            raise GuardBusy(path, (now - started) * 1000)
        if now < spin_until:
            os.sched_yield()
        else:
            time.sleep(min(pause, deadline_s - now))
            pause = min(pause * 2, _LONGEST_PAUSE_S)
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass


class GuardedStripe:
    """The guard of one stripe, as a context manager; while it is held, ``next_token`` advances the counter.

    A class rather than a generator-based context manager: the guard is taken
    twice per acquire/release cycle, where a generator's frames cost as much as
    the ``flock`` calls themselves.
    """

    def __init__(self, guards: Guards, stripe: int, wait_ms: float | None) -> None:
        self._guards = guards
        self.stripe = stripe
        self.path = guards.paths[stripe]
        self._wait_ms = wait_ms
        self._fd = -1
        self._directory = -1

    def __enter__(self) -> GuardedStripe:
        started = _monotonic_s()
        deadline = self._guards.deadline_of(self._wait_ms, started)
        thread_lock = self._guards.thread_locks[self.stripe]
        # Bounded by the same deadline: another thread of this process may be inside, waiting for the
        # guard file while another process holds it.
        if not thread_lock.acquire(timeout=max(0.0, deadline - started)):
            raise LockStorageError("lock", self.path, GuardBusy(self.path, (_monotonic_s() - started) * 1000))
        try:
            self._fd, self._directory = self._guards.enter(self.stripe, deadline)
        except BaseException:
            thread_lock.release()
            raise
        return self

    def __exit__(self, *exception: object) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            fcntl.flock(self._directory, fcntl.LOCK_UN)
        finally:
            self._guards.thread_locks[self.stripe].release()

    def next_token(self, previous: int, now_ms: int) -> int:
        """Issue the token for a lease acquired at ``now_ms`` replacing one with token ``previous`` (0: none)."""
        try:
            raw = os.pread(self._fd, _COUNTER_BYTES, 0)
            token = next_fencing_token(stored_counter(raw, self.path), previous, now_ms)
            os.pwrite(self._fd, str(token).rjust(_COUNTER_BYTES).encode("ascii"), 0)
        except OSError as error:
            raise LockStorageError("update the fencing counter in", self.path, error) from error
        return token


class Guards:
    """The bounded set of guard files of one lock directory, for one store."""

    def __init__(self, lock_dir: str, folder: str, permissions: Permissions, timeout_ms: float) -> None:
        self._lock_dir = lock_dir
        self._folder = folder
        self._permissions = permissions
        self.timeout_ms = timeout_ms
        self._mutex = threading.Lock()
        #: stripe -> (guard file descriptor, lock directory descriptor), opened on first use.
        self._fds: dict[int, tuple[int, int]] = {}
        self.thread_locks = [threading.Lock() for _ in range(STRIPES)]
        self.paths = [f"{folder}/guard-{stripe:02x}" for stripe in range(STRIPES)]
        _IN_THIS_PROCESS.add(self)

    def hold(self, file_name: str, wait_ms: float | None = None) -> GuardedStripe:
        """The guard of ``file_name``, held for the duration of a ``with`` block.

        Entering waits at most ``wait_ms`` (default and at most: the guard
        timeout), then raises ``LockStorageError`` naming the guard file; it
        raises it too if the guard file cannot be opened or locked.
        """
        return GuardedStripe(self, self.stripe_of(file_name), wait_ms)

    def hold_stripe(self, stripe: int, wait_ms: float | None = None) -> GuardedStripe:
        """The guard of ``stripe`` itself (see ``hold``)."""
        return GuardedStripe(self, stripe, wait_ms)

    @staticmethod
    def stripe_of(file_name: str) -> int:
        return zlib.crc32(file_name.encode("utf-8")) % STRIPES

    def deadline_of(self, wait_ms: float | None, now_s: float) -> float:
        """The monotonic time by which a wait for a guard that starts at ``now_s`` gives up.

        ``wait_ms`` is the caller's wait (None: the guard timeout), never more than the guard timeout.
        """
        allowed_ms = self.timeout_ms if wait_ms is None else max(0.0, min(wait_ms, self.timeout_ms))
        return now_s + allowed_ms / 1000

    def enter(self, stripe: int, deadline: float) -> tuple[int, int]:
        """Lock ``stripe``'s guard file, proven to be the one at its path, by the monotonic ``deadline``.

        Return it and the directory's descriptor.
        """
        path = self.paths[stripe]
        try:
            guard, directory = self._descriptors(stripe)
            while True:
                if guard >= 0 and self._lock_if_at_path(guard, directory, path, deadline):
                    return guard, directory
                guard = self._reopen(stripe, directory, deadline)
        except GuardBusy as busy:
            raise LockStorageError("lock", busy.path, busy) from None
        except OSError as error:
            raise LockStorageError("lock guard file", path, error) from error

    def _lock_if_at_path(self, guard: int, directory: int, path: str, deadline: float) -> bool:
        """Lock ``guard`` and share the directory; keep both only if ``guard`` is the file at ``path``."""
        # The guard first, the directory second: waiting for a busy guard must not
        # hold the directory's shared lock, or guard files could never be made again.
        lock_within(guard, fcntl.LOCK_EX, deadline, path)
        try:
            lock_within(directory, fcntl.LOCK_SH, deadline, self._lock_dir)
            try:
                if _is_at(guard, path):
                    return True
            except BaseException:
                fcntl.flock(directory, fcntl.LOCK_UN)
                raise
            fcntl.flock(directory, fcntl.LOCK_UN)
        except BaseException:
            fcntl.flock(guard, fcntl.LOCK_UN)
            raise
        fcntl.flock(guard, fcntl.LOCK_UN)
        return False

    def close(self) -> None:
        """Close the guard files this store opened (in this process)."""
        with self._mutex:
            for guard, directory in self._fds.values():
                _close(guard)
                _close(directory)
            self._fds.clear()

    def forget_parent(self) -> None:
        """In a forked child: close the descriptors inherited from the parent, and drop its thread locks.

        The child's copies share the parent's open file descriptions and so
        its locks; kept open, they would keep a guard locked after the
        parent died inside it. Closing a copy releases nothing the parent
        holds. The child opens guard files of its own when it needs them. Its
        copies of the thread locks may be held by parent threads that do not
        exist in the child.
        """
        for guard, directory in self._fds.values():
            _close(guard)
            _close(directory)
        self._mutex = threading.Lock()
        self._fds = {}
        self.thread_locks = [threading.Lock() for _ in range(STRIPES)]

    def _descriptors(self, stripe: int) -> tuple[int, int]:
        """The guard file (-1 if it is missing) and lock directory descriptors of ``stripe``, opened on first use.

        Each stripe has a descriptor of the lock directory of its own: a
        ``flock`` belongs to a descriptor, and sections of two stripes in two
        threads must not release each other's shared lock.
        """
        known = self._fds.get(stripe)
        if known is not None:
            return known
        with self._mutex:
            known = self._fds.get(stripe)
            if known is None:
                directory = os.open(self._lock_dir, os.O_RDONLY | os.O_DIRECTORY)
                known = (_open_existing(self.paths[stripe]), directory)
                self._fds[stripe] = known
            return known

    def _reopen(self, stripe: int, directory: int, deadline: float) -> int:
        """Replace ``stripe``'s guard descriptor by the file at its path, creating it (and the folder) if missing.

        Creation holds the lock directory exclusively: no instance is inside a
        guard meanwhile, so none can be inside one whose file is being replaced.
        """
        with self._mutex:
            stale, _ = self._fds.get(stripe, (-1, directory))
            _close(stale)
            self._fds[stripe] = (-1, directory)
            guard = _open_existing(self.paths[stripe])
            if guard < 0:
                lock_within(directory, fcntl.LOCK_EX, deadline, self._lock_dir)
                try:
                    guard = self._create(self.paths[stripe])
                finally:
                    fcntl.flock(directory, fcntl.LOCK_UN)
            self._fds[stripe] = (guard, directory)
            return guard

    def _create(self, path: str) -> int:
        """Open the guard file at ``path``, creating it, and the bookkeeping folder, if they are missing."""
        # Never parents=True: a vanished lock directory (an unmounted share) must be an error, not recreated.
        try:
            os.mkdir(self._folder, self._permissions.folder_mode)
            os.chmod(self._folder, self._permissions.folder_mode)
        except FileExistsError:
            if not os.path.isdir(self._folder):
                raise
        flags = os.O_RDWR | os.O_NOFOLLOW
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, self._permissions.file_mode)
        except FileExistsError:
            return os.open(path, flags)
        os.fchmod(fd, self._permissions.file_mode)
        return fd


def _open_existing(path: str) -> int:
    """The guard file at ``path`` opened, or -1 if there is none (or its folder is missing)."""
    try:
        return os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except FileNotFoundError:
        return -1
    except NotADirectoryError:
        # The bookkeeping folder is a file: creating the guard file reports it.
        return -1


def _is_at(fd: int, path: str) -> bool:
    """Whether the file open as ``fd`` is the one at ``path`` now."""
    try:
        at_path = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    except OSError as error:
        if error.errno == errno.ENOTDIR:
            return False
        raise
    return os.path.samestat(os.fstat(fd), at_path)


def _close(fd: int) -> None:
    if fd >= 0:
        os.close(fd)


#: Every ``Guards`` of this process, so that a forked child can drop its parent's.
_IN_THIS_PROCESS: weakref.WeakSet[Guards] = weakref.WeakSet()


def _forget_parents_guards() -> None:
    for guards in list(_IN_THIS_PROCESS):
        guards.forget_parent()


os.register_at_fork(after_in_child=_forget_parents_guards)
