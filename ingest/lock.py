"""One writer at a time per store: an exclusive lock on `STORE/write.lock` that ingest, remove and a move to a
Chroma server hold while they write.

The lock is the operating system's (`flock`), so it goes with the process that held it, however that process
ends: a writer killed with SIGKILL leaves no stale lock. The file also says who holds the lock and since when, so
a second writer can say what it is waiting for.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

LOCK_FILE = "write.lock"


class StoreBusyError(RuntimeError):
    """Another writer holds the store and the caller chose not to wait."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another writer"
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.get("since", 0)))
    return f"{info.get('command', 'another writer')} (pid {info.get('pid', '?')}) since {since}"


@contextmanager
def store_write_lock(store_dir: Path, command: str, wait: bool = True,
                     on_wait: Callable[[str], None] = lambda message: print(message, file=sys.stderr, flush=True)
                     ) -> Iterator[None]:
    """Hold the store's write lock for the block. A second writer waits (saying once whom for) or, with
    `wait=False`, raises StoreBusyError naming the holder."""
    store_dir.mkdir(parents=True, exist_ok=True)
    path = store_dir / LOCK_FILE
    handle = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(path)
            if not wait:
                raise StoreBusyError(f"the store at {store_dir} is being written by {holder}; try again when it is done")
            on_wait(f"policyqa: waiting for {holder}, which is writing to the store at {store_dir}")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "command": command, "since": time.time()}))
        handle.flush()
        yield
    finally:
        handle.close()  # closing the file releases the lock
