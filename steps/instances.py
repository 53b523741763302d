"""Steps about named instances: starting them, and acquiring, renewing, releasing and cleaning up."""

from __future__ import annotations

import re
import socket

from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    assert_that,
    contains_inanyorder,
    contains_string,
    empty,
    equal_to,
    greater_than,
    instance_of,
    is_,
    is_not,
    matches_regexp,
    none,
    not_none,
)

from lockspec import Backoff, CleanedUp, Coordinator, LeaseStatus, Lock, LockLost, LockTimeout
from steps.support import parameters  # noqa: F401  (registers the parameter types)
from steps.support.matchers import a_refusal, an_error, granted_to, held_by


@given("instances {names:Names} share a store")
@when("instances {names:Names} share a store")
def start_instances(context: Context, names: list[str]) -> None:
    for name in names:
        context.world.start(name)


@given("instances {names:Names} share a lock directory made for their group")
def start_instances_for_group(context: Context, names: list[str]) -> None:
    for name in names:
        context.world.start(name, shared_group=True)


@given("instance {name} uses a store")
def start_instance(context: Context, name: str) -> None:
    context.world.start(name)


@given("instance {name} shares the store too")
def start_one_more(context: Context, name: str) -> None:
    context.world.start(name)


@given("instance {name} is started without a name")
def start_anonymous(context: Context, name: str) -> None:
    context.world.start(name, anonymous=True)


@given("instance {name} uses a store of its own")
def start_instance_alone(context: Context, name: str) -> None:
    context.world.start(name, store=context.world.own_store())


@given("instance {name} backs off from {base:Duration}, doubling up to {cap:Duration}")
def set_backoff(context: Context, name: str, base: float, cap: float) -> None:
    context.world.start(name, backoff=Backoff(base_ms=base, factor=2, cap_ms=cap))


@given(
    "instance {name} backs off from {base:Duration}, doubling up to {cap:Duration},"
    " shortening each wait by up to {jitter:g} of it at random, with the seed {seed:d}"
)
def set_jittered_backoff(context: Context, *, name: str, base: float, cap: float, jitter: float, seed: int) -> None:
    context.world.start(name, backoff=Backoff(base_ms=base, factor=2, cap_ms=cap, jitter=jitter, seed=seed))


@given("instance {name} backs off {base:Duration} each time")
def constant_backoff(context: Context, name: str, base: float) -> None:
    context.world.start(name, backoff=Backoff(base_ms=base, factor=1))


@given("instance {name} backs off as instance {other} does")
def same_backoff(context: Context, name: str, other: str) -> None:
    context.world.start(name, backoff=context.world.backoffs[other])


@given('instance {name} holds "{resource}" with a TTL of {ttl:Duration}')
@given('instance {name} has acquired "{resource}" with a TTL of {ttl:Duration}')
def holds_with_ttl(context: Context, name: str, resource: str, ttl: float) -> None:
    lease = context.world.act(name, lambda instance: instance.try_acquire_lock(resource, ttl_ms=ttl))
    assert_that(lease, granted_to(context.world.id_of(name), resource), f"setting up: {name} acquires {resource!r}")


@given('instance {name} held "{resource}" until {ago:Duration} ago')
def held_until(context: Context, name: str, resource: str, ago: float) -> None:
    ttl = 1000
    context.world.start(name, clock_offset_ms=-(ttl + ago))
    holds_with_ttl(context, name, resource, ttl)
    context.world.start(name)


@given('instance {name}, which still runs, let its lease on "{resource}" expire {ago:Duration} ago')
def let_expire(context: Context, name: str, resource: str, ago: float) -> None:
    ttl = 300
    holds_with_ttl(context, name, resource, ttl)
    context.world.clock.advance(ttl + ago)


@given('instance {name} holds "{resource}"')
@given('instance {name} has acquired "{resource}"')
def holds(context: Context, name: str, resource: str) -> None:
    holds_with_ttl(context, name, resource, 30_000)


@given('instance {name} has acquired "{resource}" again within the same millisecond')
def holds_again_at_once(context: Context, name: str, resource: str) -> None:
    before = context.world.lease_of(name, resource)
    holds(context, name, resource)
    after = context.world.lease_of(name, resource)
    assert_that(after.acquired_at_ms, equal_to(before.acquired_at_ms), "both acquisitions in one millisecond")


@given("instance {name} holds {count:d} resources")
def holds_many(context: Context, name: str, count: int) -> None:
    for number in range(1, count + 1):
        holds(context, name, f"resource-{number}")


@given("instance {name} holds a resource whose name is {length:d} characters long")
def holds_long_name(context: Context, name: str, length: int) -> None:
    holds_long_name_with_ttl(context, name, length, 30_000)


@given("instance {name} holds a resource whose name is {length:d} characters long, with a TTL of {ttl:Duration}")
def holds_long_name_with_ttl(context: Context, name: str, length: int, ttl: float) -> None:
    context.long_name = "r" * length
    holds_with_ttl(context, name, context.long_name, ttl)


@given('instance {name} will acquire "{resource}" {delay:Duration} from now')
def acquire_later(context: Context, name: str, resource: str, delay: float) -> None:
    context.world.clock.schedule(delay, lambda: holds(context, name, resource))


@given("instance {name} has crashed without releasing it")
def crash(context: Context, name: str) -> None:
    context.world.stop(name)


@when('instance {name} tries to acquire "{resource}"')
def try_acquire(context: Context, name: str, resource: str) -> None:
    context.world.act(name, lambda instance: instance.try_acquire_lock(resource))


@when("instance {name} tries to acquire the resource with the long name")
def try_acquire_long_name(context: Context, name: str) -> None:
    try_acquire(context, name, context.long_name)


@when('instance {name} tries to acquire "{resource}" with a TTL of {ttl:Duration}')
def try_acquire_with_ttl(context: Context, name: str, resource: str, ttl: float) -> None:
    context.world.act(name, lambda instance: instance.try_acquire_lock(resource, ttl_ms=ttl))


@when('instance {name} tries to acquire "{resource}" with up to {retries:d} retries')
def try_acquire_with_retries(context: Context, name: str, resource: str, retries: int) -> None:
    context.world.act(name, lambda instance: instance.try_acquire_lock(resource, max_retries=retries))


@when("instance {name} tries to acquire a resource with the same name but its last character changed")
def try_acquire_neighbour_of_long_name(context: Context, name: str) -> None:
    context.neighbour_name = context.long_name[:-1] + "s"
    try_acquire(context, name, context.neighbour_name)


@when('instance {name} waits up to {timeout:Duration} to acquire "{resource}"')
def acquire_blocking(context: Context, name: str, timeout: float, resource: str) -> None:
    def enter(instance: Coordinator) -> Lock:
        blocking = instance.lock(resource, timeout_ms=timeout)
        lease = blocking.__enter__()
        context.add_cleanup(blocking.__exit__, None, None, None)
        return lease

    context.world.act(name, enter)


@when('instance {name} waits to acquire "{resource}"')
def acquire_with_default_timeout(context: Context, name: str, resource: str) -> None:
    context.world.act(name, lambda instance: instance.acquire(resource))


@given('instance {name} has waited up to {timeout:Duration} to acquire "{resource}"')
def has_acquired_blocking(context: Context, name: str, timeout: float, resource: str) -> None:
    acquire_blocking(context, name, timeout, resource)
    lease = context.world.outcome(name)
    assert_that(lease, granted_to(context.world.id_of(name), resource), f"setting up: {name} acquires {resource!r}")


@when('instance {name} works on "{resource}" under its lock, waiting up to {timeout:Duration} to get it')
def work_under_lock(context: Context, name: str, resource: str, timeout: float) -> None:
    def work(instance: Coordinator) -> Lock:
        with instance.lock(resource, timeout_ms=timeout) as lease:
            context.seen_while_working = context.world.holder(resource)
            return lease

    context.world.act(name, work)


@when('instance {name} works on "{resource}" under its lock for {duration:Duration} with a TTL of {ttl:Duration}')
def work_for(context: Context, name: str, resource: str, duration: float, ttl: float) -> None:
    _work_under_lock(context, name, resource, duration, ttl, keep_alive=True)


@when(
    'instance {name} works on "{resource}" under its lock without keeping it alive,'
    " for {duration:Duration} with a TTL of {ttl:Duration}"
)
def work_for_without_keepalive(context: Context, name: str, resource: str, duration: float, ttl: float) -> None:
    _work_under_lock(context, name, resource, duration, ttl, keep_alive=False)


@when(
    'instance {name} works on "{resource}" under its lock for {duration:Duration} with a TTL of {ttl:Duration},'
    ' then fails with "{message}"'
)
def work_then_fail(context: Context, *, name: str, resource: str, duration: float, ttl: float, message: str) -> None:
    _work_under_lock(context, name, resource, duration, ttl, keep_alive=True, failing_with=message)


class WorkFailed(Exception):
    """The error of the work done under a lock, as a caller's own code would raise it."""


def _work_under_lock(
    context: Context,
    name: str,
    resource: str,
    duration: float,
    ttl: float,
    *,
    keep_alive: bool,
    failing_with: str | None = None,
) -> None:
    def work(instance: Coordinator) -> Lock | WorkFailed:
        # Kept alive by default: only the other case says so.
        if keep_alive:
            block = instance.lock(resource, ttl_ms=ttl, timeout_ms=1000)
        else:
            block = instance.lock(resource, ttl_ms=ttl, timeout_ms=1000, keep_alive=False)
        try:
            with block as lease:
                context.world.clock.advance(duration)
                if failing_with is not None:
                    raise WorkFailed(failing_with)
                return lease
        except WorkFailed as failed:
            return failed

    context.world.act(name, work)


@given('instance {name} will try to acquire "{resource}" {delay:Duration} from now')
def try_acquire_later(context: Context, name: str, resource: str, delay: float) -> None:
    context.world.clock.schedule(delay, lambda: try_acquire(context, name, resource))


@given('instance {name} will break the lease on "{resource}" {delay:Duration} from now')
def break_later(context: Context, name: str, resource: str, delay: float) -> None:
    context.world.clock.schedule(delay, lambda: context.world.act(name, lambda instance: instance.break_lock(resource)))


@then('instance {name}\'s work ended holding its lease on "{resource}"')
def work_ended_holding(context: Context, name: str, resource: str) -> None:
    assert_that(context.world.outcome(name), granted_to(context.world.id_of(name), resource))


@then('instance {name} is told, as its block ends, that it lost its lease on "{resource}"')
def told_lost_at_block_end(context: Context, name: str, resource: str) -> None:
    assert_that(context.world.outcome(name), an_error(LockLost, repr(resource), "lost the lease"))


@then('instance {name}\'s block raised its own error "{message}", noting that it lost its lease on "{resource}"')
def own_error_noting_loss(context: Context, name: str, message: str, resource: str) -> None:
    failed = context.world.outcome(name)
    assert_that(failed, instance_of(WorkFailed), f"what instance {name}'s block raised")
    assert_that(str(failed), equal_to(message), "the message of the work's own error")
    notes = "\n".join(getattr(failed, "__notes__", []))
    assert_that(notes, contains_string(f"lost the lease on {resource!r}"), "the notes added to the work's error")


@then('instance {name}\'s two acquisitions of "{resource}" have lock ids of 32 hex digits each, and they differ')
def distinct_lock_ids(context: Context, name: str, resource: str) -> None:
    ids = [context.world.lease_of(name, resource, which=which).lock_id for which in (0, 1)]
    for lock_id in ids:
        assert_that(lock_id, matches_regexp("^[0-9a-f]{32}$"), f"a lock id of {name}'s on {resource!r}")
    assert_that(ids[0], is_not(equal_to(ids[1])), "the lock ids of the two acquisitions")


@when('instance {name} releases its lock on "{resource}"')
@given('instance {name} has released its lock on "{resource}"')
def release(context: Context, name: str, resource: str) -> None:
    lease = context.world.lease_of(name, resource)
    context.world.act(name, lambda instance: instance.release_lock(lease))


@when('instance {name} releases its first lock on "{resource}"')
def release_first(context: Context, name: str, resource: str) -> None:
    lease = context.world.lease_of(name, resource, which=0)
    context.world.act(name, lambda instance: instance.release_lock(lease))


@when('instance {name} tries to release instance {owner}\'s lock on "{resource}"')
@given('instance {name} has tried to release instance {owner}\'s lock on "{resource}"')
def release_other(context: Context, name: str, owner: str, resource: str) -> None:
    lease = context.world.lease_of(owner, resource)
    context.world.act(name, lambda instance: instance.release_lock(lease))


@given('instance {name} will release "{resource}" {delay:Duration} from now')
def release_later(context: Context, name: str, resource: str, delay: float) -> None:
    context.world.clock.schedule(delay, lambda: release(context, name, resource))


@when('instance {name} renews its lock on "{resource}"')
@given('instance {name} has renewed its lock on "{resource}"')
def renew(context: Context, name: str, resource: str) -> None:
    lease = context.world.lease_of(name, resource)
    renewed = context.world.act(name, lambda instance: instance.renew_lock(lease))
    context.renewed = renewed


@when('instance {name} renews its lock on "{resource}" for {ttl:Duration}')
@given('instance {name} has renewed its lock on "{resource}" for {ttl:Duration}')
def renew_for(context: Context, name: str, resource: str, ttl: float) -> None:
    lease = context.world.lease_of(name, resource)
    context.renewed = context.world.act(name, lambda instance: instance.renew_lock(lease, ttl_ms=ttl))
    assert_that(context.renewed, granted_to(context.world.id_of(name), resource), f"setting up: {name} renews")


@when('instance {name} tries to renew instance {owner}\'s lock on "{resource}"')
def renew_other(context: Context, name: str, owner: str, resource: str) -> None:
    lease = context.world.lease_of(owner, resource)
    context.world.act(name, lambda instance: instance.renew_lock(lease))


@when("instance {name} cleans up expired locks")
@given("instance {name} has cleaned up expired locks")
def clean_up(context: Context, name: str) -> None:
    context.cleanup_report = context.world.act(name, lambda instance: instance.cleanup_expired_locks())


@when("instance {name} looks at what a cleanup would do")
def dry_run_cleanup(context: Context, name: str) -> None:
    context.world.act(name, lambda instance: instance.cleanup(dry_run=True))


@when("instance {name} cleans up expired locks, asking what was done")
def cleanup_reporting(context: Context, name: str) -> None:
    context.world.act(name, lambda instance: instance.cleanup())


@then('the dry run would have "{resource}" {action}')
@then('the cleanup had "{resource}" {action}')
def dry_run_would(context: Context, resource: str, action: str) -> None:
    done: list[CleanedUp] = context.world.outcome(context.world.last_actor)
    planned = [(entry.entry.resource, entry.action.value) for entry in done]
    assert_that(planned, equal_to([(resource, action)]), "what the dry run of cleanup would do")


@then("the cleanup did nothing")
def cleanup_did_nothing(context: Context) -> None:
    done: list[CleanedUp] = context.world.outcome(context.world.last_actor)
    assert_that(done, is_(empty()), "what cleanup did")


@then('instance {name} gets the lock on "{resource}"')
def gets_lock(context: Context, name: str, resource: str) -> None:
    lease = context.world.outcome(name)
    owner = context.world.id_of(name)
    assert_that(lease, granted_to(owner, resource))
    assert_that(context.world.instance(name).holder(resource), held_by(owner, resource, lease))


@then("instance {name} gets the lock on the resource with the long name")
def gets_lock_on_long_name(context: Context, name: str) -> None:
    gets_lock(context, name, context.long_name)


@then("instance {name} gets the lock on that resource")
def gets_lock_on_neighbour(context: Context, name: str) -> None:
    gets_lock(context, name, context.neighbour_name)
    assert_that(context.world.holder(context.long_name), is_(held_by("A", context.long_name)))


@then("instance {name} is refused")
def is_refused(context: Context, name: str) -> None:
    assert_that(context.world.outcome(name), a_refusal())


@then("the release by instance {name} is refused")
def release_refused(context: Context, name: str) -> None:
    assert_that(context.world.outcome(name), a_refusal())


@then("the release by instance {name} succeeds")
def release_succeeds(context: Context, name: str) -> None:
    assert_that(context.world.outcome(name), is_(True), f"what releasing returned to {name}")


@then("instance {name} is told its lease was lost")
def told_lost(context: Context, name: str) -> None:
    assert_that(context.world.outcome(name), a_refusal())


@then('instance {name} fails with a timeout naming "{resource}" and "{holder}"')
def fails_with_timeout(context: Context, name: str, resource: str, holder: str) -> None:
    assert_that(context.world.outcome(name), an_error(LockTimeout, repr(resource), repr(holder)))


@then('"{resource}" is still held by instance {name} with the lease it acquired')
def still_held_unchanged(context: Context, resource: str, name: str) -> None:
    lease = context.world.lease_of(name, resource)
    assert_that(context.world.holder(resource), held_by(context.world.id_of(name), resource, lease))


@then('"{resource}" is held by instance {name}')
def held(context: Context, resource: str, name: str) -> None:
    assert_that(context.world.holder(resource), held_by(context.world.id_of(name), resource))


@given('"{resource}" is free')
@then('"{resource}" is free')
def is_free(context: Context, resource: str) -> None:
    assert_that(context.world.holder(resource), none())


@then('instance {name} held "{resource}" while it worked')
def held_while_working(context: Context, name: str, resource: str) -> None:
    assert_that(context.seen_while_working, held_by(name, resource, context.world.outcome(name)))


@then('the cleanup reports "{resource}"')
@then('the cleanup reports "{resource}" only')
def cleanup_reports(context: Context, resource: str) -> None:
    assert_that(context.cleanup_report, contains_inanyorder(resource))


@then('the cleanup reports "{first}", "{second}" and the long name')
def cleanup_reports_three(context: Context, first: str, second: str) -> None:
    assert_that(context.cleanup_report, contains_inanyorder(first, second, context.long_name))


@then(
    'the holder of "{resource}" is named after this host and its process, with 8 random hex digits,'
    " and is not instance {name}"
)
def holder_named_after_process(context: Context, resource: str, name: str) -> None:
    lease = context.world.holder(resource)
    assert_that(lease, is_(not_none()), f"a lease on {resource!r}")
    # The lease records the pid of the process that acquired it: this one, or an instance process.
    named = f"^{re.escape(socket.gethostname())}-{lease.pid}-[0-9a-f]{{8}}$"
    assert_that(lease.owner, matches_regexp(named), "the holder's instance id")
    assert_that(lease.owner, is_not(equal_to(context.world.instance(name).instance_id)), f"{name}'s instance id")


@then("the cleanup reports nothing")
def cleanup_reports_nothing(context: Context) -> None:
    assert_that(context.cleanup_report, is_(empty()))


@then("its fencing token is {token:d}")
def token_is(context: Context, token: int) -> None:
    newest = context.world.outcome(context.world.last_actor)
    assert_that(newest.fencing_token, equal_to(token), "the new holder's fencing token")


@then("its fencing token is 1 followed by {zeros:d} zeros")
def token_is_power_of_ten(context: Context, zeros: int) -> None:
    newest = context.world.outcome(context.world.last_actor)
    assert_that(str(newest.fencing_token), equal_to("1" + "0" * zeros), "the new holder's fencing token")


@then("its fencing token is higher than that of {who} {name}'s lease")
def token_higher(context: Context, who: str, name: str) -> None:
    newest = context.world.outcome(context.world.last_actor)
    earlier = context.world.lease_of(name, newest.resource, which=0)
    assert_that(newest.fencing_token, greater_than(earlier.fencing_token), "the new holder's fencing token")


@then('the renewal by instance {name} of its lease on "{resource}" is granted')
def renewal_granted(context: Context, name: str, resource: str) -> None:
    renewed = context.world.outcome(name)
    assert_that(renewed, granted_to(context.world.id_of(name), resource), f"what {name}'s renewal returned")
    assert_that(renewed.lock_id, equal_to(context.world.lease_of(name, resource).lock_id), "the renewed lock id")


@then('instance {name}\'s lease on "{resource}" expires {ttl:Duration} after it was acquired')
def expires_after_acquired(context: Context, name: str, resource: str, ttl: float) -> None:
    lease = context.world.lease_of(name, resource)
    assert_that(lease.expires_at_ms - lease.acquired_at_ms, equal_to(ttl), f"the TTL of {name}'s lease")
    assert_that(context.world.holder(resource), equal_to(lease), "the lease stored")


@then('the lease on "{resource}" expires {ttl:Duration} from now')
def expires_from_now(context: Context, resource: str, ttl: float) -> None:
    lease = context.world.holder(resource)
    assert_that(lease, is_(context.renewed), "the lease on disk is the renewed one")
    assert_that(lease.expires_at_ms, equal_to(context.world.clock.now_ms() + ttl), "its expiry time")


@then("it keeps the lock id, acquisition time and fencing token instance {name} acquired")
def keeps_identity(context: Context, name: str) -> None:
    first = context.world.lease_of(name, context.renewed.resource, which=0)
    renewed = context.renewed
    assert_that(
        (renewed.lock_id, renewed.acquired_at_ms, renewed.fencing_token),
        equal_to((first.lock_id, first.acquired_at_ms, first.fencing_token)),
        "lock id, acquisition time and fencing token after renewal",
    )


@when("instance {name} looks at the status of every lease")
def look_at_status(context: Context, name: str) -> None:
    context.world.act(name, lambda instance: instance.status())


@then('instance {name} reads "{text}" in the status of the lease on "{resource}"')
def reads_in_status(context: Context, name: str, text: str, resource: str) -> None:
    entries: list[LeaseStatus] = context.world.outcome(name)
    described = {entry.resource: entry.describe() for entry in entries}
    told = described.get(resource, "(not in the status)")
    assert_that(told, contains_string(text), f"how {name}'s status describes {resource!r}")


@then("instance {name}'s status lists, in this order:")
def status_in_order(context: Context, name: str) -> None:
    entries: list[LeaseStatus] = context.world.outcome(name)
    listed = [[entry.resource, entry.state.value] for entry in entries]
    expected = [[row["resource"], row["state"]] for row in context.table]
    assert_that(listed, equal_to(expected), f"the resources and states of {name}'s status, in order")


@then("instance {name}'s status lists {count:d} leases, every one held")
def status_counts(context: Context, name: str, count: int) -> None:
    entries: list[LeaseStatus] = context.world.outcome(name)
    states = [entry.state.value for entry in entries]
    assert_that(states, equal_to(["held"] * count), f"the states of {name}'s status, one per lease")
    assert_that(len({entry.resource for entry in entries}), equal_to(count), f"the resources of {name}'s status")


@then("instance {name} sees that resource as {state}")
def sees_long_name_as(context: Context, name: str, state: str) -> None:
    sees_as(context, name, context.long_name, state)


@then('instance {name} sees "{resource}" as {state}')
def sees_as(context: Context, name: str, resource: str, state: str) -> None:
    entries: list[LeaseStatus] = context.world.outcome(name)
    states = {entry.resource: entry.state.value for entry in entries}
    assert_that(states.get(resource), equal_to(state), f"the state of {resource!r} in {name}'s status: {states}")
