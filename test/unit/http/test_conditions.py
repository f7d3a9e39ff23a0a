from __future__ import annotations

import pytest

from chatkeep.http.conditions import none_match, parse_if_match
from chatkeep.http.errors import RequestError


def test_if_match_lists_star_and_weak_tags() -> None:
    """If-Match takes lists and *, and drops weak tags (strong comparison)."""
    assert parse_if_match(None) is None
    listed = parse_if_match('"a", W/"b" ,"c"')
    assert listed is not None
    assert listed.etags == frozenset({'"a"', '"c"'})
    star = parse_if_match(" * ")
    assert star is not None
    assert star.matches('"anything"')


@pytest.mark.parametrize("value", ["abc", '"a" "b"', '"a",,', 'W/ "a"'])
def test_malformed_if_match_is_invalid_request(value: str) -> None:
    """An If-Match that is not a list of entity tags is refused."""
    with pytest.raises(RequestError):
        parse_if_match(value)


def test_if_none_match_uses_weak_comparison() -> None:
    """If-None-Match matches the tag, weak or not, and *."""
    assert none_match('W/"x"', '"x"')
    assert none_match("*", '"x"')
    assert not none_match('"y"', '"x"')
    assert not none_match(None, '"x"')
