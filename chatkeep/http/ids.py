from __future__ import annotations

import functools
import re
from collections.abc import Callable
from uuid import UUID

from starlette.requests import Request

from chatkeep.domain.errors import DomainError

_UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


_UUID_CHARS = 36


def parse_uuid(text: str) -> UUID | None:
    """A UUID in 8-4-4-4-12 hex form, any case; None for anything else.

    Only texts of a UUID's length reach the cache: it keeps its keys, and 8,192 junk
    X-User-Ids or path ids of 60 KB each would otherwise stay in memory.
    """
    return _parse_uuid(text) if len(text) == _UUID_CHARS else None


@functools.lru_cache(maxsize=8192)  # callers repeat the same user and chat ids
def _parse_uuid(text: str) -> UUID | None:
    return UUID(text) if _UUID_TEXT.fullmatch(text) else None


def path_id(request: Request, key: str, missing: Callable[[str], DomainError]) -> UUID:
    """The UUID in path parameter `key`; text that is not one names nothing (`missing`)."""
    text = request.path_params[key]
    parsed = parse_uuid(text)
    if parsed is None:
        raise missing(text)
    return parsed
