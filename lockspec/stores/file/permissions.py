"""The modes of what lockspec creates in a lock directory.

Private by default: the lock directory (when lockspec creates it), its
bookkeeping folders and every file in them are its owner's alone (0700 and
0600), since a lease file names hosts and processes, and anyone who can
write there can take or break a lease. For instances that run as different
users of one group, ``SHARED_GROUP`` gives the group the same rights
(0660 files, 0770 folders with the set-group-id bit, so that everything made
inside belongs to the directory's group). The modes are set explicitly, not
left to the umask, which would otherwise take the group's write access away.
lockspec never changes the mode of a folder it did not create.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Permissions:
    """The modes lockspec gives the folders and files it creates."""

    folder_mode: int
    file_mode: int


PRIVATE = Permissions(folder_mode=0o700, file_mode=0o600)
SHARED_GROUP = Permissions(folder_mode=0o2770, file_mode=0o660)
