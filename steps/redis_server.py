"""Steps about what only a Redis store goes through: keys of another type, a server down or restarted, its clock.

They run only in the Redis world (``@redis`` scenarios); this module imports
nothing of Redis, so that the other worlds load it without redis-py.
"""

from __future__ import annotations

from typing import Any

from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    all_of,
    assert_that,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    less_than_or_equal_to,
    not_none,
)

from lockspec import connect
from lockspec.lease import Lock, encode_lease
from steps.support.lossy_link import LossyLink
from steps.support.starting import start_outcome, started


@given('the key of the lease of "{resource}" holds a Redis hash')
def plant_hash(context: Context, resource: str) -> None:
    context.world.plant(resource, b"")
    _redis_world(context).world.store.plant_hash(resource)


@when("an instance is started on a Redis store built on a redis-py client that decodes replies")
def start_on_decoding_client(context: Context) -> None:
    _start_on_own_client(context, _redis_world(context).redis_server.url, decodes=True)


@when('an instance is started on a Redis store built on a redis-py client of its own, of "{address}"')
def start_on_own_client(context: Context, address: str) -> None:
    server = _redis_world(context).redis_server
    context.redis_address = address.replace("$PORT", str(server.port)).replace("$SOCKET", server.url)
    _start_on_own_client(context, context.redis_address, decodes=False)


def _start_on_own_client(context: Context, url: str, *, decodes: bool) -> None:
    # Imported here: this module is loaded in every world, redis-py only in the Redis one.
    import redis  # noqa: PLC0415

    from lockspec import Coordinator  # noqa: PLC0415
    from lockspec.stores.redis import RedisLeaseStore  # noqa: PLC0415

    client = redis.Redis.from_url(url, decode_responses=decodes)
    context.add_cleanup(client.close)
    namespace = context.world.store.namespace
    context.start_outcome = start_outcome(lambda: Coordinator(RedisLeaseStore(client, namespace=namespace)))


@then("its store is named after that address")
def named_after_address(context: Context) -> None:
    where = context.start_outcome.store.where
    assert_that(where, equal_to(context.redis_address), "where the store says its leases are kept")


@when("an instance is started on the Redis store with a namespace of {length:d} characters")
def start_with_long_namespace(context: Context, length: int) -> None:
    context.namespace = "n" * length
    server = _redis_world(context).world.store.server_url
    context.start_outcome = start_outcome(lambda: connect(server, namespace=context.namespace))


@then("it keeps its keys under that namespace")
def keys_under_namespace(context: Context) -> None:
    store = started(context.start_outcome).store
    assert_that(getattr(store, "namespace", None), equal_to(context.namespace), "the namespace of its store")


@given("the key \"{suffix}\" of the namespace holds '{contents}'")
def plant_key(context: Context, suffix: str, contents: str) -> None:
    fixture = _redis_world(context).world.store
    fixture.client.set(f"{fixture.namespace}:{suffix}", contents.encode())


@then("the key \"{suffix}\" of the namespace still holds '{contents}'")
def key_still_holds(context: Context, suffix: str, contents: str) -> None:
    fixture = _redis_world(context).world.store
    held = fixture.client.get(f"{fixture.namespace}:{suffix}")
    assert_that(held, equal_to(contents.encode()), f"the key {suffix!r} of the namespace")


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
    _through_lossy_link(context, name, {})


@given(
    "instance {name} reaches the server through a link that can lose replies,"
    " and is granted a lease only once {count:d} replica acknowledged it, waiting at most {bound:Duration}"
)
def through_lossy_link_waiting(context: Context, name: str, count: int, bound: float) -> None:
    _through_lossy_link(context, name, {"replicas": count, "replicas_timeout_ms": bound})


def _through_lossy_link(context: Context, name: str, options: dict[str, Any]) -> None:
    world = _redis_world(context).world
    link = LossyLink(context.redis_server.url.removeprefix("unix://"), world.lock_dir.parent)
    context.add_cleanup(link.close)
    world.store.load_scripts()  # a first EVALSHA's NOSCRIPT reply would be one more to count
    through = world.store.through(link.url).configured(**options)
    context.add_cleanup(through.close)
    world.start(name, store=through)
    world.instance(name).holder("resource-0")  # connected: the handshake's commands are not counted later
    context.links = {**getattr(context, "links", {}), name: link}


#: Which command a fault hits, counted from the next one the instance makes.
_NTH_COMMAND = {"the next command": 0, "the command after the next one": 1, "the third command": 2}


@given('the link of instance {name} answers {which} with "{error}", keeping it from the server')
def refuse_a_command(context: Context, name: str, which: str, error: str) -> None:
    context.before_fault = context.world.contents()
    context.links[name].fail_command(after=_NTH_COMMAND[which], reply=f"-{error}\r\n".encode())


@given("the link of instance {name} cuts the connection just before {which} reaches the server")
def cut_before_a_command(context: Context, name: str, which: str) -> None:
    context.before_fault = context.world.contents()
    context.links[name].fail_command(after=_NTH_COMMAND[which])


@given("the link of instance {name} loses {which}")
def lose_a_reply(context: Context, name: str, which: str) -> None:
    after = {"the next reply": 0, "the reply after the next one": 1}[which]
    context.links[name].lose_reply(after=after)


@given(
    "instance {name}, whose own clock runs {offset:Duration} {direction} the server's, judges expiry on {whose} clock"
)
def on_server_clock(context: Context, name: str, offset: float, direction: str, whose: str) -> None:
    world = _redis_world(context).world
    sign = {"ahead of": 1, "behind": -1}[direction]
    server_clock = {"the server's": True, "its own": False}[whose]
    # The offset is from the scenario's clock, which a frozen world holds far from the server's real one.
    offset_ms = world.store.server_time_ms() - world.clock.now_ms() + sign * offset
    _start_configured(context, name, {"server_clock": server_clock}, clock_offset_ms=offset_ms)


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


@when('instance {name} acquires "{resource}" between two readings of the server\'s clock')
def acquire_between_readings(context: Context, name: str, resource: str) -> None:
    world = _redis_world(context).world
    before = world.store.server_time_ms()
    # A look first: the time the instance learns from its reply is the server's after the first reading.
    world.act(name, lambda instance: instance.status())
    world.act(name, lambda instance: instance.try_acquire_lock(resource))
    context.server_readings = (before, world.store.server_time_ms())


@then('instance {name}\'s lease on "{resource}" was stamped between the two readings')
def stamped_between_readings(context: Context, name: str, resource: str) -> None:
    before, after = context.server_readings
    lease = context.world.lease_of(name, resource)
    assert_that(
        lease.acquired_at_ms,
        all_of(greater_than_or_equal_to(before), less_than_or_equal_to(after)),
        f"when the lease was acquired (epoch ms), against the server's clock read at {before} and {after}",
    )


@then(
    'the server lets the key of "{resource}" expire by itself'
    " {ttl:Duration} plus {margin:Duration} after it was written"
)
def key_expires_by_itself(context: Context, resource: str, ttl: float, margin: float) -> None:
    lifetime = _redis_world(context).world.store.lifetime_ms(resource)
    # Measured a moment after the write: the server has counted down a little since.
    assert_that(
        lifetime,
        all_of(greater_than(ttl + margin - 10_000), less_than_or_equal_to(ttl + margin)),
        f"the milliseconds the server keeps the key of {resource!r} (PTTL)",
    )


@given("the Redis server has stalled")
def server_stalled(context: Context) -> None:
    server = _redis_world(context).redis_server
    server.pause()
    context.add_cleanup(server.resume)  # before the scenario's store is emptied: cleanups run last first


@given("the Redis server is out of memory")
def out_of_memory(context: Context) -> None:
    client = _redis_world(context).world.store.client
    client.config_set("maxmemory", 1)  # far below what it uses: every write is refused
    context.add_cleanup(client.config_set, "maxmemory", 0)


@given("instance {name} reaches only a replica of the server")
def on_replica(context: Context, name: str) -> None:
    replica_in_sync(context)
    world = context.world
    fixture = world.store.through(context.redis_server.replica().url)
    context.add_cleanup(fixture.close)
    world.start(name, store=fixture)


@given("instance {name} waits at most {bound:Duration} for each answer of the server")
def short_timeout(context: Context, name: str, bound: float) -> None:
    _start_configured(context, name, {"timeout_ms": bound})


@given("a replica of the Redis server is in sync with it")
def replica_in_sync(context: Context) -> None:
    replica = _redis_world(context).redis_server.replica()
    client = context.world.store.client
    # A write of its own to wait for: a replica just started counts before it takes writes.
    # Counted, not timed (a frozen clock may run): each WAIT waits up to 100 ms of real time.
    for _ in range(50):
        client.set("spec:replica-in-sync", b"", px=1000)
        if client.wait(1, 100) >= 1:
            return
    raise AssertionError(f"the replica {replica.url} was not in sync with the server after 5 s")


@given("the replica has stalled")
def replica_stalled(context: Context) -> None:
    replica = _redis_world(context).redis_server.replica()
    replica.pause()
    context.add_cleanup(replica.resume)


@given(
    "instance {name} is granted a lease only once {count:d} replica acknowledged it, waiting at most {bound:Duration}"
)
def waits_for_replicas(context: Context, name: str, count: int, bound: float) -> None:
    _start_configured(context, name, {"replicas": count, "replicas_timeout_ms": bound})


@given(
    "instance {name} is granted a lease only once {count:d} replica acknowledged it,"
    " waiting for each answer of the server at most {bound:Duration}"
)
def waits_for_replicas_by_default(context: Context, name: str, count: int, bound: float) -> None:
    _start_configured(context, name, {"replicas": count, "timeout_ms": bound})


@then("nothing was stored on {which}")
def nothing_stored_on(context: Context, which: str) -> None:
    world = _redis_world(context).world
    url = {"the server": context.redis_server.url, "the replica": context.redis_server.replica().url}[which]
    there = world.store.through(url)
    context.add_cleanup(there.close)
    assert_that(there.snapshot(), equal_to({}), f"what {which} holds in the scenario's namespace")


@then('the replica holds the lease of "{resource}" exactly as the server does')
def replica_holds(context: Context, resource: str) -> None:
    world = _redis_world(context).world
    on_replica = world.store.through(context.redis_server.replica().url)
    context.add_cleanup(on_replica.close)
    on_server = world.store.stored(resource)
    assert_that(on_server, not_none(), f"the lease of {resource!r} on the server")
    assert_that(on_replica.stored(resource), equal_to(on_server), f"the lease of {resource!r} on the replica")


def _start_configured(context: Context, name: str, options: dict[str, Any], *, clock_offset_ms: float = 0) -> None:
    """Start instance ``name`` on the scenario's namespace, its store given ``options``."""
    world = _redis_world(context).world
    fixture = world.store.configured(**options)
    context.add_cleanup(fixture.close)
    world.start(name, store=fixture, clock_offset_ms=clock_offset_ms)


def _redis_world(context: Context) -> Any:
    if getattr(context, "redis_server", None) is None:
        raise AssertionError("this step needs the Redis world: behave -D store=redis")
    return context
