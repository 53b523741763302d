"""The exceptions lockspec raises.

Every failure is a ``LockError`` so that callers can catch one type. The
subclasses say *whose* fault it is: ``InvalidArgumentError`` for a bad call
(also a ``ValueError``), ``LockStorageError`` for the storage failing under us
(never reported as mere contention), ``LockTimeout`` for a blocking acquisition
that gave up (also a ``TimeoutError``), ``LockLost`` for a lease that was lost
while its holder was still working under it.

They pickle with their attributes, so that an error raised in a worker
process (multiprocessing, a process pool) reaches its caller intact.
"""

from __future__ import annotations

import os


class LockError(Exception):
    """Base class of every error raised by lockspec."""


class InvalidArgumentError(LockError, ValueError):
    """An argument was rejected before anything was touched on disk."""

    def __init__(self, argument: str, problem: str, value: object) -> None:
        self.argument = argument
        self.problem = problem
        self.value = value
        super().__init__(f"invalid {argument}: {problem} (got {value!r})")

    def __reduce__(self) -> tuple[type[InvalidArgumentError], tuple[str, str, object]]:
        return type(self), (self.argument, self.problem, self.value)


class LockStorageError(LockError):
    """The lease storage failed: the message names where the leases are kept and what failed.

    Raised instead of returning "not acquired", so that a full disk, a lock
    directory that cannot be written or a server that does not answer is
    never mistaken for a busy lock. ``where`` names the place (a path, a
    server address); ``cause`` is the underlying error, whatever its type.
    """

    def __init__(self, action: str, where: str | os.PathLike[str], cause: BaseException) -> None:
        self.action = action
        self.where = os.fspath(where)
        self.cause = cause
        super().__init__(f"cannot {action} {self.where!r}: {_reason(cause)}")

    def __reduce__(self) -> tuple[type[LockStorageError], tuple[str, str, BaseException]]:
        return type(self), (self.action, self.where, self.cause)


def _reason(cause: BaseException) -> str:
    """What went wrong, in words: an OS error's own text without its number, else the error's message."""
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(cause) or type(cause).__name__


class LockLost(LockError):
    """A lease was lost while its holder still relied on it: another instance took it over, or it was broken.

    Raised when a ``with coordinator.lock(...)`` block ends and its lease was
    lost at some point during the block: the work inside may have overlapped
    another holder's, and only fencing tokens could have prevented harm.
    """

    def __init__(self, resource: str, fencing_token: int, because: str) -> None:
        self.resource = resource
        self.fencing_token = fencing_token
        self.because = because
        super().__init__(f"lost the lease on {resource!r} (token {fencing_token}) before the block ended: {because}")

    def __reduce__(self) -> tuple[type[LockLost], tuple[str, int, str]]:
        return type(self), (self.resource, self.fencing_token, self.because)


class LockTimeout(LockError, TimeoutError):
    """A blocking acquisition did not get the lock before its deadline."""

    def __init__(self, resource: str, timeout_ms: float, holder: str | None) -> None:
        self.resource = resource
        self.timeout_ms = timeout_ms
        self.holder = holder
        held_by = f"; it is held by {holder!r}" if holder else ""
        super().__init__(f"could not acquire {resource!r} within {timeout_ms:g} ms{held_by}")

    def __reduce__(self) -> tuple[type[LockTimeout], tuple[str, float, str | None]]:
        return type(self), (self.resource, self.timeout_ms, self.holder)
