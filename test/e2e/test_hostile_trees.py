"""Trees a sandbox leaves in its chat directory, of depth 1, 2,047, 2,048, 2,049 and
5,000 and 100,000 entries wide, through a real server: usage, rescan, listing,
restart, and deletion by DELETE of the chat, pruning and DELETE of the workspace
(contract, Version 1.1, "Hostile trees and resource limits"). The trees are built
once, on disk, as a sandbox would leave them; each deletion removes its own."""

from __future__ import annotations

import os
import stat
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from test.disk import make_chain, make_wide, on_disk, remove_tree
from test.e2e.server import RunningServer

LEAF = b"L" * 1000


def chain(depth: int) -> Callable[[Path], None]:
    return lambda chat: make_chain(chat / "tree", depth, LEAF)


SHAPES: dict[str, Callable[[Path], None]] = {
    **{f"depth-{depth}": chain(depth) for depth in (1, 2047, 2048, 2049, 5000)},
    "wide-100000": lambda chat: make_wide(chat / "wide", 100_000, 1),
}
MODES = ["delete", "prune", "workspace"]
START_TIMEOUT = 300  # seconds: start-up removes what tmp/ holds before it is ready


@dataclass
class Tenant:
    headers: dict[str, str]
    workspace_id: str
    chat_id: str
    directory: Path


class Sweep:
    """One server over one data directory, restarted in place when a test asks."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.logs: list[str] = []
        self.server = RunningServer(data_dir, ready_timeout=START_TIMEOUT)
        self.client = httpx.Client(base_url=self.server.url, timeout=300)
        self.tenants: dict[tuple[str, str], Tenant] = {}

    def restart(self) -> None:
        self.client.close()
        assert self.server.stop() == 0
        self.logs.append(self.server.log)
        self.server = RunningServer(self.data_dir, ready_timeout=START_TIMEOUT)
        self.client = httpx.Client(base_url=self.server.url, timeout=300)

    def usage(self, tenant: Tenant) -> tuple[int, int]:
        """The workspace's used_bytes and used_inodes."""
        answer = self.client.get("/v1/workspace", headers=tenant.headers)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["used_bytes"]), int(answer.json()["used_inodes"])

    def temp_entries(self) -> list[str]:
        return os.listdir(self.data_dir / "tmp")

    def close(self) -> str:
        self.client.close()
        self.server.stop()
        return "".join([*self.logs, self.server.log])


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    base = tmp_path_factory.mktemp("trees")
    sweep = Sweep(base / "data")
    for shape, plant in SHAPES.items():
        for mode in MODES:
            headers = {"X-User-Id": str(uuid.uuid4())}
            workspace = sweep.client.put("/v1/workspace", headers=headers).json()
            chat = sweep.client.post("/v1/chats", headers=headers).json()
            directory = (
                sweep.data_dir / "workspaces" / workspace["workspace_id"] / "chats"
            ) / chat["chat_id"]
            plant(directory)
            sweep.tenants[shape, mode] = Tenant(
                headers, workspace["workspace_id"], chat["chat_id"], directory
            )
    yield sweep
    log = sweep.close()
    remove_tree(base)  # deep trees: see remove_tree
    assert "Traceback" not in log, log
    assert "Too many open files" not in log, log


@pytest.mark.parametrize("shape", SHAPES)
def test_a_rescan_counts_every_byte_at_any_depth(sweep: Sweep, shape: str) -> None:
    """POST …/rescan answers 200 and adopts nothing from below the top; then used_bytes
    and used_inodes are every byte and every entry on disk, those at the bottom of the
    tree included (the old walk stopped at 2,048 levels)."""
    for mode in MODES:
        tenant = sweep.tenants[shape, mode]
        url = f"/v1/chats/{tenant.chat_id}/rescan"
        answer = sweep.client.post(url, headers=tenant.headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["files"] == []
        there = on_disk(tenant.directory.parent)
        assert there.bytes >= (len(LEAF) if shape.startswith("depth") else 100_000)
        assert there.entries > (2 if shape.startswith("depth") else 100_000)
        assert sweep.usage(tenant) == (there.bytes, there.entries)


@pytest.mark.parametrize("shape", SHAPES)
def test_listings_answer_whatever_the_tree(sweep: Sweep, shape: str) -> None:
    """The chat, its (empty) attachments and the workspace list as usual."""
    tenant = sweep.tenants[shape, "delete"]
    chats = sweep.client.get("/v1/chats", headers=tenant.headers)
    assert [chat["chat_id"] for chat in chats.json()["chats"]] == [tenant.chat_id]
    files = sweep.client.get(f"/v1/chats/{tenant.chat_id}/files", headers=tenant.headers)
    assert (files.status_code, files.json()["files"]) == (200, [])


def test_a_restart_with_the_trees_in_place_and_deep_trash_in_tmp(sweep: Sweep) -> None:
    """A start with every tree in its chat, and in tmp/ what a crash in the middle of
    deleting leaves (a 5,000-level tree, 10,000 files, a FIFO, a socket, a directory
    of mode 000): it is ready, tmp/ is empty, and every workspace's usage is what is on
    disk (the old start failed: 'directory tree deeper than 2048 levels')."""
    tmp = sweep.data_dir / "tmp"
    make_chain(tmp / "crashed.trash" / "deep", 5000, LEAF)
    make_wide(tmp / "crashed.trash" / "wide", 10_000, 1)
    os.mkfifo(tmp / "crashed.trash" / "fifo")
    os.mknod(tmp / "crashed.trash" / "sock", stat.S_IFSOCK | 0o600)
    make_chain(tmp / "closed.trash", 3)
    os.chmod(tmp / "closed.trash", 0)
    sweep.restart()
    assert sweep.temp_entries() == []
    assert "startup failed" not in sweep.server.log
    for tenant in sweep.tenants.values():
        there = on_disk(tenant.directory.parent)
        assert sweep.usage(tenant) == (there.bytes, there.entries)


def assert_gone(sweep: Sweep, tenant: Tenant) -> None:
    assert not os.path.lexists(tenant.directory)
    assert sweep.temp_entries() == []
    answer = sweep.client.get(f"/v1/chats/{tenant.chat_id}", headers=tenant.headers)
    assert answer.status_code == 404


@pytest.mark.parametrize("shape", SHAPES)
def test_deleting_the_chat_leaves_nothing(sweep: Sweep, shape: str) -> None:
    """DELETE of the chat answers 204 and leaves no byte of it, in its workspace or in
    tmp/ (past 2,048 levels the old deletion answered 500 and left both)."""
    tenant = sweep.tenants[shape, "delete"]
    answer = sweep.client.delete(f"/v1/chats/{tenant.chat_id}", headers=tenant.headers)
    assert answer.status_code == 204, answer.text
    assert_gone(sweep, tenant)
    assert sweep.usage(tenant) == (0, 0)


@pytest.mark.parametrize("shape", SHAPES)
def test_pruning_leaves_nothing(sweep: Sweep, shape: str) -> None:
    """Pruning the idle chat deletes it whole."""
    tenant = sweep.tenants[shape, "prune"]
    answer = sweep.client.delete(
        "/v1/chats", params={"updated_before": "2999-01-01T00:00:00Z"}, headers=tenant.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"deleted": [tenant.chat_id], "skipped": []}
    assert_gone(sweep, tenant)
    assert sweep.usage(tenant) == (0, 0)


@pytest.mark.parametrize("shape", SHAPES)
def test_deleting_the_workspace_leaves_nothing(sweep: Sweep, shape: str) -> None:
    """DELETE of the workspace removes its directory whole."""
    tenant = sweep.tenants[shape, "workspace"]
    answer = sweep.client.delete("/v1/workspace", headers=tenant.headers)
    assert answer.status_code == 204, answer.text
    assert_gone(sweep, tenant)
    assert not os.path.lexists(sweep.data_dir / "workspaces" / tenant.workspace_id)


def test_only_empty_workspaces_are_left(sweep: Sweep) -> None:
    """After every deletion, the data directory holds the workspaces whose chats went,
    each an empty `chats/`, and nothing else below workspaces/ or in tmp/."""
    left = sweep.data_dir / "workspaces"
    tenants = sweep.tenants.items()
    kept = {tenant.workspace_id for (_, mode), tenant in tenants if mode != "workspace"}
    assert set(os.listdir(left)) == kept
    assert on_disk(left).entries == 2 * len(kept)
    assert sweep.temp_entries() == []


def chattr(flag: str, path: Path) -> bool:
    try:
        return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def test_a_start_logs_what_it_cannot_remove_and_serves(tmp_path: Path) -> None:
    """A tree left in tmp/ holding an immutable file (chattr +i: not even root may
    unlink it) beside 3,000 levels of directories: the start removes all it can, logs
    the rest and serves."""
    data = tmp_path / "data"
    stuck = data / "tmp" / "stuck.trash"
    make_chain(stuck, 3000)
    (stuck / "immutable").write_bytes(b"x")
    if not chattr("+i", stuck / "immutable"):
        pytest.skip(
            "chattr +i is not available here (no e2fsprogs, or a filesystem without an "
            "immutable flag, such as tmpfs); test_removal.py injects EPERM instead"
        )
    try:
        with RunningServer(data, ready_timeout=START_TIMEOUT) as server:
            assert httpx.get(f"{server.url}/healthz").status_code == 200
        assert "could not remove tmp/stuck.trash, left in place" in server.log
        assert os.listdir(stuck) == ["immutable"]
    finally:
        chattr("-i", stuck / "immutable")
        remove_tree(data)
