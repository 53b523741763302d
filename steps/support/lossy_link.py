"""A relay between an instance and the Redis server that can lose a reply or fail a command, as networks and servers do.

The instance connects to the relay's unix socket; each of its connections
is passed through to the server byte for byte, in a thread of its own.
``lose_reply(after=N)`` lets N more replies through, then drops the next
one and closes that connection: the command was carried out, its reply
never arrives, which is the one failure a retry must recognise.
``fail_command(after=N, reply=...)`` lets N more commands through, then
keeps the next one from the server: it answers it with ``reply`` (an error
the server might give) or, with none, closes the connection, so that the
command never ran. Replies and commands are counted as the chunks each side
sends, one per command for the single commands and pipelines of a store
(scripts loaded beforehand, so no NOSCRIPT round trip comes in between).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from pathlib import Path

#: How often a relay thread looks whether it is being closed.
_LOOK_S = 0.05


class LossyLink:
    """A relay on ``<folder>/link.sock`` to the server listening on ``server_socket``."""

    def __init__(self, server_socket: str, folder: Path) -> None:
        self.server_socket = server_socket
        self.path = folder / "link.sock"
        self._mutex = threading.Lock()
        #: How many more replies pass before one is lost; None: none is lost.
        self._passing: int | None = None
        #: How many more commands pass before one fails, and the reply it gets (None: its connection closes).
        self._failing: tuple[int, bytes | None] | None = None
        self._closing = threading.Event()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.path))
        self._listener.listen()
        self._threads = [threading.Thread(target=self._accept, name="lossy-link", daemon=True)]
        self._threads[0].start()

    def lose_reply(self, *, after: int = 0) -> None:
        """Let ``after`` more replies through, then lose the next one."""
        with self._mutex:
            self._passing = after

    def fail_command(self, *, after: int = 0, reply: bytes | None = None) -> None:
        """Let ``after`` more commands through, then answer the next with ``reply``, or close its connection."""
        with self._mutex:
            self._failing = (after, reply)

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def close(self) -> None:
        """Stop relaying and wait for every relay thread; the socket file goes."""
        self._closing.set()
        self._listener.close()
        for thread in self._threads:
            thread.join()
        self.path.unlink(missing_ok=True)

    def _accept(self) -> None:
        while not self._closing.is_set():
            if not select.select([self._listener], [], [], _LOOK_S)[0]:
                continue
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed meanwhile
                return
            relay = threading.Thread(target=self._relay, args=(client,), name="lossy-link-relay", daemon=True)
            self._threads.append(relay)
            relay.start()

    def _relay(self, client: socket.socket) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with client, upstream:
            upstream.connect(self.server_socket)
            while not self._closing.is_set():
                for side in select.select([client, upstream], [], [], _LOOK_S)[0]:
                    data = side.recv(65536)
                    if not data:
                        return
                    if side is client:
                        failed, reply = self._fails_this_command()
                        if not failed:
                            upstream.sendall(data)
                        elif reply is not None:
                            client.sendall(reply)
                        else:
                            with contextlib.suppress(OSError):
                                client.shutdown(socket.SHUT_RDWR)
                            return
                    elif self._loses_this_reply():
                        with contextlib.suppress(OSError):
                            client.shutdown(socket.SHUT_RDWR)
                        return
                    else:
                        client.sendall(data)

    def _loses_this_reply(self) -> bool:
        with self._mutex:
            if self._passing is None:
                return False
            if self._passing:
                self._passing -= 1
                return False
            self._passing = None
            return True

    def _fails_this_command(self) -> tuple[bool, bytes | None]:
        with self._mutex:
            if self._failing is None:
                return False, None
            after, reply = self._failing
            if after:
                self._failing = (after - 1, reply)
                return False, None
            self._failing = None
            return True, reply
