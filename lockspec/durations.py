"""Durations as people write them: ``150ms``, ``30s``, ``2m``, ``1h`` (a space is allowed).

One parser for the command line and the specification, and one way to print
a duration back.
"""

from __future__ import annotations

import re

from lockspec.errors import InvalidArgumentError

_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)\s*")


def parse_duration_ms(text: str, argument: str = "duration") -> float:
    """Milliseconds in ``text``; ``InvalidArgumentError`` naming ``argument`` otherwise."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise InvalidArgumentError(argument, "expected a number and a unit (ms, s, m or h), like 150ms or 30s", text)
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def format_duration(ms: float) -> str:
    """A short human reading of ``ms``: ``150 ms``, ``3.2 s``, ``4.5 min``, ``2.0 h``."""
    size = abs(ms)
    if size < 1000:
        return f"{ms:.0f} ms"
    if size < 60_000:
        return f"{ms / 1000:.1f} s"
    if size < 3_600_000:
        return f"{ms / 60_000:.1f} min"
    return f"{ms / 3_600_000:.1f} h"
