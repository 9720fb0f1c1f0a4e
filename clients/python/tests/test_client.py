"""The Python client against a real zaf-broker and zaf-node processes."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import threading
import time
import uuid

import pytest

import zaf
import cluster
from cluster import wait_for


def run_threads(work, count: int, errors: list) -> None:
    """Run work(index) on count threads; fail if one hangs or raised."""
    threads = [threading.Thread(target=work, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# -- spawn, call, get --------------------------------------------------------

def test_spawn_call_get(default_client: zaf.Client) -> None:
    counter = zaf.spawn("Counter", 5)
    assert counter.owned and counter.class_name == "Counter"
    assert zaf.get(counter.add.remote(2), timeout=10) == 7
    refs = [counter.add.remote(1) for _ in range(3)]
    assert zaf.get(refs, timeout=10) == [8, 9, 10]
    assert counter.echo.remote({"a": [1, "x", None, True]}).result(10) == {"a": [1, "x", None, True]}
    assert counter.method("get").remote().result(10) == 10
    zaf.kill(counter)


def test_spawn_retry_on_method_failed(default_client: zaf.Client) -> None:
    flaky = zaf.spawn("Counter", max_call_retries=3, retry_on=["method_failed"])
    assert flaky.flaky.remote(2).result(10) == 3     # two failures, sent again
    zaf.kill(flaky)
    once = zaf.spawn("Counter", max_call_retries=3)
    with pytest.raises(zaf.MethodFailedError):
        once.flaky.remote(2).result(10)
    zaf.kill(once)
    with pytest.raises(zaf.BadArgsError, match="retry_on"):
        zaf.spawn("Counter", max_call_retries=1, retry_on=["sometimes"])


def test_init_twice_and_cluster_info(default_client: zaf.Client,
                                     shared_cluster: cluster.Cluster) -> None:
    with pytest.raises(RuntimeError):
        zaf.init(shared_cluster.endpoint)
    assert zaf.init(shared_cluster.endpoint, ignore_reinit_error=True) is default_client
    info = zaf.cluster_info()
    assert info["broker"] == shared_cluster.endpoint
    assert sorted(node["name"] for node in info["nodes"]) == ["node-1", "node-2"]


def test_named_detached_and_get_actor_from_second_client(shared_cluster: cluster.Cluster) -> None:
    name = unique("ps")
    first = zaf.Client(shared_cluster.endpoint)
    second = zaf.Client(shared_cluster.endpoint)
    try:
        ps = first.spawn("ParameterServer", 4, name=name, detached=True)
        assert not ps.owned
        again = first.spawn("ParameterServer", 4, name=name, get_if_exists=True)
        assert again.id == ps.id and not again.owned
        ps.update_params.remote([1, 2, 3, 4]).result(10)
        first.shutdown()            # a detached actor outlives its spawner
        found = second.get_actor(name)
        assert found.id == ps.id and found.class_name == "ParameterServer"
        assert found.node in ("node-1", "node-2")
        assert found.get_params.remote().result(10) == [-1, -2, -3, -4]
        second.kill(found)
        with pytest.raises(zaf.NoSuchActorError):
            second.get_actor(name)
    finally:
        first.shutdown()
        second.shutdown()


def test_wait_num_returns_and_timeout(client: zaf.Client) -> None:
    fast = client.spawn("Counter")
    slow = client.spawn("Counter")
    refs = [slow.sleep.remote(3000), fast.sleep.remote(10), fast.get.remote()]
    ready, pending = zaf.wait(refs, num_returns=2, timeout=20)
    assert ready == refs[1:] and pending == refs[:1]
    started = time.monotonic()
    ready, pending = zaf.wait(refs, num_returns=3, timeout=0.2)
    assert time.monotonic() - started < 2.0
    assert len(ready) == 2 and pending == refs[:1]
    ready, pending = zaf.wait(refs, num_returns=3, timeout=20)
    assert len(ready) == 3 and not pending
    assert zaf.get(refs, timeout=1) == [3000, 10, 0]


def test_submit(client: zaf.Client) -> None:
    assert client.submit("add", 1, 2).result(10) == 3
    refs = [client.submit("add", index, index) for index in range(50)]
    assert zaf.get(refs, timeout=30) == [2 * index for index in range(50)]
    with pytest.raises(zaf.MethodFailedError, match="boom"):
        client.submit("fail", "boom").result(10)


def test_submit_placement(client: zaf.Client) -> None:
    # The test nodes announce no resources and no labels
    assert client.submit("add", 1, 2, strategy="pack").result(10) == 3
    assert client.submit("add", 1, 2, affinity={"node": "node-2"}).result(10) == 3
    with pytest.raises(zaf.NoResourcesError, match="nearest is node"):
        client.submit("add", 1, 2, resources={"gpu": 1}).result(10)
    with pytest.raises(zaf.NoResourcesError, match="zone=a"):
        client.submit("add", 1, 2, labels={"zone": "a"}).result(10)
    with pytest.raises(zaf.BadArgsError):
        client.submit("add", 1, 2, resources={"gpu": -1}).result(10)
    with pytest.raises(zaf.BadArgsError):
        client.submit("add", 1, 2, strategy="wide").result(10)
    # Spawns take the same options
    with pytest.raises(zaf.NoResourcesError, match="gpu"):
        client.spawn("Counter", resources={"gpu": 1}, timeout=10)
    with pytest.raises(zaf.BadArgsError):
        client.spawn("Counter", labels={"zone": 3}, timeout=10)
    counter = client.spawn("Counter", affinity={"node": "node-2"}, strategy="pack", timeout=10)
    assert counter.add.remote(2).result(10) == 2
    client.kill(counter)


def test_tell_ordering(client: zaf.Client) -> None:
    counter = client.spawn("Counter")
    for index in range(1000):
        counter.record.tell(index)
    # Calls and tells from one client run in the order sent
    assert counter.recorded.remote().result(30) == list(range(1000))


def test_10000_pipelined_calls_in_order(client: zaf.Client) -> None:
    # 1,000 in flight at a time (a burst of 10,000 at once can stall an
    # ASan broker and node on a loaded machine past their heartbeats);
    # `ordered` fails any call that runs after a later one
    counter = client.spawn("Counter")
    window: "collections.deque[zaf.ObjectRef]" = collections.deque()
    results = []
    for seq in range(1, 10001):
        if len(window) == 1000:
            results.append(window.popleft().result(60))
        window.append(counter.ordered.remote("py", seq))
    results += zaf.get(list(window), timeout=60)
    assert results == list(range(1, 10001))


def test_handles_as_arguments(client: zaf.Client) -> None:
    counter = client.spawn("Counter", 41)
    # A handle travels as {"$actor": id} to a C task, which calls it
    assert client.submit("call_actor", counter, "add", [1]).result(20) == 42
    # ... and comes back as a handle
    me = counter.whoami.remote().result(10)
    assert isinstance(me, zaf.ActorHandle) and me == counter
    assert me.get.remote().result(10) == 42
    # A C actor spawns a child and hands it back
    child = counter.spawn.remote("Counter", [7]).result(20)
    assert isinstance(child, zaf.ActorHandle) and child.get.remote().result(10) == 7
    # The C sample task takes the ParameterServer handle, as the seed does
    ps = client.spawn("ParameterServer", 3)
    assert client.submit("worker", ps, 2, 0).result(30) == 2
    assert ps.get_params.remote().result(10) == [-2, -2, -2]


def test_blobs_round_trip(client: zaf.Client) -> None:
    counter = client.spawn("Counter")
    data = os.urandom(1 << 20)
    result = counter.blob_echo.remote(data).result(60)
    assert result["size"] == len(data) and result["sum"] == sum(data)
    assert result["blobs"] == 1
    assert isinstance(result["reversed"], memoryview)       # the frame, not a copy
    assert bytes(result["reversed"]) == data[::-1]
    # memoryview and bytearray in, through a task
    size, back = client.submit("blob_size", memoryview(bytearray(data))).result(60)
    assert size == len(data) and back == data
    with pytest.raises(zaf.BadArgsError):
        counter.echo.remote([b"x"] * 17)


# -- errors --------------------------------------------------------------------

def test_error_codes_from_broker_and_nodes(client: zaf.Client) -> None:
    with pytest.raises(zaf.NoSuchClassError):
        client.spawn("NoSuchClass")
    with pytest.raises(zaf.NoSuchNodeError):
        client.spawn("Counter", node="no-such-node")
    with pytest.raises(zaf.BadArgsError):
        client.spawn("Counter", detached=True)          # detached needs a name
    with pytest.raises(zaf.BadArgsError):
        client.spawn("ParameterServer", 0)               # the constructor refuses
    name = unique("taken")
    first = client.spawn("Counter", name=name)
    with pytest.raises(zaf.NameTakenError):
        client.spawn("Counter", name=name)
    with pytest.raises(zaf.NoSuchMethodError):
        first.no_such_method.remote().result(10)
    with pytest.raises(zaf.MethodFailedError, match="on purpose"):
        first.fail.remote("on purpose").result(10)
    with pytest.raises(zaf.BadArgsError):
        first.ordered.remote().result(10)
    with pytest.raises(zaf.NoSuchFunctionError):
        client.submit("no_such_function").result(10)
    with pytest.raises(zaf.NoSuchActorError):
        client.get_actor(unique("nobody"))
    with pytest.raises(zaf.NoSuchActorError):
        client.kill("ffffffff00000000")
    with pytest.raises(zaf.UnauthorizedError):
        client.stop_cluster()                            # only a cli may
    client.kill(first)
    with pytest.raises(zaf.ActorDiedError, match="killed"):
        first.get.remote().result(10)
    client.kill(first)                                   # already dead: fine


def test_every_code_maps_to_its_class(client: zaf.Client) -> None:
    counter = client.spawn("Counter")
    for code, cls in zaf.ERRORS.items():
        error = counter.fail_code.remote(code, "as asked").exception(10)
        assert type(error) is cls and error.code == code and "as asked" in str(error)
    assert issubclass(zaf.TimeoutError, TimeoutError)
    assert zaf.ZafError.from_wire({"code": "WHAT", "message": "m"}).code == "PROTOCOL"


def test_timeout_from_get(client: zaf.Client) -> None:
    counter = client.spawn("Counter")
    ref = counter.sleep.remote(1500)
    started = time.monotonic()
    with pytest.raises(zaf.TimeoutError):
        zaf.get(ref, timeout=0.1)
    assert time.monotonic() - started < 1.0
    assert not ref.done()
    assert ref.result(20) == 1500                        # still pending, then answered


def test_call_deadline_is_timeout(client: zaf.Client) -> None:
    counter = client.spawn("Counter", call_deadline_ms=100)
    with pytest.raises(zaf.TimeoutError, match="deadline"):
        counter.sleep.remote(1500).result(20)


def test_a_call_past_its_deadline_does_not_run(client: zaf.Client) -> None:
    counter = client.spawn("Counter")
    busy = counter.sleep.remote(800)
    late = counter.add.options(timeout_ms=50).remote(1)
    with pytest.raises(zaf.TimeoutError, match="did not run"):
        late.result(20)
    assert busy.result(20) == 800
    assert counter.get.remote().result(10) == 0
    assert counter.add.options(timeout_ms=10000).remote(2).result(10) == 2
    with pytest.raises(zaf.BadArgsError):
        counter.add.options(timeout_ms=-1)


def test_tell_to_dead_actor_reports_an_error(shared_cluster: cluster.Cluster) -> None:
    seen: "list[zaf.ZafError]" = []
    with zaf.Client(shared_cluster.endpoint, on_error=seen.append) as c:
        counter = c.spawn("Counter")
        c.kill(counter)
        counter.add.tell(1)
        wait_for(lambda: seen, 10, "an ERROR for the tell")
        assert isinstance(seen[0], zaf.ActorDiedError)


def test_requests_after_shutdown(shared_cluster: cluster.Cluster) -> None:
    c = zaf.Client(shared_cluster.endpoint)
    c.shutdown()
    c.shutdown()
    with pytest.raises(zaf.InterruptedError):
        c.submit("add", 1, 2)


def test_refused_connection() -> None:
    with pytest.raises(zaf.BrokerLostError):
        zaf.Client("tcp://127.0.0.1:1", connect_timeout=0.3)
    with pytest.raises(zaf.BadArgsError):
        zaf.Client("not an endpoint", connect_timeout=0.3)


# -- monitors and ownership ------------------------------------------------------

def test_monitor(client: zaf.Client) -> None:
    counter = client.spawn("Counter")
    down = zaf.monitor(counter)
    assert not down.done()
    client.kill(counter)
    assert down.result(10) == {"actor": counter.id, "reason": "killed"}
    # A monitor of an actor that ended answers at once
    assert client.monitor(counter).result(10)["reason"] == "killed"


def test_shutdown_ends_owned_actors(client: zaf.Client, shared_cluster: cluster.Cluster) -> None:
    other = zaf.Client(shared_cluster.endpoint)
    owned = other.spawn("Counter")
    down = client.monitor(owned)
    other.shutdown()
    assert down.result(10)["reason"] in ("killed", "owner_died")


# -- concurrency ----------------------------------------------------------------

def test_asyncio(client: zaf.Client) -> None:
    async def main() -> None:
        counter = await client.spawn_async("Counter", 1)
        assert await counter.add.remote(1) == 2
        values = await asyncio.gather(*(counter.add.remote(1) for _ in range(100)))
        assert values == list(range(3, 103))
        with pytest.raises(zaf.NoSuchMethodError):
            await counter.nope.remote()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(counter.sleep.remote(1000), 0.05)
        assert await client.submit("add", 2, 3) == 5

    asyncio.run(asyncio.wait_for(main(), 60))


def test_threads_share_a_client(client: zaf.Client) -> None:
    shared = client.spawn("Counter")
    errors: "list[BaseException]" = []

    def work(index: int) -> None:
        try:
            mine = client.spawn("Counter", index)
            for step in range(200):
                assert mine.add.remote(1).result(30) == index + step + 1
                shared.add.tell(1)
            client.kill(mine)
        except BaseException as exc:      # noqa: BLE001 - reported below
            errors.append(exc)

    run_threads(work, 8, errors)
    assert shared.get.remote().result(30) == 8 * 200


def test_threads_mix_sync_async_and_tells_in_order(client: zaf.Client) -> None:
    # Calls from one thread to one actor run in the order sent, whether the
    # thread sends on the socket itself or through the I/O thread; every
    # future ends exactly once, callbacks included
    shared = client.spawn("Counter")
    errors: "list[BaseException]" = []
    fired: "collections.Counter[int]" = collections.Counter()
    fired_lock = threading.Lock()

    def on_done(ref: zaf.ObjectRef) -> None:
        with fired_lock:
            fired[id(ref)] += 1

    def work(index: int) -> None:
        try:
            tag = f"t{index}"
            refs = []
            for seq in range(1, 301):
                ref = shared.ordered.remote(tag, seq)
                if seq % 3 == 0:
                    assert ref.result(30) == seq            # sync
                elif seq % 3 == 1:
                    ref.add_done_callback(on_done)          # async, watched
                    refs.append(ref)
                else:
                    refs.append(ref)                        # async, unwatched
                shared.add.tell(1)
            for ref in refs:
                ref.result(30)
            watched = [ref for ref in refs if ref.result(0) % 3 == 1]
            # A callback may still be running when result() returns
            wait_for(lambda: all(fired[id(ref)] for ref in watched), 10, "the callbacks")
            time.sleep(0.05)
            with fired_lock:
                assert all(fired[id(ref)] == 1 for ref in watched)
        except BaseException as exc:      # noqa: BLE001 - reported below
            errors.append(exc)

    run_threads(work, 8, errors)
    assert shared.get.remote().result(30) == 8 * 300


def test_watched_futures_resolve_promptly() -> None:
    # Whether the answer is read by a waiting thread, the I/O thread or no
    # one yet, every way of watching a future sees it without delay: well
    # within the heartbeat interval (5 s here), when a parked I/O thread
    # would read it anyway
    slow = cluster.Cluster(nodes=1, heartbeat_ms=5000)
    try:
        with zaf.Client(slow.endpoint, name="prompt") as client:
            assert client.heartbeat_ms == 5000
            _watch_promptly(client)
    finally:
        slow.stop()


def _watch_promptly(client: zaf.Client) -> None:
    counter = client.spawn("Counter")
    slowest = 0.0
    for _ in range(20):
        started = time.monotonic()
        ref = counter.add.remote(1)
        while not ref.done():
            time.sleep(0.001)
        slowest = max(slowest, time.monotonic() - started)
    for _ in range(20):
        started = time.monotonic()
        ready, _pending = zaf.wait([counter.add.remote(1)], timeout=10)
        assert ready
        slowest = max(slowest, time.monotonic() - started)

    async def awaits() -> float:
        worst = 0.0
        for _ in range(20):
            started = time.monotonic()
            await counter.add.remote(1)
            worst = max(worst, time.monotonic() - started)
        return worst

    slowest = max(slowest, asyncio.run(awaits()))
    assert slowest < 2.0, f"a watched future took {slowest:.3f} s"


# -- liveness --------------------------------------------------------------------

def test_broker_killed_mid_call_is_broker_lost_then_reconnect(own_cluster: cluster.Cluster) -> None:
    c = zaf.Client(own_cluster.endpoint)
    try:
        counter = c.spawn("Counter", 3)
        ref = counter.sleep.remote(3000)
        calls = [counter.get.remote() for _ in range(10)]
        wait_for(lambda: _pending(c, counter) == 11, 10, "the calls to reach the broker")
        own_cluster.kill_broker()
        started = time.monotonic()
        with pytest.raises(zaf.BrokerLostError):
            ref.result(10)
        assert time.monotonic() - started < 3.0, "BROKER_LOST took too long"
        for call in calls:
            assert call.done()
        assert not c.connected
        # While no broker answers, requests fail at once
        with pytest.raises(zaf.BrokerLostError):
            c.submit("add", 1, 1).result(10)
        own_cluster.restart_broker()
        own_cluster.wait_nodes(1)
        # The client dials again on its next request and gets on with it
        assert wait_for(lambda: _try_add(c), 20, "the client to reconnect") == 2
        assert c.connected
        fresh = c.spawn("Counter", 5)
        assert fresh.add.remote(1).result(10) == 6
        # The new broker adopted the node's actors: the old handle works
        assert counter.get.remote().result(20) == 3
    finally:
        c.shutdown()


def test_node_killed_mid_call_is_node_lost(own_cluster: cluster.Cluster) -> None:
    with zaf.Client(own_cluster.endpoint) as c:
        counter = c.spawn("Counter")
        ref = counter.sleep.remote(20000)
        wait_for(lambda: _pending(c, counter) == 1, 10, "the call to reach the broker")
        cluster.stop(own_cluster.nodes[0], signal.SIGKILL)
        with pytest.raises(zaf.NodeLostError):
            ref.result(15)
        with pytest.raises(zaf.ActorDiedError, match="node_lost"):
            counter.get.remote().result(10)
        with pytest.raises(zaf.NoSuchClassError):
            c.spawn("Counter")


def _pending(c: zaf.Client, actor: zaf.ActorHandle) -> int:
    for item in c.status(actors=True)["actors"]:
        if item["id"] == actor.id:
            return int(item["pending"])
    return -1


def _try_add(c: zaf.Client) -> int:
    try:
        return c.submit("add", 1, 1).result(10)
    except zaf.BrokerLostError:
        return 0


def test_idle_client_stays_alive_past_ten_heartbeats() -> None:
    fast = cluster.Cluster(nodes=0, heartbeat_ms=100)
    try:
        c = zaf.Client(fast.endpoint, name="idle")
        try:
            assert c.heartbeat_ms == 100
            peer = c.peer
            peers_lost = c.status()["counters"]["peers_lost"]
            lost: "list[bool]" = []
            started = time.monotonic()
            while time.monotonic() - started < 1.5:       # 15 heartbeat intervals
                time.sleep(0.1)
                if not c.connected:
                    lost.append(True)
            assert not lost
            status = c.status()
            assert [client["peer"] for client in status["clients"] if client["name"] == "idle"] == [peer]
            assert status["counters"]["peers_lost"] == peers_lost
        finally:
            c.shutdown()
    finally:
        fast.stop()
