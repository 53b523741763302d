"""Steps about mistakes and failures: invalid arguments and failing storage."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    all_of,
    assert_that,
    equal_to,
    greater_than_or_equal_to,
    instance_of,
    less_than_or_equal_to,
    not_none,
)

from lockspec import (
    Backoff,
    CleanupAction,
    Coordinator,
    InvalidArgumentError,
    LeaseState,
    LockStorageError,
    Policy,
    connect,
)
from steps.support import parameters  # noqa: F401  (registers the parameter types)
from steps.support.matchers import a_success, an_error
from steps.support.parameters import python_value
from steps.support.starting import start_outcome, started
from steps.support.wrappers import os_error

_OPERATIONS = {"read": "read", "write": "write_new", "rename": "move", "removal": "delete"}


@given('the next {operation} by instance {name} fails with "{message}"')
def inject_fault(context: Context, operation: str, name: str, message: str) -> None:
    context.before_fault = context.world.contents()
    context.world.files[name].fail_next(_OPERATIONS[operation], os_error(message))


@when("instance {name} tries to acquire {resource} with a TTL of {ttl_ms} ms and {max_retries} retries")
def try_acquire_raw(context: Context, name: str, resource: str, ttl_ms: str, max_retries: str) -> None:
    arguments = python_value(resource), python_value(ttl_ms), python_value(max_retries)
    context.world.act(name, lambda instance: instance.try_acquire_lock(*arguments))


@given('instance {name} has tried to acquire "{resource}"')
def tried_to_acquire(context: Context, name: str, resource: str) -> None:
    context.world.act(name, lambda instance: instance.try_acquire_lock(resource))


@when('instance {name} is started with "{folder}" as its lock directory')
def start_on_folder(context: Context, name: str, folder: str) -> None:
    path: Path = context.world.lock_dir.parent / folder
    _start(context, lambda: connect(path, instance_id=name))


@when("an instance is started allowing for {margin} ms of clock skew")
def start_with_margin(context: Context, margin: str) -> None:
    value: Any = python_value(margin)
    _start(context, lambda: connect(context.world.store.url(), max_clock_skew_ms=value))


@when("an instance is started keeping what it sets aside for {period} ms")
def start_keeping_set_aside(context: Context, period: str) -> None:
    value: Any = python_value(period)
    _start(context, lambda: connect(context.world.store.url(), keep_set_aside_ms=value))


@when("an instance is started with a backoff of base {base} ms, factor {factor}, cap {cap} ms and jitter {jitter}")
def start_with_backoff(context: Context, base: str, factor: str, cap: str, jitter: str) -> None:
    settings: list[Any] = [python_value(text) for text in (base, factor, cap, jitter)]
    _start(context, lambda: connect(context.world.store.url(), backoff=Backoff(*settings)))


@when("an instance is started with the instance id '{instance_id:Text}'")
def start_with_id(context: Context, instance_id: str) -> None:
    _start(context, lambda: connect(context.world.store.url(), instance_id=instance_id))


@when("an instance is started with an instance id of {length:d} characters")
def start_with_long_id(context: Context, length: int) -> None:
    context.instance_id = "i" * length
    _start(context, lambda: connect(context.world.store.url(), instance_id=context.instance_id))


@then("it allows for {margin:d} ms of clock skew, and detects dead holders")
def told_settings(context: Context, margin: int) -> None:
    started = _started(context)
    told = (started.max_clock_skew_ms, started.detect_dead_holders)
    assert_that(told, equal_to((margin, True)), "the clock skew margin and dead-holder detection it tells")


@then("it is known by that instance id")
def known_by_id(context: Context) -> None:
    assert_that(_started(context).instance_id, equal_to(context.instance_id), "its instance id")


@when("an instance is started with {what} where its store belongs")
def start_on_non_store(context: Context, what: str) -> None:
    given: Any = {"a lock directory's path": context.world.lock_dir, "an object with no leases": object()}[what]
    _start(context, lambda: Coordinator(given))


@when("instance {name} tries to {action} something that is not a lock")
def misuse(context: Context, name: str, action: str) -> None:
    not_a_lock: object = {"resource": "resource-1"}
    if action == "release":
        context.world.act(name, lambda instance: instance.release_lock(not_a_lock))
    else:
        context.world.act(name, lambda instance: instance.renew_lock(not_a_lock))


@when('someone changes the {field} of instance {name}\'s lease on "{resource}"')
def change_lease(context: Context, field: str, name: str, resource: str) -> None:
    _change(context, context.world.lease_of(name, resource), field.replace(" ", "_"), "someone else")


@when("someone changes the base of a backoff")
def change_backoff(context: Context) -> None:
    _change(context, Backoff(), "base_ms", 1.0)


@when("someone changes the clock skew margin of a lease policy")
def change_policy(context: Context) -> None:
    policy = Policy(host="host-1", max_clock_skew_ms=0, detect_dead_holders=True, keep_set_aside_ms=1000)
    _change(context, policy, "max_clock_skew_ms", 5000)


@when('someone changes the state in instance {name}\'s status of "{resource}"')
def change_status(context: Context, name: str, resource: str) -> None:
    entry = next(entry for entry in context.world.instance(name).status() if entry.resource == resource)
    _change(context, entry, "state", LeaseState.EXPIRED)


@when("someone changes the action in instance {name}'s dry-run cleanup report of an unreadable entry")
def change_cleanup_report(context: Context, name: str) -> None:
    context.world.plant("resource-2", b"INVALID{JSON")
    done = context.world.instance(name).cleanup(dry_run=True)
    _change(context, done[0], "action", CleanupAction.PURGED)


@when('someone changes the lease in what the store holds for "{resource}", as observed')
def change_observation(context: Context, resource: str) -> None:
    with closing(context.world.store.open(context.world.clock)) as store:
        _change(context, store.observe(resource), "lease", None)


@when("someone changes the problem of an entry the store set aside")
def change_set_aside(context: Context) -> None:
    context.world.plant("resource-2", b"INVALID{JSON")
    context.world.instance("A").cleanup_expired_locks()
    with closing(context.world.store.open(context.world.clock)) as store:
        _change(context, next(iter(store.kept_aside())), "problem", "none")


@then("the change is refused")
def change_refused(context: Context) -> None:
    value, field, before, error = context.change
    assert_that(error, instance_of(AttributeError), f"what setting {field} raised")
    assert_that(getattr(value, field), equal_to(before), f"{field} after the attempt")


def _change(context: Context, value: object, field: str, new: object) -> None:
    """Try to set ``field`` of ``value``; keep what it held and what the attempt raised, if anything."""
    before = getattr(value, field)
    error: AttributeError | None = None
    try:
        setattr(value, field, new)
    except AttributeError as refused:
        error = refused
    context.change = (value, field, before, error)


@then('starting it fails with a storage error naming "{fragment}"')
def start_failed(context: Context, fragment: str) -> None:
    assert_that(context.start_outcome, an_error(LockStorageError, fragment))


@then('starting it fails with an invalid argument error naming "{argument}" and saying "{text}"')
def start_rejected_saying(context: Context, argument: str, text: str) -> None:
    assert_that(context.start_outcome, an_error(InvalidArgumentError, f"invalid {argument}:", text))


@then('starting it fails with an invalid argument error naming "{argument}"')
def start_rejected(context: Context, argument: str) -> None:
    assert_that(context.start_outcome, an_error(InvalidArgumentError, f"invalid {argument}:"))


@then("it keeps what it sets aside for {period:d} ms")
def keeps_set_aside_for(context: Context, period: int) -> None:
    assert_that(_started(context).policy.keep_set_aside_ms, equal_to(period), "how long it keeps what it sets aside")


def _start(context: Context, start: Callable[[], Coordinator]) -> None:
    context.start_outcome = start_outcome(start)


def _started(context: Context) -> Coordinator:
    """The coordinator the last start step made; it fails the step if starting it failed."""
    return started(context.start_outcome)


@then('instance {name} fails with a storage error naming "{first}" and "{second}"')
def fails_with_storage_error(context: Context, name: str, first: str, second: str) -> None:
    assert_that(context.world.outcome(name), an_error(LockStorageError, first, second))


@then("instance {name}'s error says how long it waited for the guard: between {low:Duration} and {high:Duration}")
def says_guard_held_for(context: Context, name: str, low: float, high: float) -> None:
    outcome = context.world.outcome(name)
    said = re.search(r"held by another process for (\d+) ms", str(outcome))
    assert_that(said, not_none(), f"what instance {name}'s error says of the guard: {outcome}")
    assert said is not None
    waited = int(said[1])
    assert_that(
        waited, all_of(greater_than_or_equal_to(low), less_than_or_equal_to(high)), "milliseconds it says it waited"
    )


@then('instance {name} fails with an invalid argument error naming "{argument}"')
def fails_with_invalid_argument(context: Context, name: str, argument: str) -> None:
    outcome = context.world.outcome(name)
    assert_that(outcome, an_error(InvalidArgumentError, f"invalid {argument}:"))
    assert_that(outcome, instance_of(ValueError))


@then("the lock directory holds exactly what it held before the fault")
@then("the store holds exactly what it held before the fault")
def unchanged_by_fault(context: Context) -> None:
    assert_that(context.world.contents(), equal_to(context.before_fault), "the store, but its fencing counters")


@then("instance {name} succeeds when it tries again")
def succeeds_again(context: Context, name: str) -> None:
    outcome = context.world.act(name, context.world.last_actions[name])
    assert_that(outcome, a_success(), f"what {name} got when it tried again")


@then('the error it was refused with does not mention "{secret}"')
def refusal_keeps_secret(context: Context, secret: str) -> None:
    told = str(context.start_outcome)
    assert_that(secret in told, equal_to(False), f"whether the error, {told!r}, mentions {secret!r}")


@then('what instance {name} was told does not mention "{secret}"')
def not_told(context: Context, name: str, secret: str) -> None:
    told = str(context.world.outcome(name))
    assert_that(secret in told, equal_to(False), f"whether what {name} was told, {told!r}, mentions {secret!r}")
