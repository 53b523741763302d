"""A resource that checks fencing tokens, as a database or storage service would.

It remembers the highest token it has accepted and rejects any write that
carries a lower one: the guard that makes a lease safe against a holder that
paused past its expiry. Its state lives in a JSON file, and each write is a
check-and-set under a ``FileLock``, so that instances in several processes
can write to one resource.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

if TYPE_CHECKING:
    from steps.support.world import World


class ProtectedResource:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._guard = FileLock(f"{path}.guard")

    def write(self, value: str, fencing_token: int) -> bool:
        """Store ``value`` unless a write with a higher token was already accepted."""
        with self._guard:
            state = self._state()
            accepted: bool = fencing_token >= state["highest_token"]
            if accepted:
                state["highest_token"], state["value"] = fencing_token, value
            else:
                state["rejected"].append([value, fencing_token])
            self.path.write_text(json.dumps(state), encoding="utf-8")
        return accepted

    @property
    def value(self) -> str | None:
        value: str | None = self._state()["value"]
        return value

    @property
    def rejected(self) -> list[tuple[str, int]]:
        """The writes it rejected, as (value, fencing token)."""
        return [(value, token) for value, token in self._state()["rejected"]]

    def _state(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"value": None, "highest_token": 0, "rejected": []}
        state: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return state


def of_scenario(world: World) -> ProtectedResource:
    """The scenario's one protected resource, next to its lock directory."""
    return ProtectedResource(world.lock_dir.parent / "protected-resource.json")
