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


@functools.lru_cache(maxsize=8192)  # callers repeat the same user and chat ids
def parse_uuid(text: str) -> UUID | None:
    """A UUID in 8-4-4-4-12 hex form, any case; None for anything else."""
    return UUID(text) if _UUID_TEXT.fullmatch(text) else None


def path_id(request: Request, key: str, missing: Callable[[str], DomainError]) -> UUID:
    """The UUID in path parameter `key`; text that is not one names nothing (`missing`)."""
    text = request.path_params[key]
    parsed = parse_uuid(text)
    if parsed is None:
        raise missing(text)
    return parsed
