"""The rule every store follows to issue a fencing token.

A token must exceed every token issued before for the same resource, even
after a store lost its counters (a wiped bookkeeping folder, a server that
restarted without persistence). A counter alone cannot promise that, so
tokens also follow the clock: a token issued at millisecond ``t`` is at least
``t * TOKENS_PER_MS``, and a store that no longer knows its last token
starts at ``(t + 1) * TOKENS_PER_MS``, above everything issued in the
milliseconds before ``t``. Tokens are issued one at a time per counter, each
taking far more than a microsecond, so fewer than ``TOKENS_PER_MS`` fit in
one millisecond: a counter never runs more than a millisecond ahead of the
clock.

What this assumes: the clock that stamps acquisitions (the acquiring
instance's, or the server's where a store reads its time there) has moved
on, by a millisecond at least, since the lost tokens were issued. A clock
stepped back across a lost counter can repeat tokens; without a loss, tokens
increase whatever the clock does.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("lockspec")

#: Token values per millisecond of the clock: tokens read as microseconds since the epoch.
TOKENS_PER_MS = 1000
#: A stored counter longer than this is unreadable: tokens have 16 digits today and 40 will last
#: for ever, while reading an unbounded number costs time (and Python refuses beyond 4300 digits).
MAX_COUNTER_BYTES = 40


def next_fencing_token(last_issued: int | None, previous: int, now_ms: int) -> int:
    """The token to issue at ``now_ms``.

    ``last_issued`` is the store's counter (``None`` when the store lost it or
    never had one), ``previous`` the token of the lease being replaced (0 for a
    free resource).
    """
    if last_issued is None:
        return max(previous, (now_ms + 1) * TOKENS_PER_MS) + 1
    return max(last_issued, previous, now_ms * TOKENS_PER_MS) + 1


def stored_counter(raw: bytes | None, where: str) -> int | None:
    """The last token issued, from a counter's stored bytes; ``None`` if there is none or it is unreadable.

    An unreadable counter is reported, naming ``where`` it is kept, and tokens
    continue from the clock: a damaged counter must never silently restart
    tokens from zero, nor stop every acquisition of its resource.
    """
    text = (raw or b"").strip(b"\x00 \n")
    if text.isdigit() and len(text) <= MAX_COUNTER_BYTES:
        return int(text)
    if text:
        shown = raw if raw is None or len(raw) <= MAX_COUNTER_BYTES else raw[:MAX_COUNTER_BYTES] + b"..."
        logger.warning("the fencing counter in %s was unreadable (%r); tokens continue from the clock", where, shown)
    return None
