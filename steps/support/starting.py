"""Starting an instance as a step that expects it may be refused: what it gave, the instance or the error."""

from __future__ import annotations

from collections.abc import Callable

from lockspec import Coordinator, LockError


def start_outcome(start: Callable[[], Coordinator]) -> Coordinator | LockError:
    """The coordinator ``start()`` made (closed at once: only its settings are looked at), or its ``LockError``."""
    try:
        instance = start()
    except LockError as error:
        return error
    instance.close()
    return instance


def started(outcome: Coordinator | LockError) -> Coordinator:
    """The coordinator a start step made; fails the step if starting it failed."""
    if not isinstance(outcome, Coordinator):
        raise AssertionError(f"what starting the instance gave: {outcome!r}, not a coordinator")
    return outcome
