"""Starting lock workers as OS processes, with every wait bounded."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

from lockspec import Lock

WORKER = Path(__file__).with_name("lock_worker.py")

#: No step waits longer than this for a worker; a hang fails the step instead.
BOUND_S = 60.0


def start_worker(*arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *arguments],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_line(process: subprocess.Popen[str], timeout_s: float = BOUND_S) -> str:
    """The worker's next line on stdout, failing after ``timeout_s``."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout_s)
    if not ready:
        raise AssertionError(f"worker {process.args!r} said nothing for {timeout_s} s")
    line = process.stdout.readline()
    if not line:
        raise AssertionError(f"worker {process.args!r} ended early: {process.stderr.read() if process.stderr else ''}")
    return line.strip()


def finish(process: subprocess.Popen[str], timeout_s: float = BOUND_S) -> list[dict[str, Any]]:
    """Let the worker end; every line of its output, parsed."""
    out, err = process.communicate(timeout=timeout_s)
    if process.returncode != 0:
        raise AssertionError(f"worker {process.args!r} exited with {process.returncode}: {err}")
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def lease_from(result: dict[str, Any]) -> Lock | None:
    return Lock(**result["lease"]) if result["lease"] else None


def stop(process: subprocess.Popen[str]) -> None:
    """Kill the worker if it still runs and reap it (a scenario cleanup)."""
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=BOUND_S)
