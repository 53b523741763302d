"""Steps of the torture run: many processes on one hot resource, crashes inside, a history check."""

from __future__ import annotations

import json
import re

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, greater_than, less_than

from steps.support import parameters  # noqa: F401  (registers the parameter types)
from steps.support.report import report
from steps.support.torture import Chaos, Figures, check, conduct

_ODDS = re.compile(r"one in (\d+)")
_EVERY = re.compile(r"every (\d+(?:\.\d+)?) s")
#: What may happen during a torture run, as the feature's table says it, and the chaos setting it makes.
_HAPPENINGS = {
    "a holder is killed inside its critical section": "kill_chance",
    "a holder forks a child that outlives it": "fork_chance",
    "a writer dies inside its guard, leaving a child": "die_in_guard_chance",
    "lockspec's bookkeeping folder is removed": "wipe_every_s",
}


def _chaos(context: Context) -> Chaos:
    settings: dict[str, float] = {}
    for row in context.table:
        what, how_often = row["what happens"], row["how often"]
        if what not in _HAPPENINGS:
            raise NotImplementedError(f"no torture can make {what!r} happen; known: {sorted(_HAPPENINGS)}")
        odds, every = _ODDS.fullmatch(how_often), _EVERY.fullmatch(how_often)
        if odds is None and every is None:
            raise ValueError(f"how often: expected 'one in N' or 'every N s', got {how_often!r}")
        settings[_HAPPENINGS[what]] = 1 / int(odds.group(1)) if odds else float(every.group(1))  # type: ignore[union-attr]
    return Chaos(**settings)


@when(
    '{workers:d} processes contend for "{resource}" for {seconds:d} s with a TTL of {ttl:Duration},'
    " while another cleans up in a loop and:"
)
def torture(context: Context, *, workers: int, resource: str, seconds: int, ttl: float) -> None:
    # CI's repeated runs shorten it with -D torture_seconds=N; the figures say how long it ran.
    seconds = int(context.config.userdata.get("torture_seconds", seconds))
    folder = context.world.lock_dir.parent
    conducted = conduct(
        context.world.store.url(),
        resource,
        workers=workers,
        seconds=seconds,
        ttl_ms=int(ttl),
        chaos=_chaos(context),
        folder=folder,
    )
    context.figures = check(folder)
    summary = f"{context.figures.summary()}; {seconds} s, {conducted.started} workers started"
    extras = f"{conducted.died_in_guard} died inside a guard, {conducted.wipes} bookkeeping removals"
    report(f"{summary}, {extras}, cleanup removed {conducted.cleaned}")


@given("a torture journal in which two holders were given the same token and were inside at the same time")
def journal_with_duplicate(context: Context) -> None:
    folder = context.world.lock_dir.parent
    events = [
        {"event": "enter", "t": 1_000, "lock_id": "first", "token": 7, "expires_at_ms": 10},
        {"event": "enter", "t": 2_000, "lock_id": "second", "token": 7, "expires_at_ms": 10},
        {"event": "exit", "t": 3_000, "lock_id": "first", "token": 7, "accepted": True},
        {"event": "exit", "t": 4_000, "lock_id": "second", "token": 7, "accepted": False},
    ]
    (folder / "journal").write_text("".join(json.dumps(event) + "\n" for event in events))
    (folder / "counter").write_text("1 7", encoding="ascii")


@when("the torture history is checked")
def check_history(context: Context) -> None:
    context.figures = check(context.world.lock_dir.parent)


@then("the check counts {overlaps:d} overlap and {duplicates:d} duplicate token")
def counts(context: Context, overlaps: int, duplicates: int) -> None:
    figures: Figures = context.figures
    assert_that((figures.overlaps, figures.duplicate_tokens), equal_to((overlaps, duplicates)), figures.summary())


@then("no two holders were ever inside at the same time while both held valid leases")
def no_overlap(context: Context) -> None:
    figures: Figures = context.figures
    assert_that(figures.overlaps, equal_to(0), f"overlapping stays inside: {figures.summary()}")


@then("no two acquisitions got the same fencing token, and tokens strictly increased")
def tokens_increase(context: Context) -> None:
    figures: Figures = context.figures
    assert_that(figures.duplicate_tokens, equal_to(0), f"tokens given twice: {figures.summary()}")
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


@then("the resource was never left idle for {bound:Duration} or more")
def never_idle(context: Context, bound: float) -> None:
    figures: Figures = context.figures
    assert_that(figures.longest_idle_ms, less_than(bound), f"the longest time nobody was inside: {figures.summary()}")
