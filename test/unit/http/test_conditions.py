from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.datastructures import Headers

from chatkeep.domain.conditions import EntityTag, EntityTags, IfRange
from chatkeep.http.conditions import preconditions_of
from chatkeep.http.errors import RequestError


def parsed(**fields: str) -> object:
    headers = Headers({name.replace("_", "-"): value for name, value in fields.items()})
    return preconditions_of(headers)


def test_no_condition_header_is_none() -> None:
    """A request without conditional fields has no preconditions at all."""
    assert preconditions_of(Headers({"x-other": "1"})) is None


def test_if_match_lists_star_and_weak_tags() -> None:
    """If-Match takes lists and *, keeping weak tags marked (they never match strongly)."""
    listed = preconditions_of(Headers({"if-match": '"a", W/"b" ,"c"'}))
    assert listed is not None
    assert listed.if_match is not None
    assert listed.if_match.tags == frozenset(
        {EntityTag('"a"'), EntityTag('"b"', weak=True), EntityTag('"c"')}
    )
    assert listed.if_match.strong_match('"a"')
    assert not listed.if_match.strong_match('"b"')
    star = preconditions_of(Headers({"if-match": " * "}))
    assert star is not None
    assert star.if_match == EntityTags(any=True)


def test_entity_tag_lists_span_field_lines() -> None:
    """Two If-None-Match lines are one list (RFC 9110 §5.3)."""
    headers = Headers(raw=[(b"if-none-match", b'"a"'), (b"if-none-match", b'W/"b"')])
    conditions = preconditions_of(headers)
    assert conditions is not None
    assert conditions.if_none_match is not None
    assert conditions.if_none_match.weak_match('"b"')
    assert conditions.if_none_match.weak_match('"a"')


@pytest.mark.parametrize("value", ["abc", '"a" "b"', '"a",,', 'W/ "a"'])
@pytest.mark.parametrize("header", ["if-match", "if-none-match"])
def test_malformed_entity_tag_lists_are_invalid_request(header: str, value: str) -> None:
    """An If-Match or If-None-Match that is not * or a list of entity tags is refused."""
    with pytest.raises(RequestError):
        preconditions_of(Headers({header: value}))


def test_dates_are_read_and_bad_dates_ignored() -> None:
    """HTTP-dates are read; an unreadable date, or two of them, counts as absent."""
    good = preconditions_of(Headers({"if-modified-since": "Sun, 06 Nov 1994 08:49:37 GMT"}))
    assert good is not None
    assert good.if_modified_since == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert preconditions_of(Headers({"if-unmodified-since": "yesterday"})) is None
    twice = Headers(
        raw=[(b"if-unmodified-since", b"Sun, 06 Nov 1994 08:49:37 GMT")] * 2 + [(b"if-match", b"*")]
    )
    conditions = preconditions_of(twice)
    assert conditions is not None
    assert conditions.if_unmodified_since is None


def test_if_range_needs_a_range_and_a_strong_tag() -> None:
    """If-Range counts only beside Range; a date or a weak tag is kept as never holding."""
    assert preconditions_of(Headers({"if-range": '"a"'})) is None
    tag = preconditions_of(Headers({"if-range": '"a"', "range": "bytes=0-1"}))
    assert tag is not None
    assert tag.if_range == IfRange(EntityTag('"a"'))
    date = preconditions_of(
        Headers({"if-range": "Sun, 06 Nov 1994 08:49:37 GMT", "range": "bytes=0-1"})
    )
    assert date is not None
    assert date.if_range == IfRange(None)
