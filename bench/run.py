"""Benchmark lockspec against the locks users would pick instead, in one run on one machine.

    pip install -r bench/requirements.txt
    python bench/run.py            # about 5 minutes; --quick for a rough look, --large adds 100,000 files

Writes bench/results/latest.md (medians, spread, ratios) and
bench/results/throughput.png (contended throughput against process count).
Ratios compare numbers measured in this same run only.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import matplotlib

sys.path.insert(0, str(Path(__file__).parent))

import workloads
from peers import MAX_POLL_S, PEERS, POLL_S

matplotlib.use("Agg")
from matplotlib import pyplot

RESULTS = Path(__file__).parent / "results"
Case = TypeVar("Case")
Result = TypeVar("Result")
COUNTS = (2, 4, 8, 16)


@dataclass(frozen=True)
class Plan:
    """How much to measure: repetitions and a factor on durations and sizes."""

    repetitions: int
    scale: float
    lease_files: tuple[int, ...]


def main() -> int:
    """Run every measurement and write the report; returns the exit status."""
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--quick", action="store_true", help="two repetitions, shorter runs, fewer files")
    options.add_argument("--repetitions", type=int, default=5)
    options.add_argument("--large", action="store_true", help="also 100,000 lease files (slow: many minutes here)")
    arguments = options.parse_args()
    sizes = (1_000, 10_000, 100_000) if arguments.large else (1_000, 10_000)
    plan = Plan(2, 0.3, sizes) if arguments.quick else Plan(arguments.repetitions, 1.0, sizes)
    started = time.time()
    lines = [f"# lockspec benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "", _machine(), ""]
    for section in (_uncontended, _contended, _many_resources, _at_scale, _failover):
        lines += section(plan)
    lines += [
        f"Every peer polls every {POLL_S * 1000:g} ms, backing off to {MAX_POLL_S * 1000:g} ms where it backs off;",
        f"lockspec's Backoff is set the same. {plan.repetitions} repetitions;"
        f" the run took {time.time() - started:.0f} s.",
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


def _uncontended(plan: Plan) -> list[str]:
    lines = _section("Uncontended acquire+release (microseconds per operation; lower is better)")
    operations = int(2000 * plan.scale)
    measures = {peer: partial(workloads.uncontended_us, peer, operations) for peer in PEERS}
    measures["floor: the bare system calls of a lease cycle"] = partial(workloads.floor_us, operations * 2)
    runs = _interleaved(plan, measures)
    ours = statistics.median(runs["lockspec"])
    lines += ["| lock | median us | spread (min-max) | x lockspec |", "| --- | ---: | --- | ---: |"]
    for peer, values in sorted(runs.items(), key=lambda item: statistics.median(item[1])):
        median = statistics.median(values)
        lines.append(f"| {peer} | {median:.1f} | {_spread(values)} | {median / ours:.2f} |")
    return [*lines, "", "x lockspec: the lock's time over lockspec's (above 1: lockspec is faster).", ""]


def _contended(plan: Plan) -> list[str]:
    lines = _section("Contended throughput: N processes, one lock, read-increment-write of a shared counter")
    seconds = 0.4 * plan.scale
    by_case = _interleaved(
        plan,
        {(peer, n): partial(workloads.contended, peer, n, seconds) for peer in PEERS for n in COUNTS},
    )
    runs = {peer: {n: by_case[peer, n] for n in COUNTS} for peer in PEERS}
    rates = {peer: {n: statistics.median(r.sections_per_s for r in by[n]) for n in COUNTS} for peer, by in runs.items()}
    lines += [
        "Critical sections per second (median); fairness at 8 processes (median).",
        "",
        "| lock | " + " | ".join(f"{n} proc" for n in COUNTS) + " | lockspec / lock at 4, 8 | counter exact"
        " | slowest share | first fair share at |",
        "| --- | " + " | ".join("---:" for _ in COUNTS) + " | ---: | --- | ---: | ---: |",
    ]
    for peer, by in runs.items():
        cells = " | ".join(f"{rates[peer][n]:,.0f}" for n in COUNTS)
        ratio = ", ".join(f"{rates['lockspec'][n] / rates[peer][n]:.2f}" for n in (4, 8))
        exact = "yes" if all(r.counter_exact for results in by.values() for r in results) else "**NO**"
        slowest = statistics.median(r.slowest_share for r in by[8])
        first = statistics.median(r.first_share_done for r in by[8])
        lines.append(f"| {peer} | {cells} | {ratio} | {exact} | {slowest:.2f} | {first:.0%} |")
    _plot(rates)
    return [
        *lines,
        "",
        "slowest share: the least-served process's grants over a fair share (1.00: perfectly fair).",
        "first fair share at: how far into the run the first process had its fair share of grants.",
        "",
        "![contended throughput](throughput.png)",
        "",
    ]


def _many_resources(plan: Plan) -> list[str]:
    lines = _section("Many resources: 8 processes on 1,000 distinct resources (operations per second)")
    seconds = 0.4 * plan.scale
    runs = _interleaved(plan, {peer: partial(workloads.many_resources, peer, 8, 1000, seconds) for peer in PEERS})
    ours = statistics.median(runs["lockspec"])
    lines += ["| lock | median ops/s | spread | lockspec / lock |", "| --- | ---: | --- | ---: |"]
    for peer, values in runs.items():
        median = statistics.median(values)
        lines.append(f"| {peer} | {median:,.0f} | {_spread(values, '{:,.0f}')} | {ours / median:.2f} |")
    return [*lines, ""]


def _at_scale(plan: Plan) -> list[str]:
    lines = _section("lockspec at scale: status and cleanup over many lease files")
    lines += [
        "| operation | lease files | kind | median ms | spread | peak Python heap | per file |",
        "| --- | ---: | --- | ---: | --- | ---: | ---: |",
    ]
    cases = (("status", "valid"), ("cleanup", "valid"), ("cleanup", "expired"), ("cleanup", "1% corrupted"))
    for leases in plan.lease_files:
        size = int(leases * plan.scale)
        repetitions = plan.repetitions if leases < 100_000 else min(plan.repetitions, 3)
        # Neither status nor cleanup changes a folder of valid leases: one filling serves all their runs.
        with workloads.filled_folder(size, "valid") as valid:
            for operation, kind in cases:
                ms, peak = _measure_at_scale(operation, size, kind, valid, repetitions)
                lines.append(
                    f"| {operation} | {size:,} | {kind} | {statistics.median(ms):,.1f} | {_spread(ms)} "
                    f"| {peak:,.0f} KiB | {peak * 1024 / size:,.0f} B |"
                )
    note = (
        "100,000-file cases are repeated 3 times at most."
        if 100_000 in plan.lease_files
        else (
            "100,000 lease files: run with --large (filling such a folder repeatedly takes many minutes on this disk)."
        )
    )
    return [*lines, "", note, ""]


def _measure_at_scale(operation: str, size: int, kind: str, valid: str, repetitions: int) -> tuple[list[float], float]:
    """The times of one case's runs and its peak heap; any folder but the valid one is filled for each run."""

    def once(traced: bool) -> float:
        if kind == "valid":
            return workloads.at_scale(operation, valid, traced)
        with workloads.filled_folder(size, kind) as folder:
            return workloads.at_scale(operation, folder, traced)

    return [once(traced=False) for _ in range(repetitions)], once(traced=True)


def _failover(plan: Plan) -> list[str]:
    lines = _section("Failover: a holder killed with SIGKILL, until another process holds the lock")
    lines += ["| path | TTL | median ms | spread |", "| --- | ---: | ---: | --- |"]
    paths = {"dead same-host holder detected": (30_000, True), "TTL fallback": (200, False)}
    measures = {path: partial(workloads.failover_ms, ttl, detect) for path, (ttl, detect) in paths.items()}
    for path, values in _interleaved(plan, measures).items():
        ttl = paths[path][0]
        lines.append(f"| {path} | {ttl} ms | {statistics.median(values):.1f} | {_spread(values, '{:.1f}')} |")
    return [*lines, ""]


def _interleaved(plan: Plan, measures: Mapping[Case, Callable[[], Result]]) -> dict[Case, list[Result]]:
    """Each measure repeated, one repetition of every measure after another.

    Round by round rather than measure by measure, so that a slow spell of the
    machine (this is a shared virtual machine) falls on every lock alike
    instead of on whichever was being measured then.
    """
    runs: dict[Case, list[Result]] = {case: [] for case in measures}
    for _ in range(plan.repetitions):
        for case, measure in measures.items():
            runs[case].append(measure())
    return runs


def _spread(values: list[float], form: str = "{:.1f}") -> str:
    return f"{form.format(min(values))}-{form.format(max(values))}"


def _section(title: str) -> list[str]:
    print(f"... {title}", file=sys.stderr, flush=True)
    return [f"## {title}", ""]


def _machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown CPU")
    folder = os.environ.get("TMPDIR", "/tmp")
    # findmnt names the mounted file system; stat -f reports ext4 as "ext2/ext3" (they share a magic number).
    kind = subprocess.run(
        ["findmnt", "-n", "-o", "FSTYPE", "-T", folder], capture_output=True, text=True, check=False
    ).stdout
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}; "
        f"lock directories in {folder} ({kind.strip() or 'unknown file system'})."
    )


def _plot(rates: dict[str, dict[int, float]]) -> None:
    figure, axes = pyplot.subplots(figsize=(9, 5.5))
    for peer, by_count in rates.items():
        axes.plot(
            COUNTS, [by_count[n] for n in COUNTS], marker="o", linewidth=3 if peer == "lockspec" else 1.5, label=peer
        )
    axes.set_xscale("log", base=2)
    axes.set_xticks(COUNTS, [str(n) for n in COUNTS])
    axes.set_yscale("log")
    axes.set_xlabel("processes contending for one lock")
    axes.set_ylabel("critical sections per second (log scale)")
    axes.set_title("Contended throughput (median of runs)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    RESULTS.mkdir(exist_ok=True)
    figure.savefig(RESULTS / "throughput.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
