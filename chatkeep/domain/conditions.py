"""Conditional requests (RFC 9110 §13): the preconditions a client sends, evaluated against
the current representation of what the request targets. No I/O: the HTTP layer parses the
headers, storage and use cases say what is current."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from chatkeep.domain.errors import PreconditionFailedError


@dataclass(frozen=True, slots=True)
class EntityTag:
    """One entity tag as a client sent it (RFC 9110 §8.8.3): the opaque tag with its
    quotes (`'"abc"'`), and whether it was marked weak (`W/`)."""

    opaque: str
    weak: bool = False


@dataclass(frozen=True, slots=True)
class EntityTags:
    """The value of If-Match or If-None-Match: `*` (`any`), or a list of entity tags."""

    tags: frozenset[EntityTag] = frozenset()
    any: bool = False

    @classmethod
    def of(cls, *etags: str) -> EntityTags:
        """A list of strong tags, each quoted as the service hands ETags out."""
        return cls(frozenset(EntityTag(etag) for etag in etags))

    def strong_match(self, etag: str | None) -> bool:
        """RFC 9110 §8.8.3.2: a listed tag equals `etag` and neither is weak (ours never
        are). False without a current ETag."""
        return etag is not None and EntityTag(etag) in self.tags

    def weak_match(self, etag: str | None) -> bool:
        """RFC 9110 §8.8.3.2: a listed tag, weak or not, has `etag`'s opaque value."""
        return etag is not None and any(tag.opaque == etag for tag in self.tags)


@dataclass(frozen=True, slots=True)
class Representation:
    """The current representation a request targets (RFC 9110 §3.2), as preconditions see
    it: its strong ETag (quoted) and its Last-Modified time (timezone-aware), each None
    where it has none. "No representation at all" is None in its place."""

    etag: str | None
    last_modified: datetime | None = None


@dataclass(frozen=True, slots=True)
class IfRange:
    """If-Range (RFC 9110 §13.1.5). `etag` is the tag it names; None when it holds a date or
    nothing readable. A date never holds here: API writes and sandboxes can change a file
    several times within one second, so a Last-Modified time is never known to be a strong
    validator (§8.8.2.2), and a range of a newer version would splice two versions."""

    etag: EntityTag | None


class Outcome(Enum):
    """What preconditions decide (RFC 9110 §13.2.2)."""

    PROCEED = "proceed"
    NOT_MODIFIED = "not_modified"  # 304, GET and HEAD only
    FAILED = "failed"  # 412


@dataclass(frozen=True, slots=True)
class Preconditions:
    """The conditional header fields of one request (RFC 9110 §13.1). Dates are
    timezone-aware; a field the client did not send, or a date it sent unreadable (which
    §13.1.3 and §13.1.4 say to ignore), is None."""

    if_match: EntityTags | None = None
    if_none_match: EntityTags | None = None
    if_unmodified_since: datetime | None = None
    if_modified_since: datetime | None = None
    if_range: IfRange | None = None

    def evaluate(self, current: Representation | None, *, safe: bool) -> Outcome:
        """RFC 9110 §13.2.2 steps 1-4 against `current` (None: nothing exists there):
        If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since,
        which only a safe method (`safe`: GET, HEAD) evaluates. Dates compare at the one
        second an HTTP-date can say."""
        if not self._unchanged(current):
            return Outcome.FAILED
        if not self._changed(current, safe=safe):
            return Outcome.NOT_MODIFIED if safe else Outcome.FAILED
        return Outcome.PROCEED

    def _unchanged(self, current: Representation | None) -> bool:
        """Steps 1 and 2: If-Match, else If-Unmodified-Since (§13.1.1, §13.1.4)."""
        if self.if_match is not None:
            return _if_match(self.if_match, current)
        modified = None if current is None else current.last_modified
        if self.if_unmodified_since is None or modified is None:
            return True  # §13.1.4: ignored without a modification time
        return _seconds(modified) <= _seconds(self.if_unmodified_since)

    def _changed(self, current: Representation | None, *, safe: bool) -> bool:
        """Steps 3 and 4: If-None-Match, else If-Modified-Since (§13.1.2, §13.1.3)."""
        if self.if_none_match is not None:
            return _if_none_match(self.if_none_match, current)
        modified = None if current is None else current.last_modified
        if not safe or self.if_modified_since is None or modified is None:
            return True  # §13.1.3: GET and HEAD only, and ignored without a time
        return _seconds(modified) > _seconds(self.if_modified_since)

    def require(self, current: Representation | None) -> None:
        """For a write: proceed, or raise `PreconditionFailedError` (412) for any failed
        precondition, a failed If-None-Match included (RFC 9110 §13.1.2)."""
        if self.evaluate(current, safe=False) is not Outcome.PROCEED:
            raise PreconditionFailedError(None if current is None else current.etag)

    def select(self, current: Representation) -> bool:
        """For GET and HEAD: True to send the representation, False for 304 Not Modified;
        raises `PreconditionFailedError` (412) when If-Match or If-Unmodified-Since fails."""
        outcome = self.evaluate(current, safe=True)
        if outcome is Outcome.FAILED:
            raise PreconditionFailedError(current.etag)
        return outcome is Outcome.PROCEED

    def range_applies(self, current: Representation) -> bool:
        """RFC 9110 §13.2.2 step 5, §13.1.5: whether a Range may be honoured. Without
        If-Range, yes; with it, only while it names the current ETag, strongly."""
        if self.if_range is None:
            return True
        tag = self.if_range.etag
        return tag is not None and EntityTags(frozenset({tag})).strong_match(current.etag)


def upload_target(attached: bool, on_disk: Representation | None) -> Representation | None:
    """What an upload under a name would replace, for its preconditions.

    `attached`: the chat has an attachment of that name (metadata); `on_disk`: the regular
    file at that name in the chat directory, or None. Both: that file, with its validators.
    One without the other (an attachment whose file is gone, or a file a sandbox wrote that
    no rescan adopted yet): something exists, so `If-None-Match: *` refuses to overwrite it,
    but it has no validator an `If-Match` could name. Neither: None, the name is free.
    """
    if attached and on_disk is not None:
        return on_disk
    if attached or on_disk is not None:
        return Representation(None)
    return None


def _if_match(condition: EntityTags, current: Representation | None) -> bool:
    # §13.1.1: `*` holds when a representation exists; a list, when one tag matches strongly.
    if condition.any:
        return current is not None
    return current is not None and condition.strong_match(current.etag)


def _if_none_match(condition: EntityTags, current: Representation | None) -> bool:
    # §13.1.2: `*` fails when a representation exists; a list, when one tag matches weakly.
    if condition.any:
        return current is None
    return current is None or not condition.weak_match(current.etag)


def _seconds(moment: datetime) -> datetime:
    # An HTTP-date says whole seconds; the file's time is truncated to compare like with like.
    return moment.replace(microsecond=0)
