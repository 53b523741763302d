"""Parameter types of the step patterns, registered once on import.

``{duration:Duration}`` reads "150 ms", "30 s", "2 min" or "2 h" as milliseconds;
``{durations:Durations}`` reads "10 ms, 20 ms and 40 ms" (or "no time");
``{name:Name}`` reads one instance's name, "A" or "P1"; ``{names:Names}``
reads "A and B" or "A, B and C";
``{name:Signal}`` reads a signal's name, "SIGTERM";
``a{level:Level}`` reads "a warning", "an error", "an info message" or "a debug message";
``{text:Text}`` is any text without a single quote, possibly empty (put it
between single quotes: JSON keeps its double quotes). ``python_value`` reads
an argument written in a table as the value a caller would pass.
"""

from __future__ import annotations

import ast
import logging
import math
import re
import signal

import parse
from behave import register_type

from lockspec.durations import parse_duration_ms

_DURATION = r"\d+(?:\.\d+)? ?(?:ms|s|min|h)"
_NAME = r"[A-Z][A-Za-z0-9]*"


@parse.with_pattern(_DURATION)
def parse_duration(text: str) -> float:
    return parse_duration_ms(text)


@parse.with_pattern(rf"no time|{_DURATION}(?:(?:, | and ){_DURATION})*")
def parse_durations(text: str) -> list[float]:
    return [] if text == "no time" else [parse_duration(part) for part in re.split(r", | and ", text)]


@parse.with_pattern(_NAME)
def parse_name(text: str) -> str:
    return text


@parse.with_pattern(rf"{_NAME}(?:(?:, | and ){_NAME})*")
def parse_names(text: str) -> list[str]:
    return re.split(r", | and ", text)


@parse.with_pattern(r"[^']*")
def parse_text(text: str) -> str:
    return text


@parse.with_pattern(r"SIG[A-Z]+")
def parse_signal(text: str) -> signal.Signals:
    return signal.Signals[text]


_LEVELS = {
    " warning": logging.WARNING,
    "n error": logging.ERROR,
    "n info message": logging.INFO,
    " debug message": logging.DEBUG,
}


@parse.with_pattern("|".join(_LEVELS))
def parse_level(text: str) -> int:
    return _LEVELS[text]


register_type(
    Duration=parse_duration,
    Durations=parse_durations,
    Name=parse_name,
    Names=parse_names,
    Signal=parse_signal,
    Text=parse_text,
    Level=parse_level,
)


_REPEATED = re.compile(r'"(.)" \* (\d+)')


def python_value(text: str) -> object:
    """Read an argument as written in a table: a Python literal, nan, inf, or "c" * n."""
    if text in ("nan", "inf"):
        return math.nan if text == "nan" else math.inf
    repeated = _REPEATED.fullmatch(text)
    if repeated:
        return repeated.group(1) * int(repeated.group(2))
    return ast.literal_eval(text)
