"""The exceptions lockspec raises.

Every failure is a ``LockError`` so that callers can catch one type. The
subclasses say *whose* fault it is: ``InvalidArgumentError`` for a bad call
(also a ``ValueError``), ``LockStorageError`` for the storage failing under us
(never reported as mere contention), ``LockTimeout`` for a blocking acquisition
that gave up (also a ``TimeoutError``).

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
    """The lease storage failed: the message names the path and the OS error.

    Raised instead of returning "not acquired", so that a full disk or a lock
    directory that cannot be written is never mistaken for a busy lock.
    """

    def __init__(self, action: str, path: str | os.PathLike[str], cause: OSError) -> None:
        self.action = action
        self.path = os.fspath(path)
        self.cause = cause
        reason = cause.strerror or str(cause)
        super().__init__(f"cannot {action} {self.path!r}: {reason}")

    def __reduce__(self) -> tuple[type[LockStorageError], tuple[str, str, OSError]]:
        return type(self), (self.action, self.path, self.cause)


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
