"""Leases kept as files in a lock directory: one host, or a shared file system with working ``flock``."""

from lockspec.stores.file.filesystem import FileSystem
from lockspec.stores.file.store import FileLeaseStore

__all__ = ["FileLeaseStore", "FileSystem"]
