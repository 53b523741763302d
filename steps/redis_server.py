"""Steps about what only a Redis store goes through: keys of another type, a server down or restarted, its clock.

They run only in the Redis world (``@redis`` scenarios); this module imports
nothing of Redis, so that the other worlds load it without redis-py.
"""

from __future__ import annotations

from typing import Any

from behave import given, then, when
from behave.runner import Context
from hamcrest import all_of, assert_that, equal_to, greater_than_or_equal_to, less_than_or_equal_to

from lockspec.lease import Lock, encode_lease
from steps.support.lossy_link import LossyLink
from steps.support.starting import start_outcome


@given('the key of the lease of "{resource}" holds a Redis hash')
def plant_hash(context: Context, resource: str) -> None:
    context.world.plant(resource, b"")
    _redis_world(context).world.store.plant_hash(resource)


@given('the fencing counter of "{resource}" holds {count:d} digits')
def long_counter(context: Context, resource: str, count: int) -> None:
    _redis_world(context).world.store.set_counter(resource, b"9" * count)


@when("an instance is started on a Redis store built on a redis-py client {which}")
def start_on_own_client(context: Context, which: str) -> None:
    # Imported here: this module is loaded in every world, redis-py only in the Redis one.
    import redis  # noqa: PLC0415

    from lockspec import Coordinator  # noqa: PLC0415
    from lockspec.stores.redis import RedisLeaseStore  # noqa: PLC0415

    decodes = {"that decodes replies": True, "of its own": False}[which]
    client = redis.Redis.from_url(_redis_world(context).redis_server.url, decode_responses=decodes)
    context.add_cleanup(client.close)
    namespace = context.world.store.namespace
    context.start_outcome = start_outcome(lambda: Coordinator(RedisLeaseStore(client, namespace=namespace)))


@then("its store is named after the Redis server's socket")
def named_after_socket(context: Context) -> None:
    where = context.start_outcome.store.where
    assert_that(where, equal_to(context.redis_server.url), "where the store says its leases are kept")


@given("the Redis server is down")
def server_down(context: Context) -> None:
    server = _redis_world(context).redis_server
    server.kill()
    context.add_cleanup(server.restart)  # the run's later scenarios need it again


@given("the Redis server has restarted, losing every key")
def server_restarted(context: Context) -> None:
    server = _redis_world(context).redis_server
    server.kill()
    server.restart()


@given("the Redis server has dropped every client's connection")
def connections_dropped(context: Context) -> None:
    _redis_world(context).world.store.drop_connections()


@given("instance {name} reaches the server through a link that can lose replies")
def through_lossy_link(context: Context, name: str) -> None:
    world = _redis_world(context).world
    link = LossyLink(context.redis_server.url.removeprefix("unix://"), world.lock_dir.parent)
    context.add_cleanup(link.close)
    through = world.store.through(link.url)
    context.add_cleanup(through.close)
    world.start(name, store=through)
    context.links = {**getattr(context, "links", {}), name: link}


@given("the link of instance {name} loses the next reply")
def lose_next_reply(context: Context, name: str) -> None:
    context.links[name].lose_next_reply.set()


@given(
    "instance {name}, whose own clock runs {offset:Duration} {direction} the server's, judges expiry on {whose} clock"
)
def on_server_clock(context: Context, name: str, offset: float, direction: str, whose: str) -> None:
    world = _redis_world(context).world
    sign = {"ahead of": 1, "behind": -1}[direction]
    server_clock = {"the server's": True, "its own": False}[whose]
    # The offset is from the scenario's clock, which a frozen world holds far from the server's real one.
    offset_ms = world.store.server_time_ms() - world.clock.now_ms() + sign * offset
    fixture = world.store.on_server_clock() if server_clock else world.store
    if fixture is not world.store:
        context.add_cleanup(fixture.close)
    world.start(name, store=fixture, clock_offset_ms=offset_ms)


@given(
    'the stored lease of "{resource}" was written by instance {name}'
    " and expired {ago:Duration} ago on the server's clock"
)
def expired_on_server_clock(context: Context, resource: str, name: str, ago: float) -> None:
    world = _redis_world(context).world
    expires_at_ms = world.store.server_time_ms() - int(ago)
    ttl_ms = 30_000
    lease = Lock(resource, "1" * 32, name, expires_at_ms - ttl_ms, expires_at_ms, 5, ttl_ms, "another-host", 4242)
    world.plant(resource, encode_lease(lease))


@then(
    "instance {name}'s lease on \"{resource}\" was acquired on the server's clock, at most {bound:Duration} before now"
    " on it, to expire {ttl:Duration} later"
)
def stamped_on_server_clock(context: Context, name: str, resource: str, bound: float, ttl: float) -> None:
    world = _redis_world(context).world
    lease = world.lease_of(name, resource)
    now_ms = world.store.server_time_ms()
    assert_that(
        lease.acquired_at_ms,
        all_of(less_than_or_equal_to(now_ms), greater_than_or_equal_to(now_ms - bound)),
        f"when the lease was acquired (epoch ms), against the server's clock reading {now_ms}",
    )
    assert_that(lease.expires_at_ms - lease.acquired_at_ms, equal_to(ttl), "its TTL in milliseconds")


def _redis_world(context: Context) -> Any:
    if getattr(context, "redis_server", None) is None:
        raise AssertionError("this step needs the Redis world: behave -D store=redis")
    return context
