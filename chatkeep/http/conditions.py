"""Conditional request header fields (RFC 9110 §13.1), parsed for the domain to evaluate;
and the validator fields (§8.8) an answer carries."""

from __future__ import annotations

import re
from datetime import datetime

from starlette.datastructures import Headers

from chatkeep.domain.conditions import EntityTag, EntityTags, IfRange, Preconditions
from chatkeep.http.dates import last_modified_field, parse_http_date
from chatkeep.http.errors import RequestError
from chatkeep.usecase.ports import FileReader

_ENTITY_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')
_ONE_ENTITY_TAG = re.compile(r'(W/)?("[\x21\x23-\x7e\x80-\xff]*")')
CONDITION_HEADERS = ("If-Match", "If-None-Match", "If-Unmodified-Since", "If-Modified-Since")


def preconditions_of(headers: Headers) -> Preconditions | None:
    """The request's If-Match, If-None-Match, If-Unmodified-Since, If-Modified-Since and
    If-Range; None when it sends none of them.

    Entity-tag lists may span several field lines (RFC 9110 §5.3); a list that is not `*`
    or entity tags is `400 invalid_request`. A date that is not exactly one HTTP-date is
    ignored (§13.1.3, §13.1.4), as is an If-Range without a Range (§13.1.5).
    """
    if_match = _entity_tags(headers.getlist("if-match"), "If-Match")
    if_none_match = _entity_tags(headers.getlist("if-none-match"), "If-None-Match")
    if_range = _if_range(headers.getlist("if-range")) if "range" in headers else None
    conditions = Preconditions(
        if_match=if_match,
        if_none_match=if_none_match,
        if_unmodified_since=_date(headers.getlist("if-unmodified-since")),
        if_modified_since=_date(headers.getlist("if-modified-since")),
        if_range=if_range,
    )
    return None if conditions == Preconditions() else conditions


def validator_headers(reader: FileReader) -> dict[str, str]:
    """`ETag` and, when the file has one and its second is over, `Last-Modified`
    (dates.last_modified_field; RFC 9110 §8.8.2, §8.8.3)."""
    headers = {"ETag": reader.etag}
    if reader.last_modified is not None:
        field = last_modified_field(reader.last_modified)
        if field is not None:
            headers["Last-Modified"] = field
    return headers


def _entity_tags(lines: list[str], header: str) -> EntityTags | None:
    if not lines:
        return None
    value = ",".join(lines).strip()
    if value == "*":
        return EntityTags(any=True)
    tags: list[EntityTag] = []
    position = 0
    while position < len(value):
        match = _ENTITY_TAG.match(value, position)
        if match is None:
            raise RequestError("invalid_request", f"{header} must be '*' or a list of ETags")
        tags.append(EntityTag(match.group(2), weak=match.group(1) is not None))
        position = match.end()
    return EntityTags(frozenset(tags))


def _date(lines: list[str]) -> datetime | None:
    return parse_http_date(lines[0]) if len(lines) == 1 else None


def _if_range(lines: list[str]) -> IfRange | None:
    if not lines:
        return None
    # One validator: a strong tag can hold; a date, a weak tag or anything else cannot.
    match = _ONE_ENTITY_TAG.fullmatch(lines[0].strip()) if len(lines) == 1 else None
    if match is None:
        return IfRange(None)
    return IfRange(EntityTag(match.group(2), weak=match.group(1) is not None))
