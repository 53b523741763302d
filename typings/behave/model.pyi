class Scenario:
    name: str
    @property
    def effective_tags(self) -> list[str]: ...
