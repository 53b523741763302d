"""Store URLs as they may be shown (in errors, the status and logs, never with a password), and their query."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode


def split_query(url: str) -> tuple[str, str]:
    """``url`` up to its query, and the query (without its ``?``; empty if it has none)."""
    prefix, user_part, address, query = _parts(url)
    return f"{prefix}{user_part}{address}", query


def redacted(url: str) -> str:
    """``url`` without any password, in its user part or in a ``password=`` query parameter.

    Only a user name before a ``:`` of the user part is kept.
    """
    prefix, user_part, address, query = _parts(url)
    if not prefix:
        return url
    user = user_part.partition(":")[0] if ":" in user_part else ""
    kept = urlencode([(name, value) for name, value in parse_qsl(query, keep_blank_values=True) if name != "password"])
    return f"{prefix}{f'{user}@' if user else ''}{address}{f'?{kept}' if kept else ''}"


def _parts(url: str) -> tuple[str, str, str, str]:
    """``url``'s ``scheme://``, user part (with its ``@``), address and query (without its ``?``).

    The ``?`` that starts the query is looked for only after the user part:
    a password may hold an unencoded ``/``, ``?`` or ``#``, and everything
    between ``://`` and the last ``@`` is the user part. Split by hand rather
    than by ``urlsplit``, which would end the host part early there and
    leave the password in what is printed or passed on. A text without
    ``://`` has no prefix, and is all address.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return "", "", url, ""
    user_part, at, after = rest.rpartition("@")
    address, _, query = after.partition("?")
    return f"{scheme}://", f"{user_part}{at}", address, query
