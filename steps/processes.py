"""Steps that run instances as separate OS processes, with real time and bounded waits."""

from __future__ import annotations

import json
import os
import signal

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, has_entry, has_item, has_key, has_length, is_

from steps.support import parameters  # noqa: F401  (registers the parameter types)
from steps.support.matchers import granted_to, held_by
from steps.support.processes import BOUND_S, lease_from, read_line, start_worker, stop, worker_results
from steps.support.protected_resource import of_scenario


@given('a separate process {name} holds "{resource}" with a TTL of {ttl:Duration}')
def process_holds(context: Context, name: str, resource: str, ttl: float) -> None:
    process = start_worker("hold", context.world.store.url(), name, resource, str(int(ttl)))
    context.add_cleanup(stop, process)
    lease = lease_from(json.loads(read_line(process)))
    assert_that(lease, granted_to(name, resource), f"setting up: process {name} acquires {resource!r}")
    context.world.remember(name, lease)
    context.processes = {name: process}


@given('a process that has since exited holds "{resource}" with a TTL of {ttl:Duration}')
def exited_process_holds(context: Context, resource: str, ttl: float) -> None:
    process_holds(context, "P", resource, ttl)
    kill_process(context, "P")


@given("process {name} has handed its lease to a forked child that keeps it alive, and exited")
def handed_to_child(context: Context, name: str) -> None:
    said = _hand_to_child(context, name)
    assert_that(said, has_key("lease"), f"what process {name}'s child said once its keep-alive started")


@when("process {name} hands its lease to a forked child and exits")
def hands_to_child(context: Context, name: str) -> None:
    context.handed = _hand_to_child(context, name)


def _hand_to_child(context: Context, name: str) -> dict[str, object]:
    process = context.processes[name]
    assert process.stdin is not None
    process.stdin.write(b'{"hand over": true}\n')
    said: dict[str, object] = json.loads(read_line(process))
    assert_that(process.wait(timeout=BOUND_S), equal_to(0), f"how process {name} ended")
    context.children = {name: said["child"]}
    return said


@then('process {name}\'s child is told at once that it lost the lease: "{why}"')
def child_told_lost(context: Context, name: str, why: str) -> None:
    said = context.handed
    assert_that(said, has_entry("lost", why), f"what process {name}'s child said once it had left its keep-alive")


@then("process {name}'s child's keep-alive has stopped: no thread of it is left")
def child_keepalive_stopped(context: Context, name: str) -> None:
    said = context.handed
    assert_that(said, has_entry("threads", 1), f"how many threads process {name}'s child ran once it was told")


@then('the lease on "{resource}" names process {name}\'s child as its holder')
def names_child(context: Context, resource: str, name: str) -> None:
    lease = context.world.holder(resource)
    assert_that(lease, held_by(name, resource))
    assert_that(lease.pid, equal_to(context.children[name]), "the pid the lease records")


@given('a separate process {name:Name} was killed while it wrote its lease on "{resource}"')
def killed_writing(context: Context, name: str, resource: str) -> None:
    process = start_worker("die-writing", context.world.store.url(), name, resource)
    context.add_cleanup(stop, process)
    assert_that(read_line(process), equal_to("inside"), f"what process {name} said")
    assert_that(process.wait(timeout=BOUND_S), equal_to(-signal.SIGKILL), f"how process {name} ended")


@given('a separate process {name}, whose forked child lives on, was killed while it wrote its lease on "{resource}"')
def killed_writing_with_child(context: Context, name: str, resource: str) -> None:
    process = start_worker("die-writing", context.world.store.url(), name, resource, "forked")
    context.add_cleanup(stop, process)
    said = [read_line(process) for _ in ("child", "parent")]
    assert_that(said, has_item("inside"), f"what process {name} and its child said")
    assert_that(process.wait(timeout=BOUND_S), equal_to(-signal.SIGKILL), f"how process {name} ended")
    child = next(json.loads(line)["child"] for line in said if line != "inside")
    assert_that(os.path.exists(f"/proc/{child}"), is_(True), f"process {name}'s child {child} is alive")


@given('a separate process {name:Name} was stopped while it wrote its lease on "{resource}"')
def stopped_writing(context: Context, name: str, resource: str) -> None:
    process = start_worker("stop-writing", context.world.store.url(), name, resource)
    context.add_cleanup(stop, process)
    assert_that(read_line(process), equal_to("inside"), f"what process {name} said")
    context.processes = {name: process}


@given("process {name} has been killed with SIGKILL")
def kill_process(context: Context, name: str) -> None:
    process = context.processes[name]
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert_that(process.returncode, equal_to(-signal.SIGKILL), f"how process {name} ended")


@given("process {name} has been paused with SIGSTOP")
def pause_process(context: Context, name: str) -> None:
    context.processes[name].send_signal(signal.SIGSTOP)


@when('process {name} resumes and writes "{value}" to the protected resource with its fencing token')
def resume_and_write(context: Context, name: str, value: str) -> None:
    process = context.processes[name]
    process.send_signal(signal.SIGCONT)
    assert process.stdin is not None
    process.stdin.write(json.dumps({"write": value, "to": str(of_scenario(context.world).path)}).encode() + b"\n")
    context.write_accepted = json.loads(read_line(process))["accepted"]
    context.write_attempt = (value, context.world.lease_of(name, "resource-1").fencing_token)


@when('{count:d} separate processes try to acquire "{resource}" at the same moment')
def race_in_processes(context: Context, count: int, resource: str) -> None:
    names = [f"P{number}" for number in range(1, count + 1)]
    processes = {name: start_worker("race", context.world.store.url(), name, resource) for name in names}
    for process in processes.values():
        context.add_cleanup(stop, process)
    for name, process in processes.items():
        assert_that(read_line(process), equal_to("ready"), f"process {name} is ready")
    for process in processes.values():
        assert process.stdin is not None
        process.stdin.write(b"go\n")
    context.race = {name: lease_from(json.loads(read_line(process))) for name, process in processes.items()}
    context.race_ids = {name: name for name in names}


@when('{count:d} separate processes each increment a shared counter {rounds:d} times under the lock on "{resource}"')
def stress(context: Context, count: int, rounds: int, resource: str) -> None:
    _count_in_workers(context, count, rounds, resource)


@when('a process forks, and the parent tries to acquire "{resource}" while its child is inside its critical section')
def fork_race(context: Context, resource: str) -> None:
    process = start_worker("fork-race", context.world.store.url(), "F", resource)
    context.add_cleanup(stop, process)
    results = [json.loads(read_line(process)) for _ in ("parent", "child")]
    context.race = {result["who"]: lease_from(result) for result in results}
    # Parent and child are one instance, forked: they share its id.
    context.race_ids = {"parent": "F", "child": "F"}


def _count_in_workers(context: Context, count: int, rounds: int, resource: str) -> None:
    counter = context.world.lock_dir.parent / "counter"
    counter.write_text("0 0", encoding="ascii")
    context.counter = counter
    processes = [
        start_worker("count", context.world.store.url(), f"P{number}", resource, str(rounds), str(counter))
        for number in range(1, count + 1)
    ]
    for process in processes:
        context.add_cleanup(stop, process)
    context.summaries = [summary for process in processes for summary in worker_results(process)]
    context.rounds = rounds


@then("the counter reads {expected:d}")
def counter_reads(context: Context, expected: int) -> None:
    value = int(context.counter.read_text(encoding="ascii").split()[0])
    assert_that(value, equal_to(expected), "the shared counter after every process finished")


@then("no two processes were ever inside the critical section at the same time")
def no_overlap(context: Context) -> None:
    overlaps = [summary["overlaps"] for summary in context.summaries]
    assert_that(overlaps, equal_to([0] * len(overlaps)), "times each process found another inside")
    completed = [summary["completed"] for summary in context.summaries]
    assert_that(completed, equal_to([context.rounds] * len(completed)), "rounds each process completed")


@then("every process saw the fencing token increase with every acquisition")
def tokens_increase(context: Context) -> None:
    regressions = [summary["token_regressions"] for summary in context.summaries]
    assert_that(regressions, has_length(len(context.summaries)))
    assert_that(regressions, equal_to([0] * len(regressions)), "times a process got a token not above the last")
