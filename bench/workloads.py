"""What the benchmark measures. Each function returns plain numbers; run.py repeats and reports them."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peers import PEERS

import lockspec
from lockspec.lease import Lock, encode_lease
from lockspec.stores.file.naming import lease_file_name

_FORK = multiprocessing.get_context("fork")


def uncontended_us(peer: str, operations: int) -> float:
    """Microseconds per acquire+release of one lock by one process, nobody else around."""
    folder = tempfile.mkdtemp(prefix="lockspec-bench-")
    try:
        handle = PEERS[peer](folder, "resource")
        for _ in range(operations // 10):
            handle.acquire()
            handle.release()
        started = time.perf_counter()
        for _ in range(operations):
            handle.acquire()
            handle.release()
        return (time.perf_counter() - started) / operations * 1e6
    finally:
        shutil.rmtree(folder)


def floor_us(operations: int) -> float:
    """Microseconds for the bare system calls a correct lease cycle needs.

    A short OS lock taken twice (claim, release) on a descriptor kept open;
    writing a small file aside and moving it into place; reading it; unlinking it.
    """
    folder = tempfile.mkdtemp(prefix="lockspec-bench-")
    try:
        guard = os.open(os.path.join(folder, "guard"), os.O_RDWR | os.O_CREAT)
        lease = os.path.join(folder, "resource.lock")
        pending = os.path.join(folder, "pending")
        data = b'{"format":1,"resource":"resource","lock_id":"0123456789abcdef0123456789abcdef","owner":"A"}'

        def cycle() -> None:
            fcntl.flock(guard, fcntl.LOCK_EX)
            fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            os.write(fd, data)
            os.close(fd)
            os.replace(pending, lease)
            fcntl.flock(guard, fcntl.LOCK_UN)
            fd = os.open(lease, os.O_RDONLY)
            os.read(fd, 4096)
            os.close(fd)
            fcntl.flock(guard, fcntl.LOCK_EX)
            os.unlink(lease)
            fcntl.flock(guard, fcntl.LOCK_UN)

        for _ in range(operations // 10):
            cycle()
        started = time.perf_counter()
        for _ in range(operations):
            cycle()
        elapsed = time.perf_counter() - started
        os.close(guard)
        return elapsed / operations * 1e6
    finally:
        shutil.rmtree(folder)


@dataclass(frozen=True)
class Job:
    """What a benchmark worker process is told to do."""

    peer: str
    folder: str
    seconds: float
    counter: str = ""
    resources: int = 1
    seed: int = 0


@dataclass
class Contention:
    """One contended run, as the report shows it."""

    sections_per_s: float
    counter_exact: bool
    first_share_done: float  # fraction of the run when the first process had its fair share of grants
    slowest_share: float  # the slowest process's grants over its fair share


def contended(peer: str, processes: int, seconds: float) -> Contention:
    """Processes hammering one lock, each section a read-increment-write of a shared counter."""
    folder = tempfile.mkdtemp(prefix="lockspec-bench-")
    try:
        counter = os.path.join(folder, "counter")
        Path(counter).write_text("0")
        start = _FORK.Event()
        results = _FORK.Queue()
        job = Job(peer, folder, seconds, counter=counter)
        workers = [_FORK.Process(target=_contend, args=(job, start, results)) for _ in range(processes)]
        for worker in workers:
            worker.start()
        begun = time.time()
        start.set()
        grants = [results.get(timeout=seconds * 4 + 60) for _ in workers]
        for worker in workers:
            worker.join()
        total = sum(len(times) for times in grants)
        fair = total / processes
        done_at = [times[int(fair) - 1] for times in grants if fair >= 1 and len(times) >= fair]
        first = (min(done_at) - begun) / seconds if done_at else float("nan")
        return Contention(
            sections_per_s=total / seconds,
            counter_exact=int(Path(counter).read_text()) == total,
            first_share_done=first,
            slowest_share=min(len(times) for times in grants) / fair if fair else 0.0,
        )
    finally:
        shutil.rmtree(folder)


def _contend(job: Job, start: Any, results: Any) -> None:
    handle = PEERS[job.peer](job.folder, "resource")
    start.wait()
    deadline = time.time() + job.seconds
    times: list[float] = []
    while time.time() < deadline:
        handle.acquire()
        fd = os.open(job.counter, os.O_RDWR)
        value = int(os.pread(fd, 32, 0))
        os.pwrite(fd, str(value + 1).rjust(20).encode(), 0)
        os.close(fd)
        handle.release()
        times.append(time.time())
    results.put(times)


def many_resources(peer: str, processes: int, resources: int, seconds: float) -> float:
    """Acquire+release per second, all processes together, each on a random one of many resources."""
    folder = tempfile.mkdtemp(prefix="lockspec-bench-")
    try:
        start = _FORK.Event()
        results = _FORK.Queue()
        workers = [
            _FORK.Process(
                target=_spread, args=(Job(peer, folder, seconds, resources=resources, seed=seed), start, results)
            )
            for seed in range(processes)
        ]
        for worker in workers:
            worker.start()
        start.set()
        total = sum(results.get(timeout=seconds * 4 + 60) for _ in workers)
        for worker in workers:
            worker.join()
        return total / seconds
    finally:
        shutil.rmtree(folder)


def _spread(job: Job, start: Any, results: Any) -> None:
    handles: dict[int, Any] = {}
    chooser = random.Random(job.seed)
    start.wait()
    deadline = time.time() + job.seconds
    done = 0
    while time.time() < deadline:
        number = chooser.randrange(job.resources)
        handle = handles.get(number) or handles.setdefault(number, PEERS[job.peer](job.folder, f"resource-{number}"))
        handle.acquire()
        handle.release()
        done += 1
    results.put(done)


@contextmanager
def filled_folder(leases: int, kind: str) -> Iterator[str]:
    """A temporary lock directory holding ``leases`` lease files of ``kind`` (see ``fill``), removed afterwards."""
    folder = tempfile.mkdtemp(prefix="lockspec-bench-")
    try:
        fill(folder, leases, kind)
        yield folder
    finally:
        shutil.rmtree(folder)


def at_scale(operation: str, folder: str, traced: bool) -> float:
    """Milliseconds of ``status`` or ``cleanup`` over the lease files in ``folder``, in a fresh process.

    Traced: the peak Python heap (tracemalloc) of the same call, in KiB, instead.
    """
    call = "c.status()" if operation == "status" else "c.cleanup_expired_locks()"
    script = "import sys, time, tracemalloc, lockspec\nc = lockspec.connect(sys.argv[1])\n" + (
        f"tracemalloc.start()\n{call}\nprint(tracemalloc.get_traced_memory()[1] / 1024)\n"
        if traced
        else f"t = time.perf_counter()\n{call}\nprint((time.perf_counter() - t) * 1000)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, folder], check=True, capture_output=True, text=True)
    return float(out.stdout)


def fill(folder: str, leases: int, kind: str) -> None:
    """Write ``leases`` lease files into ``folder``: all "valid", all "expired", or "1% corrupted"."""
    now = time.time_ns() // 1_000_000
    # Expired leases expired a minute ago, after a 10-minute TTL: still well-formed leases,
    # which cleanup must read and judge, not unreadable files it merely moves aside.
    expires = now - 60_000 if kind == "expired" else now + 600_000
    for number in range(leases):
        name = f"resource-{number}"
        path = os.path.join(folder, lease_file_name(name))
        if kind == "1% corrupted" and number % 100 == 0:
            data = b"INVALID{JSON"
        else:
            data = encode_lease(Lock(name, os.urandom(16).hex(), "A", expires - 600_000, expires, number + 1, 600_000))
        # os.open, not open(): on this machine io.open costs half a millisecond a file.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        os.write(fd, data)
        os.close(fd)


def failover_ms(ttl_ms: int, detect_dead_holders: bool) -> float:
    """Milliseconds from a holder's SIGKILL until another process holds the lock.

    With ``detect_dead_holders`` the waiter sees the holder's process is gone;
    without it, it waits for the TTL.
    """
    folder = tempfile.mkdtemp(prefix="lockspec-bench-")
    try:
        ready = _FORK.Event()
        holder = _FORK.Process(target=_hold, args=(folder, ttl_ms, ready))
        holder.start()
        ready.wait(30)
        backoff = lockspec.Backoff(base_ms=1, factor=2, cap_ms=8, jitter=0.5)
        waiter = lockspec.connect(
            folder, instance_id="waiter", backoff=backoff, detect_dead_holders=detect_dead_holders
        )
        assert holder.pid is not None
        os.kill(holder.pid, signal.SIGKILL)
        killed = time.perf_counter()
        holder.join()
        waiter.acquire("resource", timeout_ms=ttl_ms * 10 + 10_000)
        return (time.perf_counter() - killed) * 1000
    finally:
        shutil.rmtree(folder)


def _hold(folder: str, ttl_ms: int, ready: Any) -> None:
    lockspec.connect(folder, instance_id="holder").acquire("resource", ttl_ms=ttl_ms)
    ready.set()
    time.sleep(3600)
