"""Print ``scenarios: N passed, M failed`` from behave's JUnit XML reports.

Before it, the message of every failed scenario (behave's progress format
prints only their names). Exits 1 when any scenario failed or errored, or when the reports hold no
scenario at all (behave exits 0 when a run selects nothing).
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.etree import ElementTree


def main(folder: str) -> int:
    """Count the scenarios of every report in ``folder``; 0 if all passed."""
    passed = failed = skipped = 0
    for report in sorted(Path(folder).glob("TESTS-*.xml")):
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
    tail = f", {skipped} skipped" if skipped else ""
    print(f"scenarios: {passed} passed, {failed} failed{tail}")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "reports/junit"))
