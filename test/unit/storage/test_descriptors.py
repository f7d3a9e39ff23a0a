"""The process's budget of descriptors for walks: grants taken whole and in turn, and
walks side by side within it under a low RLIMIT_NOFILE."""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatkeep.storage.descriptors import (
    LIMIT_SHARE,
    WALK_DESCRIPTORS,
    DescriptorBudget,
    size_for_limit,
)
from chatkeep.storage.files import DIR_FLAGS
from chatkeep.storage.removal import remove_entry
from chatkeep.storage.tree import TreeSize, measure
from test.disk import make_chain, remove_tree


def test_a_grant_waits_until_it_fits_and_in_turn() -> None:
    """A grant larger than what is free waits; one asked later, though it would fit,
    waits behind it; both get theirs once the first is given back."""
    budget = DescriptorBudget(WALK_DESCRIPTORS * 2)
    order: list[str] = []
    first = budget.take(WALK_DESCRIPTORS + 5)
    first.__enter__()

    def take(name: str, count: int) -> None:
        with budget.take(count):
            order.append(name)

    big = threading.Thread(target=take, args=("big", WALK_DESCRIPTORS))
    big.start()
    time.sleep(0.1)
    small = threading.Thread(target=take, args=("small", 1))
    small.start()
    time.sleep(0.1)
    assert order == []  # small would fit, but big asked first
    first.__exit__(None, None, None)
    big.join(5)
    small.join(5)
    assert order == ["big", "small"]
    assert budget.in_use == 0
    assert budget.peak == WALK_DESCRIPTORS + 5


def test_the_budget_is_a_share_of_the_limit() -> None:
    """A quarter of RLIMIT_NOFILE, never less than one walk, capped when unlimited."""
    assert size_for_limit(20_000) == 20_000 // LIMIT_SHARE
    assert size_for_limit(40) == WALK_DESCRIPTORS
    assert size_for_limit(resource.RLIM_INFINITY) == size_for_limit(2**40)


@pytest.fixture(scope="module")
def deep_trees(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Path]]:
    """Eight trees 2,040 levels deep (the tester's shape), each with bytes at the bottom."""
    base = tmp_path_factory.mktemp("deep")
    trees = [base / f"t{index}" for index in range(8)]
    for tree in trees:
        make_chain(tree, 2040, b"x" * 100)
    yield trees
    remove_tree(base)


def test_eight_deep_walks_at_once_stay_within_a_low_limit(deep_trees: list[Path]) -> None:
    """Eight threads measure then remove a 2,040-level tree each, with the process
    limited to what is open plus three walks' grants: no EMFILE (the old walk held two
    descriptors a level: 8 x 4,080), and never more open than the budget allows."""
    budget = DescriptorBudget(3 * WALK_DESCRIPTORS)
    open_before = len(os.listdir("/proc/self/fd"))
    peak = [open_before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], len(os.listdir("/proc/self/fd")) - 1)  # not its own
            time.sleep(0.001)

    results: list[TreeSize | BaseException] = []

    def walk(tree: Path) -> None:
        try:
            fd = os.open(tree, DIR_FLAGS)
            try:
                size = measure(fd, budget=budget)
            finally:
                os.close(fd)
            parent = os.open(tree.parent, DIR_FLAGS)
            try:
                removed = remove_entry(parent, tree.name, counted=True, budget=budget)
            finally:
                os.close(parent)
            results.append(size if removed == TreeSize(100, 2042) else AssertionError(removed))
        except BaseException as error:
            results.append(error)

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Room for the budget, each thread's own root descriptor, and the sampler's listing.
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_before + budget.size + 8 + 2, hard))
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        threads = [threading.Thread(target=walk, args=(tree,)) for tree in deep_trees]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
    finally:
        done.set()
        sampler.join()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert results == [TreeSize(100, 2041)] * 8
    assert budget.peak == budget.size  # the walks did wait for each other
    assert peak[0] <= open_before + budget.size + 8
    assert not any(tree.exists() for tree in deep_trees)
