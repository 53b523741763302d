"""``lockspec run``'s command, supervised while the lease is held: signals forwarded, and stopped if the lease is lost.

A command runs under a lease to be alone; once the lease is lost, another
holder may start the same work. So, by default, a loss stops the command:
SIGTERM at once, SIGKILL if it is still running after a grace period. A
command that checks fencing tokens itself may be left running instead.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from types import FrameType

from lockspec.lease import Lock

EXIT_NOT_EXECUTABLE = 126
EXIT_NOT_FOUND = 127


class CommandNotStarted(Exception):
    """The command could not be started; ``status`` is what a shell would exit with."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


class Supervisor:
    """Runs one command; ``lost`` (called from the keep-alive thread) reports a loss and, if told to, stops it."""

    def __init__(self, command: list[str], *, stop_on_loss: bool, grace_s: float) -> None:
        self._command = command
        self._stop_on_loss = stop_on_loss
        self._grace_s = grace_s
        # Reentrant: a forwarded signal may interrupt this very thread while it starts the command.
        self._mutex = threading.RLock()
        self._child: subprocess.Popen[bytes] | None = None
        self._pending: list[int] = []
        self._killer: threading.Timer | None = None
        self.lost_because: str | None = None

    def lost(self, lease: Lock, because: str) -> None:
        """Say once, on one line, that the lease was lost and what happens to the command; stop it if told to."""
        self.lost_because = because
        if not self._stop_on_loss:
            _say(f"lost the lease on {lease.resource}: {because}; the command goes on (--on-loss continue)")
            return
        _say(
            f"lost the lease on {lease.resource}: {because}; stopping the command "
            f"(SIGTERM, then SIGKILL after {self._grace_s:g} s)"
        )
        self._signal(signal.SIGTERM)
        self._killer = threading.Timer(self._grace_s, self._signal, (signal.SIGKILL,))
        self._killer.daemon = True
        self._killer.start()

    def run(self) -> int:
        """Run the command to its end and return its status (128 + N if it died of signal N).

        SIGINT and SIGTERM are forwarded to it. The handlers go in before the
        command starts: a signal that arrived between the start and the
        handlers would otherwise kill ``run`` itself and leave the command
        running unsupervised. A signal that arrives before the command exists
        is kept and delivered to it as soon as it does.
        """

        def forward(number: int, _frame: FrameType | None) -> None:
            self._signal(number)

        previous = {number: signal.signal(number, forward) for number in (signal.SIGINT, signal.SIGTERM)}
        try:
            child = self._start()
            code = child.wait()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
            if self._killer is not None:
                self._killer.cancel()
        return code if code >= 0 else 128 - code

    def _start(self) -> subprocess.Popen[bytes]:
        with self._mutex:
            try:
                self._child = subprocess.Popen(self._command)
            except FileNotFoundError:
                raise CommandNotStarted(EXIT_NOT_FOUND, f"command not found: {self._command[0]}") from None
            except PermissionError:
                raise CommandNotStarted(
                    EXIT_NOT_EXECUTABLE, f"command cannot be executed: {self._command[0]}"
                ) from None
            for number in self._pending:
                self._child.send_signal(number)
            return self._child

    def _signal(self, number: int) -> None:
        with self._mutex:
            if self._child is None:
                self._pending.append(number)
            elif self._child.returncode is None:
                self._child.send_signal(number)


def _say(message: str) -> None:
    print(f"lockspec: {message}", file=sys.stderr, flush=True)
