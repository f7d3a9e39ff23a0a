"""Removing trees a sandbox may plant: any depth, any kind of entry, modes that keep
the owner out; links unlinked and their targets untouched."""

from __future__ import annotations

import logging
import os
import resource
import socket
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatkeep.storage import removal
from chatkeep.storage.files import DIR_FLAGS
from chatkeep.storage.removal import remove_entry, remove_leftover
from chatkeep.storage.tree import TreeSize
from test.disk import FailingRmdir, built_chains, make_chain, make_wide, on_disk

DEPTHS = [1, 2047, 2048, 2049, 5000]
LEAF = b"leaf bytes"


def remove(path: Path, **options: Any) -> TreeSize:
    parent = os.open(path.parent, DIR_FLAGS)
    try:
        return remove_entry(parent, path.name, **options)
    finally:
        os.close(parent)


@pytest.fixture(scope="module")
def chains(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, Path]]:
    """One chain of directories per depth, a 10-byte file at its bottom; built once,
    each removed by one test."""
    with built_chains(tmp_path_factory.mktemp("chains"), DEPTHS, LEAF) as built:
        yield built


@pytest.mark.parametrize("depth", DEPTHS)
def test_a_tree_of_any_depth_is_removed_and_counted(chains: dict[int, Path], depth: int) -> None:
    """Every level goes, and what went is counted: the chain's directories, its leaf and
    the leaf's bytes (past 2,048 levels the old removal raised ELOOP)."""
    assert remove(chains[depth], counted=True) == TreeSize(len(LEAF), depth + 2)
    assert not chains[depth].exists()


def test_links_are_unlinked_and_their_targets_kept(tmp_path: Path) -> None:
    """Symlinks to a host directory and a host file, FIFOs and sockets inside the tree
    are unlinked; the targets and their contents are untouched."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_bytes(b"keep")
    top = tmp_path / "top"
    (top / "sub").mkdir(parents=True)
    (top / "sub" / "link").symlink_to(outside)
    (top / "file-link").symlink_to(outside / "keep")
    os.mkfifo(top / "sub" / "fifo")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(top / "sock"))
    before = os.stat(outside / "keep")
    remove(top)
    remove(tmp_path / "missing")  # absent entries are fine
    assert not top.exists()
    assert (outside / "keep").read_bytes() == b"keep"
    assert os.stat(outside / "keep").st_mtime_ns == before.st_mtime_ns
    assert os.listdir(outside) == ["keep"]


def test_a_symlink_in_place_of_the_tree_is_unlinked_not_followed(tmp_path: Path) -> None:
    """The entry to remove is itself a symlink to a directory: the link goes, the
    directory and what it holds stay."""
    target = tmp_path / "target"
    make_chain(target, 3, LEAF)
    (tmp_path / "link").symlink_to(target)
    assert remove(tmp_path / "link", counted=True) == TreeSize(0, 1)
    assert not (tmp_path / "link").exists()
    assert on_disk(target).bytes == len(LEAF)


def test_hard_links_count_once_in_what_is_removed(tmp_path: Path) -> None:
    """Two links to one file in the tree free its bytes once."""
    top = tmp_path / "top"
    (top / "a").mkdir(parents=True)
    (top / "file").write_bytes(b"x" * 100)
    os.link(top / "file", top / "a" / "again")
    assert remove(top, counted=True) == TreeSize(100, 3)  # top, a, the file


def test_modes_that_keep_the_owner_out_do_not_stop_removal(tmp_path: Path) -> None:
    """Directories of mode 000, 0500 and 0100 and a file of mode 000, as root."""
    top = tmp_path / "top"
    for mode in (0o000, 0o500, 0o100):
        make_chain(top / f"m{mode:o}", 3, LEAF)
    (top / "m0" / "d" / "closed").write_bytes(b"closed")
    os.chmod(top / "m0" / "d" / "closed", 0)
    for mode in (0o000, 0o500, 0o100):
        os.chmod(top / f"m{mode:o}" / "d", mode)
        os.chmod(top / f"m{mode:o}", mode)
    remove(top)
    assert not top.exists()


def sandbox_tree(top: Path) -> None:
    """What a sandbox running as the owner can do: directories it may not enter."""
    for mode in (0o000, 0o500, 0o100):
        (top / f"m{mode:o}" / "inner").mkdir(parents=True)
        (top / f"m{mode:o}" / "inner" / "file").write_bytes(b"x")
        os.chmod(top / f"m{mode:o}" / "inner", mode)
        os.chmod(top / f"m{mode:o}", mode)


def as_nobody(directory: Path, action: Callable[[], None]) -> int:
    """Run `action` in a child process as uid/gid 65534, in `directory` (entered first:
    the directories above it need not let that user in); answer its exit status."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(directory)
            os.setgid(65534)
            os.setuid(65534)
            action()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
def test_modes_that_keep_the_owner_out_do_not_stop_a_non_root_owner(tmp_path: Path) -> None:
    """As an unprivileged owner (EACCES is real then): directories of mode 000, 0500
    and 0100 are given 0700 and removed (the old removal failed with EACCES)."""
    base = tmp_path / "nobody"
    base.mkdir()
    os.chown(base, 65534, 65534)

    def build_then_remove() -> None:
        sandbox_tree(Path("top"))
        remove(Path(".") / "top")

    assert as_nobody(base, build_then_remove) == 0
    assert os.listdir(base) == []


def test_a_wide_tree_holds_few_descriptors(tmp_path: Path) -> None:
    """Thousands of sibling directories are removed without opening them all at once
    (the process allows fewer descriptors than there are siblings)."""
    top = tmp_path / "wide"
    for index in range(3000):
        make_wide(top / f"d{index}", 1, 1)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    already_open = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (already_open + 200, hard))
    try:
        assert remove(top, counted=True) == TreeSize(3000, 6000 + 1)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert not top.exists()


def test_what_cannot_be_removed_at_start_up_is_logged_and_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """remove_leftover answers False and logs the entry and the error instead of raising;
    everything else in the tree is gone."""
    make_chain(tmp_path / "x.trash", 5, LEAF)
    (tmp_path / "x.trash" / "stuck").mkdir()
    monkeypatch.setattr(removal, "os", FailingRmdir("stuck"))
    parent = os.open(tmp_path, DIR_FLAGS)
    try:
        with caplog.at_level(logging.WARNING, "chatkeep.storage"):
            assert not remove_leftover(parent, "x.trash", "tmp")
    finally:
        os.close(parent)
    assert "could not remove tmp/x.trash" in caplog.text
    assert os.listdir(tmp_path / "x.trash") == ["stuck"]
