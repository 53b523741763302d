"""Store URLs as they may be shown (in errors, the status and logs, never with a password), and their query."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode


def split_query(url: str) -> tuple[str, str]:
    """``url`` up to its query, and the query (without its ``?``; empty if it has none).

    The ``?`` that starts the query is looked for only after the user part:
    a password may hold an unencoded ``/``, ``?`` or ``#``, and everything
    between ``://`` and the last ``@`` is the user part. Split by hand rather
    than by ``urlsplit``, which would end the host part early there and
    leave the password in what is printed or passed on.
    """
    scheme, separator, rest = url.partition("://")
    user_part, at, after = rest.rpartition("@")
    address, _, query = after.partition("?")
    return f"{scheme}{separator}{user_part}{at}{address}", query


def redacted(url: str) -> str:
    """``url`` without any password, in its user part or in a ``password=`` query parameter.

    Only a user name before a ``:`` of the user part is kept (see ``split_query``).
    """
    scheme, separator, _ = url.partition("://")
    if not separator:
        return url
    head, query = split_query(url)
    user_part, at, address = head.removeprefix(f"{scheme}://").rpartition("@")
    if at:
        user = user_part.partition(":")[0] if ":" in user_part else ""
        address = f"{user}@{address}" if user else address
    kept = urlencode([(name, value) for name, value in parse_qsl(query, keep_blank_values=True) if name != "password"])
    return f"{scheme}://{address}{f'?{kept}' if kept else ''}"
