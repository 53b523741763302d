"""An instance in a process of its own, driven by the process steps.

Run as ``python lock_worker.py MODE LOCK_DIR NAME RESOURCE [ARGS...]``; it
talks in JSON lines on stdout:

* ``race``: print ``ready``, wait for a line on stdin, try once to acquire,
  print the lease (or null), and stay alive until stdin closes: a holder
  that exited would be a dead holder, whose lease others take over.
* ``hold TTL_MS``: acquire, print the lease, then, for every line
  ``{"write": VALUE, "to": PATH}`` on stdin, write VALUE with the lease's fencing token to
  the protected resource at PATH and print whether it was accepted, until
  stdin closes.
* ``count ROUNDS COUNTER_FILE``: ROUNDS times, under the lock, check that
  nobody else is inside (an exclusive marker file), read-increment-write the
  counter file, and check the fencing token grew; print a summary.
* ``torture SECONDS TTL_MS JOURNAL COUNTER FORK_CHANCE DIE_CHANCE``: for
  SECONDS, acquire again and again; inside each critical section, journal
  the entry, maybe fork a child that outlives it (FORK_CHANCE), say
  ``inside`` and wait for ``go`` on stdin (the conductor may kill it there
  instead), then increment the fenced counter and journal the exit (see
  ``torture``). By DIE_CHANCE, it dies inside the store's critical section
  right after writing a lease aside, leaving a child behind. A storage error
  (the bookkeeping removed under its write) is journaled and survived.
* ``cleanup-loop``: clean up expired leases again and again until stdin
  closes, then print how many it removed.
* ``fork-race``: use the instance once, then fork; the child acquires with
  that same instance and pauses right after writing its lease aside (inside
  its critical section) while the parent tries to acquire. Prints one line
  each, and both stay alive until stdin closes.
* ``die-writing [forked]``: acquire, and kill itself with SIGKILL right after
  writing its lease aside, inside the store's critical section. With
  ``forked``, it first uses the instance and forks a child that stays alive
  until stdin closes (and says ``child PID``).
* ``stop-writing``: acquire, and stop itself with SIGSTOP right after writing
  its lease aside, inside the store's critical section, having said
  ``inside``.

In ``hold`` mode, a line ``{"hand over": true}`` makes it fork: the child
starts a keep-alive on the lease; then the parent exits, leaving the lease to
the child. A child whose keep-alive made the lease its own says
``{"child": PID, "lease": ...}`` and stays until stdin closes; one whose
keep-alive found the lease lost says ``{"child": PID, "lost": WHY,
"threads": N}``, N being how many threads it runs while still inside its
keep-alive's block (1 once that thread has ended by itself), and exits.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import select
import signal
import sys
import threading
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lockspec import Backoff, Coordinator, FileLeaseStore, FileSystem, KeepAlive, Lock, LockStorageError, LockTimeout
from lockspec.connect import lock_dir_of, open_store
from steps.support.protected_resource import ProtectedResource
from steps.support.torture import increment, record

#: How long the child stays inside its critical section: ample time for the
#: parent to reach the same guard, which it must then wait for.
_PAUSE_S = 0.3


def race(instance: Coordinator, resource: str) -> None:
    print("ready", flush=True)
    sys.stdin.readline()
    lease = instance.try_acquire_lock(resource)
    print(json.dumps({"lease": dataclasses.asdict(lease) if lease else None}), flush=True)
    sys.stdin.readline()


def hold(instance: Coordinator, resource: str, ttl_ms: str) -> None:
    lease = instance.try_acquire_lock(resource, ttl_ms=int(ttl_ms))
    print(json.dumps({"lease": dataclasses.asdict(lease) if lease else None}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if "hand over" in request and lease is not None:
            hand_to_child(instance, lease)
        accepted = lease is not None and ProtectedResource(Path(request["to"])).write(
            request["write"], lease.fencing_token
        )
        print(json.dumps({"accepted": accepted}), flush=True)


def hand_to_child(instance: Coordinator, lease: Lock) -> None:
    """Fork; the child keeps the lease alive from now on, and the parent exits once it does (a daemon's start)."""
    ready, say_ready = os.pipe()
    sys.stdout.flush()
    if os.fork() == 0:
        with KeepAlive(instance, lease) as keepalive:
            os.write(say_ready, b"ready")
            if not keepalive.lost:
                _say({"child": os.getpid(), "lease": dataclasses.asdict(keepalive.lease)})
                sys.stdin.read()
            else:
                # Counted inside the block, whose end would join the thread: it must have ended by itself.
                _say({"child": os.getpid(), "lost": keepalive.lost_because, "threads": _threads_within(5.0)})
        os._exit(0)
    # The child's word is the parent's cue to exit: its keep-alive has started, and has either
    # renewed the lease (which is the child's from now on) or found it lost.
    os.read(ready, 5)
    os._exit(0)


def _threads_within(bound_s: float) -> int:
    """How many threads this process runs once only one is left, or after ``bound_s``."""
    deadline = time.monotonic() + bound_s
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    return threading.active_count()


def count(instance: Coordinator, resource: str, rounds: str, counter_file: str) -> dict[str, object]:
    marker = counter_file + ".inside"
    overlaps = token_regressions = completed = 0
    for _ in range(int(rounds)):
        with instance.lock(resource, ttl_ms=30_000, timeout_ms=60_000) as lease:
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                overlaps += 1
            with open(counter_file, encoding="ascii") as file:
                value, last_token = (int(part) for part in file.read().split())
            if lease.fencing_token <= last_token:
                token_regressions += 1
            with open(counter_file, "w", encoding="ascii") as file:
                file.write(f"{value + 1} {lease.fencing_token}")
            os.unlink(marker)
            completed += 1
    return {"completed": completed, "overlaps": overlaps, "token_regressions": token_regressions}


class PausingFileSystem(FileSystem):
    """Once armed: after writing a lease aside, say so on a pipe and pause, or send itself a signal.

    With a ``die_chance``, it also dies then and there by that chance (seeded),
    inside the store's critical section, leaving a child behind that
    inherited its descriptors.
    """

    def __init__(self) -> None:
        self.signal_fd: int | None = None
        self.then_signal: int | None = None
        self.die_chance = 0.0
        self.chance = random.Random()

    def write_new(self, path: str, data: bytes, mode: int) -> None:
        super().write_new(path, data, mode)
        if self.die_chance and self.chance.random() < self.die_chance:
            # Longer than anyone should wait for a guard: a child that kept it locked would show.
            _linger_in_child(self.chance.uniform(2.5, 4.0))
            os.kill(os.getpid(), signal.SIGKILL)
        if self.signal_fd is not None:
            os.write(self.signal_fd, b"inside\n")
            self.signal_fd = None
            if self.then_signal is None:
                time.sleep(_PAUSE_S)
            else:
                os.kill(os.getpid(), self.then_signal)


def fork_race(instance: Coordinator, files: PausingFileSystem, resource: str) -> None:
    # Using the resource first opens the guard file of its stripe, which the
    # child then inherits.
    first = instance.try_acquire_lock(resource)
    if first is None or not instance.release_lock(first):
        raise SystemExit("could not use the instance before forking")
    readable, writable = os.pipe()
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        files.signal_fd = writable
        lease = instance.try_acquire_lock(resource)
        _say({"who": "child", "lease": dataclasses.asdict(lease) if lease else None})
        sys.stdin.readline()
        os._exit(0)
    ready, _, _ = select.select([readable], [], [], _PAUSE_S * 20)
    if not ready:
        raise SystemExit("the child never reached its critical section")
    lease = instance.try_acquire_lock(resource)
    _say({"who": "parent", "lease": dataclasses.asdict(lease) if lease else None})
    sys.stdin.readline()
    os.waitpid(child, 0)


def die_writing(instance: Coordinator, files: PausingFileSystem, resource: str, *arguments: str) -> None:
    if arguments == ("forked",):
        # Using the resource first opens the guard file of its stripe, which the child then inherits.
        first = instance.try_acquire_lock(resource)
        if first is None or not instance.release_lock(first):
            raise SystemExit("could not use the instance before forking")
        sys.stdout.flush()
        if os.fork() == 0:
            _say({"child": os.getpid()})
            sys.stdin.read()
            os._exit(0)
    files.signal_fd, files.then_signal = sys.stdout.fileno(), signal.SIGKILL
    instance.try_acquire_lock(resource)
    raise SystemExit("still alive after writing the lease")


def stop_writing(instance: Coordinator, files: PausingFileSystem, resource: str) -> None:
    files.signal_fd, files.then_signal = sys.stdout.fileno(), signal.SIGSTOP
    lease = instance.try_acquire_lock(resource)
    _say({"lease": dataclasses.asdict(lease) if lease else None})
    sys.stdin.read()


def torture_rounds(instance: Coordinator, files: PausingFileSystem, resource: str, *arguments: str) -> None:
    seconds, ttl_ms, journal, counter, fork_chance, die_chance = arguments
    files.die_chance, files.chance = float(die_chance), random.Random(f"{instance.instance_id} in its guard")
    forks = random.Random(f"{instance.instance_id} forks")
    deadline = time.monotonic() + float(seconds)
    while (remaining_s := deadline - time.monotonic()) > 0:
        try:
            lease = instance.acquire(resource, ttl_ms=int(ttl_ms), timeout_ms=remaining_s * 1000)
        except LockTimeout:
            break
        except LockStorageError as error:  # the bookkeeping was removed under this very write
            record(journal, "storage error", None, error=str(error))
            continue
        record(journal, "enter", lease)
        if forks.random() < float(fork_chance):
            _linger_in_child(forks.uniform(0.2, 1.0))
        _say({"inside": lease.fencing_token, "lock_id": lease.lock_id})
        if sys.stdin.readline() != "go\n":
            raise SystemExit("the conductor went away")
        accepted = increment(Path(counter), lease.fencing_token)
        record(journal, "exit", lease, accepted=accepted)
        try:
            instance.release_lock(lease)
        except LockStorageError as error:
            record(journal, "storage error", None, error=str(error))
    _say({"done": True})


def _linger_in_child(seconds: float) -> None:
    """Fork a child that lives on for ``seconds`` with what it inherited, its standard streams closed."""
    sys.stdout.flush()
    if os.fork() == 0:
        nowhere = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(nowhere, stream)
        time.sleep(seconds)
        os._exit(0)


def cleanup_loop(instance: Coordinator) -> None:
    removed = 0
    while not select.select([sys.stdin], [], [], 0.002)[0]:
        removed += len(instance.cleanup_expired_locks())
    _say({"cleaned": removed})


def _say(document: dict[str, object]) -> None:
    """Write one JSON line in a single write, which a process writing to the same pipe cannot split."""
    os.write(sys.stdout.fileno(), json.dumps(document).encode() + b"\n")


def main(mode: str, store: str, name: str, resource: str, *arguments: str) -> None:
    # Short, jittered waits: a stress test wants many rounds, and jitter keeps
    # sixteen processes from waking in lock-step.
    backoff = Backoff(base_ms=1, factor=2, cap_ms=16, jitter=0.5, seed=zlib.crc32(name.encode()))
    files = PausingFileSystem()
    # On files, through a file system that can die inside a guard (the chaos torture's writers).
    lock_dir = lock_dir_of(store)
    leases = FileLeaseStore(lock_dir, files=files) if lock_dir is not None else open_store(store)
    instance = Coordinator(leases, name, backoff=backoff)
    if mode == "race":
        race(instance, resource)
    elif mode == "hold":
        hold(instance, resource, *arguments)
    elif mode == "count":
        print(json.dumps(count(instance, resource, *arguments)), flush=True)
    elif mode == "fork-race":
        fork_race(instance, files, resource)
    elif mode == "torture":
        torture_rounds(instance, files, resource, *arguments)
    elif mode == "cleanup-loop":
        cleanup_loop(instance)
    elif mode == "die-writing":
        die_writing(instance, files, resource, *arguments)
    elif mode == "stop-writing":
        stop_writing(instance, files, resource)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
