"""Schemathesis against /openapi.json: generated requests never get a 5xx, and answers
conform to the documented schemas."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from chatkeep.bootstrap.metadata import open_metadata
from chatkeep.bootstrap.ports import build_ports
from chatkeep.http.app import build_app
from test.reliability.raw_bodies import only_a_raw_body_is_negative

# Metadata in SQLite, the default store, so that generated values meet a store's limits:
# Schemathesis's coverage phase sends each integer's `maximum`, one under it and one past it
# (for quota_bytes: 2**63-1 is stored, 2**63 refused), so the documented bounds are probed.
_data = Path(tempfile.mkdtemp(prefix="chatkeep-schemathesis-")) / "data"
_ports = build_ports(_data, default_quota_bytes=10**9, repositories=open_metadata("sqlite", _data))
asyncio.run(_ports.storage.start())
schema = schemathesis.openapi.from_asgi("/openapi.json", build_app(_ports))


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case: schemathesis.Case) -> None:
    """Whatever the schema allows, the service answers without a server error, as documented."""
    # A listing cursor is an opaque token the service issued: a generated one is rightly
    # refused with 400, so only there is a refused schema-valid request not a failure.
    opaque = case.query is not None and "cursor" in case.query
    excluded = [positive_data_acceptance] * opaque
    excluded += [negative_data_rejection] * only_a_raw_body_is_negative(case)
    case.call_and_validate(excluded_checks=excluded)
