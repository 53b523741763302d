"""Print ``scenarios: N passed, M failed`` from behave's JUnit XML reports.

Exits 1 when any scenario failed or errored, or when the reports hold no
scenario at all (behave exits 0 when a run selects nothing).
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path


def main(folder: str) -> int:
    passed = failed = skipped = 0
    for report in sorted(Path(folder).glob("TESTS-*.xml")):
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    tail = f", {skipped} skipped" if skipped else ""
    print(f"scenarios: {passed} passed, {failed} failed{tail}")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "reports/junit"))
