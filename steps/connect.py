"""Steps about opening stores by URL with ``lockspec.connect``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that

from lockspec import Backoff, Coordinator, connect
from lockspec.policy import DEFAULT_KEEP_SET_ASIDE_MS
from lockspec.stores.memory import forget_space
from steps.support import parameters  # noqa: F401  (registers the parameter types)
from steps.support.matchers import held_by
from steps.support.parameters import python_value
from steps.support.starting import start_outcome


@given('instances {names:Names} are connected to "{url}"')
def connect_instances(context: Context, names: list[str], url: str) -> None:
    for name in names:
        context.world.adopt(name, _connect(context, url, instance_id=name, clock=context.world.clock))


@given('instance {name} is connected to "{url}"')
def connect_instance(context: Context, name: str, url: str) -> None:
    context.world.adopt(name, _connect(context, url, instance_id=name, clock=context.world.clock))


@given("instance {name} is a coordinator built on the scenario's store, every argument given by its name")
def build_by_keywords(context: Context, name: str) -> None:
    world = context.world
    store = world.store.open(world.clock)
    coordinator = Coordinator(
        store=store,
        instance_id=name,
        clock=world.clock,
        backoff=Backoff(),
        max_clock_skew_ms=0,
        detect_dead_holders=True,
        keep_set_aside_ms=DEFAULT_KEEP_SET_ASIDE_MS,
    )
    world.adopt(name, coordinator)


@given("instance {name} is a coordinator on the scenario's store and clock, with no other setting")
def build_with_defaults(context: Context, name: str) -> None:
    world = context.world
    world.adopt(name, Coordinator(world.store.open(world.clock), name, world.clock))


@when('an instance connects to "{url}" with {options}')
def try_connect(context: Context, url: str, options: str) -> None:
    context.start_outcome = start_outcome(lambda: _connect(context, url, **_options(options)))


@then('instance {viewer} sees "{resource}" held by instance {holder}')
def sees_held(context: Context, viewer: str, resource: str, holder: str) -> None:
    seen = context.world.instance(viewer).holder(resource)
    assert_that(seen, held_by(context.world.id_of(holder), resource))


def _connect(context: Context, url: str, **options: Any) -> Coordinator:
    """``connect`` to ``url``, in which "the lock directory" and "the scenario's store" stand for theirs.

    In-memory spaces are forgotten after the scenario.
    """
    text = url.replace("the lock directory", str(context.world.lock_dir))
    text = text.replace("the scenario's store", context.world.store.url())
    if text.startswith("memory://"):
        parts = urlsplit(text)
        context.add_cleanup(forget_space, parts.netloc + parts.path)
    return connect(text, **options)


def _options(words: str) -> dict[str, Any]:
    """``no options``, or ``the option NAME VALUE`` with VALUE in Python's notation."""
    if words == "no options":
        return {}
    prefix = "the option "
    if not words.startswith(prefix):
        raise NotImplementedError(f"no options read {words!r}")
    name, _, value = words[len(prefix) :].partition(" ")
    return {name: python_value(value)}
