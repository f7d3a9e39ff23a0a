"""Stateful Schemathesis: sequences of calls that follow the OpenAPI links (a workspace, then
its chats, then their history, files and sandbox) never get a 5xx, and every answer conforms
to its documented schema."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from starlette.types import ASGIApp, Receive, Scope, Send

from chatkeep.bootstrap.ports import build_ports
from chatkeep.http.app import build_app
from test.conftest import FakeClock
from test.reliability.raw_bodies import only_a_raw_body_is_negative

# A run reaches a chat's content in about one case in three (a history write was 2 to 3
# calls of ~400 in runs measured on 2026-11-29): a few runs make missing it unlikely.
MAX_RUNS = 6
SUCCESSES: Counter[str] = Counter()
CALLS: Counter[int] = Counter()
FAILURES: list[str] = []
# Once calls reach real chats, schema-valid requests are rightly refused for what JSON Schema
# cannot say: a precondition that does not hold (412), a checksum that does not (400), a body
# that is not UTF-8 (400), multipart parts without distinct valid filenames (400). Every other
# check stays: no 5xx, documented statuses, content types, headers and schemas, a deleted
# resource staying gone, a created one being reachable, schema-invalid requests refused.
EXCLUDED = [positive_data_acceptance]
# Random preconditions and checksums would stop almost every sequence at its first write: a
# random If-Match or If-None-Match is malformed (400) or names no version (If-Match: 412), an
# If-None-Match: * refuses every history write, a past If-Unmodified-Since every write. Their
# refusals are tested on their own (test/integration/test_http_preconditions.py). If-Modified-
# Since and If-Range stay: at worst they turn a read into a 304 or a 200 for a 206.
BLOCKING_HEADERS = ("If-Match", "If-None-Match", "If-Unmodified-Since", "X-Checksum-Sha256")


class CountingIds:
    def __init__(self) -> None:
        self.issued = 0

    def new(self) -> uuid.UUID:
        self.issued += 1
        return uuid.UUID(int=self.issued, version=4)


class FreshService:
    """The service under test, rebuilt on an empty data directory for every scenario, so that
    replaying a scenario meets the same state and the same ids (Hypothesis requires it)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="chatkeep-stateful-"))
        self.app: ASGIApp | None = None

    def reset(self) -> None:
        shutil.rmtree(self.root / "data", ignore_errors=True)
        ports = build_ports(
            self.root / "data", default_quota_bytes=10**9, clock=FakeClock(), ids=CountingIds()
        )
        asyncio.run(ports.storage.start())
        self.app = build_app(ports)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


service = FreshService()
service.reset()
schema = schemathesis.openapi.from_asgi("/openapi.json", service)


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    def setup(self) -> None:
        service.reset()

    def before_call(self, case: schemathesis.Case) -> None:
        for header in BLOCKING_HEADERS:
            (case.headers or {}).pop(header, None)

    def after_call(self, response: schemathesis.Response, case: schemathesis.Case) -> None:
        CALLS[response.status_code // 100] += 1
        if response.status_code < 300:
            SUCCESSES[f"{case.method} {case.path}"] += 1

    def validate_response(
        self,
        response: schemathesis.Response,
        case: schemathesis.Case,
        additional_checks: list[object] | None = None,
        **kwargs: object,
    ) -> None:
        try:
            excluded = EXCLUDED + [negative_data_rejection] * only_a_raw_body_is_negative(case)
            case.validate_response(response, excluded_checks=excluded, transport_kwargs=kwargs)
        except Exception as failure:
            FAILURES.append(f"{case.method} {case.path} -> {response.status_code}: {failure}")
            raise


# Sequences start where a client starts, by ensuring its workspace, and go on through links
# only: the other entry points would spend most steps on random ids and their 404s.
for _rule in dir(Workflow):
    if _rule.startswith("RANDOM__") and _rule != "RANDOM__PUT_v1_workspace":
        setattr(Workflow, _rule, None)


def reached_chats() -> bool:
    """Whether a write to a chat's content (history, messages, files) succeeded."""
    return any(
        call.startswith(("PUT ", "POST "))
        and any(f"{{chat_id}}/{part}" in call for part in ("history", "messages", "files"))
        for call in SUCCESSES
    )


def test_sequences_of_linked_calls() -> None:
    """Linked sequences run without a 5xx or a schema violation, and reach deep: the links
    carry a chat id from its creation, under the caller's identity, to successful writes of
    its content."""
    for _ in range(MAX_RUNS):
        # The transitions Schemathesis infers grow as responses arrive, so a replayed prefix
        # may draw differently and end a run early; its own runner counts that as no
        # failure, and so do we, as FAILURES records every failed check.
        with contextlib.suppress(FlakyStrategyDefinition):
            Workflow.run(
                settings=settings(
                    max_examples=150,
                    stateful_step_count=10,
                    deadline=None,
                    database=None,
                    # Under CI Hypothesis derandomizes: every run would replay the one
                    # sequence, and a sequence that never reaches a chat's content would
                    # fail every time (it did, in a full-suite CI run).
                    derandomize=False,
                    suppress_health_check=list(HealthCheck),
                )
            )
        if reached_chats():
            break
    print(f"calls by status class {dict(CALLS)}; successes {dict(SUCCESSES)}")
    assert FAILURES == []
    assert SUCCESSES["POST /v1/chats"] > 0
    assert reached_chats(), dict(SUCCESSES)
    shutil.rmtree(service.root)
