from collections.abc import Iterator

class Status:
    def has_failed(self) -> bool: ...

class Scenario:
    name: str
    location: object  # a FileLocation: str() gives "features/x.feature:12"
    status: Status
    @property
    def duration(self) -> float: ...
    @property
    def effective_tags(self) -> list[str]: ...
    def skip(self, reason: str = ...) -> None: ...

class Rule:
    @property
    def duration(self) -> float: ...

class Feature:
    run_items: list[Rule | Scenario]
    @property
    def duration(self) -> float: ...

class Row:
    cells: list[str]

class Table:
    headings: list[str]
    def __iter__(self) -> Iterator[Row]: ...
