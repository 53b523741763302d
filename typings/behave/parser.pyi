from typing import Any

# The parsed model (Feature, Rule, Scenario, ScenarioOutline) is dynamic enough to stay untyped here.
def parse_file(filename: str, language: str | None = None) -> Any: ...
