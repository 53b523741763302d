"""lockspec: leases on shared resources for several instances, with fencing tokens and loss notification.

Public names are the ones below; every other module is an implementation
detail whose names may change.
"""

from lockspec.backoff import Backoff
from lockspec.clock import Clock, SystemClock
from lockspec.connect import connect
from lockspec.coordinator import Coordinator
from lockspec.errors import InvalidArgumentError, LockError, LockLost, LockStorageError, LockTimeout
from lockspec.inspection import CleanedUp, CleanupAction, LeaseStatus
from lockspec.keepalive import KeepAlive
from lockspec.lease import Lock
from lockspec.policy import LeaseState, Policy
from lockspec.stores.file import FileLeaseStore, FileSystem
from lockspec.stores.memory import MemoryLeaseStore
from lockspec.stores.protocol import LeaseStore, Observation, SetAside

__all__ = [
    "Backoff",
    "CleanedUp",
    "CleanupAction",
    "Clock",
    "Coordinator",
    "FileLeaseStore",
    "FileSystem",
    "InvalidArgumentError",
    "KeepAlive",
    "LeaseState",
    "LeaseStatus",
    "LeaseStore",
    "Lock",
    "LockError",
    "LockLost",
    "LockStorageError",
    "LockTimeout",
    "MemoryLeaseStore",
    "Observation",
    "Policy",
    "SetAside",
    "SystemClock",
    "connect",
]
