from collections.abc import Iterator

class Scenario:
    name: str
    @property
    def effective_tags(self) -> list[str]: ...

class Row:
    cells: list[str]

class Table:
    headings: list[str]
    def __iter__(self) -> Iterator[Row]: ...
