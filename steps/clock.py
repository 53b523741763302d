"""Steps about time: letting it pass, and what the instances waited."""

from __future__ import annotations

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, is_

from steps.support import parameters  # noqa: F401  (registers the parameter types)


@given("{elapsed:Duration} have passed")
@when("{elapsed:Duration} pass")
def time_passes(context: Context, elapsed: float) -> None:
    context.world.clock.advance(elapsed)


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


@then("exactly {elapsed:Duration} passed on the clock while instance {name} tried")
def clock_moved(context: Context, elapsed: float, name: str) -> None:
    took = context.world.elapsed_ms.get(name)
    assert_that(took, equal_to(elapsed), f"milliseconds that passed on the clock while {name} tried")


@then("lockspec never slept for real")
def never_slept(context: Context) -> None:
    assert_that(context.world.real_sleeps, is_(empty()), "real sleeps made by lockspec")
