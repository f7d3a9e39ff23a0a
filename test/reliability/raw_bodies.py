"""Schemathesis's negative bodies, where they mean nothing."""

from __future__ import annotations

import schemathesis
from schemathesis.generation.meta import ParameterLocation

RAW_MEDIA_TYPES = ("text/", "application/octet-stream")


def only_a_raw_body_is_negative(case: schemathesis.Case) -> bool:
    """Whether the case's one schema-violating part is a raw body (history text, an
    upload's bytes). Such a body is bytes on the wire: the number Schemathesis puts where
    the schema says string goes out as the same bytes a string would, so the service
    rightly accepts it, and the check that it refuses invalid data does not apply."""
    if case.meta is None or not (case.media_type or "").startswith(RAW_MEDIA_TYPES):
        return False
    negative = {where for where, part in case.meta.components.items() if part.mode.is_negative}
    return negative == {ParameterLocation.BODY}
