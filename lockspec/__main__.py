"""``python -m lockspec``: the same as the ``lockspec`` command."""

from lockspec.cli import entry_point

entry_point()
