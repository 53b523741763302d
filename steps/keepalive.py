"""Steps about keeping a lease alive: renewals while the holder works, and learning of a loss.

The keep-alive's own thread renews, waiting on the instance's clock: with the
frozen clock, at exactly its instants as the steps move time; in
``@processes`` scenarios, in real time. A paused instance's keep-alive does
not run until the instance resumes.
"""

from __future__ import annotations

from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    all_of,
    assert_that,
    contains_string,
    equal_to,
    greater_than,
    has_length,
    is_,
    less_than_or_equal_to,
)

from lockspec import KeepAlive, Lock, LockStorageError
from steps.support import parameters  # noqa: F401  (registers the parameter types)
from steps.support.matchers import held_by
from steps.support.parameters import python_value


def _start_keepalive(context: Context, name: str, resource: str, *, interval_ms: float | None = None) -> KeepAlive:
    losses: list[tuple[Lock, str]] = []
    context.losses = losses
    lease = context.world.lease_of(name, resource)
    keepalive = KeepAlive(
        context.world.instance(name), lease, interval_ms, on_lost=lambda lost, why: losses.append((lost, why))
    )
    context.keepalive = keepalive
    return keepalive


@given('instance {name} keeps its lease on "{resource}" alive')
def keep_alive(context: Context, name: str, resource: str) -> None:
    keepalive = _start_keepalive(context, name, resource).start()
    context.add_cleanup(keepalive.stop)


@given("instance {name} is paused")
def pause(context: Context, name: str) -> None:
    context.world.clock.pause(name)


@when("instance {name} resumes")
def resume(context: Context, name: str) -> None:
    context.world.clock.resume(name)


@given('the next renewal by instance {name} fails with a storage error, "{message}"')
def renewal_fault(context: Context, name: str, message: str) -> None:
    store = context.world.stores[name]
    store.renewal_errors.append(_renewal_failure(store.where, message))


@given('every renewal by instance {name} fails with a storage error, "{message}"')
def lasting_renewal_fault(context: Context, name: str, message: str) -> None:
    store = context.world.stores[name]
    store.lasting_renewal_error = _renewal_failure(store.where, message)


def _renewal_failure(where: str, message: str) -> LockStorageError:
    """The error any store raises when its medium fails a renewal with ``message``."""
    return LockStorageError("renew lease on", where, OSError(message))


@given('the next renewal by instance {name} fails with an error no store should raise, "{message}"')
def unexpected_fault(context: Context, name: str, message: str) -> None:
    context.world.stores[name].renewal_errors.append(RuntimeError(message))


@when("instance {name} stops keeping its lease alive and releases it")
def stop_and_release(context: Context, name: str) -> None:
    lease = context.keepalive.stop()
    context.world.act(name, lambda instance: instance.release_lock(lease))


@given('instance {name} has kept its lease on "{resource}" alive in a with-block while {elapsed:Duration} passed')
def keep_alive_in_block(context: Context, name: str, resource: str, elapsed: float) -> None:
    with _start_keepalive(context, name, resource):
        context.world.clock.advance(elapsed)


@when('instance {name} starts a keep-alive on "{resource}" renewing every {interval} ms')
def start_with_interval(context: Context, name: str, resource: str, interval: str) -> None:
    def start(instance: object) -> KeepAlive:
        return _start_keepalive(context, name, resource, interval_ms=python_value(interval))  # type: ignore[arg-type]

    context.world.act(name, start)


@then('instance {name} still holds its lease on "{resource}"')
def still_holds(context: Context, name: str, resource: str) -> None:
    keepalive: KeepAlive = context.keepalive
    assert_that(keepalive.lost, is_(False), f"whether {name}'s keep-alive says the lease was lost")
    # The same acquisition, compared without its expiry: a running keep-alive may renew at any moment.
    holder = context.world.holder(resource)
    assert_that(holder, held_by(name, resource))
    acquired = context.world.lease_of(name, resource)
    assert_that((holder.lock_id, holder.fencing_token), equal_to((acquired.lock_id, acquired.fencing_token)))


@then("instance {name}'s lease was renewed {count:d} times, keeping its fencing token")
def renewed_times(context: Context, name: str, count: int) -> None:
    assert_that(context.world.stores[name].renewed, has_length(count), f"renewals {name} made")
    _kept_tokens(context, name)


@then("instance {name}'s lease was renewed at least once and at most {count:d} times, keeping its fencing token")
def renewed_at_most(context: Context, name: str, count: int) -> None:
    renewals = len(context.world.stores[name].renewed)
    assert_that(renewals, all_of(greater_than(0), less_than_or_equal_to(count)), f"renewals {name} made")
    _kept_tokens(context, name)


def _kept_tokens(context: Context, name: str) -> None:
    renewed = context.world.stores[name].renewed
    tokens = {(lease.resource, lease.fencing_token) for lease in renewed}
    acquired = {(lease.resource, context.world.lease_of(name, lease.resource).fencing_token) for lease in renewed}
    assert_that(tokens, equal_to(acquired), "the resources and tokens of the renewed leases")


@then('instance {name} is told it lost its lease on "{resource}" because "{reason}"')
def told_lost(context: Context, name: str, resource: str, reason: str) -> None:
    keepalive: KeepAlive = context.keepalive
    assert_that(keepalive.lost_because or "", contains_string(reason), f"why {name}'s keep-alive lost the lease")
    assert_that(context.losses, has_length(1), f"losses reported to {name}'s callback")
    lost, why = context.losses[0]
    assert_that((lost.resource, why), equal_to((resource, keepalive.lost_because)), "what the callback was told")
