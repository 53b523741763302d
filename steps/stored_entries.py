"""Steps about what the store holds, in words that fit every store: leases, unreadable entries, what was set aside."""

from __future__ import annotations

from behave import given, then
from behave.runner import Context
from hamcrest import assert_that, equal_to, has_length, is_, none, not_none

from lockspec.lease import Lock, encode_lease
from steps.support import parameters  # noqa: F401  (registers the parameter types)


@given("the stored lease of \"{resource}\" reads '{contents:Text}'")
def plant_text(context: Context, resource: str, contents: str) -> None:
    context.world.plant(resource, contents.encode("utf-8"))


@given(
    "the stored lease of a resource whose name is {length:d} characters long is a copy of the stored lease"
    ' of "{resource}"'
)
def plant_copy_under_long_name(context: Context, length: int, resource: str) -> None:
    stored = context.world.store.stored(resource)
    assert stored is not None, f"nothing is stored for {resource!r}"
    context.long_name = "r" * length
    context.world.plant(context.long_name, stored)


@given('the stored lease of "{resource}" is {size:d} KiB of garbage')
def plant_garbage(context: Context, resource: str, size: int) -> None:
    context.world.plant(resource, b"\xff" * size * 1024)


@given('the stored lease of "{resource}" is a valid lease of instance {name}, padded with spaces to {size:d} bytes')
def plant_padded_lease(context: Context, resource: str, name: str, size: int) -> None:
    lease = Lock(resource, "c" * 32, name, 0, 99_999_999_999_999, 7, 30_000)
    context.world.plant(resource, encode_lease(lease).ljust(size))


@given('the stored lease of "{resource}" is JSON nested {depth:d} levels deep')
def plant_nested_json(context: Context, resource: str, depth: int) -> None:
    context.world.plant(resource, b"[" * depth + b"]" * depth)


@given('the fencing counter of "{resource}" holds {count:d} digits')
def long_counter(context: Context, resource: str, count: int) -> None:
    context.world.store.set_counter(resource, b"9" * count)


@given('the fencing counter of "{resource}" holds {count:d} bytes of garbage')
def garbage_counter(context: Context, resource: str, count: int) -> None:
    context.world.store.set_counter(resource, b"#" * count)


@then('the lease of "{resource}" is no longer stored')
def no_longer_stored(context: Context, resource: str) -> None:
    assert_that(context.world.store.stored(resource), is_(none()), f"what the store holds for {resource!r}")


@then('the lease of "{resource}" is still stored')
def still_stored(context: Context, resource: str) -> None:
    assert_that(context.world.store.stored(resource), is_(not_none()), f"what the store holds for {resource!r}")


@then("the stored lease of \"{resource}\" still reads '{contents:Text}'")
def still_reads(context: Context, resource: str, contents: str) -> None:
    assert_that(context.world.store.stored(resource), equal_to(contents.encode("utf-8")), f"{resource!r}'s entry")


@then("the unreadable entry was kept aside, reading '{contents:Text}'")
def kept_aside_reading(context: Context, contents: str) -> None:
    assert_that(_the_one_kept_aside(context), equal_to(contents.encode("utf-8")), "what was kept aside")


@then('the unreadable entry was kept aside, a copy of the stored lease of "{resource}"')
def kept_aside_copy(context: Context, resource: str) -> None:
    assert_that(_the_one_kept_aside(context), equal_to(context.world.store.stored(resource)), "what was kept aside")


@then("the unreadable entry was kept aside, {size:d} KiB long")
def kept_aside_sized(context: Context, size: int) -> None:
    assert_that(_the_one_kept_aside(context), has_length(size * 1024), "the bytes kept aside")


@then("the unreadable entry was purged")
def purged(context: Context) -> None:
    assert_that(context.world.store.set_aside(), equal_to([]), "entries still kept aside as unreadable")


@then("nothing was stored")
def nothing_stored(context: Context) -> None:
    assert_that(context.world.contents(), equal_to({}), "what the store holds")


def _the_one_kept_aside(context: Context) -> bytes:
    kept: list[bytes] = context.world.store.set_aside()
    assert_that(kept, has_length(1), "entries kept aside as unreadable")
    return kept[0]
