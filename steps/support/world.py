"""What one scenario works with: its lock directory, its clock and its named instances.

In the in-process world (the default), every named instance is a real
``Coordinator`` on the scenario's lock directory, whose store and file system
are wrapped (``wrappers``) so that steps can watch and steer it. In the
process world (``behave -D instances=processes``), every named instance is a
``Coordinator`` in a process of its own (``process_instance``), on the real
clock. Either way the world remembers what each instance's last action
produced (its outcome) and every lease each instance acquired. The onlooker,
which only inspects the lock directory for ``Then`` steps, always lives here.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from lockspec import Backoff, CleanedUp, Clock, Coordinator, FileLeaseStore, LeaseStatus, Lock, LockError
from lockspec.stores.file.naming import lease_file_name
from steps.support.file_fixture import LockDirectory
from steps.support.frozen_clock import FrozenClock
from steps.support.process_instance import ProcessInstance
from steps.support.processes import BOUND_S
from steps.support.stores import FileFixture, StoreFixture, snapshot_of
from steps.support.wrappers import WatchedFileSystem, WatchedStore

_TOKEN_OF = re.compile(r"<([A-Za-z0-9]+)'s token>")

#: The name of the instance that inspects the lock directory for ``Then`` steps
#: without being one of the scenario's actors.
ONLOOKER = "onlooker"


class Instance(Protocol):
    """What the steps call on a named instance: a ``Coordinator`` or a ``ProcessInstance``."""

    instance_id: str

    def try_acquire_lock(self, resource: str, ttl_ms: float = ..., max_retries: int = ...) -> Lock | None: ...

    def acquire(self, resource: str, ttl_ms: float = ..., timeout_ms: float = ...) -> Lock: ...

    def lock(self, resource: str, ttl_ms: float = ..., timeout_ms: float = ...) -> AbstractContextManager[Lock]: ...

    def release_lock(self, lock: Lock) -> bool: ...

    def renew_lock(self, lock: Lock, ttl_ms: float | None = ...) -> Lock | None: ...

    def cleanup_expired_locks(self) -> list[str]: ...

    def cleanup(self, dry_run: bool = ...) -> list[CleanedUp]: ...

    def holder(self, resource: str) -> Lock | None: ...

    def status(self) -> list[LeaseStatus]: ...

    def close(self) -> None: ...


class World:
    """One scenario's store, clock and named instances.

    ``lock_dir`` is where a file store keeps its leases, and its parent the
    scenario's folder, which the world removes at the end; ``store`` is the
    fixture of the store the instances share (the lock directory's by default).
    """

    def __init__(
        self, lock_dir: Path, clock: Clock, *, in_processes: bool = False, store: StoreFixture | None = None
    ) -> None:
        self.lock_dir = lock_dir
        self.lock_directory = LockDirectory(lock_dir)
        self.store: StoreFixture = store or FileFixture(lock_dir)
        self.own_stores: list[StoreFixture] = []
        self.clock = clock
        self.in_processes = in_processes
        self.instances: dict[str, Instance] = {}
        self.stores: dict[str, WatchedStore] = {}
        self.clocks: dict[str, _RecordingClock] = {}
        self.files: dict[str, WatchedFileSystem] = {}
        self.outcomes: dict[str, object] = {}
        self.last_actions: dict[str, Callable[[Instance], object]] = {}
        self.leases: dict[tuple[str, str], list[Lock]] = {}
        self.real_sleeps: list[object] = []
        self.last_actor = ""
        self.waits: dict[str, list[float]] = {}
        self.backoffs: dict[str, Backoff | None] = {}
        self.elapsed_ms: dict[str, int] = {}
        self.observations: dict[str, int] = {}
        self._latest: dict[str, Lock] = {}

    def start(
        self,
        name: str,
        backoff: Backoff | None = None,
        store: StoreFixture | None = None,
        *,
        anonymous: bool = False,
        clock_offset_ms: float = 0,
        max_clock_skew_ms: float = 0,
        detect_dead_holders: bool = True,
        shared_group: bool = False,
    ) -> Instance:
        """Start (or restart) instance ``name`` on the scenario's store (or on ``store``).

        An ``anonymous`` instance is known to the scenario as ``name`` but lets
        lockspec choose its instance id; ``clock_offset_ms`` sets its clock
        that far ahead of (or, negative, behind) the scenario's. The last three
        are the coordinator's settings of the same names.
        """
        self.stop(name)
        self.backoffs[name] = backoff
        instance_id = None if anonymous else name
        waits = self.waits.setdefault(name, [])
        fixture = store or self.store
        if self.in_processes and name != ONLOOKER:
            self.instances[name] = ProcessInstance(
                fixture.url(),
                instance_id,
                waits,
                backoff=backoff,
                clock_offset_ms=clock_offset_ms,
                max_clock_skew_ms=max_clock_skew_ms,
                detect_dead_holders=detect_dead_holders,
                shared_group=shared_group,
            )
            return self.instances[name]
        files = WatchedFileSystem()
        clock = _RecordingClock(name, self.clock, waits, clock_offset_ms)
        watched = WatchedStore(fixture.open(clock, files=files, shared_group=shared_group))
        instance = Coordinator(
            watched,
            instance_id,
            clock,
            backoff=backoff,
            max_clock_skew_ms=max_clock_skew_ms,
            detect_dead_holders=detect_dead_holders,
        )
        self.instances[name], self.stores[name], self.clocks[name] = instance, watched, clock
        if fixture.kind == "file":
            self.files[name] = files
        return instance

    def own_store(self) -> StoreFixture:
        """A store of the scenario's kind that no other instance shares."""
        number = len(self.own_stores) + 1
        fixture = self.store.sibling(f"own-{number}")
        self.own_stores.append(fixture)
        return fixture

    def adopt(self, name: str, instance: Coordinator) -> None:
        """Make ``instance``, opened by a step itself, the scenario's instance ``name``."""
        self.stop(name)
        self.instances[name] = instance

    def instance(self, name: str) -> Instance:
        if name not in self.instances:
            raise AssertionError(f"instance {name!r} was never started (started: {sorted(self.instances)})")
        return self.instances[name]

    def id_of(self, name: str) -> str:
        """The instance id behind scenario name ``name`` (the name itself for unnamed processes)."""
        instance = self.instances.get(name)
        return instance.instance_id if instance is not None else name

    def stop(self, name: str) -> None:
        """Let instance ``name`` vanish without releasing anything, as a crash would."""
        instance = self.instances.pop(name, None)
        self.stores.pop(name, None)
        self.clocks.pop(name, None)
        self.files.pop(name, None)
        if instance is not None:
            instance.close()

    def act(self, name: str, action: Callable[[Instance], object]) -> object:
        """Let ``name`` act, remembering the action and its outcome; a ``LockError`` is an outcome too.

        On the real clock the action runs in a thread of its own and may take
        at most ``BOUND_S``: an instance that hangs fails the step instead of
        the whole run.
        """
        self.last_actions[name] = action
        if name in self.stores:
            self.stores[name].forget_action()
        self.waits.setdefault(name, []).clear()
        started = self.clock.now_ms()
        real_time = not isinstance(self.clock, FrozenClock)
        outcome = self._bounded(name, action) if real_time else _outcome_of(action, self.instance(name))
        self.elapsed_ms[name] = self.clock.now_ms() - started
        counter = self.stores.get(name) or self.instances.get(name)
        if isinstance(counter, (WatchedStore, ProcessInstance)):
            self.observations[name] = counter.observations
        if isinstance(outcome, Lock):
            self.remember(name, outcome)
        self.outcomes[name] = outcome
        self.last_actor = name
        return outcome

    def _bounded(self, name: str, action: Callable[[Instance], object]) -> object:
        instance = self.instance(name)
        outcomes: list[object] = []
        failures: list[BaseException] = []

        def run() -> None:
            try:
                outcomes.append(_outcome_of(action, instance))
            except BaseException as failure:  # handed to the step's thread, which raises it
                failures.append(failure)

        worker = threading.Thread(target=run, name=f"instance-{name}", daemon=True)
        worker.start()
        worker.join(BOUND_S)
        if failures:
            raise failures[0]
        if not outcomes:
            raise AssertionError(f"instance {name} did not finish within {BOUND_S} s")
        return outcomes[0]

    def remember(self, name: str, lease: Lock) -> None:
        """Record that ``name`` acquired ``lease`` (an instance's action does so itself)."""
        self.leases.setdefault((name, lease.resource), []).append(lease)
        self._latest[name] = lease

    def expand(self, text: str) -> str:
        """``text`` with every ``<A's token>`` replaced by the fencing token of the lease A acquired last."""

        def token(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self._latest:
                raise AssertionError(f"{text!r} names the token of {name}, which never acquired anything")
            return str(self._latest[name].fencing_token)

        return _TOKEN_OF.sub(token, text)

    def outcome(self, name: str) -> object:
        if name not in self.outcomes:
            raise AssertionError(f"instance {name!r} has not acted yet")
        return self.outcomes[name]

    def lease_of(self, name: str, resource: str, which: int = -1) -> Lock:
        """The lease ``name`` acquired on ``resource`` (by default its latest)."""
        leases = self.leases.get((name, resource), [])
        if not leases:
            raise AssertionError(f"instance {name!r} never acquired {resource!r}")
        return leases[which]

    def holder(self, resource: str) -> Lock | None:
        """Who holds ``resource`` now, as any instance would see it."""
        return self._onlooker().holder(resource)

    def file_store(self) -> FileLeaseStore:
        """The lock directory's store, for the paths of its folders (in the file world only)."""
        self._onlooker()
        store = self.stores[ONLOOKER].inner
        if not isinstance(store, FileLeaseStore):
            raise AssertionError(f"this step is about lock directories; the store is {self.store.url()}")
        return store

    def _onlooker(self) -> Instance:
        if ONLOOKER not in self.instances:
            self.start(ONLOOKER)
        return self.instances[ONLOOKER]

    def lease_path(self, resource: str) -> Path:
        return self.lock_dir / lease_file_name(resource)

    def plant(self, resource: str, data: bytes) -> None:
        """Put ``data`` where the store keeps ``resource``'s lease, once the store exists."""
        self._onlooker()
        self.store.plant(resource, data)

    def contents(self) -> dict[str, bytes | None]:
        """Everything the scenario's store holds but its fencing counters (see ``StoreFixture.snapshot``)."""
        return self.store.snapshot()

    def plant_outside(self, relative: str) -> Path:
        """A file at ``relative`` in the scenario's folder, outside the lock directory, that no instance may touch.

        ``outside()`` then shows whether anything did.
        """
        path = self.lock_dir.parent / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("must stay as it is")
        return path

    def outside(self) -> dict[str, bytes | None]:
        """Everything in the scenario's folder outside the lock directory (None for folders and links)."""
        return snapshot_of(self.lock_dir.parent, lambda path: path == self.lock_dir or self.lock_dir in path.parents)

    def close(self) -> None:
        try:
            for name in list(self.instances):
                self.stop(name)
            for fixture in (self.store, *self.own_stores):
                fixture.close()
        finally:
            # Even when a store could not be emptied (its server gone), the folder goes.
            shutil.rmtree(self.lock_dir.parent, ignore_errors=False)


def _outcome_of(action: Callable[[Instance], object], instance: Instance) -> object:
    """What ``action`` produced, a ``LockError`` included."""
    try:
        return action(instance)
    except LockError as error:
        return error


class _RecordingClock:
    """One instance's view of the scenario's clock (maybe offset), remembering the waits it made.

    Its background threads (keep-alives) wait on the scenario's clock as that
    instance's, so that pausing the instance pauses them.
    """

    def __init__(self, name: str, clock: Clock, waits: list[float], offset_ms: float) -> None:
        self._name = name
        self._clock = clock
        self._waits = waits
        self._offset_ms = int(offset_ms)
        #: How much longer than asked each backoff wait lasts, as on a loaded machine.
        self.oversleep_ms = 0.0

    def now_ms(self) -> int:
        return self._clock.now_ms() + self._offset_ms

    def sleep_ms(self, ms: float) -> None:
        self._waits.append(ms)
        self._clock.sleep_ms(ms + self.oversleep_ms)

    def wait_ms(self, ms: float, until: threading.Event) -> bool:
        if isinstance(self._clock, FrozenClock):
            return self._clock.wait_as(self._name, ms, until)
        return self._clock.wait_ms(ms, until)
