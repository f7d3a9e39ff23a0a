"""A throwaway PostgreSQL server for the tests: initdb in a temporary directory, a free
loopback port, a bounded wait for readiness, stopped and removed at the end."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

START_SECONDS = 30


def server_binaries() -> Path | None:
    """The directory holding initdb and postgres, or None when they are not installed."""
    found = shutil.which("initdb")
    if found is not None:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    return Path(candidates[-1]).parent if candidates else None


def _major(path: str) -> int:
    version = Path(path).parent.parent.name
    return int(version) if version.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayPostgres:
    def __init__(self, binaries: Path) -> None:
        self._bin = binaries
        self._root = Path(tempfile.mkdtemp(prefix="chatkeep-pg-"))
        self._user: int | None = None
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: the server and its files get a plain user.
            account = pwd.getpwnam("postgres" if _has_user("postgres") else "nobody")
            self._user = account.pw_uid
            os.chown(self._root, account.pw_uid, account.pw_gid)
        data = self._root / "data"
        self._run(
            [str(self._bin / "initdb"), "-D", str(data), "-U", "chatkeep", "--auth=trust",
             "-E", "UTF8", "--no-sync", "--no-instructions"]
        )  # fmt: skip
        self._log = open(self._root / "server.log", "ab")  # noqa: SIM115
        self._process = subprocess.Popen(
            [str(self._bin / "postgres"), "-D", str(data), "-p", str(self.port),
             "-k", str(self._root), "-c", "listen_addresses=127.0.0.1",
             "-c", "max_connections=300",
             # Tests need no crash safety from their database.
             "-c", "fsync=off", "-c", "full_page_writes=off"],
            stdout=self._log, stderr=subprocess.STDOUT, user=self._user,
        )  # fmt: skip
        self._wait_ready()

    def _run(self, command: list[str]) -> None:
        subprocess.run(command, check=True, capture_output=True, user=self._user)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"postgres exited: {self.log_tail()}")
            ready = subprocess.run(
                [str(self._bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"postgres not ready after {START_SECONDS} s: {self.log_tail()}")

    def log_tail(self) -> str:
        return (self._root / "server.log").read_text(errors="replace")[-2000:]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://chatkeep@127.0.0.1:{self.port}/{database}"

    async def new_database(self) -> str:
        """A fresh, empty database; answers its URL."""
        import asyncpg

        name = f"t_{uuid.uuid4().hex}"
        connection = await asyncpg.connect(f"postgresql://chatkeep@127.0.0.1:{self.port}/postgres")
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        return self.url(name)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)  # fast shutdown: clients are cut off
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None:
            self._log.close()
        shutil.rmtree(self._root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
