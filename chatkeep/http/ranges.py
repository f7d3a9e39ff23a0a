"""A single byte range of a Range header (RFC 9110 §14)."""

from __future__ import annotations

import re

from chatkeep.http.errors import RequestError

# ranges-specifier = range-unit "=" range-set; whitespace around the parts is tolerated.
_RANGES = re.compile(r"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=(.*)", re.DOTALL)
_RANGE_SPEC = re.compile(r"([0-9]*)\s*-\s*([0-9]*)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (offset, length) in bytes that `header` asks of a `size`-byte file, or None to
    send the whole file.

    The unit name is case-insensitive (RFC 9110 §14.1); empty list elements are skipped
    (§5.6.1.2). Only a single range is served: several ranges, another unit, or a header
    that is not a range set are ignored, as §14.2 allows. Raises RequestError
    `range_not_satisfiable` (416, `Content-Range: bytes */size`) for a range that starts
    at or past the end, or a zero-length suffix (§14.1.1); a non-empty suffix of an empty
    file is satisfiable and selects all of it, nothing (§14.1.2): None.
    """
    if header is None:
        return None
    ranges = _RANGES.fullmatch(header)
    if ranges is None or ranges.group(1).lower() != "bytes":
        return None
    specs = [spec for spec in (part.strip() for part in ranges.group(2).split(",")) if spec]
    spec = _RANGE_SPEC.fullmatch(specs[0]) if len(specs) == 1 else None
    if spec is None:
        return None
    first, last = spec.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise unsatisfiable(size)
        if size == 0:
            return None
        return max(0, size - suffix), min(suffix, size)
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise unsatisfiable(size)
    end = size - 1 if not last else min(int(last), size - 1)
    return start, end - start + 1


def unsatisfiable(size: int) -> RequestError:
    """416 range_not_satisfiable, with the Content-Range RFC 9110 §15.5.17 asks for."""
    return RequestError(
        "range_not_satisfiable",
        f"the range is outside the file's {size} bytes",
        headers={"Content-Range": f"bytes */{size}"},
    )
