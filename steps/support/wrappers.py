"""Transparent wrappers around the real store and file system of an instance.

They let a scenario see and steer what an instance does at one precise
moment (after it has looked at a lease, while it writes one) or make one file
operation fail, without replacing any of the coordinator's logic.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator

from lockspec import FileSystem, LeaseStore, Lock, Observation, SetAside
from lockspec.stores.file.filesystem import StoredFile

Action = Callable[[], None]

_ERRNO_BY_MESSAGE = {os.strerror(number): number for number in errno.errorcode}


def os_error(message: str) -> OSError:
    """The ``OSError`` the system raises with ``message`` (e.g. "No space left on device")."""
    if message not in _ERRNO_BY_MESSAGE:
        raise AssertionError(f"no system error reads {message!r}")
    return OSError(_ERRNO_BY_MESSAGE[message], message)


class WatchedStore:
    """A ``LeaseStore`` that counts observations (looks at an entry), keeps the renewals, and can act after a look.

    It also keeps how long each attempt to claim a free resource allowed the
    store to keep it waiting (``claim_waits``: ``None`` for no limit), and
    each attempt to take over a lease (``takeover_waits``), so that a
    scenario sees that no attempt may wait for the store past its deadline.

    It can also make renewals fail whatever the store, once or until the
    scenario ends: with a storage error, as any store raises for a fault of
    its medium, or with an error of a type no store should let escape, as a
    buggy client library might.
    """

    def __init__(self, inner: LeaseStore) -> None:
        self.inner = inner
        self.where = inner.where
        self.expiry_clock = inner.expiry_clock
        self.observations = 0
        self.renewed: list[Lock] = []
        self.claim_waits: list[float | None] = []
        self.takeover_waits: list[float | None] = []
        #: The errors the next renewals raise, one each; then ``lasting_renewal_error``, if any, for every one.
        self.renewal_errors: list[Exception] = []
        self.lasting_renewal_error: Exception | None = None
        self._after_next_observation: list[Action] = []
        self._after_next_look_aside: list[Action] = []

    def forget_action(self) -> None:
        """Start counting afresh: what a scenario reads is about the last action only."""
        self.observations = 0
        self.claim_waits.clear()
        self.takeover_waits.clear()

    def after_next_observation(self, action: Action) -> None:
        """Run ``action`` once, just after the next observation returns."""
        self._after_next_observation.append(action)

    def after_next_look_aside(self, action: Action) -> None:
        """Run ``action`` once, just after the next listing of what was set aside returns."""
        self._after_next_look_aside.append(action)

    def observe(self, resource: str) -> Observation:
        seen = self.inner.observe(resource)
        self._observed()
        return seen

    def observe_all(self) -> Iterator[Observation]:
        seen = list(self.inner.observe_all())
        self._observed()
        return iter(seen)

    def claim_if_absent(self, draft: Lock, *, wait_ms: float | None = None) -> tuple[Lock | None, Observation]:
        self.claim_waits.append(wait_ms)
        outcome = self.inner.claim_if_absent(draft, wait_ms=wait_ms)
        self._observed()
        return outcome

    def claim(self, seen: Observation, draft: Lock, *, wait_ms: float | None = None) -> Lock | None:
        self.takeover_waits.append(wait_ms)
        return self.inner.claim(seen, draft, wait_ms=wait_ms)

    def replace(self, seen: Observation, lease: Lock) -> bool:
        if self.renewal_errors:
            raise self.renewal_errors.pop(0)
        if self.lasting_renewal_error is not None:
            raise self.lasting_renewal_error
        replaced = self.inner.replace(seen, lease)
        if replaced:
            self.renewed.append(lease)
        return replaced

    def remove(self, seen: Observation) -> bool:
        return self.inner.remove(seen)

    def release(self, lease: Lock) -> bool:
        return self.inner.release(lease)

    def kept_aside(self) -> Iterator[SetAside]:
        seen = list(self.inner.kept_aside())
        while self._after_next_look_aside:
            self._after_next_look_aside.pop(0)()
        return iter(seen)

    def discard(self, entry: SetAside) -> bool:
        return self.inner.discard(entry)

    def clear_leftovers(self) -> list[str]:
        return self.inner.clear_leftovers()

    def close(self) -> None:
        self.inner.close()

    def _observed(self) -> None:
        self.observations += 1
        actions, self._after_next_observation = self._after_next_observation, []
        for action in actions:
            action()


class WatchedFileSystem(FileSystem):
    """The real ``FileSystem``, with one-shot faults and hooks before and after a write."""

    def __init__(self) -> None:
        self.faults: dict[str, OSError] = {}
        self.before_writing: list[Action] = []
        self.while_writing: list[Action] = []

    def fail_next(self, operation: str, error: OSError) -> None:
        """Make the next call of ``operation`` (read, write_new, move, delete) raise ``error``."""
        self.faults[operation] = error

    def read(self, path: str, limit: int) -> StoredFile | None:
        self._maybe_fail("read")
        return super().read(path, limit)

    def write_new(self, path: str, data: bytes, mode: int) -> None:
        actions, self.before_writing = self.before_writing, []
        for action in actions:
            action()
        error = self.faults.pop("write_new", None)
        if error is not None:
            # As a full disk does: the file exists, half written, when the write fails.
            super().write_new(path, data[: len(data) // 2], mode)
            raise error
        super().write_new(path, data, mode)
        actions, self.while_writing = self.while_writing, []
        for action in actions:
            action()

    def move(self, source: str, target: str) -> None:
        self._maybe_fail("move")
        super().move(source, target)

    def delete(self, path: str) -> None:
        self._maybe_fail("delete")
        super().delete(path)

    def _maybe_fail(self, operation: str) -> None:
        error = self.faults.pop(operation, None)
        if error is not None:
            raise error
