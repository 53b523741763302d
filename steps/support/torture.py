"""The torture run: many processes on one hot resource, some killed inside, and a history checker.

Workers (``lock_worker.py torture``) and the conductor (``conduct``) append
events to one journal, a file opened for appending where each event is one
``write`` of one JSON line, so lines never interleave:

* ``enter``: a worker got the lease (its token and expiry) and is inside;
* ``exit``: it left, saying whether the fenced counter accepted its write;
* ``kill``: the conductor is about to SIGKILL a worker that is inside.

Times are ``time.time_ns()`` of one host, so they order events across
processes. A killed worker's stay inside ends at its ``kill`` event at the
latest. ``check`` reads the journal back and measures the figures.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import select
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from lockspec import Coordinator, Lock
from steps.support.processes import BOUND_S, Process, read_line, start_worker, stop


def record(journal: str | Path, event: str, lease: Lock | None, **details: object) -> None:
    """Append one event to the journal, in one write."""
    entry: dict[str, object] = {"event": event, "t": time.time_ns(), "pid": os.getpid(), **details}
    if lease is not None:
        entry.update(token=lease.fencing_token, expires_at_ms=lease.expires_at_ms)
    descriptor = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, json.dumps(entry).encode() + b"\n")
    finally:
        os.close(descriptor)


def increment(counter: Path, token: int) -> bool:
    """Add one to the counter ("value last_token") unless a higher token already wrote: the fence."""
    value, last_token = (int(part) for part in counter.read_text(encoding="ascii").split())
    if token <= last_token:
        return False
    pending = counter.with_name(f"{counter.name}.{os.getpid()}")
    pending.write_text(f"{value + 1} {token}", encoding="ascii")
    os.replace(pending, counter)
    return True


@dataclass(frozen=True)
class Conducted:
    started: int
    killed: int
    cleaned: int


def conduct(
    lock_dir: Path,
    resource: str,
    *,
    workers: int,
    seconds: float,
    ttl_ms: int,
    kill_chance: float,
    folder: Path,
) -> Conducted:
    """Run ``workers`` torture workers for ``seconds`` and a cleanup loop beside them.

    Each time a worker says it is inside, it is killed with ``kill_chance``
    (seeded, so a run's decisions repeat) and replaced by a fresh worker
    while time remains; otherwise it is told to go on.
    """
    journal, counter = folder / "journal", folder / "counter"
    counter.write_text("0 0", encoding="ascii")
    chance = random.Random(20261126)
    deadline = time.monotonic() + seconds
    started = 0

    def new_worker() -> Process:
        nonlocal started
        started += 1
        arguments = (str(seconds_left()), str(ttl_ms), str(journal), str(counter))
        return start_worker("torture", str(lock_dir), f"T{started}", resource, *arguments)

    def seconds_left() -> float:
        return max(0.0, deadline - time.monotonic())

    cleaner = start_worker("cleanup-loop", str(lock_dir), "cleaner", resource)
    running = [new_worker() for _ in range(workers)]
    killed = 0
    try:
        while running:
            outputs = {process.stdout: process for process in running if process.stdout is not None}
            ready, _, _ = select.select(list(outputs), [], [], BOUND_S)
            if not ready:
                raise AssertionError(f"no torture worker said anything for {BOUND_S} s")
            for pipe in ready:
                process = outputs[pipe]
                said = json.loads(read_line(process))
                if "inside" in said and chance.random() >= kill_chance:
                    assert process.stdin is not None
                    process.stdin.write(b"go\n")
                    continue
                if "inside" in said:
                    record(journal, "kill", None, victim=process.pid, token=said["inside"])
                    killed += 1
                running.remove(process)
                stop(process)
                if "inside" in said and seconds_left() > 0:
                    running.append(new_worker())
    finally:
        for process in running:
            stop(process)
        cleaned = _stop_cleaner(cleaner)
    _take_over_at_the_end(lock_dir, resource, ttl_ms, folder)
    return Conducted(started, killed, cleaned)


def _stop_cleaner(cleaner: Process) -> int:
    """Stop the cleanup loop; how many leases it removed."""
    assert cleaner.stdin is not None
    cleaner.stdin.write(b"stop\n")
    cleaned: int = json.loads(read_line(cleaner))["cleaned"]
    stop(cleaner)
    return cleaned


def _take_over_at_the_end(lock_dir: Path, resource: str, ttl_ms: int, folder: Path) -> None:
    """Let one more instance take the resource over, so that the last crash is recoverable too."""
    final = Coordinator(lock_dir, instance_id="after-the-run")
    try:
        lease = final.acquire(resource, ttl_ms=ttl_ms, timeout_ms=ttl_ms * 4)
        record(folder / "journal", "enter", lease)
        record(folder / "journal", "exit", lease, accepted=increment(folder / "counter", lease.fencing_token))
        final.release_lock(lease)
    finally:
        final.close()


@dataclass(frozen=True)
class Figures:
    sections: int
    fenced: int
    counter: int
    crashes: int
    recovered: int
    takeover_ms: list[float]
    overlaps: int
    overlaps_after_expiry: int
    token_regressions: int

    def summary(self) -> str:
        takeover = "-"
        if self.takeover_ms:
            median, worst = statistics.median(self.takeover_ms), max(self.takeover_ms)
            takeover = f"median {median:.1f} ms, max {worst:.1f} ms"
        return (
            f"torture: {self.sections} critical sections completed ({self.fenced} fenced off), "
            f"counter={self.counter}, crashes={self.crashes}, recovered={self.recovered} "
            f"(crash to takeover: {takeover}), overlaps={self.overlaps} "
            f"(after a lease expired: {self.overlaps_after_expiry}), token regressions={self.token_regressions}"
        )


def check(folder: Path) -> Figures:
    """Read the journal and counter back and measure what happened."""
    events = [json.loads(line) for line in (folder / "journal").read_text().splitlines()]
    events.sort(key=lambda event: event["t"])
    stays: dict[int, dict[str, int]] = {}
    for event in events:
        if event["event"] == "enter":
            stays[event["token"]] = {"enter": event["t"], "expires_ns": event["expires_at_ms"] * 1_000_000}
        elif event["event"] in ("exit", "kill"):
            stays[event["token"]]["leave"] = event["t"]
    ordered = sorted(stays.items(), key=lambda item: item[1]["enter"])
    overlaps = overlaps_after_expiry = regressions = 0
    for (token, stay), (next_token, following) in itertools.pairwise(ordered):
        regressions += next_token <= token
        # A stay with no recorded end never ended: it overlaps whatever came after.
        if following["enter"] < stay.get("leave", 2**63):
            if following["enter"] >= stay["expires_ns"]:
                overlaps_after_expiry += 1
            else:
                overlaps += 1
    exits = [event for event in events if event["event"] == "exit"]
    kills = [event for event in events if event["event"] == "kill"]
    takeovers = []
    for kill in kills:
        later = [event["t"] for event in events if event["event"] == "enter" and event["token"] > kill["token"]]
        if later:
            takeovers.append((min(later) - kill["t"]) / 1_000_000)
    counter = int((folder / "counter").read_text(encoding="ascii").split()[0])
    return Figures(
        sections=sum(1 for event in exits if event["accepted"]),
        fenced=sum(1 for event in exits if not event["accepted"]),
        counter=counter,
        crashes=len(kills),
        recovered=len(takeovers),
        takeover_ms=takeovers,
        overlaps=overlaps,
        overlaps_after_expiry=overlaps_after_expiry,
        token_regressions=regressions,
    )
