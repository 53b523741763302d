"""Steps about what only a Redis store goes through: keys of another type, a server down or restarted.

They run only in the Redis world (``@redis`` scenarios); this module imports
nothing of Redis, so that the other worlds load it without redis-py.
"""

from __future__ import annotations

from typing import Any

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to

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


def _redis_world(context: Context) -> Any:
    if getattr(context, "redis_server", None) is None:
        raise AssertionError("this step needs the Redis world: behave -D store=redis")
    return context
