"""Starting OS processes (lock workers, the lockspec command) with every wait bounded.

Pipes are unbuffered so that ``select`` sees exactly what the child wrote:
a line buffered on our side would make ``select`` wait for nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockspec import Lock

WORKER = Path(__file__).with_name("lock_worker.py")
#: Where pip put the lockspec command: the folder of the running interpreter.
SCRIPTS = Path(sys.executable).parent

#: No step waits longer than this for a process; a hang fails the step instead.
BOUND_S = 60.0

Process = subprocess.Popen[bytes]


@dataclass(frozen=True)
class Finished:
    status: int
    out: str
    err: str


def start(words: list[str], env: dict[str, str] | None = None, stdout: int = subprocess.PIPE) -> Process:
    """Start ``words`` in a session of its own, so that ``stop`` can end it with all its descendants.

    Its output is read through a pipe, unless ``stdout`` names a descriptor of its own.
    """
    return subprocess.Popen(
        words,
        stdin=subprocess.PIPE,
        stdout=stdout,
        stderr=subprocess.PIPE,
        bufsize=0,
        env=env,
        start_new_session=True,
    )


def start_worker(*arguments: str) -> Process:
    return start([sys.executable, str(WORKER), *arguments])


def read_line(process: Process, stream: str = "stdout", timeout_s: float = BOUND_S) -> str:
    """The process's next line on ``stream``, failing after ``timeout_s``."""
    pipe = process.stdout if stream == "stdout" else process.stderr
    assert pipe is not None
    line = b""
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([pipe], [], [], timeout_s)
        if not ready:
            raise AssertionError(f"{process.args!r} wrote no line on {stream} for {timeout_s} s (so far: {line!r})")
        byte = pipe.read(1)
        if not byte:
            raise AssertionError(f"{process.args!r} closed its {stream} (so far: {line!r})")
        line += byte
    return line.decode().rstrip("\n")


def finish(process: Process, timeout_s: float = BOUND_S) -> Finished:
    """Let the process end (closing its stdin) and collect what it wrote."""
    try:
        out, err = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        stop(process)
        raise AssertionError(f"{process.args!r} did not end within {timeout_s} s") from None
    return Finished(process.returncode, (out or b"").decode(), err.decode())


def worker_results(process: Process) -> list[dict[str, Any]]:
    """Let a lock worker end; every JSON line of its output, parsed."""
    done = finish(process)
    if done.status != 0:
        raise AssertionError(f"worker {process.args!r} exited with {done.status}: {done.err}")
    return [json.loads(line) for line in done.out.splitlines() if line.startswith("{")]


def lease_from(result: dict[str, Any]) -> Lock | None:
    return Lock(**result["lease"]) if result["lease"] else None


def stop(process: Process) -> str:
    """Kill the process and everything it started, and reap it (a scenario cleanup); return what it wrote to stderr."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    _, err = process.communicate(timeout=BOUND_S)
    return (err or b"").decode(errors="replace")


def shell_line(text: str, places: dict[str, str]) -> str:
    """An operator's command line with ``$NAME`` standing for ``places[NAME]``, quoted as a shell needs."""
    for name, value in places.items():
        text = text.replace(f"${name}", shlex.quote(value))
    return text


def operator_words(text: str, places: dict[str, str]) -> list[str]:
    """Split an operator's command line, with ``$NAME`` standing for ``places[NAME]``, as a shell would."""
    return shlex.split(shell_line(text, places))


def command_line(text: str, places: dict[str, str]) -> list[str]:
    """``operator_words``, where ``lockspec`` means the installed command."""
    words = operator_words(text, places)
    if words[0] == "lockspec":
        installed = SCRIPTS / "lockspec"
        if not installed.exists():
            raise AssertionError(f"the lockspec command is not installed in {SCRIPTS}: pip install -r requirements.txt")
        words[0] = str(installed)
    return words


def operator_environment(variables: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an operator's shell: the installed commands first, a store's variable only if given."""
    env = {name: value for name, value in os.environ.items() if name not in ("LOCKSPEC_DIR", "LOCKSPEC_STORE")}
    env["PATH"] = f"{SCRIPTS}{os.pathsep}{env.get('PATH', '')}"
    return env | (variables or {})
