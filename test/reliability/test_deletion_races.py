"""Every deletion against every write to the same chat, on every metadata store
(contract, Version 1.1, "Deletion and concurrent writes"); figures in docs/reliability.md.

`CHATKEEP_RACE_ROUNDS` sets the rounds per deletion-write pair (2 in `make test`,
20 in `make test-slow`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from test.reliability.race_check import judge
from test.reliability.races import DELETIONS, WRITES, clear_round, open_service, run_round

ROUNDS = int(os.environ.get("CHATKEEP_RACE_ROUNDS", "2"))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store_url(store: str, request: pytest.FixtureRequest) -> str | None:
    if store != "postgres":
        return None
    return str(await request.getfixturevalue("postgres").new_database())


@pytest.mark.parametrize("deletion", DELETIONS)
async def test_no_acknowledged_write_is_lost_to_a_deletion(
    store: str, store_url: str | None, deletion: str, tmp_path: Path
) -> None:
    """Each write kind raced against `deletion` on 8 chats: no 2xx write is lost, no
    answer is a 5xx, usage equals the disk on every replica, nothing is left behind."""
    acknowledged, losses, faults = 0, [], []
    async with open_service(store, tmp_path / "data", store_url) as service:
        for write in WRITES:
            for round_number in range(ROUNDS):
                race = await run_round(service, deletion, write, seed=round_number)
                verdict = await judge(service, race)
                await clear_round(service, race)
                acknowledged += verdict.acknowledged
                losses += verdict.losses
                faults += verdict.faults
    print(
        f"race {store} {deletion}: {len(WRITES) * ROUNDS} rounds, "
        f"{acknowledged} writes acknowledged, {len(losses)} lost, {len(faults)} faults"
    )
    assert not losses, losses[:10]
    assert not faults, faults[:10]
