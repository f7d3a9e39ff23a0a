"""What one client of a shared filesystem sees of another's writes: a file appended to,
then replaced, through mount A, opened at once through mount B, ROUNDS times each.
Counts the stale sizes (lstat, fstat), stale reads and ESTALE errors, as the deployment
guide reports them for GlusterFS's caching options (docs/deployment.md, "Consistency").

    python -m bench.gluster_probe /mnt/a /mnt/b
"""

from __future__ import annotations

import errno
import os
import sys
import time
import uuid

ROUNDS = 20


def main(first: str, second: str) -> None:
    name = f"probe-{uuid.uuid4().hex}"
    os.mkdir(f"{first}/{name}")
    a, b = f"{first}/{name}/h.md", f"{second}/{name}/h.md"
    with open(a, "wb") as new:
        new.write(b"x" * 10)
    time.sleep(1.5)  # past every cache timeout, then warm B's caches
    os.stat(b)
    with open(b, "rb") as warm:
        warm.read()
    stale_lstat = stale_fstat = stale_read = 0
    for _ in range(ROUNDS):
        fd = os.open(a, os.O_WRONLY | os.O_APPEND)
        os.write(fd, b"y" * 7)
        os.fsync(fd)
        os.close(fd)
        real = os.stat(a).st_size
        stale_lstat += os.stat(b).st_size != real
        fd = os.open(b, os.O_RDONLY)
        stale_fstat += os.fstat(fd).st_size != real
        stale_read += len(os.pread(fd, 1 << 20, 0)) != real
        os.close(fd)
    print(f"append : stale lstat {stale_lstat}, stale fstat {stale_fstat}, "
          f"stale read {stale_read} of {ROUNDS}")  # fmt: skip
    estale = wrong = 0
    for index in range(ROUNDS):
        body = f"v{index} ".encode() * 5
        with open(f"{first}/{name}/t", "wb") as temp:
            temp.write(body)
            temp.flush()
            os.fsync(temp.fileno())
        os.rename(f"{first}/{name}/t", a)
        try:
            fd = os.open(b, os.O_RDONLY)
            try:
                wrong += os.pread(fd, 1 << 20, 0) != body
            finally:
                os.close(fd)
        except OSError as error:
            if error.errno != errno.ESTALE:
                raise
            estale += 1
    print(f"replace: ESTALE {estale}, old bytes {wrong} of {ROUNDS}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
