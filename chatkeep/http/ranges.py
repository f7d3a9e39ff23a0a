"""A single byte range of a Range header (RFC 9110, section 14)."""

from __future__ import annotations

import re

from chatkeep.http.errors import RequestError

_SINGLE_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (offset, length) asked for, or None to send the whole file.

    Only a single range is served; several ranges, or a header that is not a
    byte range, are ignored as RFC 9110 allows. A range that starts past the end
    is unsatisfiable.
    """
    if header is None:
        return None
    match = _SINGLE_RANGE.fullmatch(header)
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise unsatisfiable(size)
        return max(0, size - suffix), min(suffix, size)
    start = int(first)
    end = size - 1 if not last else min(int(last), size - 1)
    if last and int(last) < start:
        return None
    if start >= size:
        raise unsatisfiable(size)
    return start, end - start + 1


def unsatisfiable(size: int) -> RequestError:
    return RequestError(
        "range_not_satisfiable",
        f"the range is outside the file's {size} bytes",
        headers={"Content-Range": f"bytes */{size}"},
    )
