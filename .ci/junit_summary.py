"""Print ``scenarios: N passed, M failed`` from behave's JUnit XML reports.

Given several report folders (one per world), it prints a line per folder
and then the total.

Before it, the message of every failed scenario (behave's progress format
prints only their names). Exits 1 when any scenario failed or errored, or when the reports hold no
scenario at all (behave exits 0 when a run selects nothing).
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.etree import ElementTree


def main(folders: list[str]) -> int:
    """Count the scenarios of every report in ``folders`` (a line each, then the total); 0 if all passed."""
    total = [0, 0, 0]
    for folder in folders:
        counts = _count(Path(folder))
        total = [sum(pair) for pair in zip(total, counts, strict=True)]
        if len(folders) > 1:
            print(f"{folder}: {_line(*counts)}")
    print(f"scenarios: {_line(*total)}")
    passed, failed, _ = total
    return 0 if failed == 0 and passed > 0 else 1


def _count(folder: Path) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    for report in sorted(folder.glob("TESTS-*.xml")):
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            if problem is not None:
                failed += 1
                print(f"FAILED {case.get('classname')}: {case.get('name')}\n  {problem.get('message', '')}")
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def _line(passed: int, failed: int, skipped: int) -> str:
    tail = f", {skipped} skipped" if skipped else ""
    return f"{passed} passed, {failed} failed{tail}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["reports/junit"]))
