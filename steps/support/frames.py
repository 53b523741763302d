"""Frames on a pipe between the steps and an instance process: an 8-byte length, then a pickle.

Both ends are unbuffered pipes, so reads and writes loop until the whole
frame has passed.
"""

from __future__ import annotations

import pickle
from typing import IO, Any


def read_frame(stream: IO[bytes]) -> Any:
    """The next frame's object, or None once the stream has ended."""
    header = _read_exactly(stream, 8)
    if header is None:
        return None
    body = _read_exactly(stream, int.from_bytes(header, "big"))
    return None if body is None else pickle.loads(body)


def write_frame(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value)
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        written = stream.write(view)
        view = view[written or 0 :]
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
