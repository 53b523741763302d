"""Steps about keeping a lease alive: renewals while the holder works, and learning of a loss.

With the frozen clock, the keep-alive's renewals are scheduled on the
scenario's clock at the keep-alive's own interval, so that they happen at
exact instants; in ``@processes`` scenarios its own thread renews in real time.
"""

from __future__ import annotations

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, contains_string, equal_to, has_length, is_

from lockspec import Lock
from lockspec.keepalive import KeepAlive
from steps.support import parameters  # noqa: F401  (registers the parameter types)
from steps.support.frozen_clock import FrozenClock
from steps.support.matchers import held_by
from steps.support.wrappers import os_error


class _Beats:
    """A keep-alive's renewals, scheduled on the frozen clock; a paused holder makes none."""

    def __init__(self, clock: FrozenClock, keepalive: KeepAlive) -> None:
        self.clock = clock
        self.keepalive = keepalive
        self.paused = False
        self.renewals = 0
        clock.schedule(keepalive.interval_ms, self.beat)

    def beat(self) -> None:
        if self.paused:
            return
        before = self.keepalive.lease
        if self.keepalive.beat():
            self.renewals += self.keepalive.lease != before
            self.clock.schedule(self.keepalive.interval_ms, self.beat)


@given('instance {name} keeps its lease on "{resource}" alive')
def keep_alive(context: Context, name: str, resource: str) -> None:
    losses: list[tuple[Lock, str]] = []
    context.losses = losses
    lease = context.world.lease_of(name, resource)
    keepalive = KeepAlive(context.world.instance(name), lease, on_lost=lambda lost, why: losses.append((lost, why)))
    context.keepalive = keepalive
    if isinstance(context.world.clock, FrozenClock):
        context.beats = _Beats(context.world.clock, keepalive)
    else:
        keepalive.start()
        context.add_cleanup(keepalive.stop)


@given("instance {name} is paused")
def pause(context: Context, name: str) -> None:
    context.beats.paused = True


@when("instance {name} resumes")
def resume(context: Context, name: str) -> None:
    context.beats.paused = False
    context.beats.beat()


@given('every write by instance {name} fails with "{message}"')
def lasting_fault(context: Context, name: str, message: str) -> None:
    context.world.files[name].fail_until_cleared("write_new", os_error(message))


@when("instance {name} stops keeping its lease alive and releases it")
def stop_and_release(context: Context, name: str) -> None:
    lease = context.keepalive.stop()
    context.world.act(name, lambda instance: instance.release_lock(lease))


@then('instance {name} still holds its lease on "{resource}"')
def still_holds(context: Context, name: str, resource: str) -> None:
    keepalive: KeepAlive = context.keepalive
    assert_that(keepalive.lost, is_(False), f"whether {name}'s keep-alive says the lease was lost")
    # The same acquisition, compared without its expiry: a running keep-alive may renew at any moment.
    holder = context.world.holder(resource)
    assert_that(holder, held_by(name, resource))
    acquired = context.world.lease_of(name, resource)
    assert_that((holder.lock_id, holder.fencing_token), equal_to((acquired.lock_id, acquired.fencing_token)))


@then("its lease was renewed {count:d} times, keeping its fencing token")
def renewed_times(context: Context, count: int) -> None:
    assert_that(context.beats.renewals, equal_to(count), "renewals made by the keep-alive")
    first = context.world.lease_of(context.keepalive.lease.owner, context.keepalive.lease.resource)
    assert_that(context.keepalive.lease.fencing_token, equal_to(first.fencing_token), "the renewed lease's token")


@then('instance {name} is told it lost its lease on "{resource}" because "{reason}"')
def told_lost(context: Context, name: str, resource: str, reason: str) -> None:
    keepalive: KeepAlive = context.keepalive
    assert_that(keepalive.lost_because or "", contains_string(reason), f"why {name}'s keep-alive lost the lease")
    assert_that(context.losses, has_length(1), f"losses reported to {name}'s callback")
    lost, why = context.losses[0]
    assert_that((lost.resource, why), equal_to((resource, keepalive.lost_because)), "what the callback was told")
