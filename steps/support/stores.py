"""What the steps do to a store behind the instances' backs, whatever the store.

Each world's store (``behave -D store=file|memory|redis``) has a fixture here
that the store-neutral steps use: plant bytes where a resource's lease is
kept (as a crash, a bug or an operator might), read them back, take a
snapshot of everything stored, and lose or damage the fencing counters (a
wiped bookkeeping folder, a server restarted without persistence). Steps
about one medium (paths, modes, guard files, Redis types) use that medium's
own fixture, and their scenarios carry its tag.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from lockspec import Clock, FileLeaseStore, LeaseStore, MemoryLeaseStore
from lockspec.stores.file.filesystem import FileSystem
from lockspec.stores.file.naming import lease_file_name
from lockspec.stores.file.permissions import PRIVATE, SHARED_GROUP
from lockspec.stores.memory import forget_space
from steps.support.file_fixture import LockDirectory

#: The stores a world can run on, by the name ``-D store=`` takes.
KINDS = ("file", "memory", "redis")


class StoreFixture(Protocol):
    """One scenario's store, seen from outside lockspec."""

    kind: str
    #: Whether instances in other processes (the process world, the command line) can reach it.
    shared_across_processes: bool

    def url(self) -> str:
        """What ``lockspec.connect`` and ``lockspec --store`` take to open this store."""
        ...

    def open(self, clock: Clock, *, files: FileSystem | None = None, shared_group: bool = False) -> LeaseStore:
        """A new store object on this scenario's leases, for one in-process instance."""
        ...

    def plant(self, resource: str, data: bytes) -> None:
        """Put ``data`` where the lease of ``resource`` is kept, whatever is there."""
        ...

    def stored(self, resource: str) -> bytes | None:
        """The bytes kept for ``resource``'s lease; ``None`` if nothing is."""
        ...

    def set_aside(self) -> list[bytes]:
        """The bytes of every entry set aside as unreadable, oldest first."""
        ...

    def snapshot(self) -> dict[str, bytes | None]:
        """Everything stored but the fencing counters, by key (a fault must leave it exactly as it was)."""
        ...

    def lose_counters(self) -> None:
        """Forget every fencing counter, as a wiped folder or a restarted server does."""
        ...

    def corrupt_counters(self) -> None:
        """Overwrite every fencing counter with bytes that are no number."""
        ...

    def set_counter(self, resource: str, data: bytes) -> None:
        """Overwrite the fencing counter of ``resource`` with ``data`` (stores with a counter per resource)."""
        ...

    def sibling(self, name: str) -> StoreFixture:
        """Another store of this kind, called ``name``, that shares nothing with this one."""
        ...

    def close(self) -> None:
        """Remove whatever the fixture made (a folder's contents are removed by the world)."""
        ...


class FileFixture:
    """The scenario's lock directory."""

    kind = "file"
    shared_across_processes = True

    def __init__(self, lock_dir: Path) -> None:
        self.lock_dir = lock_dir
        self.directory = LockDirectory(lock_dir)

    def url(self) -> str:
        return str(self.lock_dir)

    def open(self, clock: Clock, *, files: FileSystem | None = None, shared_group: bool = False) -> LeaseStore:
        permissions = SHARED_GROUP if shared_group else PRIVATE
        return FileLeaseStore(self.lock_dir, files=files, permissions=permissions, clock=clock)

    def plant(self, resource: str, data: bytes) -> None:
        (self.lock_dir / lease_file_name(resource)).write_bytes(data)

    def stored(self, resource: str) -> bytes | None:
        path = self.lock_dir / lease_file_name(resource)
        return path.read_bytes() if path.is_file() else None

    def set_aside(self) -> list[bytes]:
        folder = self.directory.bookkeeping / "unreadable"
        kept = sorted(folder.iterdir(), key=lambda path: path.name.split(".")[-2]) if folder.is_dir() else []
        return [path.read_bytes() for path in kept if path.is_file() and not path.is_symlink()]

    def snapshot(self) -> dict[str, bytes | None]:
        # Folders show only through the files they hold: lockspec makes its bookkeeping
        # folders when it first needs them. Guard files hold fencing counters, which a
        # failed acquisition may have moved on.
        return snapshot_of(
            self.lock_dir, lambda path: path.name.startswith("guard-") or (path.is_dir() and not path.is_symlink())
        )

    def lose_counters(self) -> None:
        self.directory.remove_bookkeeping()

    def corrupt_counters(self) -> None:
        self.directory.corrupt_fencing_counters()

    def set_counter(self, resource: str, data: bytes) -> None:
        raise AssertionError("the file store keeps a 20-byte counter per stripe of resources, not one per resource")

    def sibling(self, name: str) -> StoreFixture:
        return FileFixture(self.lock_dir.parent / name)

    def close(self) -> None:
        """The world removes the scenario's folder, lock directory included."""


class MemoryFixture:
    """An in-memory space of its own for the scenario."""

    kind = "memory"
    shared_across_processes = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.space = MemoryLeaseStore(name).space

    def url(self) -> str:
        return f"memory://{self.name}"

    def open(self, clock: Clock, *, files: FileSystem | None = None, shared_group: bool = False) -> LeaseStore:
        return MemoryLeaseStore(self.name, clock=clock)

    def plant(self, resource: str, data: bytes) -> None:
        with self.space.mutex:
            self.space.put(resource, data)

    def stored(self, resource: str) -> bytes | None:
        entry = self.space.entries.get(resource)
        return None if entry is None else entry.data

    def set_aside(self) -> list[bytes]:
        kept = sorted(self.space.aside.values(), key=lambda entry: entry.at_ms)
        return [entry.data for entry in kept]

    def snapshot(self) -> dict[str, bytes | None]:
        with self.space.mutex:
            leases: dict[str, bytes | None] = {key: entry.data for key, entry in self.space.entries.items()}
            aside = {f"aside:{key}": entry.data for key, entry in self.space.aside.items()}
        return leases | aside

    def lose_counters(self) -> None:
        with self.space.mutex:
            self.space.counters.clear()

    def corrupt_counters(self) -> None:
        with self.space.mutex:
            for resource in self.space.counters:
                self.space.counters[resource] = b"#garbage!#"

    def set_counter(self, resource: str, data: bytes) -> None:
        with self.space.mutex:
            self.space.counters[resource] = data

    def sibling(self, name: str) -> StoreFixture:
        return MemoryFixture(f"{self.name}-{name}")

    def close(self) -> None:
        forget_space(self.name)


def snapshot_of(root: Path, leave_out: Callable[[Path], bool]) -> dict[str, bytes | None]:
    """Every entry below ``root`` but those left out, with the bytes of regular files (None for the rest)."""
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        if leave_out(path):
            continue
        regular = path.is_file() and not path.is_symlink()
        found[str(path.relative_to(root))] = path.read_bytes() if regular else None
    return found
