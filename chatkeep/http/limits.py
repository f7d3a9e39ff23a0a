"""Bounds on header values, checked where each is read, before any library parses it
(contract, "Limits of values"): beyond them a JSON 400, 413 or 431, never a 500."""

from __future__ import annotations

import re

from python_multipart.multipart import parse_options_header

from chatkeep.domain.limits import MAX_INTEGER_DIGITS, MAX_STORED_INTEGER
from chatkeep.http.errors import RequestError

# A stored Content-Type is at most this long, and no media type a route reads needs more:
# multipart/form-data with RFC 2046's longest boundary (70) takes about 100.
MAX_MEDIA_TYPE_CHARS = 255
_DIGITS = re.compile(r"[0-9]+")


def media_type(value: str | None) -> tuple[bytes, dict[bytes, bytes]]:
    """Content-Type `value` as (lower-cased media type, parameters by name), both latin-1
    bytes; (b"", {}) without one.

    Raises RequestError invalid_request when it is longer than MAX_MEDIA_TYPE_CHARS.
    """
    if value is not None and len(value) > MAX_MEDIA_TYPE_CHARS:
        raise RequestError(
            "invalid_request", f"Content-Type is longer than {MAX_MEDIA_TYPE_CHARS} characters"
        )
    return parse_options_header(value)


def header_integer(value: str, header: str) -> int:
    """The whole number header `value` holds (Content-Length): ASCII digits only.

    Raises RequestError invalid_request when it is not digits, and request_too_large when
    it is beyond MAX_STORED_INTEGER or written in more than MAX_INTEGER_DIGITS digits: no
    body that long can be stored.
    """
    if not _DIGITS.fullmatch(value):
        raise RequestError("invalid_request", f"{header} must be a whole number")
    if len(value) > MAX_INTEGER_DIGITS or int(value) > MAX_STORED_INTEGER:
        raise RequestError(
            "request_too_large", f"{header} is beyond {MAX_STORED_INTEGER}, the largest size"
        )
    return int(value)


def bounded_integers(value: str | None, header: str) -> str | None:
    """`value` unchanged, once every run of digits in it is known to be an integer the
    stores hold, in at most MAX_INTEGER_DIGITS digits (Range: byte positions).

    Raises RequestError invalid_request otherwise. Only the bound is checked here: what
    the header means is left to its parser.
    """
    if value is not None:
        for run in _DIGITS.findall(value):
            if len(run) > MAX_INTEGER_DIGITS or int(run) > MAX_STORED_INTEGER:
                raise RequestError(
                    "invalid_request",
                    f"{header} holds a number beyond {MAX_STORED_INTEGER} "
                    f"or longer than {MAX_INTEGER_DIGITS} digits",
                )
    return value
