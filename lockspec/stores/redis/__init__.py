"""Leases kept on a Redis or Valkey server: several hosts, one lease per key, every change one script."""

from lockspec.stores.redis.store import RedisLeaseStore

__all__ = ["RedisLeaseStore"]
