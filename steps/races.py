"""Steps that reproduce races exactly, by letting one instance act at a precise moment inside another's action."""

from __future__ import annotations

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, is_

from lockspec import Observation


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


@when(
    'instance {name} tries to acquire "{resource}", but instance {rival} takes it over right after {looker} has looked'
)
def acquire_overtaken(context: Context, name: str, resource: str, rival: str, looker: str) -> None:
    _rival_acts_after_next_look(context, name, rival, resource, looker)
    context.world.act(name, lambda instance: instance.try_acquire_lock(resource))


@when(
    "instance {name} cleans up expired locks,"
    ' but instance {rival} takes over "{resource}" right after {looker} has looked'
)
def cleanup_overtaken(context: Context, name: str, rival: str, resource: str, looker: str) -> None:
    _rival_acts_after_next_look(context, name, rival, resource, looker)
    context.cleanup_report = context.world.act(name, lambda instance: instance.cleanup_expired_locks())


@when(
    'instance {name} renews its lock on "{resource}",'
    " but instance {rival} takes it over right after {looker} has looked"
)
def renew_overtaken(context: Context, name: str, resource: str, rival: str, looker: str) -> None:
    lease = context.world.lease_of(name, resource)
    _rival_acts_after_next_look(context, name, rival, resource, looker)
    context.world.act(name, lambda instance: instance.renew_lock(lease))


def _rival_acts_after_next_look(context: Context, name: str, rival: str, resource: str, looker: str) -> None:
    assert_that(looker, equal_to(name), "the instance that looks is the one acting")

    def rival_takes_over() -> None:
        lease = context.world.act(rival, lambda instance: instance.try_acquire_lock(resource))
        assert_that(lease is not None, f"{rival} took over {resource!r} in between")

    context.world.stores[name].after_next_observation(rival_takes_over)
