"""What the benchmark scripts share: a free loopback port, waiting for a server they started, the machine line."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_url(url: str, server: subprocess.Popen, name: str, seconds: float = 120, log: Path | None = None) -> None:
    """Return once `url` answers; exit with one line when the server dies or stays silent for `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if server.poll() is not None:
            tail = log.read_text()[-2000:] if log is not None and log.is_file() else ""
            raise SystemExit(f"the {name} exited: {tail}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"the {name} did not answer within {seconds:.0f} s")


def machine_line() -> str:
    """"machine: AMD EPYC, 2 cores": every figure names the CPU it ran on (`run_benchmark.machine_info`)."""
    from run_benchmark import machine_info

    machine = machine_info()
    return f"machine: {machine['cpu_model']}, {machine['usable_cores'] or os.cpu_count()} cores"
