"""The servers a benchmark compares, each started on a free loopback port, pinned to core 0."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SERVER_CORE = "0"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url}: not ready after {seconds} s")


class Peer:
    name = "peer"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready_path(self) -> str:
        raise NotImplementedError

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.workdir / "server.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            ["taskset", "-c", SERVER_CORE, *self.command()],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.environment()},
        )
        wait_ready(self.url + self.ready_path(), self.process)

    def environment(self) -> dict[str, str]:
        return {}

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Chatkeep(Peer):
    """`chatkeep serve` with its defaults (access log and metrics on), or with `flags`
    added (e.g. --no-access-log --no-metrics for the quiet variant)."""

    name = "chatkeep"

    def __init__(self, workdir: Path, *flags: str, name: str = "chatkeep") -> None:
        super().__init__(workdir)
        self.flags = flags
        self.name = name

    def command(self) -> list[str]:
        data = str(self.workdir / "data")
        return [
            sys.executable,
            "-m",
            "chatkeep",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            data,
            *self.flags,
        ]

    def ready_path(self) -> str:
        return "/healthz"


class NaiveStarlette(Peer):
    name = "naive"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "uvicorn", "bench.naive_app:app", "--port", str(self.port),
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        root = self.workdir / "files"
        root.mkdir(parents=True, exist_ok=True)
        return {"NAIVE_ROOT": str(root)}

    def ready_path(self) -> str:
        return "/small.json"


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
error_log {workdir}/error.log warn;
pid {workdir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_max_body_size 0;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {workdir}/root;
        location = /small.json {{
            default_type application/json;
            return 200 '{{"status":"ok"}}';
        }}
        location / {{
            dav_methods PUT;
            create_full_put_path on;
        }}
    }}
}}
"""


class Nginx(Peer):
    name = "nginx"

    @staticmethod
    def available() -> bool:
        return shutil.which("nginx") is not None

    def command(self) -> list[str]:
        (self.workdir / "root").mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(workdir=self.workdir, port=self.port))
        return ["nginx", "-c", str(conf), "-p", str(self.workdir)]

    def ready_path(self) -> str:
        return "/small.json"


def reset_peak_rss(pid: int) -> None:
    """Writing 5 to clear_refs resets the process's VmHWM to its current RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")
