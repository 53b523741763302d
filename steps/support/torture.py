"""The torture run: many processes on one hot resource, some killed inside, and a history checker.

Workers (``lock_worker.py torture``) and the conductor (``conduct``) append
events to one journal, a file opened for appending where each event is one
``write`` of one JSON line, so lines never interleave:

* ``enter``: a worker got a lease (its lock id, token and expiry) and is inside;
* ``exit``: it left, saying whether the fenced counter accepted its write;
* ``kill``: the conductor is about to SIGKILL a worker that is inside;
* ``storage error``: a worker's acquisition or release failed (the
  bookkeeping folder was removed under its write);
* ``wipe``: the conductor removed lockspec's bookkeeping folder.

Times are ``time.time_ns()`` of one host, so they order events across
processes. A stay inside is one acquisition, known by its lock id: two
acquisitions given the same token stay two stays, and are counted. A killed
worker's stay ends at its ``kill`` event at the latest. ``check`` reads the
journal back and measures the figures.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import select
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from lockspec import Lock, connect
from lockspec.stores.file.store import BOOKKEEPING_FOLDER
from steps.support.processes import BOUND_S, Process, read_line, start_worker, stop


def record(journal: str | Path, event: str, lease: Lock | None, **details: object) -> None:
    """Append one event to the journal, in one write."""
    entry: dict[str, object] = {"event": event, "t": time.time_ns(), "pid": os.getpid(), **details}
    if lease is not None:
        entry.update(lock_id=lease.lock_id, token=lease.fencing_token, expires_at_ms=lease.expires_at_ms)
    descriptor = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, json.dumps(entry).encode() + b"\n")
    finally:
        os.close(descriptor)


def increment(counter: Path, token: int) -> bool:
    """Add one to the counter ("value last_token") unless a higher token already wrote: the fence.

    The check and the write are one step under the counter's own lock, as a
    resource that honours fencing tokens makes them: a holder whose lease
    expired while it was inside (a slow machine) is then turned away, never
    allowed to overwrite a newer holder's update with a stale one.
    """
    with FileLock(f"{counter}.guard"):
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
    died_in_guard: int
    wipes: int
    cleaned: int


@dataclass(frozen=True)
class Chaos:
    """What the conductor does to the workers, and how often (chances are per critical section or per write)."""

    kill_chance: float = 0.0
    fork_chance: float = 0.0
    die_in_guard_chance: float = 0.0
    wipe_every_s: float | None = None


def conduct(
    store: str, resource: str, *, workers: int, seconds: float, ttl_ms: int, chaos: Chaos, folder: Path
) -> Conducted:
    """Run ``workers`` torture workers for ``seconds`` and a cleanup loop beside them.

    Each time a worker says it is inside, it is killed with the kill chance
    (seeded, so a run's decisions repeat) and replaced by a fresh worker
    while time remains; otherwise it is told to go on. Only the worker is
    killed: a child it forked lives on. A worker that died on its own (inside
    its guard) is replaced too. Every ``wipe_every_s``, lockspec's
    bookkeeping folder is removed (``store`` is then a lock directory).
    """
    journal, counter = folder / "journal", folder / "counter"
    counter.write_text("0 0", encoding="ascii")
    chance = random.Random(20261126)
    deadline = time.monotonic() + seconds
    wiper = _Wiper(Path(store) / BOOKKEEPING_FOLDER, chaos.wipe_every_s, journal)
    started = killed = died = 0
    groups: list[Process] = []

    def new_worker() -> Process:
        nonlocal started
        started += 1
        chances = (str(chaos.fork_chance), str(chaos.die_in_guard_chance))
        arguments = (str(seconds_left()), str(ttl_ms), str(journal), str(counter), *chances)
        process = start_worker("torture", store, f"T{started}", resource, *arguments)
        groups.append(process)
        return process

    def seconds_left() -> float:
        return max(0.0, deadline - time.monotonic())

    cleaner = start_worker("cleanup-loop", store, "cleaner", resource)
    running = [new_worker() for _ in range(workers)]
    try:
        while running:
            wiper.wipe_if_due(more=seconds_left() > 0)
            outputs = {process.stdout: process for process in running if process.stdout is not None}
            wait_s = min(BOUND_S, wiper.due_in_s())
            ready, _, _ = select.select(list(outputs), [], [], wait_s)
            if not ready and wait_s == BOUND_S:
                raise AssertionError(f"no torture worker said anything for {BOUND_S} s")
            for pipe in ready:
                process = outputs[pipe]
                said = _next_words(process)
                if said is not None and "inside" in said and chance.random() >= chaos.kill_chance:
                    assert process.stdin is not None
                    process.stdin.write(b"go\n")
                    continue
                running.remove(process)
                if said is None:
                    died += 1  # it killed itself inside its guard
                elif "inside" in said:
                    record(journal, "kill", None, victim=process.pid, lock_id=said["lock_id"], token=said["inside"])
                    killed += 1
                process.kill()
                process.communicate(timeout=BOUND_S)
                if (said is None or "inside" in said) and seconds_left() > 0:
                    running.append(new_worker())
    finally:
        for process in groups:
            stop(process)  # the worker if still running, and whatever children it left
        cleaned = _stop_cleaner(cleaner)
    _take_over_at_the_end(store, resource, ttl_ms, folder)
    return Conducted(started, killed, died, wiper.wipes, cleaned)


class _Wiper:
    """Removes lockspec's bookkeeping folder every ``every_s`` (never, if None), journaling each removal."""

    def __init__(self, folder: Path, every_s: float | None, journal: Path) -> None:
        self._folder = folder
        self._every_s = every_s
        self._journal = journal
        self._next = time.monotonic() + every_s if every_s else math.inf
        self.wipes = 0

    def due_in_s(self) -> float:
        return max(0.0, self._next - time.monotonic())

    def wipe_if_due(self, *, more: bool) -> None:
        """Wipe if it is time; plan the next one only if ``more`` time remains."""
        if time.monotonic() < self._next:
            return
        shutil.rmtree(self._folder, ignore_errors=True)
        record(self._journal, "wipe", None)
        self.wipes += 1
        self._next = time.monotonic() + self._every_s if more and self._every_s else math.inf


def _next_words(process: Process) -> dict[str, object] | None:
    """The worker's next JSON line, or None if it ended without one."""
    try:
        words: dict[str, object] = json.loads(read_line(process))
    except AssertionError:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # it did not end either: it hangs, and the run fails
            raise AssertionError(f"torture worker {process.pid} neither spoke nor ended") from None
        return None
    return words


def _stop_cleaner(cleaner: Process) -> int:
    """Stop the cleanup loop; how many leases it removed."""
    assert cleaner.stdin is not None
    cleaner.stdin.write(b"stop\n")
    cleaned: int = json.loads(read_line(cleaner))["cleaned"]
    stop(cleaner)
    return cleaned


def _take_over_at_the_end(store: str, resource: str, ttl_ms: int, folder: Path) -> None:
    """Let one more instance take the resource over, so that the last crash is recoverable too."""
    final = connect(store, instance_id="after-the-run")
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
    duplicate_tokens: int
    longest_idle_ms: float
    storage_errors: int

    def summary(self) -> str:
        takeover = "-"
        if self.takeover_ms:
            median, worst = statistics.median(self.takeover_ms), max(self.takeover_ms)
            takeover = f"median {median:.1f} ms, max {worst:.1f} ms"
        return (
            f"torture: {self.sections} critical sections completed ({self.fenced} fenced off), "
            f"counter={self.counter}, crashes={self.crashes}, recovered={self.recovered} "
            f"(crash to takeover: {takeover}), overlaps={self.overlaps} "
            f"(after a lease expired: {self.overlaps_after_expiry}), token regressions={self.token_regressions}, "
            f"duplicate tokens={self.duplicate_tokens}, longest idle={self.longest_idle_ms:.0f} ms, "
            f"storage errors={self.storage_errors}"
        )


def check(folder: Path) -> Figures:
    """Read the journal and counter back and measure what happened."""
    events = [json.loads(line) for line in (folder / "journal").read_text().splitlines()]
    events.sort(key=lambda event: event["t"])
    stays: dict[str, dict[str, int]] = {}
    for event in events:
        if event["event"] == "enter":
            stays[event["lock_id"]] = {
                "token": event["token"],
                "enter": event["t"],
                "expires_ns": event["expires_at_ms"] * 1_000_000,
            }
        elif event["event"] in ("exit", "kill"):
            stays[event["lock_id"]].setdefault("leave", event["t"])
    ordered = sorted(stays.values(), key=lambda stay: stay["enter"])
    overlaps = overlaps_after_expiry = regressions = 0
    longest_idle_ns = 0
    for stay, following in itertools.pairwise(ordered):
        regressions += following["token"] <= stay["token"]
        # A stay with no recorded end never ended: it overlaps whatever came after.
        if following["enter"] < stay.get("leave", 2**63):
            if following["enter"] >= stay["expires_ns"]:
                overlaps_after_expiry += 1
            else:
                overlaps += 1
        else:
            longest_idle_ns = max(longest_idle_ns, following["enter"] - stay["leave"])
    tokens = [stay["token"] for stay in ordered]
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
        duplicate_tokens=len(tokens) - len(set(tokens)),
        longest_idle_ms=longest_idle_ns / 1_000_000,
        storage_errors=sum(1 for event in events if event["event"] == "storage error"),
    )
