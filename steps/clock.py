"""Steps about time: letting it pass, and what the instances waited."""

from __future__ import annotations

import datetime

from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    all_of,
    assert_that,
    empty,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    has_length,
    is_,
    is_not,
    less_than,
)

from steps.support import parameters  # noqa: F401  (registers the parameter types)


@given("{elapsed:Duration} have passed")
@when("{elapsed:Duration} pass")
def time_passes(context: Context, elapsed: float) -> None:
    context.world.clock.advance(elapsed)


@given("the clock reads {moment} UTC")
def clock_reads(context: Context, moment: str) -> None:
    wanted = datetime.datetime.fromisoformat(moment).replace(tzinfo=datetime.UTC)
    ahead_ms = round(wanted.timestamp() * 1000) - context.world.clock.now_ms()
    assert_that(ahead_ms, greater_than_or_equal_to(0), f"milliseconds from the scenario's clock on to {moment}")
    context.world.clock.advance(ahead_ms)


@given("instance {name}'s waits each last {extra:Duration} longer than asked, as on a loaded machine")
def oversleeping(context: Context, name: str, extra: float) -> None:
    context.world.clocks[name].oversleep_ms = extra


@then("instance {name} made {attempts:d} attempts")
def made_attempts(context: Context, name: str, attempts: int) -> None:
    looked = context.world.observations.get(name)
    assert_that(
        looked, equal_to(attempts), f"how often {name} looked at the lease in its last action (once per attempt)"
    )


@then("instance {name} waited {waits:Durations} between them")
def waited(context: Context, name: str, waits: list[float]) -> None:
    made = context.world.waits.get(name, [])
    assert_that(made, equal_to(waits), f"the waits {name} made on the clock, in milliseconds")


@then("instance {name}'s attempts let the store keep it waiting at most {waits:Durations}")
def store_waits(context: Context, name: str, waits: list[float]) -> None:
    allowed = context.world.stores[name].claim_waits
    assert_that(allowed, equal_to(waits), f"how long each of {name}'s attempts let the store keep it waiting, in ms")


@then("instance {name}'s takeover let the store keep it waiting at most {wait:Duration}")
def takeover_wait(context: Context, name: str, wait: float) -> None:
    allowed = context.world.stores[name].takeover_waits
    assert_that(allowed, equal_to([wait]), f"how long {name}'s takeovers let the store keep it waiting, in ms")


@then("instance {name}'s waits were each shortened, by at most {jitter:g} of it, from {waits:Durations}")
def waited_jittered(context: Context, name: str, jitter: float, waits: list[float]) -> None:
    made = context.world.waits.get(name, [])
    assert_that(made, has_length(len(waits)), f"how many waits {name} made on the clock")
    for number, (wait, full) in enumerate(zip(made, waits, strict=True), 1):
        shortest = full * (1 - jitter)
        assert_that(wait, all_of(greater_than_or_equal_to(shortest), less_than(full)), f"{name}'s wait {number} in ms")


@then("instance {name}'s waits averaged between {low:Duration} and {high:Duration}")
def waits_averaged(context: Context, name: str, low: float, high: float) -> None:
    made = context.world.waits.get(name, [])
    assert_that(len(made), greater_than(0), f"how many waits {name} made")
    average = sum(made) / len(made)
    assert_that(average, all_of(greater_than_or_equal_to(low), less_than(high)), f"{name}'s average wait in ms")


@then("instance {name} waited exactly as long as instance {other} did")
def waited_alike(context: Context, name: str, other: str) -> None:
    made = context.world.waits.get(name, [])
    assert_that(made, all_of(equal_to(context.world.waits.get(other)), is_not(empty())), f"the waits {name} made")


@then("exactly {elapsed:Duration} passed on the clock while instance {name} tried")
def clock_moved(context: Context, elapsed: float, name: str) -> None:
    took = context.world.elapsed_ms.get(name)
    assert_that(took, equal_to(elapsed), f"milliseconds that passed on the clock while {name} tried")


@then("lockspec never slept for real")
def never_slept(context: Context) -> None:
    assert_that(context.world.real_sleeps, is_(empty()), "real sleeps made by lockspec")
