"""The Python client against a secured cluster: a zaf-broker started with
--keys and a zaf-node with a node key, the keys written by `zaf keygen`."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

import zaf
import cluster
from cluster import wait_for
from zaf.client import read_cert

#: A refused handshake must fail well inside this (the handshake timeout
#: is 5 s; a refusal is reported as soon as libzmq sees it)
REFUSED_WITHIN = 5.0


@pytest.fixture(scope="module")
def keys() -> Iterator[Path]:
    """The cluster's keys, and in outside/ keys the broker does not know:
    another broker's pair and a driver key never added."""
    root = Path(tempfile.mkdtemp(prefix="zaf-pytest-keys-"))
    cluster.make_keys(str(root / "cluster"))
    cluster.keygen(str(root / "outside"), "broker", "other-broker")
    cluster.keygen(str(root / "outside"), "driver", "stranger")
    (root / "empty").mkdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def secure_cluster(keys: Path) -> Iterator[cluster.Cluster]:
    running = cluster.Cluster(nodes=1, key_dir=str(keys / "cluster"))
    yield running
    running.stop()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, keys: Path) -> pytest.MonkeyPatch:
    """No key named in the environment, and an empty key directory."""
    monkeypatch.delenv("ZAF_BROKER_KEY", raising=False)
    monkeypatch.delenv("ZAF_KEY", raising=False)
    monkeypatch.setenv("ZAF_KEY_DIR", str(keys / "empty"))
    return monkeypatch


def refused(endpoint: str, security: "zaf.SecurityOptions | None") -> "tuple[str, float]":
    """Connect, expect UNAUTHORIZED; the message and the time it took."""
    start = time.monotonic()
    with pytest.raises(zaf.UnauthorizedError) as caught:
        zaf.Client(endpoint, name="pytest-refused", connect_timeout=15.0,
                   security=security)
    return caught.value.message, time.monotonic() - start


def handshakes_refused(endpoint: str, key_dir: Path) -> int:
    with zaf.Client(endpoint, name="pytest-admin", role="cli",
                    security=zaf.SecurityOptions(key_dir=key_dir)) as admin:
        return int(admin.status(timeout=10)["counters"]["handshakes_refused"])


def test_read_cert_reads_zaf_keygen_files(keys: Path) -> None:
    public, secret = read_cert(str(keys / "cluster" / "driver.cert"))
    assert len(public) == 40 and secret is None
    public_too, secret = read_cert(str(keys / "cluster" / "driver.cert_secret"))
    assert public_too == public and secret is not None and len(secret) == 40
    bad = keys / "empty" / "bad.cert"
    bad.write_text("curve\n    public-key = \"short\"\n")
    try:
        with pytest.raises(ValueError, match="40-character"):
            read_cert(str(bad))
    finally:
        bad.unlink()


def test_driver_key_calls_an_actor(secure_cluster: cluster.Cluster, keys: Path,
                                   clean_env: pytest.MonkeyPatch) -> None:
    security = zaf.SecurityOptions(broker_key=keys / "cluster" / "broker.cert",
                                   key=keys / "cluster" / "driver.cert_secret")
    with zaf.Client(secure_cluster.endpoint, name="pytest-driver", security=security) as client:
        assert client.secure
        # Our own routing id: 16 bytes, the first 'Z' (as the C link)
        assert client.peer.startswith("5a") and len(client.peer) == 32, client.peer
        counter = client.spawn("Counter", 5)
        assert counter.add.remote(2).result(timeout=10) == 7
        assert client.status(timeout=10)["nodes"], "the node with its node key joined"
        client.kill(counter)


def test_keys_from_the_environment(secure_cluster: cluster.Cluster, keys: Path,
                                   clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ZAF_KEY_DIR", str(keys / "cluster"))
    with zaf.Client(secure_cluster.endpoint, name="pytest-env") as client:
        assert client.secure
        counter = client.spawn("Counter", 1)
        assert counter.add.remote(1).result(timeout=10) == 2
    # ZAF_BROKER_KEY / ZAF_KEY come before the key directory
    clean_env.setenv("ZAF_KEY", str(keys / "outside" / "stranger.cert_secret"))
    message, _ = refused(secure_cluster.endpoint, None)
    assert "refused our key" in message


def test_no_key_is_refused(secure_cluster: cluster.Cluster, keys: Path,
                           clean_env: pytest.MonkeyPatch) -> None:
    message, took = refused(secure_cluster.endpoint, None)
    assert "the broker requires keys" in message, message
    assert secure_cluster.endpoint in message
    assert took < REFUSED_WITHIN, took


def test_wrong_broker_key_is_refused(secure_cluster: cluster.Cluster, keys: Path,
                                     clean_env: pytest.MonkeyPatch) -> None:
    security = zaf.SecurityOptions(broker_key=keys / "outside" / "other-broker.cert",
                                   key=keys / "cluster" / "driver.cert_secret")
    message, took = refused(secure_cluster.endpoint, security)
    assert "wrong broker key" in message, message
    assert took < REFUSED_WITHIN, took


def test_unknown_key_is_refused(secure_cluster: cluster.Cluster, keys: Path,
                                clean_env: pytest.MonkeyPatch) -> None:
    before = handshakes_refused(secure_cluster.endpoint, keys / "cluster")
    security = zaf.SecurityOptions(broker_key=keys / "cluster" / "broker.cert",
                                   key=keys / "outside" / "stranger.cert_secret")
    message, took = refused(secure_cluster.endpoint, security)
    assert "refused our key (status 400): unknown or revoked key" in message, message
    assert took < REFUSED_WITHIN, took
    wait_for(lambda: handshakes_refused(secure_cluster.endpoint, keys / "cluster") > before,
             10, "the broker to count the refused handshake", step=0.1)


def test_a_named_key_that_cannot_be_read(secure_cluster: cluster.Cluster, keys: Path,
                                         clean_env: pytest.MonkeyPatch) -> None:
    missing = keys / "empty" / "nothing.cert_secret"
    with pytest.raises(zaf.BadArgsError, match="cannot read our key"):
        zaf.Client(secure_cluster.endpoint,
                   security=zaf.SecurityOptions(broker_key=keys / "cluster" / "broker.cert",
                                                key=missing))
    clean_env.setenv("ZAF_BROKER_KEY", str(keys / "empty" / "broker.cert"))
    with pytest.raises(zaf.BadArgsError, match="cannot read the broker's key"):
        zaf.Client(secure_cluster.endpoint)
    # A public certificate (with no FILE_secret beside it) is not a key pair
    lonely = keys / "empty" / "lonely.cert"
    shutil.copy(keys / "cluster" / "driver.cert", lonely)
    try:
        with pytest.raises(zaf.BadArgsError, match="no secret key"):
            zaf.Client(secure_cluster.endpoint,
                       security=zaf.SecurityOptions(broker_key=keys / "cluster" / "broker.cert",
                                                    key=lonely))
    finally:
        lonely.unlink()


def test_a_request_after_a_refusal_says_why(keys: Path, clean_env: pytest.MonkeyPatch) -> None:
    """A client whose broker restarts with keys it does not have: the
    next request fails with the handshake's cause, not a silent retry."""
    running = cluster.Cluster(nodes=0)
    try:
        client = zaf.Client(running.endpoint, name="pytest-plain", connect_timeout=5.0)
        try:
            assert not client.secure
            endpoint = running.endpoint
            running.kill_broker()
            wait_for(lambda: not client.connected, 10, "the client to see the broker go")
            running.key_dir = str(keys / "cluster")
            running.restart_broker()
            assert running.endpoint == endpoint

            def attempt() -> "str | None":
                try:
                    client.status(timeout=10)
                except zaf.UnauthorizedError as error:
                    return error.message
                except zaf.BrokerLostError:
                    return None
                raise AssertionError("a plaintext client got in")
            message = wait_for(attempt, 15, "a request to fail UNAUTHORIZED", step=0.2)
            assert "the broker requires keys" in str(message)
        finally:
            client.shutdown()
    finally:
        running.stop()
