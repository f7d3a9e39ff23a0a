from __future__ import annotations

import re
from uuid import UUID

_UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def parse_uuid(text: str) -> UUID | None:
    """A UUID in 8-4-4-4-12 hex form, any case; None for anything else."""
    return UUID(text) if _UUID_TEXT.fullmatch(text) else None
