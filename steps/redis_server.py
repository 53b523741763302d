"""Steps about what only a Redis store goes through: keys of another type, a server down or restarted.

They run only in the Redis world (``@redis`` scenarios); this module imports
nothing of Redis, so that the other worlds load it without redis-py.
"""

from __future__ import annotations

from typing import Any

from behave import given
from behave.runner import Context

from steps.support.lossy_link import LossyLink


@given('the key of the lease of "{resource}" holds a Redis hash')
def plant_hash(context: Context, resource: str) -> None:
    context.world.plant(resource, b"")
    _redis_world(context).world.store.plant_hash(resource)


@given('the fencing counter of "{resource}" holds {count:d} digits')
def long_counter(context: Context, resource: str, count: int) -> None:
    _redis_world(context).world.store.set_counter(resource, b"9" * count)


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
