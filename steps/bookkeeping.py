"""Steps about the file store's bookkeeping: guard files that vanish or are links, and what writers leave half written.

Races are made exact: the other instance acts from a thread started at a
precise moment inside the first one's guarded section, and the first one
goes on only once the other has finished or has waited long enough to show
that it waits.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, contains_exactly, empty, is_

from lockspec import LockError
from lockspec.stores.file.guards import STRIPES, Guards
from lockspec.stores.file.naming import lease_file_name
from steps.instances import try_acquire
from steps.support import parameters  # noqa: F401  (registers the parameter types)

#: Real seconds the first instance gives the other before it goes on: ample for an instance that does not wait.
_GIVEN_S = 0.3
#: Real seconds the other instance may take once the first one is done.
_BOUND_S = 10.0


class _Rival:
    """Another instance's attempt to acquire, run in a thread of its own from inside an instance's guard."""

    def __init__(self, context: Context, name: str, resource: str) -> None:
        self._thread = threading.Thread(target=try_acquire, args=(context, name, resource), name=f"rival-{name}")

    def start_and_give_way(self) -> None:
        self._thread.start()
        self._thread.join(_GIVEN_S)

    def finish(self) -> None:
        _joined(self._thread)


@given('instance {name} has acquired and released "{resource}"')
def used_before(context: Context, name: str, resource: str) -> None:
    lease = context.world.act(name, lambda instance: instance.try_acquire_lock(resource))
    assert_that(context.world.act(name, lambda instance: instance.release_lock(lease)), is_(True), "the release")


@given('another thread of instance {name} is waiting up to {timeout:Duration} to acquire "{resource}"')
def other_thread_waiting(context: Context, name: str, timeout: float, resource: str) -> None:
    instance = context.world.instance(name)

    def wait() -> None:
        # Its outcome is not the instance's: the steps that follow judge the instance's own attempt.
        with contextlib.suppress(LockError):
            instance.release_lock(instance.acquire(resource, timeout_ms=timeout))

    waiter = threading.Thread(target=wait, name=f"other thread of {name}")
    waiter.start()
    context.add_cleanup(_joined, waiter)
    waiter.join(_GIVEN_S)  # ample to be inside its wait


def _joined(thread: threading.Thread) -> None:
    thread.join(_BOUND_S)
    assert_that(thread.is_alive(), is_(False), f"{thread.name} still running after {_BOUND_S} s")


@when(
    'instance {name} tries to acquire "{resource}" while another process, holding the lock directory to make'
    " guard files, makes that resource's guard file as {made}"
)
def acquire_while_guard_is_made(context: Context, name: str, resource: str, made: str) -> None:
    # The other process holds the lock directory exclusively, as lockspec does to make a guard file:
    # the instance, having found the guard file missing, waits for it, then finds the file made meanwhile.
    lock_dir = context.world.lock_dir
    guard = context.world.lock_directory.bookkeeping / f"guard-{Guards.stripe_of(lease_file_name(resource)):02x}"
    target = context.world.plant_outside("secret.txt")
    context.outside_before = context.world.outside()
    directory = os.open(lock_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(directory, fcntl.LOCK_EX)
        rival = _Rival(context, name, resource)
        rival.start_and_give_way()
        guard.parent.mkdir(exist_ok=True)
        if made == "a regular file":
            guard.write_bytes(b"")
        elif made == "a symbolic link to a file outside the lock directory":
            guard.symlink_to(target)
        else:
            raise NotImplementedError(f"no way to make a guard file as {made!r}")
    finally:
        os.close(directory)  # lets the lock directory go
    rival.finish()


@given("instance {name} has used every guard of the lock directory")
def used_every_guard(context: Context, name: str) -> None:
    # One resource per stripe: every guard file then exists, as in a lock directory long in use.
    per_stripe: dict[int, str] = {}
    number = 0
    while len(per_stripe) < STRIPES:
        per_stripe.setdefault(Guards.stripe_of(lease_file_name(f"warm-{number}")), f"warm-{number}")
        number += 1
    for resource in per_stripe.values():
        used_before(context, name, resource)


@then('the only guard file in lockspec\'s bookkeeping folder is "{name}"')
def only_guard_file(context: Context, name: str) -> None:
    names = [guard.name for guard in context.world.lock_directory.guard_files()]
    assert_that(names, contains_exactly(name), "the guard files in lockspec's bookkeeping folder")


@given("a tmp cleaner has removed the guard files in lockspec's bookkeeping folder")
def prune_guards(context: Context) -> None:
    context.world.lock_directory.remove_guard_files()


@given(
    "the guard files in lockspec's bookkeeping folder were moved out of the lock directory,"
    " and symbolic links to them put in their place"
)
def move_guards_out(context: Context) -> None:
    context.world.lock_directory.move_guards_to(context.world.plant_outside("moved/.keep").parent)
    context.outside_before = context.world.outside()


@given("every guard file in lockspec's bookkeeping folder is a symbolic link to a file outside the lock directory")
def plant_guard_links(context: Context) -> None:
    context.world.lock_directory.plant_guard_links(context.world.plant_outside("secret.txt"))
    context.outside_before = context.world.outside()


@when(
    'instance {name} acquires "{resource}" while instance {other} tries to acquire it'
    " in the middle of {writer}'s write"
)
def acquire_with_rival_mid_write(context: Context, name: str, resource: str, other: str, writer: str) -> None:
    rival = _Rival(context, other, resource)
    context.world.files[writer].while_writing.append(rival.start_and_give_way)
    try_acquire(context, name, resource)
    rival.finish()


@when(
    'instance {name} acquires "{resource}" while, just before {writer} writes its lease,'
    " lockspec's bookkeeping folder is removed and instance {other} tries to acquire it"
)
def acquire_with_wipe_and_rival(context: Context, name: str, resource: str, writer: str, other: str) -> None:
    rival = _Rival(context, other, resource)

    def wipe_and_rival() -> None:
        context.world.lock_directory.remove_bookkeeping()
        rival.start_and_give_way()

    context.world.files[writer].before_writing.append(wipe_and_rival)
    try_acquire(context, name, resource)
    rival.finish()


@when(
    "instance {name} cleans up expired locks"
    ' while instance {writer} is in the middle of writing its lease on "{resource}"'
)
def clean_up_mid_write(context: Context, name: str, writer: str, resource: str) -> None:
    def clean_up() -> None:
        context.cleanup_report = context.world.act(name, lambda instance: instance.cleanup_expired_locks())

    context.world.files[writer].while_writing.append(clean_up)
    try_acquire(context, writer, resource)


@then("nothing half written is left in lockspec's bookkeeping folder")
def nothing_half_written(context: Context) -> None:
    assert_that(context.world.lock_directory.half_written(), is_(empty()), "pending lease files left behind")
