from __future__ import annotations

import uuid

import pytest

from chatkeep.domain.errors import WorkspaceQuotaExceededError
from chatkeep.storage.usage import UsageLedger

WS = uuid.uuid4()


def ledger_with(used: int) -> UsageLedger:
    async def count(workspace_id: uuid.UUID) -> int:
        return used

    return UsageLedger(count)


async def test_first_read_counts_the_disk_then_keeps_the_figure() -> None:
    """used_bytes walks once; later writes adjust the kept figure."""
    calls = []

    async def count(workspace_id: uuid.UUID) -> int:
        calls.append(workspace_id)
        return 40

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
