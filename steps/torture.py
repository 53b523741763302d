"""Steps of the torture run: many processes on one hot resource, crashes inside, a history check."""

from __future__ import annotations

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, greater_than

from steps.support import parameters  # noqa: F401  (registers the parameter types)
from steps.support.report import report
from steps.support.torture import Figures, check, conduct


@when(
    '{workers:d} processes contend for "{resource}" for {seconds:d} s with a TTL of {ttl:Duration}, '
    "one in {odds:d} of them killed inside its critical section, while another cleans up in a loop"
)
def torture(context: Context, *, workers: int, resource: str, seconds: int, ttl: float, odds: int) -> None:
    # CI's repeated runs shorten it with -D torture_seconds=N; the figures say how long it ran.
    seconds = int(context.config.userdata.get("torture_seconds", seconds))
    folder = context.world.lock_dir.parent
    conducted = conduct(
        context.world.lock_dir,
        resource,
        workers=workers,
        seconds=seconds,
        ttl_ms=int(ttl),
        kill_chance=1 / odds,
        folder=folder,
    )
    context.figures = check(folder)
    context.conducted = conducted
    summary = f"{context.figures.summary()}; {seconds} s, {conducted.started} workers started"
    report(f"{summary}, cleanup removed {conducted.cleaned}")


@then("no two holders were ever inside at the same time while both held valid leases")
def no_overlap(context: Context) -> None:
    figures: Figures = context.figures
    assert_that(figures.overlaps, equal_to(0), f"overlapping stays inside: {figures.summary()}")


@then("the fencing tokens strictly increased")
def tokens_increase(context: Context) -> None:
    figures: Figures = context.figures
    assert_that(figures.token_regressions, equal_to(0), f"tokens not above the previous: {figures.summary()}")


@then("the counter equals the number of completed critical sections")
def counter_matches(context: Context) -> None:
    figures: Figures = context.figures
    assert_that(figures.sections, greater_than(0), "completed critical sections")
    assert_that(figures.counter, equal_to(figures.sections), f"the shared counter: {figures.summary()}")


@then("every crash was recovered by a takeover")
def crashes_recovered(context: Context) -> None:
    figures: Figures = context.figures
    assert_that(figures.crashes, greater_than(0), "holders killed inside their critical section")
    assert_that(figures.recovered, equal_to(figures.crashes), f"crashes followed by a takeover: {figures.summary()}")
