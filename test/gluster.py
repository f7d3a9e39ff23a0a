"""A throwaway GlusterFS volume for the tests: one brick in a temporary directory, mounted
twice through FUSE, standing for the same volume seen from two hosts.

The volume gets the options and the mounts the options that docs/deployment.md requires
for close-to-open consistency; CHATKEEP_GLUSTER_CACHING=on keeps GlusterFS's defaults
instead, to see what breaks without them. Everything is removed at the end: the mounts,
the volume, its brick, and glusterd when this run started it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

COMMAND_SECONDS = 60
# What docs/deployment.md asks of a GlusterFS volume: no client-side cache of attributes
# (stat-prefetch is md-cache), of small files' bytes (quick-read), of lazy opens
# (open-behind), of data (io-cache, read-ahead), and no write-behind.
VOLUME_OPTIONS = {
    "performance.stat-prefetch": "off",
    "performance.quick-read": "off",
    "performance.open-behind": "off",
    "performance.io-cache": "off",
    "performance.read-ahead": "off",
    "performance.write-behind": "off",
}
MOUNT_OPTIONS = "attribute-timeout=0,entry-timeout=0,negative-timeout=0"


def unavailable() -> str | None:
    """Why this machine cannot run a GlusterFS volume, or None when it can."""
    if os.geteuid() != 0:
        return "GlusterFS needs root (glusterd and FUSE mounts); run as root"
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is missing: GlusterFS's client is a FUSE filesystem"
    for binary in ("glusterd", "gluster", "glusterfs"):
        if shutil.which(binary) is None:
            return (
                f"{binary} is not installed; `apt-get install glusterfs-server` "
                "(as .ci/run does) runs these tests"
            )
    return None


class GlusterFailed(RuntimeError):
    """A gluster command failed; the message has its output."""


def _run(*command: str) -> str:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=COMMAND_SECONDS, check=False
    )
    if done.returncode != 0:
        raise GlusterFailed(f"{' '.join(command)}: {(done.stdout + done.stderr).strip()}")
    return done.stdout


def _gluster(*arguments: str) -> str:
    return _run("gluster", "--mode=script", *arguments)


class ThrowawayVolume:
    """One-brick volume `name`, mounted at `mounts[0]` and `mounts[1]`."""

    def __init__(self, *, caching: bool = False) -> None:
        self.caching = caching
        self.name = f"chatkeep-{uuid.uuid4().hex[:12]}"
        self._root = Path(tempfile.mkdtemp(prefix="chatkeep-gluster-"))
        self.mounts = (self._root / "mount-a", self._root / "mount-b")
        self._glusterd_pid: int | None = None
        self._created = self._started = False
        self._mounted: list[Path] = []

    def start(self) -> None:
        self._ensure_glusterd()
        brick = self._root / "brick"
        brick.mkdir()
        # The brick's host must be this machine by a name other than "localhost".
        _gluster("volume", "create", self.name, f"{socket.gethostname()}:{brick}", "force")
        self._created = True
        if not self.caching:
            for option, value in VOLUME_OPTIONS.items():
                _gluster("volume", "set", self.name, option, value)
        _gluster("volume", "start", self.name)
        self._started = True
        for mount in self.mounts:
            mount.mkdir()
            options = [] if self.caching else ["-o", MOUNT_OPTIONS]
            _run("mount", "-t", "glusterfs", *options, f"{socket.gethostname()}:/{self.name}",
                 str(mount))  # fmt: skip
            self._mounted.append(mount)
        if os.stat(self.mounts[0]).st_dev == os.stat(self.mounts[1]).st_dev:
            raise GlusterFailed("the two mounts share a device number: not two clients")

    def _ensure_glusterd(self) -> None:
        try:
            _gluster("volume", "list")
            return
        except (GlusterFailed, subprocess.TimeoutExpired):
            pass
        process = subprocess.run(
            ["glusterd", "--pid-file", str(self._root / "glusterd.pid")],
            capture_output=True, text=True, timeout=COMMAND_SECONDS, check=False,
        )  # fmt: skip
        if process.returncode != 0:
            raise GlusterFailed(f"glusterd: {(process.stdout + process.stderr).strip()}")
        self._glusterd_pid = int((self._root / "glusterd.pid").read_text())
        deadline = time.monotonic() + COMMAND_SECONDS
        while True:
            try:
                _gluster("volume", "list")
                return
            except (GlusterFailed, subprocess.TimeoutExpired):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        for mount in reversed(self._mounted):
            if subprocess.run(["umount", str(mount)], capture_output=True).returncode:
                subprocess.run(["umount", "-l", str(mount)], capture_output=True)
        self._mounted.clear()
        if self._started:
            subprocess.run(["gluster", "--mode=script", "volume", "stop", self.name, "force"],
                           capture_output=True, timeout=COMMAND_SECONDS)  # fmt: skip
        if self._created:
            subprocess.run(["gluster", "--mode=script", "volume", "delete", self.name],
                           capture_output=True, timeout=COMMAND_SECONDS)  # fmt: skip
        if self._glusterd_pid is not None:
            os.kill(self._glusterd_pid, signal.SIGTERM)
        shutil.rmtree(self._root, ignore_errors=True)
