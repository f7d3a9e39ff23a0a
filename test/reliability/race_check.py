"""What a round of the race harness must leave (contract, Version 1.1, "Deletion and
concurrent writes"): every 2xx write readable afterwards unless a deletion may rightly
have come after it, usage equal to the bytes on disk, nothing left behind, no 500."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from test.reliability.races import Round, Service

# A write after which the chat is no longer idle: pruning must then keep the chat.
UN_IDLING = {"history_put", "history_post", "messages", "upload", "sandbox_put", "rescan"}
ALLOWED_WRITE = {200, 201, 404}
ALLOWED_DELETION = {
    "chat_delete": {204, 409},
    "prune": {200},
    "workspace_delete": {204, 409},
    "files_clear": {204, 404},
    "file_delete": {204, 404},
}


@dataclass
class Verdict:
    """What went wrong in a round: `losses` are acknowledged writes gone, `faults` all else."""

    acknowledged: int = 0
    losses: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)


async def judge(service: Service, race: Round) -> Verdict:
    """Check the round's answers, then what every replica and the disk say now."""
    verdict = Verdict()
    for chat, answer in race.written.items():
        if answer.status_code not in ALLOWED_WRITE:
            verdict.faults.append(f"{race.write} on {chat}: {answer.status_code} {answer.text}")
        verdict.acknowledged += answer.is_success
    for answer in race.deleted:
        if answer.status_code not in ALLOWED_DELETION[race.deletion]:
            verdict.faults.append(f"{race.deletion}: {answer.status_code} {answer.text}")
    client = service.clients[0]
    for chat in race.chats:
        exists = (await client.get(f"/v1/chats/{chat}", headers=race.user)).status_code == 200
        answer = race.written[chat]
        if answer.status_code == 404 and exists:
            verdict.faults.append(f"{race.write} on {chat} answered 404, yet the chat exists")
        pruned = race.deletion in {"prune", "ttl_prune"} and (not exists or chat in race.pruned)
        if answer.is_success and race.write in UN_IDLING and pruned:
            verdict.losses.append(f"{race.write} on {chat} acknowledged, then pruned")
        if answer.is_success and exists and not await _visible(client, race, chat, answer):
            verdict.losses.append(f"{race.write} on {chat} acknowledged, not readable")
        await _check_disk(service, race, chat, exists, verdict)
    await _check_usage(service, race, verdict)
    leftovers = [p for root in ("tmp", "journal") for p in (service.data_dir / root).rglob("*")]
    if stray := [str(p) for p in leftovers if not p.is_dir()]:
        verdict.faults.append(f"left behind: {stray}")
    return verdict


async def _visible(
    client: httpx.AsyncClient, race: Round, chat: str, answer: httpx.Response
) -> bool:
    base, user, body = f"/v1/chats/{chat}", race.user, race.body(chat)
    if race.write == "history_put":
        return (await client.get(f"{base}/history", headers=user)).content == body
    if race.write == "history_post":
        return body in (await client.get(f"{base}/history", headers=user)).content
    if race.write == "messages":
        messages = (await client.get(f"{base}/messages", headers=user)).json()["messages"]
        return body.decode() in [message["content"] for message in messages]
    if race.write == "sandbox_put":
        return (await client.get(f"{base}/sandbox", headers=user)).status_code == 200
    if race.write == "patch":
        return (await client.get(base, headers=user)).json()["title"] == body.decode()
    if race.deletion == "files_clear":
        return True  # a clear may rightly have come after the upload or the rescan
    name = "new.txt" if race.write == "upload" else "sandbox.txt"
    files = (await client.get(f"{base}/files", headers=user, params={"name": name})).json()["files"]
    if race.write == "rescan":
        return len(files) == 1
    stored = answer.json()["files"][0]
    return (
        bool(files) and files[0] == stored and stored["sha256"] == hashlib.sha256(body).hexdigest()
    )


async def _check_disk(
    service: Service, race: Round, chat: str, exists: bool, verdict: Verdict
) -> None:
    directory = _chats_dir(service, race) / chat
    if not exists:
        if directory.exists() or directory.is_symlink():
            verdict.faults.append(f"{chat} is gone, its directory is not")
        for ports in service.ports:
            rows = await ports.files.list_by_chat_id(uuid.UUID(chat))
            if rows or await ports.sandboxes.get_by_chat_id(uuid.UUID(chat)):
                verdict.faults.append(f"{chat} is gone, rows of it are not")
        return
    on_disk = {
        (entry.name, entry.stat().st_size)
        for entry in directory.iterdir()
        if entry.is_file() and not entry.is_symlink() and entry.name != "history.md"
    }
    listed = (await service.clients[0].get(f"/v1/chats/{chat}/files", headers=race.user)).json()
    in_metadata = {(file["name"], file["size_bytes"]) for file in listed["files"]}
    if on_disk != in_metadata:
        verdict.faults.append(
            f"{chat}: on disk {sorted(on_disk)}, attachments {sorted(in_metadata)}"
        )


async def _check_usage(service: Service, race: Round, verdict: Verdict) -> None:
    on_disk = sum(
        path.stat().st_size
        for path in _chats_dir(service, race).rglob("*")
        if path.is_file() and not path.is_symlink()
    )
    for index, client in enumerate(service.clients):
        answer = await client.get("/v1/workspace", headers=race.user)
        if answer.status_code == 404:
            if _chats_dir(service, race).parent.exists():
                verdict.faults.append("the workspace is gone, its directory is not")
            continue
        if (used := answer.json()["used_bytes"]) != on_disk:
            verdict.faults.append(f"replica {index}: used_bytes {used}, {on_disk} bytes on disk")


def _chats_dir(service: Service, race: Round) -> Path:
    return service.data_dir / "workspaces" / race.workspace_id / "chats"
