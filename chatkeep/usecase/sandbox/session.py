"""One sandbox session per chat: start or renew, look up, end."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID

from chatkeep.domain.errors import (
    ChatHasActiveSandboxError,
    InvalidRequestError,
    SandboxSessionNotFoundError,
)
from chatkeep.domain.limits import text_problem
from chatkeep.domain.sandbox import MAX_LEASE_SECONDS, SandboxSession
from chatkeep.usecase.access import chat_lock, find_chat, workspace_lock
from chatkeep.usecase.expiry import end_expired_session
from chatkeep.usecase.ports import Ports
from chatkeep.usecase.store.reconcile import reconcile_chat

MAX_SANDBOX_ID_CHARS = 200


@dataclass(frozen=True, slots=True)
class MountedSession:
    """A session with the directory the orchestrator mounts for it."""

    session: SandboxSession
    workdir: str


async def start_sandbox(
    ports: Ports, user_id: UUID, chat_id: UUID, sandbox_id: str, lease_seconds: int | None
) -> tuple[MountedSession, bool]:
    """Start a session, or renew it when `sandbox_id` is the active one (the new lease
    replaces the old; none means no expiry). Answers the session and whether it started.

    Raises InvalidRequestError, ChatNotFoundError, ChatHasActiveSandboxError. Under the
    workspace's lock too: a workspace deletion that found no active session must not
    meet one on a chat it has yet to delete.
    """
    if not 1 <= len(sandbox_id) <= MAX_SANDBOX_ID_CHARS:
        raise InvalidRequestError(f"sandbox_id must be 1 to {MAX_SANDBOX_ID_CHARS} characters")
    if (problem := text_problem(sandbox_id)) is not None:
        raise InvalidRequestError(f"sandbox_id {problem}")
    if lease_seconds is not None and not 1 <= lease_seconds <= MAX_LEASE_SECONDS:
        raise InvalidRequestError(
            f"lease_seconds must be 1 to {MAX_LEASE_SECONDS} (a year); omit it for no expiry"
        )
    async with ports.locks.hold(workspace_lock(user_id)), ports.locks.hold(chat_lock(chat_id)):
        await end_expired_session(ports, user_id, chat_id)
        workspace, chat = await find_chat(ports, user_id, chat_id)
        now = ports.clock.now()
        expires_at = None if lease_seconds is None else now + timedelta(seconds=lease_seconds)
        current = await ports.sandboxes.get_by_chat_id(chat.chat_id)
        if current is not None and current.sandbox_id != sandbox_id:
            raise ChatHasActiveSandboxError(chat.chat_id)
        if current is not None:
            session = replace(current, expires_at=expires_at)
        else:
            session = SandboxSession(
                sandbox_id, chat.chat_id, workspace.workspace_id, now, expires_at
            )
        await ports.sandboxes.save(session)
    return _mounted(ports, session), current is None


async def get_sandbox(ports: Ports, user_id: UUID, chat_id: UUID) -> MountedSession:
    """The chat's sandbox session with its workdir, once an expired one is ended. Raises
    ChatNotFoundError, SandboxSessionNotFoundError (404; contract, "Sandbox sessions")."""
    await end_expired_session(ports, user_id, chat_id)
    _, chat = await find_chat(ports, user_id, chat_id)
    session = await ports.sandboxes.get_by_chat_id(chat.chat_id)
    if session is None:
        raise SandboxSessionNotFoundError(chat.chat_id)
    return _mounted(ports, session)


def _mounted(ports: Ports, session: SandboxSession) -> MountedSession:
    return MountedSession(session, ports.storage.workdir(session.workspace_id, session.chat_id))


async def end_sandbox(ports: Ports, user_id: UUID, chat_id: UUID) -> None:
    """End the chat's session, then rescan its directory. Raises ChatNotFoundError,
    SandboxSessionNotFoundError (contract, "Sandbox sessions")."""
    async with ports.locks.hold(chat_lock(chat_id)):
        await end_expired_session(ports, user_id, chat_id)
        workspace, chat = await find_chat(ports, user_id, chat_id)
        if await ports.sandboxes.get_by_chat_id(chat.chat_id) is None:
            raise SandboxSessionNotFoundError(chat.chat_id)
        await ports.sandboxes.delete_by_chat_id(chat.chat_id)
        await reconcile_chat(ports, workspace.workspace_id, chat)
