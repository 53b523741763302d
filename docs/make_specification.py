"""Write docs/specification.md: the specification's table of contents, from the feature files.

    python docs/make_specification.py           # rewrite docs/specification.md
    python docs/make_specification.py --check   # exit 1 if it is out of date (CI)

It lists every feature, rule and scenario with its tags, and maps each
section of the failover plan and each upstream defect to the scenarios that
cover them. A scenario covers a plan section when its title says so, as in
"(plan 2.4)"; an upstream defect is covered by the scenarios of the rule of
lock.upstream_regressions.feature whose title starts with its number.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from behave.parser import parse_file

ROOT = Path(__file__).resolve().parent.parent
FEATURES = ROOT / "features"
OUTPUT = ROOT / "docs" / "specification.md"
REGRESSIONS = "lock.upstream_regressions.feature"

#: The sections of the user's failover plan (shared/seed/failover-test-plan.md, not kept in this
#: repository), by number: its title, and what it asked for, in this project's words.
PLAN = {
    "2.1": (
        "Lock acquisition collision",
        "While A holds a resource (TTL 30 s), B's attempt right after is refused, and A's lease stays valid.",
    ),
    "2.2": (
        "Lock expiry and non-owner cleanup",
        "A lease with a 100 ms TTL is removed by any instance's cleanup once 150 ms have passed, "
        "and the resource can then be acquired again.",
    ),
    "2.3": (
        "Process crash simulation",
        "A holder that dies without releasing leaves a stale lease; once its TTL has passed, "
        "another instance cleans it up and acquires the resource.",
    ),
    "2.4": (
        "Retry mechanism with backoff",
        "B, retrying 3 times against A's lease, waits 10, 20 and 40 ms (70 ms in all), "
        "makes 4 attempts, and is refused.",
    ),
    "2.5": (
        "Release by non-owner",
        "B's release of A's lease fails quietly (no error), the lease stays, and A can still release it.",
    ),
    "2.6": (
        "Corrupted lock file handling",
        "A lease file holding INVALID{JSON raises nothing: acquisition succeeds, and cleanup removes the file.",
    ),
    "2.7": (
        "Concurrent lock acquisition attempts",
        "Of 5 instances trying to acquire one resource at the same moment, exactly one succeeds.",
    ),
    "stress": (
        "Stress variant",
        "The concurrent case with 10 or more instances.",
    ),
}

_PLAN_REFERENCE = re.compile(r"\(plan ([^)]*)\)")


def main(arguments: list[str]) -> int:
    """Write (or with --check, compare) the document; return the exit status."""
    text = render(sorted(FEATURES.glob("*.feature")))
    if arguments == ["--check"]:
        if OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python docs/make_specification.py", file=sys.stderr)
            return 1
        return 0
    if arguments:
        print(__doc__, file=sys.stderr)
        return 64
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


def render(paths: Iterable[Path]) -> str:
    """The whole document for the feature files at ``paths``."""
    features = [(path, parse_file(str(path))) for path in paths]
    scenarios = [(path, rule, scenario) for path, feature in features for rule, scenario in _scenarios(feature)]
    lines = [
        "# The lockspec specification",
        "",
        "Generated from `features/*.feature` by `python docs/make_specification.py`; do not edit by hand.",
        f"{len(features)} features, {len(scenarios)} scenarios "
        f"({sum(_examples(scenario) for _, _, scenario in scenarios)} with every example row counted).",
        "",
        "## Contents",
        "",
        "| feature | file | scenarios | tags |",
        "| --- | --- | --- | --- |",
    ]
    for path, feature in features:
        count = sum(1 for _ in _scenarios(feature))
        lines.append(
            f"| [{feature.name}](#{_anchor(feature.name)}) | `{path.name}` | {count} | {_tags(feature.tags)} |"
        )
    lines += [
        "",
        "## The failover plan, section by section",
        "",
        "The plan itself lives with the user, outside this repository; here is what each of its sections",
        'asked for, and the scenarios that check it (a scenario says so in its title, as in "(plan 2.4)").',
        "",
        "| plan | section | what it asked for | covered by |",
        "| --- | --- | --- | --- |",
    ]
    for number, (title, asked) in PLAN.items():
        covering = [scenario for _, _, scenario in scenarios if number in _plan_sections(scenario.name)]
        lines.append(f"| {number} | {title} | {asked} | {_list(scenario.name for scenario in covering)} |")
    lines += ["", "## The upstream defects, one by one", "", "| defect | covered by |", "| --- | --- |"]
    for path, rule, scenario in scenarios:
        if path.name == REGRESSIONS and rule is not None and rule.scenarios[0] is scenario:
            lines.append(f"| {rule.name} | {_list(s.name for s in rule.scenarios)} |")
    for path, feature in features:
        lines += ["", f"## {feature.name}", "", f"`features/{path.name}` {_tags(feature.tags)}".rstrip(), ""]
        lines += ["```text", *feature.description, "```", ""]
        current_rule: Any = None
        for rule, scenario in _scenarios(feature):
            if rule is not None and rule is not current_rule:
                lines += ["", f"### Rule: {rule.name}", ""]
                current_rule = rule
            rows = _examples(scenario)
            suffix = f" ({rows} examples)" if type(scenario).__name__ == "ScenarioOutline" else ""
            lines.append(f"- {_escape(scenario.name)}{suffix} {_tags(scenario.tags)}".rstrip())
    return "\n".join(lines) + "\n"


def _scenarios(feature: Any) -> Iterator[tuple[Any, Any]]:
    for scenario in getattr(feature, "scenarios", []):
        yield None, scenario
    for rule in getattr(feature, "rules", []):
        for scenario in rule.scenarios:
            yield rule, scenario


def _examples(scenario: Any) -> int:
    examples = getattr(scenario, "examples", None)
    return sum(len(example.table.rows) for example in examples) if examples else 1


def _plan_sections(title: str) -> set[str]:
    return {part.strip() for match in _PLAN_REFERENCE.findall(title) for part in match.split(",")}


def _tags(tags: Iterable[str]) -> str:
    return " ".join(f"`@{tag}`" for tag in tags)


def _list(names: Iterable[str]) -> str:
    found = list(names)
    return "<br>".join(map(_escape, found)) if found else "**nothing**"


def _escape(title: str) -> str:
    """An outline's <placeholders> as text, not as HTML tags that markdown would hide."""
    return title.replace("<", "&lt;")


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
