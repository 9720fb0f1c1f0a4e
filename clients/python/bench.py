#!/usr/bin/env python3
"""Calls per second from Python: sync (one at a time) and pipelined (a
window of calls in flight), against ParameterServer.update_params with 10
numbers, the actor and call of zaf-bench's sync and async scenarios.

    python3 bench.py --address tcp://127.0.0.1:5555      # a running cluster
    python3 bench.py --start-cluster                      # a broker and a node
                                                          # from ZAF_BIN_DIR

With --start-cluster (or --zaf-bench PATH) it also runs zaf-bench --mode
tcp for the C client's sync and async figures, in the same sitting. With
--rounds N it alternates the Python and C measures N times and prints each
round and the medians (a loaded machine moves single figures a lot).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import zmq

import zaf

HERE = Path(__file__).resolve().parent


def sync_rate(ps: zaf.ActorHandle, seconds: float) -> float:
    grad = [0.0] * 10
    calls = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        ps.update_params.remote(grad).result(30)
        calls += 1
    return calls / (time.perf_counter() - started)


def pipelined_rate(ps: zaf.ActorHandle, seconds: float, window: int) -> float:
    grad = [0.0] * 10
    in_flight = [ps.update_params.remote(grad) for _ in range(window)]
    calls = 0
    started = time.perf_counter()
    deadline = started + seconds
    index = 0
    while time.perf_counter() < deadline:
        in_flight[index].result(30)
        in_flight[index] = ps.update_params.remote(grad)
        calls += 1
        index = (index + 1) % window
    zaf.get(in_flight, timeout=60)
    return calls / (time.perf_counter() - started)


def c_figures(zaf_bench: str, quick: bool, seconds: float) -> dict:
    argv = [zaf_bench, "--mode", "tcp", "--scenario", "sync,async", "--json"]
    if quick:
        argv.append("--quick")
    else:
        argv += ["--duration-ms", str(int(seconds * 1000))]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=300).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {row["scenario"]: row["zaf_per_s"] for row in rows if "zaf_per_s" in row}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", default=os.environ.get("ZAF_ADDRESS"))
    parser.add_argument("--start-cluster", action="store_true",
                        help="start zaf-broker and one zaf-node from $ZAF_BIN_DIR")
    parser.add_argument("--seconds", type=float, default=3.0, help="per measure (default 3)")
    parser.add_argument("--window", type=int, default=1000, help="calls in flight (default 1000)")
    parser.add_argument("--zaf-bench", help="zaf-bench to run for the C figures")
    parser.add_argument("--quick", action="store_true", help="0.5 s per measure")
    parser.add_argument("--rounds", type=int, default=1,
                        help="alternate Python and C measures N times; print medians")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 0.5

    running = None
    if args.start_cluster:
        sys.path.insert(0, str(HERE / "tests"))
        import cluster
        # Only the sample module: a Release build without tests has no
        # libzaf_test_actors.so
        running = cluster.Cluster(nodes=1, modules=["libparam_server.so"])
        args.address = running.endpoint
        args.zaf_bench = args.zaf_bench or str(cluster.BIN_DIR / "zaf-bench")
    if not args.address:
        parser.error("--address or --start-cluster")
    rows = [("sync", "sync"), (f"async{args.window}", "async")]
    python: dict = {name: [] for name, _ in rows}
    c_rates: dict = {c_name: [] for _, c_name in rows}

    def table(title: str, py: dict, c: dict) -> None:
        if title:
            print(title)
        print(f"{'scenario':<10} {'python/s':>10} {'C/s':>10} {'ratio':>7}")
        for name, c_name in rows:
            rate, c_rate = py[name], c.get(c_name)
            ratio = f"{rate / c_rate:.2f}" if c_rate else "-"
            print(f"{name:<10} {rate:>10,.0f} {c_rate or 0:>10,.0f} {ratio:>7}")

    try:
        for round_no in range(1, args.rounds + 1):
            with zaf.Client(args.address, name="bench.py") as client:
                ps = client.spawn("ParameterServer", 10)
                ps.update_params.remote([0.0] * 10).result(30)        # warm up
                python["sync"].append(sync_rate(ps, args.seconds))
                python[f"async{args.window}"].append(
                    pipelined_rate(ps, args.seconds, args.window))
            c = c_figures(args.zaf_bench, args.quick, args.seconds) if args.zaf_bench else {}
            for c_name in c_rates:
                if c_name in c:
                    c_rates[c_name].append(c[c_name])
            if args.rounds > 1:
                table(f"# round {round_no}", {name: values[-1] for name, values in python.items()},
                      c)
        medians_c = {name: statistics.median(values) for name, values in c_rates.items() if values}
        table(f"# median of {args.rounds}" if args.rounds > 1 else "",
              {name: statistics.median(values) for name, values in python.items()}, medians_c)
        print(f"# load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs, "
              f"pyzmq {zmq.__version__}, libzmq {zmq.zmq_version()}")
    finally:
        if running is not None:
            running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
