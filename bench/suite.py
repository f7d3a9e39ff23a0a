"""The benchmark suite: chatkeep side by side with nginx and a naive Starlette service.

    python -m bench.suite            # full run: 5 rounds, 1 GiB transfers (make bench)
    python -m bench.suite --smoke    # one round, small sizes, under a minute (make bench-smoke)

Servers run pinned to core 0, load generators (curl, wrk, this process) on core 1.
Systems are interleaved within each round so that drift of the host hits all alike;
ratios are computed pair by pair within a round, then summarised by their median.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench import clients, report
from bench.overhead import QUIET_FLAGS
from bench.peers import Chatkeep, NaiveStarlette, Nginx, Peer, peak_rss_mib, reset_peak_rss

MIB = 1024 * 1024


@dataclass(frozen=True)
class Plan:
    rounds: int
    big_mib: int
    wrk_seconds: int
    file_counts: tuple[int, ...]
    history_sizes: tuple[int, ...]
    probes: int


FULL = Plan(5, 1024, 10, (10, 1_000, 100_000), (1_000, 1_000_000, 100_000_000), 200)
SMOKE = Plan(1, 8, 1, (10, 100), (1_000, 100_000), 20)


@dataclass
class Results:
    """values[metric][system] holds one figure per round."""

    values: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    scaling: dict[str, dict[int, tuple[float, float]]] = field(default_factory=dict)

    def add(self, metric: str, system: str, value: float) -> None:
        self.values[metric][system].append(value)


class Bench:
    def __init__(self, plan: Plan, workdir: Path) -> None:
        self.plan = plan
        self.workdir = workdir
        self.results = Results()
        self.source = workdir / "source.bin"
        self.user = {"X-User-Id": str(uuid.uuid4())}
        # Chats made by the create-chat load live in a workspace of their own, emptied after
        # each round, so that every round's uploads run in a server holding the same
        # metadata (round 5 would otherwise hold 4 x 25,000 more chats than round 1).
        self.creator = {"X-User-Id": str(uuid.uuid4())}
        self.peers: list[Peer] = []

    # set-up

    def make_source(self) -> None:
        block = os.urandom(MIB)
        with open(self.source, "wb") as out:
            for index in range(self.plan.big_mib):
                out.write(block[index % 997 :] + block[: index % 997])

    def start(self) -> None:
        self.chatkeep = Chatkeep(self.workdir / "chatkeep")
        # What the access log and metrics cost, in each round: two more servers, with them
        # (the defaults) and without, that serve only those loads. The first server has
        # served the GiB transfers and everything else by then: measured against the quiet
        # one, its history was part of the difference.
        self.loud = Chatkeep(self.workdir / "loud", name=report.LOUD)
        self.quiet = Chatkeep(self.workdir / "quiet", *QUIET_FLAGS, name=report.QUIET)
        self.naive = NaiveStarlette(self.workdir / "naive")
        self.nginx = Nginx(self.workdir / "nginx") if Nginx.available() else None
        peers = (self.nginx, self.naive, self.chatkeep, self.loud, self.quiet)
        self.peers = [p for p in peers if p is not None]
        for peer in self.peers:
            peer.start()
        os.link(self.source, self.workdir / "naive" / "files" / "big.bin")
        if self.nginx is not None:
            os.link(self.source, self.workdir / "nginx" / "root" / "big.bin")
        self.api = httpx.Client(base_url=self.chatkeep.url, headers=self.user, timeout=600)
        self.api.put(
            "/v1/workspace", json={"quota_bytes": 2**50, "quota_inodes": 2**40}
        ).raise_for_status()
        self.api.put(
            "/v1/workspace", headers=self.creator, json={"quota_inodes": 2**40}
        ).raise_for_status()
        self.chat_id = self.new_chat()
        with open(self.source, "rb") as big:
            stored = self.api.post(f"{self.files}?name=big.bin", content=big)
        stored.raise_for_status()
        self.big_id = stored.json()["files"][0]["file_id"]
        small = self.api.post(f"{self.files}?name=small.txt", content=b"x" * 1024)
        self.small_id = small.json()["files"][0]["file_id"]
        # Each paired server's URL and chat, by its name in the results.
        self.paired: dict[str, tuple[str, str]] = {}
        for name, server in ((report.LOUD, self.loud), (report.QUIET, self.quiet)):
            with httpx.Client(base_url=server.url, headers=self.user, timeout=60) as paired:
                paired.put(
                    "/v1/workspace", json={"quota_bytes": 2**50, "quota_inodes": 2**40}
                ).raise_for_status()
                chat_id = paired.post("/v1/chats", json={}).json()["chat_id"]
            self.paired[name] = (server.url, chat_id)

    def new_chat(self) -> str:
        created = self.api.post("/v1/chats", json={})
        created.raise_for_status()
        return str(created.json()["chat_id"])

    @property
    def files(self) -> str:
        return f"/v1/chats/{self.chat_id}/files"

    def stop(self) -> None:
        for peer in self.peers:
            peer.stop()

    # one round

    def run_round(self) -> None:
        self.transfers()
        self.small_requests()

    def transfers(self) -> None:
        size = self.source.stat().st_size
        ck = self.chatkeep.url
        if self.nginx is not None:
            ngx = self.nginx.url
            self.results.add("download", "nginx", clients.download_mib_s(f"{ngx}/big.bin", size))
        self.results.add(
            "download", "naive", clients.download_mib_s(f"{self.naive.url}/files/big.bin", size)
        )
        content = f"{ck}{self.files}/{self.big_id}/content"
        self.results.add("download", "chatkeep", clients.download_mib_s(content, size, self.user))

        uploads: list[tuple[Peer, str, str, int, dict[str, str]]] = [
            (self.naive, f"{self.naive.url}/upload/up.bin", "POST", 201, {}),
            (self.chatkeep, f"{ck}{self.files}?name=up.bin", "POST", 201, self.user),
        ]
        if self.nginx is not None:
            uploads.insert(0, (self.nginx, f"{self.nginx.url}/up.bin", "PUT", 201, {}))
        for peer, url, method, expected, headers in uploads:
            reset_peak_rss(peer.pid)
            rate = clients.upload_mib_s(url, self.source, method, expected, headers)
            if peer.name == "nginx":
                (self.workdir / "nginx" / "root" / "up.bin").unlink()
            self.results.add("upload", peer.name, rate)
            self.results.add("rss_upload", peer.name, peak_rss_mib(peer.pid))

        for peer, url, headers in [
            (self.naive, f"{self.naive.url}/form", {}),
            (self.chatkeep, f"{ck}{self.files}", self.user),
        ]:
            reset_peak_rss(peer.pid)
            self.results.add(
                "multipart", peer.name, clients.multipart_mib_s(url, self.source, headers)
            )
            self.results.add("rss_multipart", peer.name, peak_rss_mib(peer.pid))

    def small_requests(self) -> None:
        seconds = self.plan.wrk_seconds
        naive = clients.wrk(f"{self.naive.url}/small.json", seconds)
        self.record_wrk("small_json", "naive", naive)
        if self.nginx is not None:
            self.record_wrk(
                "small_json", "nginx", clients.wrk(f"{self.nginx.url}/small.json", seconds)
            )
        ck = self.chatkeep.url
        routes = {
            "get_workspace": (f"{ck}/v1/workspace", "GET", None, {}),
            "get_file": (f"{ck}{self.files}/{self.small_id}", "GET", None, {}),
            "append_history": (
                f"{ck}/v1/chats/{self.chat_id}/history", "POST", "x" * 199 + "\n", {}
            ),
            "create_chat": (
                f"{ck}/v1/chats", "POST", "{}",
                {"Content-Type": "application/json", **self.creator},
            ),
        }  # fmt: skip
        for metric, (url, method, body, extra) in routes.items():
            runs = [("chatkeep", url)]
            if metric in report.QUIET_ROUTES:
                # The same load on the loud and the quiet server, back to back, the quiet
                # one first every other round.
                pair = [
                    (name, url.replace(ck, server_url).replace(self.chat_id, chat_id))
                    for name, (server_url, chat_id) in self.paired.items()
                ]
                if len(self.results.values[f"{metric}:rate"][report.QUIET]) % 2:
                    pair.reverse()
                runs += pair
            for system, target in runs:
                result = clients.wrk(target, seconds, {**self.user, **extra}, method, body)
                self.record_wrk(metric, system, result)
        self.remove_created_chats()

    def remove_created_chats(self) -> None:
        later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        pruned = self.api.delete(
            "/v1/chats", headers=self.creator, params={"updated_before": later}
        )
        pruned.raise_for_status()

    def record_wrk(self, metric: str, system: str, result: clients.WrkResult) -> None:
        assert result.non_2xx == 0, (metric, system, result)
        self.results.add(f"{metric}:rate", system, result.requests_per_s)
        self.results.add(f"{metric}:p50", system, result.p50_ms)
        self.results.add(f"{metric}:p99", system, result.p99_ms)

    # scaling, chatkeep only

    def scaling(self) -> None:
        """Latency against the size of what is stored, probes interleaved across sizes so
        that drift of the host (writeback of the rounds' gigabytes, say) hits all alike."""
        payload = os.urandom(64 * 1024)
        uploads = {}
        for count in self.plan.file_counts:
            client, url = self.workspace_holding(count)
            names = iter([f"{url}?name=probe-{index}" for index in range(self.plan.probes)])
            uploads[count] = (client, names)
        self.results.scaling["upload_64k_by_files"] = clients.interleaved_latency_ms(
            {
                count: (lambda c=client, n=names: c.post(next(n), content=payload))  # type: ignore[misc]
                for count, (client, names) in uploads.items()
            },
            self.plan.probes,
            201,
        )
        line = b"y" * 199 + b"\n"
        appends = {}
        for size in self.plan.history_sizes:
            history = f"/v1/chats/{self.new_chat()}/history"
            self.api.put(history, content=_text_of(size)).raise_for_status()
            appends[size] = history
        self.results.scaling["append_by_history_bytes"] = clients.interleaved_latency_ms(
            {
                size: (lambda h=history: self.api.post(h, content=line))  # type: ignore[misc]
                for size, history in appends.items()
            },
            self.plan.probes,
            200,
        )

    def workspace_holding(self, count: int) -> tuple[httpx.Client, str]:
        """A new user's workspace whose one chat holds `count` attachments (written to its
        directory, then adopted by a rescan): its client and the chat's files URL."""
        client = httpx.Client(
            base_url=self.chatkeep.url, headers={"X-User-Id": str(uuid.uuid4())}, timeout=600
        )
        workspace_id = client.put(
            "/v1/workspace", json={"quota_bytes": 2**50, "quota_inodes": 2**40}
        ).json()["workspace_id"]
        chat_id = client.post("/v1/chats", json={}).json()["chat_id"]
        data = self.workdir / "chatkeep" / "data" / "workspaces" / workspace_id
        directory = data / "chats" / chat_id
        for index in range(count):
            (directory / f"existing-{index:06d}.txt").write_bytes(b"e" * 100)
        client.post(f"/v1/chats/{chat_id}/rescan").raise_for_status()
        return client, f"/v1/chats/{chat_id}/files"


def _text_of(size: int) -> bytes:
    line = b"- a line of the transcript, long enough to look like one.\n"
    return (line * (size // len(line) + 1))[:size]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="one round, small sizes")
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    parser.add_argument("--no-docs", action="store_true", help="print, do not rewrite docs/")
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else FULL
    if args.rounds:
        plan = Plan(args.rounds, *list(plan.__dict__.values())[1:])
    os.sched_setaffinity(0, {1})
    workdir = Path(tempfile.mkdtemp(prefix="chatkeep-bench-", dir=os.environ.get("BENCH_TMP")))
    bench = Bench(plan, workdir)
    started = time.monotonic()

    def progress(step: str) -> None:
        print(f"{step} (at {time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

    try:
        bench.make_source()
        bench.start()
        for round_number in range(plan.rounds):
            progress(f"round {round_number + 1}/{plan.rounds}")
            bench.run_round()
        progress("scaling")
        bench.scaling()
        progress("done")
    finally:
        bench.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    text = report.markdown(bench.results, plan, smoke=args.smoke)
    print(text)
    if not args.no_docs:
        report.write(text, bench.results, smoke=args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
