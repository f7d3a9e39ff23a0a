"""The repository ports' contract, run against every adapter: what the use cases rely on
holds the same in memory and in a database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chatkeep.bootstrap.metadata import Repositories, in_database, in_memory, mirror_of
from chatkeep.domain.chat import Chat, ChatAttachmentName, ChatFile
from chatkeep.domain.sandbox import SandboxSession
from chatkeep.domain.workspace import Workspace
from chatkeep.repository.sql.engine import open_database, sqlite_url

T0 = datetime(2026, 11, 27, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "sqlite-mirrored", "sqlite-reloaded", "postgresql"])
async def repos(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Repositories]:
    """In memory; in SQLite; in SQLite mirrored in memory (reads from memory); the
    same, reloaded from the database before every read, which shows that every write
    reached the database; and in PostgreSQL, as several processes share it."""
    if request.param == "memory":
        yield in_memory()
        return
    if request.param == "postgresql":
        url = await request.getfixturevalue("postgres").new_database()
    else:
        url = sqlite_url(tmp_path / "metadata.sqlite3")
    engine = await open_database(url)
    if request.param in ("sqlite", "postgresql"):
        yield in_database(engine)
    elif request.param == "sqlite-mirrored":
        yield await mirror_of(engine)
    else:
        yield Reloading(engine)  # type: ignore[misc]
    await engine.dispose()


class Reloading:
    """Repositories whose every call goes to a mirror freshly loaded from the database."""

    def __init__(self, engine: object) -> None:
        self.engine = engine
        self.workspaces = _Reloaded(engine, "workspaces")
        self.chats = _Reloaded(engine, "chats")
        self.files = _Reloaded(engine, "files")
        self.sandboxes = _Reloaded(engine, "sandboxes")


class _Reloaded:
    def __init__(self, engine: object, kind: str) -> None:
        self.engine, self.kind = engine, kind

    def __getattr__(self, name: str) -> object:
        async def call(*args: object, **kwargs: object) -> object:
            fresh = await mirror_of(self.engine)  # type: ignore[arg-type]
            return await getattr(getattr(fresh, self.kind), name)(*args, **kwargs)

        return call


def workspace(quota: int = 1000) -> Workspace:
    return Workspace(uuid.uuid4(), uuid.uuid4(), T0, quota)


def chat(workspace_id: uuid.UUID, at: datetime = T0, title: str | None = None) -> Chat:
    return Chat(uuid.uuid4(), workspace_id, title, at, at)


def chat_file(chat_id: uuid.UUID, name: str, size: int = 1) -> ChatFile:
    return ChatFile(
        uuid.uuid4(), chat_id, ChatAttachmentName(name), "text/plain", size, "ab" * 32, T0, '"e"'
    )


async def test_workspaces_one_per_user(repos: Repositories) -> None:
    """get_or_add keeps the first workspace of a user; save updates; delete forgets."""
    first = workspace()
    assert await repos.workspaces.get_or_add(first) is first
    second = Workspace(uuid.uuid4(), first.user_id, T0, 5)
    assert await repos.workspaces.get_or_add(second) == first
    raised = Workspace(first.workspace_id, first.user_id, T0, 99)
    await repos.workspaces.save(raised)
    assert await repos.workspaces.get_by_user_id(first.user_id) == raised
    assert await repos.workspaces.get(first.workspace_id) == raised
    assert await repos.workspaces.list_all() == [raised]
    await repos.workspaces.delete(first.workspace_id)
    assert await repos.workspaces.get(first.workspace_id) is None
    assert await repos.workspaces.get_by_user_id(first.user_id) is None


async def test_workspaces_keep_their_inode_quota(repos: Repositories) -> None:
    """quota_inodes round-trips, from 0 to 2**63-1, and None (a workspace stored before
    inode quotas) stays None; save changes it."""
    unset = workspace()
    assert unset.quota_inodes is None
    await repos.workspaces.save(unset)
    assert (await repos.workspaces.get(unset.workspace_id)) == unset
    for quota in (0, 7, 2**63 - 1):
        changed = Workspace(unset.workspace_id, unset.user_id, T0, 1000, quota)
        await repos.workspaces.save(changed)
        assert (await repos.workspaces.get(unset.workspace_id)) == changed
        assert (await repos.workspaces.get_by_user_id(unset.user_id)) == changed
    added = Workspace(uuid.uuid4(), uuid.uuid4(), T0, 1, 3)
    assert await repos.workspaces.get_or_add(added) is added
    assert added in await repos.workspaces.list_all()


async def test_chats_round_trip_and_list_in_creation_order(repos: Repositories) -> None:
    """A chat comes back equal, timestamps to the microsecond; ties list in creation order."""
    ws = uuid.uuid4()
    made = [chat(ws, title="é" * 3), chat(ws), chat(ws, T0 - timedelta(days=1))]
    for each in made:
        await repos.chats.save(each)
    await repos.chats.save(chat(uuid.uuid4()))
    assert await repos.chats.get(made[0].chat_id) == made[0]
    assert await repos.chats.list_by_workspace_id(ws) == made


async def test_touch_only_moves_forward_and_describe_keeps_updated_at(
    repos: Repositories,
) -> None:
    """touch moves updated_at to now or just past it; describe changes title and status
    only; both answer None for a chat that is gone."""
    ws = uuid.uuid4()
    one = chat(ws)
    await repos.chats.save(one)
    later = await repos.chats.touch(one.chat_id, T0 + timedelta(seconds=5))
    assert later is not None
    assert later.updated_at == T0 + timedelta(seconds=5)
    same_tick = await repos.chats.touch(one.chat_id, T0)
    assert same_tick is not None
    assert same_tick.updated_at == T0 + timedelta(seconds=5, microseconds=1)
    described = await repos.chats.describe(one.chat_id, "new", "archived")
    assert described is not None
    assert (described.title, described.status) == ("new", "archived")
    assert described.updated_at == same_tick.updated_at
    await repos.chats.delete(one.chat_id)
    assert await repos.chats.get(one.chat_id) is None
    assert await repos.chats.touch(one.chat_id, T0) is None
    assert await repos.chats.describe(one.chat_id, None, "active") is None


async def test_pages_in_both_orders_with_ties_and_status(repos: Repositories) -> None:
    """Pages follow each other from their positions, in either order, ties in creation
    order (reversed with the order), filtered by status."""
    ws = uuid.uuid4()
    made = [chat(ws, T0 + timedelta(seconds=n // 2)) for n in range(7)]
    for each in made:
        await repos.chats.save(each)
    await repos.chats.describe(made[3].chat_id, None, "archived")
    for order, expected in (("created_at", made), ("-updated_at", made[::-1])):
        seen, after = [], None
        while True:
            page, after = await repos.chats.list_page(
                ws,
                status=None,
                order=order,
                after=after,
                limit=3,  # type: ignore[arg-type]
            )
            seen += [c.chat_id for c in page]
            if after is None:
                break
        assert seen == [c.chat_id for c in expected]
    archived, last = await repos.chats.list_page(
        ws, status="archived", order="created_at", after=None, limit=10
    )
    assert ([c.chat_id for c in archived], last) == ([made[3].chat_id], None)


async def test_one_file_per_chat_and_name(repos: Repositories) -> None:
    """Saving a name again replaces the file of that name; files list in upload order;
    updating a file keeps its place."""
    chat_id = uuid.uuid4()
    a, b = chat_file(chat_id, "a.txt"), chat_file(chat_id, "b.txt")
    await repos.files.save(a)
    await repos.files.save(b)
    replacement = chat_file(chat_id, "a.txt", size=7)
    await repos.files.save(replacement)
    assert await repos.files.get(a.file_id) is None
    assert await repos.files.list_by_chat_id(chat_id) == [b, replacement]
    rehashed = ChatFile(b.file_id, chat_id, b.name, None, 2, "cd" * 32, T0, None)
    await repos.files.save(rehashed)
    assert await repos.files.list_by_chat_id(chat_id) == [rehashed, replacement]
    found = await repos.files.get_by_chat_id_and_name(chat_id, ChatAttachmentName("a.txt"))
    assert found == replacement
    await repos.files.delete(replacement.file_id)
    assert await repos.files.list_by_chat_id(chat_id) == [rehashed]
    await repos.files.delete_by_chat_id(chat_id)
    assert await repos.files.list_by_chat_id(chat_id) == []


async def test_save_all_is_saves_in_order(repos: Repositories) -> None:
    """Saving many at once replaces names and updates ids exactly as one save after
    another would: the last of a repeated name wins, an updated file keeps its place."""
    chat_id = uuid.uuid4()
    kept, renamed_later = chat_file(chat_id, "kept.txt"), chat_file(chat_id, "x.txt")
    await repos.files.save_all([kept, renamed_later])
    replacing_kept = chat_file(chat_id, "kept.txt", size=3)
    first_new, second_new = chat_file(chat_id, "new.txt"), chat_file(chat_id, "new.txt", size=9)
    updated = ChatFile(renamed_later.file_id, chat_id, renamed_later.name, None, 5, "ef" * 32, T0)
    between = chat_file(chat_id, "between.txt")
    await repos.files.save_all([replacing_kept, first_new, updated, between, second_new])
    listed = await repos.files.list_by_chat_id(chat_id)
    assert listed == [updated, replacing_kept, between, second_new]
    assert await repos.files.get(kept.file_id) is None
    assert await repos.files.get(first_new.file_id) is None
    await repos.files.save_all([])
    assert await repos.files.list_by_chat_id(chat_id) == listed


async def test_sandbox_sessions_one_per_chat_and_expiry(repos: Repositories) -> None:
    """A chat has at most one session; list_expired answers the workspace's ended leases."""
    ws, chat_a, chat_b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    lasting = SandboxSession("s1", chat_a, ws, T0, None)
    ending = SandboxSession("s2", chat_b, ws, T0, T0 + timedelta(seconds=10))
    await repos.sandboxes.save(lasting)
    await repos.sandboxes.save(ending)
    assert await repos.sandboxes.get_by_chat_id(chat_b) == ending
    assert await repos.sandboxes.list_expired(ws, T0 + timedelta(seconds=9)) == []
    assert await repos.sandboxes.list_expired(ws, T0 + timedelta(seconds=10)) == [ending]
    assert await repos.sandboxes.list_expired(uuid.uuid4(), T0 + timedelta(days=1)) == []
    replaced = SandboxSession("s3", chat_a, ws, T0, None)
    await repos.sandboxes.save(replaced)
    assert await repos.sandboxes.get_by_chat_id(chat_a) == replaced
    await repos.sandboxes.delete_by_chat_id(chat_a)
    assert await repos.sandboxes.get_by_chat_id(chat_a) is None


async def test_active_sandbox_sessions_are_counted_across_workspaces(repos: Repositories) -> None:
    """count_active answers the sessions of every workspace without a lease or whose
    lease ends after the instant asked (for the metrics): an ended lease or a deleted
    session is not counted."""
    lasting = SandboxSession("a", uuid.uuid4(), uuid.uuid4(), T0, None)
    ending = SandboxSession("b", uuid.uuid4(), uuid.uuid4(), T0, T0 + timedelta(seconds=10))
    assert await repos.sandboxes.count_active(T0) == 0
    await repos.sandboxes.save(lasting)
    await repos.sandboxes.save(ending)
    assert await repos.sandboxes.count_active(T0 + timedelta(seconds=9)) == 2
    assert await repos.sandboxes.count_active(T0 + timedelta(seconds=10)) == 1
    await repos.sandboxes.delete_by_chat_id(lasting.chat_id)
    assert await repos.sandboxes.count_active(T0) == 1


def file_at(chat_id: uuid.UUID, name: str, at: datetime) -> ChatFile:
    return ChatFile(uuid.uuid4(), chat_id, ChatAttachmentName(name), None, 1, "ab" * 32, at)


async def walk_files(
    repos: Repositories, chat_id: uuid.UUID, limit: int, between: object = None
) -> list[uuid.UUID]:
    """Every file id page after page; `between`, if given, is awaited after each page."""
    seen: list[uuid.UUID] = []
    after = None
    while True:
        page, after = await repos.files.list_page(chat_id, after=after, limit=limit)
        seen += [f.file_id for f in page]
        if after is None:
            return seen
        assert len(page) == limit
        if between is not None:
            await between()  # type: ignore[operator]


async def test_file_pages_give_every_file_once_oldest_first(repos: Repositories) -> None:
    """Pages of 1000 walk 2,500 files once each, by created_at then creation order (ties
    of one timestamp included), and the last page has no position; other chats' files never
    show; an empty chat is one empty page."""
    chat_id = uuid.uuid4()
    # Batches saved newest first: the order is by time, then by saving.
    made = [file_at(chat_id, f"f{n:04}", T0 + timedelta(seconds=n // 10)) for n in range(2500)]
    for start in reversed(range(0, 2500, 500)):
        await repos.files.save_all(made[start : start + 500])
    await repos.files.save(chat_file(uuid.uuid4(), "elsewhere"))
    assert await walk_files(repos, chat_id, 1000) == [f.file_id for f in made]
    assert await walk_files(repos, chat_id, 2500) == [f.file_id for f in made]
    page, after = await repos.files.list_page(chat_id, after=None, limit=7)
    rest, _ = await repos.files.list_page(chat_id, after=after, limit=3)
    assert [f.file_id for f in page + rest] == [f.file_id for f in made[:10]]
    assert await repos.files.list_page(uuid.uuid4(), after=None, limit=10) == ([], None)
    assert await repos.files.list_by_chat_id(chat_id) == made


async def test_file_pages_stay_stable_while_files_are_added_and_replaced(
    repos: Repositories,
) -> None:
    """Files added, replaced or rehashed during a walk never make it skip or repeat a file
    that existed when it began: new and replaced files come after every existing one (in
    one clock tick too), a rehashed file keeps its place."""
    chat_id = uuid.uuid4()
    existing = [file_at(chat_id, f"e{n}", T0) for n in range(9)]
    await repos.files.save_all(existing)
    added: list[ChatFile] = []

    async def meanwhile() -> None:
        new = file_at(chat_id, f"n{len(added)}", T0)  # the same tick as the existing ones
        added.append(new)
        await repos.files.save(new)
        await repos.files.save(file_at(chat_id, "e8", T0))  # replaces the newest existing
        rehashed = existing[len(added)]
        await repos.files.save(
            ChatFile(rehashed.file_id, chat_id, rehashed.name, None, 9, "cd" * 32, T0)
        )

    seen = await walk_files(repos, chat_id, 2, meanwhile)
    old = [f.file_id for f in existing[:8]]
    assert seen[:8] == old
    assert set(seen[8:]) <= {f.file_id for f in added} | {
        f.file_id for f in await repos.files.list_by_chat_id(chat_id)
    }
    assert len(seen) == len(set(seen))


async def test_numbers_count_only_the_scopes_own_rows(repos: Repositories) -> None:
    """A position numbers a chat within its workspace and a file within its chat: other
    workspaces' and chats' activity never moves it (decision record 022)."""
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    await repos.chats.save(chat(mine))
    for _ in range(5):
        await repos.chats.save(chat(theirs))
    await repos.chats.save(chat(mine))
    _, position = await repos.chats.list_page(
        mine, status=None, order="created_at", after=None, limit=1
    )
    assert position is not None
    assert position.seq == 1
    second, _ = await repos.chats.list_page(
        mine, status=None, order="created_at", after=position, limit=1
    )
    assert len(second) == 1
    my_chat, their_chat = uuid.uuid4(), uuid.uuid4()
    await repos.files.save(chat_file(my_chat, "a"))
    await repos.files.save_all([chat_file(their_chat, str(n)) for n in range(5)])
    await repos.files.save(chat_file(my_chat, "b"))
    _, after = await repos.files.list_page(my_chat, after=None, limit=1)
    assert after is not None
    assert after.seq == 1
    rest, _ = await repos.files.list_page(my_chat, after=after, limit=5)
    assert [f.name.value for f in rest] == ["b"]
