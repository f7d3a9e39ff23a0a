from __future__ import annotations

import uuid

import pytest

from chatkeep.domain.errors import WorkspaceQuotaExceededError
from chatkeep.domain.workspace import Usage
from chatkeep.storage.usage import UsageLedger

WS = uuid.uuid4()


def ledger_with(used: int, inodes: int = 0) -> UsageLedger:
    async def count(workspace_id: uuid.UUID) -> Usage:
        return Usage(used, inodes)

    return UsageLedger(count)


async def test_first_read_counts_the_disk_then_keeps_the_figure() -> None:
    """used_bytes walks once; later writes adjust the kept figure."""
    calls = []

    async def count(workspace_id: uuid.UUID) -> Usage:
        calls.append(workspace_id)
        return Usage(40, 3)

    ledger = UsageLedger(count)
    assert await ledger.used_bytes(WS) == 40
    await ledger.add(WS, 2)
    assert await ledger.used_bytes(WS) == 42
    assert calls == [WS]
    await ledger.forget(WS)
    assert await ledger.used_bytes(WS) == 40
    assert calls == [WS, WS]


async def test_reservations_in_flight_count_against_the_quota() -> None:
    """Two writes cannot both claim the last free bytes."""
    ledger = ledger_with(50)
    first = await ledger.reserve(WS, quota_bytes=100)
    second = await ledger.reserve(WS, quota_bytes=100)
    await first.grow(30)
    with pytest.raises(WorkspaceQuotaExceededError):
        await second.grow(30)
    await second.grow(0)
    assert ledger.claimed_bytes(WS) == 30
    await first.release()
    await second.grow(30)
    assert ledger.claimed_bytes(WS) == 30


async def test_commit_turns_the_claim_into_usage() -> None:
    """A committed write moves its bytes from claimed to used."""
    ledger = ledger_with(0)
    reservation = await ledger.reserve(WS, quota_bytes=100)
    await reservation.grow(70)
    await reservation.commit(70)
    assert await ledger.used_bytes(WS) == 70
    assert ledger.claimed_bytes(WS) == 0
    await reservation.release()  # releasing after commit is harmless
    assert await ledger.used_bytes(WS) == 70


async def test_credit_lets_a_replacement_reuse_the_bytes_it_frees() -> None:
    """With 90 of 100 used, a replacement of the 90-byte file may receive 95 bytes."""
    ledger = ledger_with(90)
    reservation = await ledger.reserve(WS, quota_bytes=100, credit=90)
    await reservation.grow(95)
    assert ledger.claimed_bytes(WS) == 5
    with pytest.raises(WorkspaceQuotaExceededError):
        await reservation.require(11)
    await reservation.commit(5)
    assert await ledger.used_bytes(WS) == 95


async def test_growth_is_refused_over_quota_but_shrinking_is_not() -> None:
    """Over quota, a write that adds nothing is allowed and one that adds a byte is not."""
    ledger = ledger_with(150)
    reservation = await ledger.reserve(WS, quota_bytes=100, credit=10)
    await reservation.grow(10)
    await reservation.require(0)
    with pytest.raises(WorkspaceQuotaExceededError) as refused:
        await reservation.grow(1)
    assert refused.value.code == "workspace_quota_exceeded"


async def test_inode_claims_in_flight_count_against_the_inode_quota() -> None:
    """With 8 of 10 inodes used, two writes of one new entry fit and a third does not;
    a released claim makes room again, and a commit moves it into usage."""
    ledger = ledger_with(0, inodes=8)
    writes = [await ledger.reserve(WS, quota_bytes=100, quota_inodes=10) for _ in range(3)]
    await writes[0].require_inodes(1)
    await writes[1].require_inodes(1)
    with pytest.raises(WorkspaceQuotaExceededError) as refused:
        await writes[2].require_inodes(1)
    assert "inodes" in str(refused.value)
    assert ledger.claimed_inodes(WS) == 2
    await writes[1].release()
    await writes[2].require_inodes(1)
    await writes[2].commit(0, 1)
    assert await ledger.usage(WS) == Usage(0, 9)
    assert ledger.claimed_inodes(WS) == 1
    await writes[0].release()
    assert ledger.claimed_inodes(WS) == 0


async def test_over_the_inode_quota_a_write_that_creates_no_entry_is_allowed() -> None:
    """A sandbox took the workspace past its inode quota: a replacement (no new entry)
    and bytes within the byte quota still go, a new entry does not."""
    ledger = ledger_with(10, inodes=50)
    replacement = await ledger.reserve(WS, quota_bytes=100, quota_inodes=20)
    await replacement.require_inodes(0)
    await replacement.grow(30)
    await replacement.commit(30, 0)
    creation = await ledger.reserve(WS, quota_bytes=100, quota_inodes=20)
    with pytest.raises(WorkspaceQuotaExceededError):
        await creation.require_inodes(1)
    assert await ledger.usage(WS) == Usage(40, 50)


async def test_inodes_freed_and_added_move_the_count() -> None:
    """add() moves bytes and inodes together and never below zero."""
    ledger = ledger_with(5, inodes=4)
    assert await ledger.usage(WS) == Usage(5, 4)
    await ledger.add(WS, -5, -2)
    assert await ledger.usage(WS) == Usage(0, 2)
    await ledger.add(WS, 0, -9)
    assert await ledger.usage(WS) == Usage(0, 0)
