"""The raw file operations of the file store, in one replaceable object.

The file store never calls ``os`` for lease files directly but goes through a
``FileSystem``, so that tests can wrap it to inject faults (a full disk, an I/O
error) or to act at a precise moment, without mocking the coordinator. Every
method raises ``OSError`` as the system call does; the store turns that into a
``LockStorageError``.

No descriptor asks for ``O_CLOEXEC``: ``os.open`` makes every one
non-inheritable anyway (PEP 446), so a command that a holder runs never
inherits a lease file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class StoredFile:
    """What is at a path: its kind, inode and (for a regular file) its bytes.

    ``data`` holds at most ``limit + 1`` bytes, so an oversized file is seen as
    such without reading it whole.
    """

    kind: str
    inode: int
    data: bytes


class FileSystem:
    """The system calls the file store needs, never following symlinks."""

    def read(self, path: str, limit: int) -> StoredFile | None:
        """What is at ``path``, or ``None`` if nothing is.

        Opens with ``O_NOFOLLOW`` (a planted symlink is reported, never
        followed) and ``O_NONBLOCK`` (a FIFO does not hang the reader).
        """
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError:
            # Why it cannot be opened decides: a link or a socket is garbage at
            # a lease path; a file we may not read is a storage failure.
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                return StoredFile("symbolic link", info.st_ino, b"")
            if not stat.S_ISREG(info.st_mode):
                return StoredFile("special file", info.st_ino, b"")
            raise
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                return StoredFile("directory", info.st_ino, b"")
            if not stat.S_ISREG(info.st_mode):
                return StoredFile("special file", info.st_ino, b"")
            # One read: a regular file returns what it holds up to the size asked for,
            # and lease files are never written in place (each version is a new
            # inode), so the size cannot change under us. The extra byte shows an
            # oversized file as such.
            return StoredFile("file", info.st_ino, os.read(fd, min(info.st_size, limit) + 1))
        finally:
            os.close(fd)

    def write_new(self, path: str, data: bytes, mode: int) -> None:
        """Create ``path`` (which must not exist) holding ``data``, with exactly ``mode``.

        ``O_EXCL`` refuses any existing path, a symbolic link included: there is nothing to follow.
        """
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            os.fchmod(fd, mode)  # the umask may have taken bits away
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def move(self, source: str, target: str) -> None:
        """Atomically put ``source`` in place of ``target`` (``os.replace``).

        Replacing moves the name, never follows a symlink at ``target``.
        """
        os.replace(source, target)

    def delete(self, path: str) -> None:
        """Remove the file or symlink at ``path``."""
        os.unlink(path)

    def remove_tree(self, path: str) -> None:
        """Remove what is at ``path``: a file, link or special file, or a folder with all it holds.

        Links are removed, never followed, also inside the folder.
        """
        if stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)

    def make_folder(self, path: str | Path, mode: int) -> None:
        """Create ``path`` and its missing parents with exactly ``mode``; folders that exist keep theirs."""
        missing = []
        folder = Path(path)
        while not os.path.lexists(folder):
            missing.append(folder)
            folder = folder.parent
        os.makedirs(path, mode, exist_ok=True)
        for created in missing:
            # The umask may have taken bits away, and mkdir ignores set-group-id. A
            # folder another user made meanwhile is theirs to set: leave it be.
            with contextlib.suppress(PermissionError):
                os.chmod(created, mode)
