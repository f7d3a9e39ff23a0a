"""The real-server fixtures of the end-to-end tests, for the abuse tests here; services on
each durable metadata store, for the tests of values at their limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from test.e2e.conftest import chat, client, live
from test.reliability.stores import STORES, Service, service_on

__all__ = ["chat", "client", "live"]


@pytest.fixture(params=STORES)
async def service(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Service]:
    """A service on each store in turn, with a user, a chat and an attachment."""
    async with service_on(request.param, tmp_path / "data", request) as started:
        yield started


@pytest.fixture
async def sqlite_service(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Service]:
    """A service on the default store, for inputs refused before any store is reached."""
    async with service_on("sqlite", tmp_path / "data", request) as started:
        yield started
