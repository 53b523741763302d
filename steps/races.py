"""Steps that reproduce races exactly, by letting one instance act at a precise moment inside another's action."""

from __future__ import annotations

from collections.abc import Callable

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, is_

from lockspec import CleanupAction, Observation


@when('instance {name} acquires "{resource}" while instance {watcher} looks at it mid-write')
def acquire_watched_mid_write(context: Context, name: str, resource: str, watcher: str) -> None:
    seen: list[Observation] = []
    # Runs when the lease bytes have been written, before anything is moved into place.
    context.world.files[name].while_writing.append(
        lambda: seen.append(context.world.stores[watcher].inner.observe(resource))
    )
    context.world.act(name, lambda instance: instance.try_acquire_lock(resource))
    assert_that(len(seen), equal_to(1), f"{watcher} looked exactly once while {name} wrote")
    context.mid_write_observation = seen[0]


@then('instance {watcher} saw "{resource}" free, not an unreadable lease file')
def saw_free(context: Context, watcher: str, resource: str) -> None:
    seen: Observation = context.mid_write_observation
    assert_that(seen.problem, equal_to(None), f"what {watcher} found wrong with the lease file of {resource!r}")
    assert_that(seen.is_absent, is_(True), f"{watcher} found no lease file of {resource!r}")


@when('instance {name} tries to acquire "{resource}", but instance {other} {deed} right after {looker} has looked')
def acquire_overtaken(context: Context, *, name: str, resource: str, other: str, deed: str, looker: str) -> None:
    _after_next_look(context, name, looker, lambda: _IN_BETWEEN[deed](context, other, resource))
    context.world.act(name, lambda instance: instance.try_acquire_lock(resource))


@when(
    'instance {name} cleans up expired locks, but instance {other} {deed} "{resource}" right after {looker} has looked'
)
def cleanup_overtaken(context: Context, *, name: str, other: str, deed: str, resource: str, looker: str) -> None:
    _after_next_look(context, name, looker, lambda: _IN_BETWEEN[deed](context, other, resource))
    context.cleanup_report = context.world.act(name, lambda instance: instance.cleanup_expired_locks())


@when(
    'instance {name} renews its lock on "{resource}",'
    " but instance {rival} takes it over right after {looker} has looked"
)
def renew_overtaken(context: Context, name: str, resource: str, rival: str, looker: str) -> None:
    lease = context.world.lease_of(name, resource)
    _after_next_look(context, name, looker, lambda: _takes_over(context, rival, resource))
    context.world.act(name, lambda instance: instance.renew_lock(lease))


@when(
    "instance {name} cleans up expired locks, asking what was done,"
    " but instance {other} purges what was set aside right after {looker} has looked at it"
)
def cleanup_overtaken_aside(context: Context, *, name: str, other: str, looker: str) -> None:
    assert_that(looker, equal_to(name), "the instance that looks is the one acting")

    def purge() -> None:
        done = context.world.act(other, lambda instance: instance.cleanup())
        purged = [entry.action for entry in done] if isinstance(done, list) else done
        assert_that(purged, equal_to([CleanupAction.PURGED]), f"what {other}'s cleanup did in between")

    context.world.stores[name].after_next_look_aside(purge)
    context.world.act(name, lambda instance: instance.cleanup())


def _after_next_look(context: Context, name: str, looker: str, action: Callable[[], None]) -> None:
    """Have ``action`` run just after the next look ``name`` takes at the store, inside its own action."""
    assert_that(looker, equal_to(name), "the instance that looks is the one acting")
    context.world.stores[name].after_next_observation(action)


def _takes_over(context: Context, rival: str, resource: str) -> None:
    lease = context.world.act(rival, lambda instance: instance.try_acquire_lock(resource))
    assert_that(lease is not None, f"{rival} took over {resource!r} in between")


def _releases(context: Context, holder: str, resource: str) -> None:
    lease = context.world.lease_of(holder, resource)
    released = context.world.act(holder, lambda instance: instance.release_lock(lease))
    assert_that(released, is_(True), f"{holder} released {resource!r} in between")


#: What another instance does in between, in the words of the steps above.
_IN_BETWEEN: dict[str, Callable[[Context, str, str], None]] = {
    "takes it over": _takes_over,
    "takes over": _takes_over,
    "releases it": _releases,
    "releases": _releases,
}
