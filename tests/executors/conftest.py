"""A real two-node Ray cluster on 127.0.0.1 for the session (head + one worker node, 1 CPU each).

Each node is ``ray start --block`` in its own process group with a private temp dir; teardown
kills those process groups, then any leftover process whose command line names that temp dir
(our own raylets/workers only; never ``ray stop``, which would hit every Ray on the machine).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

RAY = Path(sys.executable).with_name("ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(RAY), "start", "--block", *args], stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})


def _node_args() -> list[str]:
    return ["--num-cpus=1", "--node-ip-address=127.0.0.1", "--object-store-memory=120000000",
            f"--dashboard-agent-listen-port={free_port()}",
            f"--dashboard-agent-grpc-port={free_port()}", f"--metrics-export-port={free_port()}",
            f"--runtime-env-agent-port={free_port()}", "--disable-usage-stats"]


def _stop(procs: list[subprocess.Popen], temp: Path) -> None:
    for p in reversed(procs):
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 15
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
    import psutil

    for proc in psutil.process_iter(["pid", "cmdline"]):  # leftovers started under our temp dir
        try:
            if str(temp) in " ".join(proc.info["cmdline"] or []):
                proc.kill()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass


@pytest.fixture(scope="session")
def ray_cluster():
    """RAY_ADDRESS of a fresh 2-node local cluster; skips when Ray is missing or won't start."""
    pytest.importorskip("ray", reason="ray extra not installed (pip install 'forecasthub[ray]')")
    if not RAY.exists():
        pytest.skip(f"ray CLI not found next to {sys.executable}")
    temp = Path(tempfile.mkdtemp(prefix="fhray", dir="/tmp"))
    port = free_port()
    address = f"127.0.0.1:{port}"
    procs = [_start(["--head", f"--port={port}", "--include-dashboard=false",
                     f"--temp-dir={temp}", f"--ray-client-server-port={free_port()}",
                     *_node_args()], temp / "head.log")]
    try:
        _wait_nodes(address, 1, procs, temp)
        procs.append(_start([f"--address={address}", *_node_args()], temp / "node2.log"))
        _wait_nodes(address, 2, procs, temp)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        _stop(procs, temp)
        logs = "".join(p.read_text()[-1500:] for p in temp.glob("*.log"))
        shutil.rmtree(temp, ignore_errors=True)
        pytest.skip(f"could not start a local Ray cluster: {e}\n{logs}")
    yield address
    from forecasthub.executors import reset_executor

    reset_executor()
    _stop(procs, temp)
    shutil.rmtree(temp, ignore_errors=True)


def _wait_nodes(address: str, n: int, procs: list[subprocess.Popen], temp: Path) -> None:
    """Poll (in a subprocess, so this process never holds a Ray connection) until n nodes
    with 1 CPU each are alive."""
    code = ("import ray,sys; ray.init(address=sys.argv[1], logging_level='error');"
            "print(sum(1 for x in ray.nodes() if x['Alive']), int(ray.cluster_resources()"
            ".get('CPU', 0)))")
    deadline = time.monotonic() + 120
    last = ""
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a ray start process exited")
        out = subprocess.run([sys.executable, "-c", code, address], check=False, capture_output=True,
                             text=True, timeout=60)
        last = out.stdout.strip() + out.stderr[-300:]
        if out.returncode == 0 and out.stdout.split()[:2] == [str(n), str(n)]:
            return
        time.sleep(2)
    raise RuntimeError(f"{n} node(s) not up in time: {last}")
