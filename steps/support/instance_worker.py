"""One named instance in a process of its own, serving the steps' calls over a pipe.

Run as ``python instance_worker.py``; the first frame on stdin is its
settings (see ``process_instance``). It builds a ``Coordinator`` on the real
clock with those settings, and then answers calls: each request on stdin is a frame ``(method, args,
kwargs)``; each answer on stdout is a frame ``(outcome, value, logs, waits,
observations)`` where ``outcome`` is "value" or "error" (a ``LockError``, which
pickles), ``logs`` the lockspec log records of the call as ``(level,
message)``, ``waits`` the backoff waits it made, and ``observations`` how often
it looked at a lease (see ``frames``). The first answer, before any call, is
the instance id. It ends when stdin closes.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lockspec import Coordinator, LockError, SystemClock
from lockspec.connect import open_store
from steps.support.frames import read_frame, write_frame
from steps.support.wrappers import WatchedStore


class _OffsetClock(SystemClock):
    """The real clock, maybe set ahead or behind, remembering the waits it made."""

    def __init__(self, offset_ms: int) -> None:
        self.offset_ms = offset_ms
        self.waits: list[float] = []

    def now_ms(self) -> int:
        return super().now_ms() + self.offset_ms

    def sleep_ms(self, ms: float) -> None:
        self.waits.append(ms)
        super().sleep_ms(ms)


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage()))


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    settings: dict[str, Any] = read_frame(requests)
    clock = _OffsetClock(settings["clock_offset_ms"])
    options = {"shared_group": True} if settings["shared_group"] else {}
    store = WatchedStore(open_store(settings["store"], clock=clock, **options))
    instance = Coordinator(
        store,
        settings["instance_id"],
        clock,
        backoff=settings["backoff"],
        max_clock_skew_ms=settings["max_clock_skew_ms"],
        detect_dead_holders=settings["detect_dead_holders"],
    )
    recorder = _Recorder()
    logger = logging.getLogger("lockspec")
    logger.addHandler(recorder)
    logger.setLevel(logging.DEBUG)
    write_frame(answers, instance.instance_id)
    while (request := read_frame(requests)) is not None:
        method, args, kwargs = request
        recorder.records, clock.waits, store.observations = [], [], 0
        try:
            outcome, value = "value", getattr(instance, method)(*args, **kwargs)
        except LockError as error:
            outcome, value = "error", error
        write_frame(answers, (outcome, value, recorder.records, clock.waits, store.observations))


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
