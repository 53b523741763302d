"""Steps that race instances for real, each in its own thread."""

from __future__ import annotations

import threading

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, has_length

from lockspec import Lock, LockError
from steps.support.matchers import a_refusal, granted_to
from steps.support.world import ONLOOKER

#: A bound on how long a thread may take, so that a hang fails instead of blocking the run.
_THREAD_TIMEOUT_S = 10.0


@when('they all try to acquire "{resource}" at the same moment, each in its own thread')
def race_in_threads(context: Context, resource: str) -> None:
    names = [name for name in context.world.instances if name != ONLOOKER]
    barrier = threading.Barrier(len(names), timeout=_THREAD_TIMEOUT_S)
    outcomes: dict[str, object] = {}

    def contend(name: str) -> None:
        instance = context.world.instance(name)
        barrier.wait()
        try:
            outcomes[name] = instance.try_acquire_lock(resource)
        except LockError as error:
            outcomes[name] = error

    threads = [threading.Thread(target=contend, args=(name,), name=f"contender-{name}") for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(_THREAD_TIMEOUT_S)
    assert_that([t.name for t in threads if t.is_alive()], has_length(0), "threads still running after the bound")
    context.race = outcomes
    context.race_ids = {name: context.world.id_of(name) for name in names}


@then('exactly one of them gets the lock on "{resource}" and the others are refused')
def exactly_one_wins(context: Context, resource: str) -> None:
    outcomes: dict[str, object] = context.race
    winners = {name: lease for name, lease in outcomes.items() if isinstance(lease, Lock)}
    assert_that(sorted(winners), has_length(1), f"contenders that got {resource!r} (of {sorted(outcomes)})")
    ((winner, lease),) = winners.items()
    assert_that(lease, granted_to(context.race_ids[winner], resource))
    for name, outcome in outcomes.items():
        if name != winner:
            assert_that(outcome, a_refusal(), f"what contender {name} got")
    context.winner = lease


@then('"{resource}" is held by the winner')
def held_by_winner(context: Context, resource: str) -> None:
    assert_that(context.world.holder(resource), equal_to(context.winner), f"the lease on {resource!r}")
