from __future__ import annotations

import uuid

from chatkeep.domain.errors import WorkspaceQuotaExceededError


def test_a_quota_refusal_counts_its_units_in_words() -> None:
    """The message of a quota refusal says one inode and two bytes, not '1 inodes'."""
    workspace = uuid.uuid4()
    one = WorkspaceQuotaExceededError(workspace, 1, 1, unit="inodes")
    assert str(one) == "the write needs 1 more inode than the workspace quota of 1 inode leaves"
    many = WorkspaceQuotaExceededError(workspace, 10, 2)
    assert str(many) == "the write needs 2 more bytes than the workspace quota of 10 bytes leaves"
    assert (many.code, many.unit) == ("workspace_quota_exceeded", "bytes")
