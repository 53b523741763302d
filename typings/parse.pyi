# Typed stub for the one function of parse the specification uses.
from collections.abc import Callable
from typing import TypeVar

_F = TypeVar("_F", bound=Callable[[str], object])

def with_pattern(pattern: str, regex_group_count: int | None = None) -> Callable[[_F], _F]: ...
