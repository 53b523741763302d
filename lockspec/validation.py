"""Argument checks shared by the public entry points.

They run before any file is touched, so a bad call never leaves anything
behind, and each message names the argument at fault.
"""

from __future__ import annotations

import math

from lockspec.errors import InvalidArgumentError

#: A TTL longer than a year is far more likely a unit mistake (seconds passed as
#: milliseconds twice over) than an intention.
MAX_TTL_MS = 365 * 24 * 60 * 60 * 1000

#: A lease file carries its resource name; bounding the name bounds the file.
MAX_RESOURCE_LENGTH = 1024

#: Retrying more often than this is a spin, not a backoff.
MAX_RETRIES = 10_000


def checked_name(argument: str, value: object, max_length: int = MAX_RESOURCE_LENGTH) -> str:
    """Return ``value`` if it is a usable resource or instance name."""
    if not isinstance(value, str):
        raise InvalidArgumentError(argument, "must be a string", value)
    if not value:
        raise InvalidArgumentError(argument, "must not be empty", value)
    if "\x00" in value:
        raise InvalidArgumentError(argument, "must not contain a NUL character", value)
    if len(value) > max_length:
        raise InvalidArgumentError(argument, f"must be at most {max_length} characters long", value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgumentError(argument, "must be encodable as UTF-8", value) from None
    return value


def checked_duration_ms(argument: str, value: object, maximum: int = MAX_TTL_MS) -> int:
    """Return ``value`` rounded up to whole milliseconds if it is a sane duration."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(argument, "must be a number of milliseconds", value)
    if math.isnan(value) or math.isinf(value):
        raise InvalidArgumentError(argument, "must be a finite number", value)
    if value <= 0:
        raise InvalidArgumentError(argument, "must be greater than 0", value)
    if value > maximum:
        raise InvalidArgumentError(argument, f"must be at most {maximum} ms", value)
    return math.ceil(value)


def checked_count(argument: str, value: object, *, maximum: int = MAX_RETRIES) -> int:
    """Return ``value`` if it is a usable count (of retries, of replicas): a whole number from 0 to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(argument, "must be a whole number", value)
    if value < 0:
        raise InvalidArgumentError(argument, "must not be negative", value)
    if value > maximum:
        raise InvalidArgumentError(argument, f"must be at most {maximum}", value)
    return value


#: Keeping unreadable entries set aside for more than ten years is a unit mistake too.
MAX_KEEP_SET_ASIDE_MS = 10 * 365 * 24 * 60 * 60 * 1000

#: A clock skew margin longer than an hour is a unit mistake, not a bound on clocks.
MAX_SKEW_MS = 60 * 60 * 1000


def checked_skew_ms(argument: str, value: object) -> int:
    """Return ``value`` rounded up to whole milliseconds if it is a usable margin (0 allowed)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return 0
    return checked_duration_ms(argument, value, maximum=MAX_SKEW_MS)
