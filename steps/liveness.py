"""Steps about holders whose process may no longer run, and about clocks that disagree."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess

from behave import given, then
from behave.runner import Context
from hamcrest import assert_that, greater_than_or_equal_to, instance_of, less_than

from lockspec import LockError
from lockspec.lease import decode_lease, encode_lease
from lockspec.liveness import identity_of
from steps.support import parameters  # noqa: F401  (registers the parameter types)
from steps.support.report import report


def _exited_pid() -> int:
    """The pid of a process that has run and been reaped: nobody runs under it now (or a newer process does)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


_ZOMBIE = "a process on this host that has exited, not yet reaped by its parent"


def _zombie(context: Context) -> tuple[str, int, str]:
    """A child of this process that has exited and is left unreaped (a zombie) until the scenario ends."""
    child = subprocess.Popen(["true"])
    context.add_cleanup(child.wait)
    # Waits for its exit, and leaves it a zombie: WNOWAIT does not reap it.
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    return socket.gethostname(), child.pid, identity_of(child.pid)


def _holder(description: str) -> tuple[str, int, str]:
    """The host, pid and process identity a lease records for the holder ``description``."""
    this_host = socket.gethostname()
    running = os.getppid()
    system, _, started = identity_of(running).rpartition(":")
    boot_id, _, _namespace = system.partition("/")
    gone = _exited_pid()
    own_system, _, own_start = identity_of(os.getpid()).rpartition(":")
    holders = {
        "an older process on this host whose pid a newer one reuses": (
            this_host,
            running,
            f"{system}:{int(started) - 1}",
        ),
        "this very process, started at another time": (this_host, os.getpid(), f"{own_system}:{int(own_start) - 1}"),
        "this very process": (this_host, os.getpid(), f"{own_system}:{own_start}"),
        "a process on this host that has exited": (this_host, gone, f"{system}:{started}"),
        "a newer process on this host that reuses its pid": (this_host, running, f"{system}:{int(started) + 1}"),
        "a running process on this host": (this_host, running, f"{system}:{started}"),
        # Named from this host's name, one shorter and one longer, so that they sort before and after it
        # whatever it is: both must be told apart by name alone, for the rest of their identity is ours.
        "a process on another host, named like this one but shorter": (this_host[:-1], gone, f"{system}:{started}"),
        "a process on another host, named like this one but longer": (f"{this_host}-2", gone, f"{system}:{started}"),
        "a process in another pid namespace of this host": (this_host, gone, f"{boot_id}/pid:[1]:{started}"),
        "a process in a pid namespace of this host numbered above ours": (
            this_host,
            gone,
            f"{boot_id}/pid:[99999999999]:{started}",
        ),
        "a process whose identity was not recorded": (this_host, gone, ""),
        "a process whose pid was not recorded": (this_host, 0, f"{system}:{started}"),
        "a process with a pid no system gives": (this_host, 2**31, f"{system}:{started}"),
    }
    if description not in holders:
        raise NotImplementedError(f"no holder described as {description!r} (known: {sorted(holders)})")
    return holders[description]


@given("its lease records the holder as {description}")
def lease_records_holder(context: Context, description: str) -> None:
    resource = context.world.outcome(context.world.last_actor).resource
    stored = context.world.store.stored(resource)
    assert stored is not None, f"nothing is stored for {resource!r}"
    host, pid, process = _zombie(context) if description == _ZOMBIE else _holder(description)
    lease = dataclasses.replace(decode_lease(stored), host=host, pid=pid, process=process)
    context.world.plant(resource, encode_lease(lease))


@given("instance {name} does not check whether holders are alive")
def without_liveness(context: Context, name: str) -> None:
    context.world.start(name, detect_dead_holders=False)


@given("instance {name}'s clock runs {offset:Duration} ahead, and it allows for {margin:Duration} of clock skew")
def skewed_clock(context: Context, name: str, offset: float, margin: float) -> None:
    context.world.start(name, clock_offset_ms=offset, max_clock_skew_ms=margin)


@then("instance {name} got it within {bound:Duration}")
def got_it_within(context: Context, name: str, bound: float) -> None:
    took = context.world.elapsed_ms.get(name)
    report(f"takeover of a killed holder's lease on this host: {took} ms")
    assert_that(took, less_than(bound), f"milliseconds instance {name} waited for the lease")


@then("instance {name} gave up within {bound:Duration}")
def gave_up_within(context: Context, name: str, bound: float) -> None:
    took = context.world.elapsed_ms.get(name)
    assert_that(context.world.outcome(name), instance_of(LockError), f"what instance {name} got")
    assert_that(took, less_than(bound), f"milliseconds instance {name} tried")


@then("instance {name} tried for at least {bound:Duration}")
def tried_for_at_least(context: Context, name: str, bound: float) -> None:
    took = context.world.elapsed_ms.get(name)
    assert_that(took, greater_than_or_equal_to(bound), f"milliseconds instance {name} tried")


@then("instance {name}'s lease was acquired no earlier than {who} {holder}'s lease expired")
def acquired_after_expiry(context: Context, name: str, who: str, holder: str) -> None:
    newest = context.world.outcome(name)
    earlier = context.world.lease_of(holder, newest.resource, which=0)
    report(f"takeover after the TTL: {newest.acquired_at_ms - earlier.expires_at_ms} ms after the expiry")
    assert_that(newest.acquired_at_ms, greater_than_or_equal_to(earlier.expires_at_ms), f"when {name} took over")
