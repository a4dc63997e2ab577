"""Shared pieces of the benchmarks: the real web process, ports, percentiles, memory."""
import contextlib
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, pct) -> float:
    """The nearest-rank percentile of `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


@contextlib.contextmanager
def start_web(env, port, cwd, workers=1):
    """Run the Procfile's web process (gunicorn) on `port`; yield it once it answers.

    Rate limits are off: a benchmark calls far faster than Zendesk would, on purpose.
    """
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers",
               str(workers), "--bind", f"127.0.0.1:{port}", "plugin:create_app()"]
    env = {**os.environ, "MURMUR_RATELIMIT_ENABLED": "false", **env}
    process = subprocess.Popen(command, cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/channel/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the web process did not start:\n"
                                   + process.stderr.read().decode(errors="replace"))
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_pids(master_pid) -> list[int]:
    """The gunicorn worker processes under `master_pid`."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def peak_rss_mb(pid) -> float:
    """A process's peak resident memory (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")
