"""PyHamcrest matchers that make failures read in the domain's words.

For example ``Expected: a lease on 'resource-1' held by 'A'`` /
``but: nobody held it``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hamcrest.core.base_matcher import BaseMatcher
from hamcrest.core.description import Description

from lockspec import Lock, LockError


def describe_outcome(outcome: object) -> str:
    """Say in words what an instance's action produced."""
    if isinstance(outcome, Lock):
        return f"a lease on {outcome.resource!r} held by {outcome.owner!r} (token {outcome.fencing_token})"
    if isinstance(outcome, LockError):
        return f"{type(outcome).__name__}: {outcome}"
    if outcome is None:
        return "nothing (refused)"
    return repr(outcome)


class HeldBy(BaseMatcher[Lock | None]):
    def __init__(self, owner: str, resource: str, lease: Lock | None, absent: str) -> None:
        self.owner = owner
        self.resource = resource
        self.lease = lease
        self.absent = absent

    def _matches(self, item: Any) -> bool:
        if not isinstance(item, Lock) or item.owner != self.owner or item.resource != self.resource:
            return False
        return self.lease is None or item == self.lease

    def describe_to(self, description: Description) -> None:
        description.append_text(f"a lease on {self.resource!r} held by {self.owner!r}")
        if self.lease is not None:
            description.append_text(f", unchanged since it was acquired (token {self.lease.fencing_token})")

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        if item is None:
            mismatch_description.append_text(self.absent)
        elif isinstance(item, Lock) and self.lease is not None and item.owner == self.owner:
            mismatch_description.append_text(f"it had changed to {item!r}")
        else:
            mismatch_description.append_text(f"it was {describe_outcome(item)}")


def held_by(owner: str, resource: str, lease: Lock | None = None) -> HeldBy:
    """Match the lease of ``resource`` held by ``owner`` (exactly ``lease`` if given)."""
    return HeldBy(owner, resource, lease, absent="nobody held it")


def granted_to(owner: str, resource: str) -> HeldBy:
    """Match what an acquisition returned: a lease on ``resource`` for ``owner``."""
    return HeldBy(owner, resource, None, absent="it was refused")


class OutcomeOfKind(BaseMatcher[object]):
    """An action's outcome of one kind (a refusal, a success), named in words."""

    def __init__(self, kind: str, accepts: Callable[[Any], bool]) -> None:
        self.kind = kind
        self.accepts = accepts

    def _matches(self, item: Any) -> bool:
        return self.accepts(item)

    def describe_to(self, description: Description) -> None:
        description.append_text(self.kind)

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        mismatch_description.append_text(f"it got {describe_outcome(item)}")


def a_refusal() -> OutcomeOfKind:
    """Match an action that was refused quietly: ``None`` or ``False``, not an exception."""
    return OutcomeOfKind("a refusal (no lease, no error)", lambda item: item is None or item is False)


class ErrorOfKind(BaseMatcher[object]):
    def __init__(self, kind: type[LockError], fragments: tuple[str, ...]) -> None:
        self.kind = kind
        self.fragments = fragments

    def _matches(self, item: Any) -> bool:
        return isinstance(item, self.kind) and all(fragment in str(item) for fragment in self.fragments)

    def describe_to(self, description: Description) -> None:
        description.append_text(f"a {self.kind.__name__} whose message names {', '.join(map(repr, self.fragments))}")

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        mismatch_description.append_text(f"it was {describe_outcome(item)}")


def an_error(kind: type[LockError], *fragments: str) -> ErrorOfKind:
    """Match a lockspec error of ``kind`` whose message contains every fragment."""
    return ErrorOfKind(kind, fragments)


def a_success() -> OutcomeOfKind:
    """Match an action that did what it was asked: a lease, ``True``, or a non-empty cleanup report."""
    return OutcomeOfKind(
        "a success (a lease, a release, or a cleanup that removed something)",
        lambda item: isinstance(item, Lock) or item is True or (isinstance(item, list) and bool(item)),
    )
