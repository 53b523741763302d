"""Whether a lease's holder process still exists, when that can be proven.

A lease records where its holder runs: the host name, the pid, and the
process's identity, ``<boot id>/<pid namespace>:<start time>`` read from
Linux's ``/proc``. Death is proven only for a lease from this host, this boot
and this pid namespace, where pids mean the same as for us: then a pid that no
longer exists (or is a zombie), or that now belongs to a process started at
another time (the pid was reused), means the holder is gone. Anything else
proves nothing: another host, another container, a lease without identity,
a system without ``/proc``. Such a lease lives until its expiry.
"""

from __future__ import annotations

import functools
import os

from lockspec.lease import Lock

_PROC = "/proc"


def process_identity() -> str:
    """The identity the calling process records in its leases, or "" where it cannot be known."""
    return _own_facts(os.getpid())[1]


def identity_of(pid: int) -> str:
    """The identity of process ``pid`` of this system, as its leases record it; "" if it cannot be read."""
    system = _own_facts(os.getpid())[0]
    seen = _state_and_start(pid)
    return f"{system}:{seen[1]}" if system and seen else ""


def holder_is_gone(lease: Lock, this_host: str) -> bool:
    """True only if ``lease``'s holder provably no longer runs (see the module's docstring)."""
    if lease.host != this_host or not lease.process:
        return False
    system = _own_facts(os.getpid())[0]
    lease_system, _, started = lease.process.rpartition(":")
    if not system or lease_system != system:
        return False
    # A lease with this very process's pid takes the same path: its start time tells whether it is ours.
    # Pid 0 (none recorded; a negative one is unreadable) names our own process group to kill, which
    # exists, and no process in /proc: it proves nothing, like any process that cannot be read.
    try:
        os.kill(lease.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, under another user: its start time tells whether it is the holder
    except OverflowError:  # a pid no process can have (pid_t has 32 bits): a lease not of our writing
        return False
    seen = _state_and_start(lease.pid)
    if seen is None:
        return False
    state, now_started = seen
    return state in ("Z", "X") or now_started != started


@functools.lru_cache(maxsize=1)
def _own_facts(pid: int) -> tuple[str, str]:
    """``("<boot id>/<pid namespace>", identity)`` of this process, whose pid is ``pid``.

    Keyed by pid so that a forked child, whose pid differs, computes its own.
    """
    try:
        with open(f"{_PROC}/sys/kernel/random/boot_id", encoding="ascii") as boot:
            boot_id = boot.read().strip()
        namespace = os.readlink(f"{_PROC}/self/ns/pid")
    except OSError:
        return "", ""
    system = f"{boot_id}/{namespace}"
    seen = _state_and_start(pid)
    return system, f"{system}:{seen[1]}" if seen else ""


def _state_and_start(pid: int) -> tuple[str, str] | None:
    """Process ``pid``'s state letter and start time (clock ticks after boot); None if it cannot be read."""
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()
    except OSError:
        return None
    # After the command name, which may hold spaces: state is field 3 of proc(5), starttime field 22.
    if len(fields) < 20:
        return None
    return fields[0].decode("ascii", "replace"), fields[19].decode("ascii", "replace")
