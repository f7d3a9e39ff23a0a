from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatkeep.domain.conditions import (
    EntityTag,
    EntityTags,
    IfRange,
    Outcome,
    Preconditions,
    Representation,
    upload_target,
)
from chatkeep.domain.errors import PreconditionFailedError

MODIFIED = datetime(2026, 3, 1, 12, 0, 0, 700_000, tzinfo=UTC)  # 0.7 s into its second
CURRENT = Representation('"v2"', MODIFIED)
SECOND = MODIFIED.replace(microsecond=0)
BEFORE = SECOND - timedelta(seconds=1)
STALE = EntityTags.of('"v1"')
NOW = EntityTags.of('"v2"')
ANY = EntityTags(any=True)


def outcome(current: Representation | None, *, safe: bool, **fields: object) -> Outcome:
    return Preconditions(**fields).evaluate(current, safe=safe)  # type: ignore[arg-type]


def test_no_precondition_proceeds() -> None:
    """Without fields, reads and writes proceed, whether or not anything exists."""
    for current in (CURRENT, None):
        assert outcome(current, safe=True) is Outcome.PROCEED
        assert outcome(current, safe=False) is Outcome.PROCEED


def test_if_match_strong_list_and_star() -> None:
    """If-Match holds for a listed ETag (strongly) or *, and fails for a stale or weak tag,
    or when nothing exists (RFC 9110 §13.1.1)."""
    weak = EntityTags(frozenset({EntityTag('"v2"', weak=True)}))
    assert outcome(CURRENT, safe=False, if_match=NOW) is Outcome.PROCEED
    assert outcome(CURRENT, safe=False, if_match=ANY) is Outcome.PROCEED
    assert outcome(CURRENT, safe=False, if_match=STALE) is Outcome.FAILED
    assert outcome(CURRENT, safe=True, if_match=weak) is Outcome.FAILED
    assert outcome(None, safe=False, if_match=ANY) is Outcome.FAILED


def test_if_none_match_is_304_on_reads_and_412_on_writes() -> None:
    """A matching If-None-Match (weakly) or * is 304 for GET/HEAD and 412 for a write; a
    stale list, or * when nothing exists, proceeds (§13.1.2)."""
    weak = EntityTags(frozenset({EntityTag('"v2"', weak=True)}))
    assert outcome(CURRENT, safe=True, if_none_match=weak) is Outcome.NOT_MODIFIED
    assert outcome(CURRENT, safe=False, if_none_match=NOW) is Outcome.FAILED
    assert outcome(CURRENT, safe=False, if_none_match=ANY) is Outcome.FAILED
    assert outcome(CURRENT, safe=False, if_none_match=STALE) is Outcome.PROCEED
    assert outcome(None, safe=False, if_none_match=ANY) is Outcome.PROCEED


def test_dates_compare_at_whole_seconds() -> None:
    """Last-Modified 12:00:00.7 is 'not after' 12:00:00: If-Unmodified-Since holds and
    If-Modified-Since means not modified; a second earlier, the opposite (§13.1.3, §13.1.4)."""
    assert outcome(CURRENT, safe=False, if_unmodified_since=SECOND) is Outcome.PROCEED
    assert outcome(CURRENT, safe=False, if_unmodified_since=BEFORE) is Outcome.FAILED
    assert outcome(CURRENT, safe=True, if_modified_since=SECOND) is Outcome.NOT_MODIFIED
    assert outcome(CURRENT, safe=True, if_modified_since=BEFORE) is Outcome.PROCEED


def test_if_modified_since_only_for_reads() -> None:
    """If-Modified-Since is ignored on a write (§13.1.3)."""
    assert outcome(CURRENT, safe=False, if_modified_since=SECOND) is Outcome.PROCEED


def test_dates_are_ignored_without_a_modification_time() -> None:
    """A representation without Last-Modified (an absent history) ignores both dates."""
    timeless = Representation('"absent"')
    assert outcome(timeless, safe=False, if_unmodified_since=BEFORE) is Outcome.PROCEED
    assert outcome(timeless, safe=True, if_modified_since=SECOND) is Outcome.PROCEED


def test_order_of_evaluation() -> None:
    """If-Match hides If-Unmodified-Since, If-None-Match hides If-Modified-Since, and the
    412 of steps 1-2 comes before the 304 of steps 3-4 (§13.2.2)."""
    assert outcome(CURRENT, safe=False, if_match=NOW, if_unmodified_since=BEFORE) is Outcome.PROCEED
    assert (
        outcome(CURRENT, safe=True, if_none_match=STALE, if_modified_since=SECOND)
        is Outcome.PROCEED
    )
    assert outcome(CURRENT, safe=True, if_match=STALE, if_none_match=NOW) is Outcome.FAILED


def test_require_and_select_raise_412() -> None:
    """`require` (writes) raises for any failure, `select` (reads) only for steps 1-2 and
    answers False for a 304."""
    with pytest.raises(PreconditionFailedError) as refused:
        Preconditions(if_none_match=ANY).require(CURRENT)
    assert refused.value.current_etag == '"v2"'
    with pytest.raises(PreconditionFailedError):
        Preconditions(if_unmodified_since=BEFORE).select(CURRENT)
    assert Preconditions(if_none_match=NOW).select(CURRENT) is False
    assert Preconditions(if_match=NOW).select(CURRENT) is True


def test_if_range_holds_only_for_the_current_strong_etag() -> None:
    """A Range applies without If-Range, or while If-Range names the current ETag strongly;
    never for a stale tag, a weak tag, or a date (§13.1.5)."""
    assert Preconditions().range_applies(CURRENT)
    assert Preconditions(if_range=IfRange(EntityTag('"v2"'))).range_applies(CURRENT)
    for other in (EntityTag('"v1"'), EntityTag('"v2"', weak=True), None):
        assert not Preconditions(if_range=IfRange(other)).range_applies(CURRENT)


def test_upload_target() -> None:
    """An upload replaces the attachment's file (validators and all); a lone attachment or
    a lone sandbox file exists without validators; neither is nothing."""
    assert upload_target(True, CURRENT) is CURRENT
    assert upload_target(True, None) == Representation(None)
    assert upload_target(False, CURRENT) == Representation(None)
    assert upload_target(False, None) is None


def test_an_upload_target_without_validators() -> None:
    """What exists without validators: If-None-Match: * fails, If-Match: * holds, no ETag
    list can match it, and If-Unmodified-Since is ignored."""
    lone = upload_target(False, CURRENT)
    assert outcome(lone, safe=False, if_none_match=ANY) is Outcome.FAILED
    assert outcome(lone, safe=False, if_match=ANY) is Outcome.PROCEED
    assert outcome(lone, safe=False, if_match=NOW) is Outcome.FAILED
    assert outcome(lone, safe=False, if_none_match=NOW) is Outcome.PROCEED
    assert outcome(lone, safe=False, if_unmodified_since=BEFORE) is Outcome.PROCEED
