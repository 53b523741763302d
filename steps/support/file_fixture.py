"""What the steps do to a lock directory behind the instances' backs, as an operator, a crash or a tmp cleaner would."""

from __future__ import annotations

import shutil
from pathlib import Path

from lockspec.stores.file.store import BOOKKEEPING_FOLDER


class LockDirectory:
    """The scenario's lock directory, seen from outside lockspec."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bookkeeping = path / BOOKKEEPING_FOLDER

    def remove_bookkeeping(self) -> None:
        """Remove lockspec's bookkeeping folder and all it holds, as an operator may."""
        shutil.rmtree(self.bookkeeping)

    def remove_guard_files(self) -> None:
        """Remove the guard files, as a tmp cleaner prunes idle files."""
        for guard in self.guard_files():
            guard.unlink()

    def plant_guard_links(self, target: Path) -> None:
        """Replace every guard file by a symbolic link to ``target``, as an attacker sharing the folder could."""
        for guard in self.guard_files():
            guard.unlink()
            guard.symlink_to(target)

    def move_guards_to(self, folder: Path) -> None:
        """Move every guard file into ``folder`` and put a symbolic link to it in its place."""
        for guard in self.guard_files():
            moved = folder / guard.name
            guard.rename(moved)
            guard.symlink_to(moved)

    def corrupt_fencing_counters(self) -> None:
        """Overwrite the fencing counter at the start of every guard file with bytes that are no number."""
        for guard in self.guard_files():
            with guard.open("r+b") as file:
                file.write(b"#garbage!#".ljust(20))

    def guard_files(self) -> list[Path]:
        guards = sorted(self.bookkeeping.glob("guard-*"))
        if not guards:
            raise AssertionError(f"no guard files in {self.bookkeeping}: nothing was ever acquired here")
        return guards

    def half_written(self) -> list[str]:
        """The pending lease files in the bookkeeping folder: written, not (yet) moved into place."""
        return sorted(path.name for path in self.bookkeeping.glob("pending-*"))
