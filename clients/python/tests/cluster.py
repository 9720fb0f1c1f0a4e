"""Start a real zaf cluster (zaf-broker and zaf-node processes from the C
build) for the tests and the examples.

The programs come from $ZAF_BIN_DIR and the modules from $ZAF_LIB_DIR
(default: build/bin and build/lib of this repository). The broker binds
tcp://127.0.0.1:0 and prints "listening ENDPOINT", which gives the port.
Every process is stopped by its pid; every wait has a deadline. Their
logs go to a temporary directory, removed when the cluster stops unless
ZAF_TEST_KEEP_LOGS is set.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, List, Optional

REPO = Path(__file__).resolve().parents[3]
BIN_DIR = Path(os.environ.get("ZAF_BIN_DIR", REPO / "build" / "bin"))
LIB_DIR = Path(os.environ.get("ZAF_LIB_DIR", REPO / "build" / "lib"))
MODULES = ["libzaf_test_actors.so", "libparam_server.so", "libtree_of_actors.so",
           "libmessage_actor.so"]

#: Every child process still running, by pid (the watchdog kills them)
LIVE: "dict[int, subprocess.Popen[bytes]]" = {}


def wait_for(condition: Callable[[], object], timeout: float, what: str,
             step: float = 0.02) -> object:
    """Poll condition() until it is truthy or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


def stop(proc: "subprocess.Popen[bytes]", sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Signal one process by pid and reap it; SIGKILL if it lingers."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)
    LIVE.pop(proc.pid, None)


def kill_all() -> None:
    for proc in list(LIVE.values()):
        stop(proc, signal.SIGKILL, 5)


def keygen(key_dir: str, role: str, name: str) -> None:
    """zaf keygen --role ROLE --out KEY_DIR NAME (bounded in time)."""
    subprocess.run([str(BIN_DIR / "zaf"), "keygen", "--role", role, "--out", key_dir, name],
                   check=True, timeout=30, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL)


def make_keys(key_dir: str) -> str:
    """A cluster's keys as the topology scripts write them: broker, node,
    driver and admin in KEY_DIR."""
    for role in ("broker", "node", "driver", "admin"):
        keygen(key_dir, role, role)
    return key_dir


class Cluster:
    """One broker and some nodes on 127.0.0.1."""

    def __init__(self, nodes: int = 2, heartbeat_ms: int = 1000,
                 log_dir: Optional[str] = None,
                 modules: Optional[List[str]] = None,
                 key_dir: Optional[str] = None) -> None:
        self.heartbeat_ms = heartbeat_ms
        #: With a key directory (make_keys), the broker runs with --keys
        #: and each node with the key node.cert_secret
        self.key_dir = key_dir
        self.modules = list(MODULES if modules is None else modules)
        self.own_log_dir = log_dir is None
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="zaf-pytest-"))
        self.broker: Optional[subprocess.Popen[bytes]] = None
        self.nodes: List[subprocess.Popen[bytes]] = []
        self.endpoint = ""
        try:
            self.start_broker("tcp://127.0.0.1:0")
            for index in range(nodes):
                self.start_node(f"node-{index + 1}")
            self.wait_nodes(nodes)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, argv: List[str], log_name: str, stdout_pipe: bool = False
               ) -> "subprocess.Popen[bytes]":
        log = open(self.log_dir / log_name, "ab")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE if stdout_pipe else log,
                                stderr=log)
        log.close()
        LIVE[proc.pid] = proc
        return proc

    def start_broker(self, bind: str) -> None:
        """Start zaf-broker on bind and read the endpoint it prints."""
        argv = [str(BIN_DIR / "zaf-broker"), "--bind", bind,
                "--heartbeat-ms", str(self.heartbeat_ms)]
        if self.key_dir is not None:
            argv += ["--keys", self.key_dir]
        proc = self._spawn(argv, "broker.log", True)
        self.broker = proc
        line: List[bytes] = []
        reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        reader.join(30)
        text = line[0].decode().strip() if line else ""
        if not text.startswith("listening "):
            raise AssertionError(f"zaf-broker did not say where it listens: {text!r}")
        self.endpoint = text.split(" ", 1)[1]
        # Keep its stdout drained
        threading.Thread(target=lambda: proc.stdout.read(), daemon=True).start()  # type: ignore[union-attr]

    def start_node(self, name: str) -> "subprocess.Popen[bytes]":
        argv = [str(BIN_DIR / "zaf-node"), "--broker", self.endpoint, "--name", name,
                "--cpus", "4"]
        if self.key_dir is not None:
            argv += ["--broker-key", os.path.join(self.key_dir, "broker.cert"),
                     "--key", os.path.join(self.key_dir, "node.cert_secret")]
        for module in self.modules:
            argv += ["--module", str(LIB_DIR / module)]
        proc = self._spawn(argv, f"{name}.log")
        self.nodes.append(proc)
        return proc

    def node_count(self) -> int:
        import zaf
        try:
            security = zaf.SecurityOptions(key_dir=self.key_dir) if self.key_dir else None
            with zaf.Client(self.endpoint, connect_timeout=2.0, name="pytest-probe",
                            security=security) as probe:
                return len(probe.status(timeout=2.0).get("nodes", []))
        except zaf.ZafError:
            return -1

    def wait_nodes(self, count: int, timeout: float = 30.0) -> None:
        wait_for(lambda: self.node_count() == count, timeout,
                 f"{count} nodes to join", step=0.1)

    def kill_broker(self) -> None:
        assert self.broker is not None
        stop(self.broker, signal.SIGKILL)

    def restart_broker(self) -> None:
        """A new broker on the same endpoint (the nodes dial it again)."""
        self.start_broker(self.endpoint)

    def stop(self) -> None:
        for proc in self.nodes:
            stop(proc)
        if self.broker is not None:
            stop(self.broker)
        self.nodes = []
        self.broker = None
        if self.own_log_dir and not os.environ.get("ZAF_TEST_KEEP_LOGS"):
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(f"== {path.name}\n{path.read_text(errors='replace')[-4000:]}"
                         for path in sorted(self.log_dir.glob("*.log")))
