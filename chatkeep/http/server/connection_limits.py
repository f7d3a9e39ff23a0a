"""The limits of a connection that the guarded protocol enforces (docs/011-connection-limits.md):
seconds for a head, idle seconds within a body and while sending, head bytes and header
count, open connections."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    head_timeout: float = 10.0
    body_timeout: float = 30.0
    send_timeout: float = 30.0
    max_head_bytes: int = 64 * 1024
    max_headers: int = 100
    max_connections: int = 1024


class HeadTooLarge(Exception):
    """Raised from the parser's callbacks to stop reading a head past its limits (the
    refusal, 431, is sent by the protocol)."""


class ConnectionRefused(Exception):
    """Raised from the parser's callbacks to stop a connection over the cap (the refusal,
    503, is sent by the protocol)."""
