"""A real `chatkeep serve` process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

READY = re.compile(r"chatkeep ready on (http://[\d.]+:\d+)")


class RunningServer:
    def __init__(
        self,
        data_dir: Path,
        *args: str,
        env: dict[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
        ready_timeout: float = 20,
    ) -> None:
        """`preexec_fn` runs in the child before the server starts (e.g. to lower its
        resource limits); `ready_timeout` is how long its start may take, in seconds."""
        self.data_dir = data_dir
        command = [sys.executable, "-m", "chatkeep", "serve", "--port", "0"]
        command += ["--data-dir", str(data_dir), *args]
        self.process = subprocess.Popen(
            command,
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
            preexec_fn=preexec_fn,
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.url = ""
        threading.Thread(target=self._read_stderr, daemon=True).start()
        if not self._ready.wait(timeout=ready_timeout):
            self.stop()
            raise RuntimeError("server did not become ready:\n" + self.log)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            match = READY.search(line)
            if match:
                self.url = match.group(1)
                self._ready.set()

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def stop(self, signal_number: int | None = None) -> int:
        if signal_number is None:
            self.process.terminate()
        else:
            self.process.send_signal(signal_number)
        code = self.process.wait(timeout=20)
        time.sleep(0.1)  # let the reader thread drain the last lines
        return code

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.stop()
