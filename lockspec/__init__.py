"""lockspec: leases on shared resources for several instances sharing a lock directory.

Public names are the ones below; every other module is an implementation
detail whose names may change.
"""

from lockspec.backoff import Backoff
from lockspec.clock import Clock, SystemClock
from lockspec.coordinator import Coordinator
from lockspec.errors import InvalidArgumentError, LockError, LockStorageError, LockTimeout
from lockspec.inspection import LeaseState, LeaseStatus
from lockspec.lease import Lock
from lockspec.stores.file.filesystem import FileSystem
from lockspec.stores.file.store import FileLeaseStore
from lockspec.stores.protocol import LeaseStore, Observation

__all__ = [
    "Backoff",
    "Clock",
    "Coordinator",
    "FileLeaseStore",
    "FileSystem",
    "InvalidArgumentError",
    "LeaseState",
    "LeaseStatus",
    "LeaseStore",
    "Lock",
    "LockError",
    "LockStorageError",
    "LockTimeout",
    "Observation",
    "SystemClock",
]
