"""Conditional request headers: If-Match and If-None-Match (RFC 9110, section 13.1)."""

from __future__ import annotations

import re

from chatkeep.domain.history import IfMatch
from chatkeep.http.errors import RequestError

_ENTITY_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')


def _entity_tags(value: str, header: str) -> list[tuple[bool, str]]:
    tags: list[tuple[bool, str]] = []
    position = 0
    value = value.strip()
    while position < len(value):
        match = _ENTITY_TAG.match(value, position)
        if match is None:
            raise RequestError("invalid_request", f"{header} must be '*' or a list of ETags")
        tags.append((match.group(1) is not None, match.group(2)))
        position = match.end()
    return tags


def parse_if_match(value: str | None) -> IfMatch | None:
    """If-Match uses strong comparison: a weak tag never matches."""
    if value is None:
        return None
    if value.strip() == "*":
        return IfMatch(frozenset(), any=True)
    tags = _entity_tags(value, "If-Match")
    return IfMatch(frozenset(tag for weak, tag in tags if not weak))


def none_match(value: str | None, etag: str) -> bool:
    """True when If-None-Match names `etag` (weak comparison) or is `*`."""
    if value is None:
        return False
    if value.strip() == "*":
        return True
    return any(tag == etag for _, tag in _entity_tags(value, "If-None-Match"))
