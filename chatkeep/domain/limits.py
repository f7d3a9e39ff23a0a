"""Bounds on values that reach a store (contract, "Limits of values")."""

from __future__ import annotations

# The largest integer every metadata store holds: SQLite's INTEGER and PostgreSQL's BIGINT
# are signed 64-bit. A quota, a seq or a cursor's ordinal beyond it is refused, not stored.
MAX_STORED_INTEGER = 2**63 - 1
# Its decimal digits: a longer run of digits is refused before Python parses it (int()
# refuses strings of over 4,300 digits with ValueError).
MAX_INTEGER_DIGITS = len(str(MAX_STORED_INTEGER))


def text_problem(value: str) -> str | None:
    """Why a text cannot be stored as it is, or None: PostgreSQL's text type cannot hold
    NUL (U+0000), and every store must take what one takes."""
    if "\x00" in value:
        return "must not contain NUL (U+0000), which PostgreSQL's text cannot hold"
    return None
