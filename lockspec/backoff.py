"""The schedule of waits between acquisition attempts.

Exponential: ``base_ms``, then multiplied by ``factor`` per retry, never above
``cap_ms``. Optional jitter shortens each wait by a random fraction of at most
``jitter`` so that contenders that collided once do not collide again in
lock-step; a ``seed`` makes that randomness reproducible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from lockspec.errors import InvalidArgumentError


@dataclass(frozen=True, slots=True)
class Backoff:
    """Parameters of the exponential backoff; the defaults wait 10, 20, 40, ... ms."""

    base_ms: float = 10.0
    factor: float = 2.0
    cap_ms: float = 1000.0
    jitter: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("base_ms", "cap_ms"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise InvalidArgumentError(name, "must be a positive finite number of milliseconds", value)
        if not math.isfinite(self.factor) or self.factor < 1:
            raise InvalidArgumentError("factor", "must be a finite number of at least 1", self.factor)
        if not 0 <= self.jitter <= 1:
            raise InvalidArgumentError("jitter", "must lie between 0 and 1", self.jitter)

    def delays(self) -> Iterator[float]:
        """The waits in milliseconds, one per retry, without end."""
        rng = random.Random(self.seed)
        delay = min(self.base_ms, self.cap_ms)
        while True:
            yield delay * (1 - self.jitter * rng.random()) if self.jitter else delay
            delay = min(delay * self.factor, self.cap_ms)
