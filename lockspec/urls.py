"""Store URLs as they may be shown: in errors, the status and logs, never with a password."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode


def redacted(url: str) -> str:
    """``url`` without any password, in its user part or in a ``password=`` query parameter.

    Split by hand rather than by ``urlsplit``: a password may hold an
    unencoded ``/``, ``?`` or ``#``, which would end the host part early and
    leave the password in what is printed. Everything between ``://`` and
    the last ``@`` is the user part; only a user name before a ``:`` is kept.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    user_part, at, after = rest.rpartition("@")
    if at:
        user = user_part.partition(":")[0] if ":" in user_part else ""
        rest = f"{user}@{after}" if user else after
    address, question, query = rest.partition("?")
    if not question:
        return f"{scheme}://{address}"
    kept = urlencode([(name, value) for name, value in parse_qsl(query, keep_blank_values=True) if name != "password"])
    return f"{scheme}://{address}{f'?{kept}' if kept else ''}"
