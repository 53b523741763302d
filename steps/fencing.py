"""Steps about fencing tokens and the protected resource that checks them."""

from __future__ import annotations

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, has_item, is_

from steps.support.protected_resource import ProtectedResource, of_scenario

_ENDINGS = {
    "release",
    "expiry",
    "expiry and cleanup",
    "expiry, cleanup and a restart of every instance",
    "corruption of its stored lease",
    "release, and 1 ms later the loss of the store's fencing counters",
    "release, and 1 ms later corruption of the store's fencing counters",
    "expiry, and 1 ms later the loss of the store's fencing counters",
}


def _protected(context: Context) -> ProtectedResource:
    return of_scenario(context.world)


@given('instance {name} has written "{value}" to the protected resource with its fencing token')
def has_written(context: Context, name: str, value: str) -> None:
    lease = context.world.lease_of(name, "resource-1")
    assert_that(_protected(context).write(value, lease.fencing_token), is_(True), f"{name}'s write was accepted")


@when('instance {name} writes "{value}" to the protected resource with its fencing token')
def writes(context: Context, name: str, value: str) -> None:
    lease = context.world.lease_of(name, "resource-1")
    context.write_accepted = _protected(context).write(value, lease.fencing_token)
    context.write_attempt = (value, lease.fencing_token)


@then("the protected resource rejects the write of {who} {name}")
def rejects(context: Context, who: str, name: str) -> None:
    assert_that(context.write_accepted, is_(False), f"whether the write of {name} was accepted")
    assert_that(_protected(context).rejected, has_item(context.write_attempt))


@then('the protected resource holds "{value}"')
def holds_value(context: Context, value: str) -> None:
    assert_that(_protected(context).value, equal_to(value))


@given("the store has lost its fencing counters")
def counters_lost(context: Context) -> None:
    context.world.store.lose_counters()


@given("the lease of instance {name} ended by {ending}")
def lease_ended(context: Context, name: str, ending: str) -> None:
    world = context.world
    lease = world.lease_of(name, "resource-1")
    if ending not in _ENDINGS:
        raise NotImplementedError(f"no way to end a lease by {ending!r}; known: {sorted(_ENDINGS)}")
    if ending.startswith("release"):
        assert_that(world.instance(name).release_lock(lease), is_(True), "the release")
    elif ending == "corruption of its stored lease":
        world.plant("resource-1", b"INVALID{JSON")
    else:
        world.clock.advance(lease.expires_at_ms - lease.acquired_at_ms)
    if "1 ms later" in ending:
        world.clock.advance(1)
    if "the loss of the store's fencing counters" in ending:
        world.store.lose_counters()
    elif "corruption of the store's fencing counters" in ending:
        world.store.corrupt_counters()
    if ending.startswith("expiry"):
        if "cleanup" in ending:
            assert_that(world.instance(name).cleanup_expired_locks(), equal_to(["resource-1"]), "the cleanup")
        if "restart of every instance" in ending:
            for instance in list(world.instances):
                world.start(instance)
