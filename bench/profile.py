"""Where lockspec's time goes, on the two paths whose targets it misses: a profile of each.

    pip install -r bench/requirements.txt
    python bench/profile.py       # prints the call trees; --html also writes bench/results/profile-*.html

1. ``cycle``: an uncontended acquire+release, repeated on one coordinator.
2. ``cleanup``: ``cleanup_expired_locks()`` over 10,000 valid lease files.

The profiler is pyinstrument (statistical: it samples the stack, so the code
runs at nearly its real speed). Time spent inside a system call is shown on
the Python line that made it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pyinstrument import Profiler

sys.path.insert(0, str(Path(__file__).parent))

import workloads

import lockspec

RESULTS = Path(__file__).parent / "results"


def main() -> int:
    """Profile both paths and print (or also write) the reports; returns the exit status."""
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--html", action="store_true", help="also write bench/results/profile-<path>.html")
    arguments = options.parse_args()
    for name, setup in (("cycle", _cycle), ("cleanup", _cleanup)):
        folder = tempfile.mkdtemp(prefix="lockspec-profile-")
        try:
            run, repetitions = setup(folder)
            run()  # warm: guard files opened, caches filled
            profiler = Profiler(interval=0.0001)
            started = time.perf_counter()
            with profiler:
                for _ in range(repetitions):
                    run()
            per_run_us = (time.perf_counter() - started) / repetitions * 1e6
            print(f"== {name}: {per_run_us:,.1f} us per run under the profiler, {repetitions} runs")
            print(profiler.output_text(unicode=True, color=False, show_all=False))
            if arguments.html:
                RESULTS.mkdir(exist_ok=True)
                (RESULTS / f"profile-{name}.html").write_text(profiler.output_html(), encoding="utf-8")
        finally:
            shutil.rmtree(folder)
    return 0


def _cycle(folder: str) -> tuple[Callable[[], object], int]:
    coordinator = lockspec.connect(folder)

    def cycle() -> None:
        coordinator.release_lock(coordinator.acquire("resource"))

    return cycle, 20_000


def _cleanup(folder: str) -> tuple[Callable[[], object], int]:
    workloads.fill(folder, 10_000, "valid")
    coordinator = lockspec.connect(folder)
    return coordinator.cleanup_expired_locks, 10


if __name__ == "__main__":
    sys.exit(main())
