from collections.abc import Iterator

class Scenario:
    name: str
    @property
    def effective_tags(self) -> list[str]: ...
    def skip(self, reason: str = ...) -> None: ...

class Row:
    cells: list[str]

class Table:
    headings: list[str]
    def __iter__(self) -> Iterator[Row]: ...
