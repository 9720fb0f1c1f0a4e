"""Fixtures: a real cluster per session, clients, and a per-test watchdog."""

from __future__ import annotations

import atexit
import faulthandler
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the zaf package
sys.path.insert(0, str(Path(__file__).resolve().parent))       # cluster.py

import zaf  # noqa: E402
import cluster  # noqa: E402

#: Seconds any one test may take before the watchdog ends the run
TEST_DEADLINE = float(os.environ.get("ZAF_TEST_DEADLINE", "120"))


def pytest_configure(config: pytest.Config) -> None:
    # Keys only where a test names them: none from the environment or from
    # ~/.config/zaf/keys (an exported ZAF_KEY_DIR would make the clients and
    # nodes of the plaintext clusters speak CURVE)
    for name in ("ZAF_KEY", "ZAF_BROKER_KEY"):
        os.environ.pop(name, None)
    empty = tempfile.mkdtemp(prefix="zaf-pytest-nokeys-")
    atexit.register(shutil.rmtree, empty, True)
    os.environ["ZAF_KEY_DIR"] = empty
    missing = [str(path) for path in
               [cluster.BIN_DIR / "zaf-broker", cluster.BIN_DIR / "zaf-node"]
               + [cluster.LIB_DIR / module for module in cluster.MODULES]
               if not path.exists()]
    if missing:
        raise pytest.UsageError("build zaf first (or set ZAF_BIN_DIR/ZAF_LIB_DIR): missing "
                                + ", ".join(missing))


@pytest.fixture(autouse=True)
def watchdog(request: pytest.FixtureRequest) -> Iterator[None]:
    """Bound every test in time: past TEST_DEADLINE, print every thread's
    stack, kill the processes the tests started, and exit."""
    def expire() -> None:
        sys.stderr.write(f"\n{request.node.nodeid}: over {TEST_DEADLINE} s, giving up\n")
        faulthandler.dump_traceback(all_threads=True)
        cluster.kill_all()
        os._exit(3)

    timer = threading.Timer(TEST_DEADLINE, expire)
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()


@pytest.fixture(scope="session")
def shared_cluster() -> Iterator[cluster.Cluster]:
    """One broker and two nodes for the tests that do not break them."""
    running = cluster.Cluster(nodes=2)
    yield running
    running.stop()


@pytest.fixture
def own_cluster() -> Iterator[cluster.Cluster]:
    """A broker and one node of the test's own, for tests that kill them."""
    running = cluster.Cluster(nodes=1)
    yield running
    running.stop()


@pytest.fixture
def client(shared_cluster: cluster.Cluster) -> Iterator[zaf.Client]:
    c = zaf.Client(shared_cluster.endpoint, name="pytest")
    yield c
    c.shutdown()


@pytest.fixture
def default_client(shared_cluster: cluster.Cluster) -> Iterator[zaf.Client]:
    """The module-level API's default client."""
    c = zaf.init(shared_cluster.endpoint, name="pytest-default")
    yield c
    zaf.shutdown()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    cluster.kill_all()
