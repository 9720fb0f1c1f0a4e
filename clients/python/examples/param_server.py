#!/usr/bin/env python3
"""The parameter server of the seed notebook, from Python.

Spawns the C sample's ParameterServer (samples/param_server), submits N
``worker`` tasks that each push gradients of ones to it through the handle
they are given, prints the parameters while they run, waits for the
workers, and prints the final parameters: -(workers x updates) each. Prints
what the C driver ``param_server`` prints.

Needs a running cluster whose nodes load libparam_server.so::

    zaf-broker --bind tcp://127.0.0.1:5555 &
    zaf-node --broker tcp://127.0.0.1:5555 --module build/lib/libparam_server.so &
    python3 param_server.py --address tcp://127.0.0.1:5555
"""

import argparse
import os
import sys
import time

try:
    import zaf
except ImportError:         # run from a clone: the package sits beside examples/
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import zaf


def format_params(params):
    """A vector as numpy prints it: [0. 0. -1.5]."""
    return "[" + " ".join(f"{int(value)}." if value == int(value) else f"{value:g}"
                          for value in params) + "]"


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Train a toy parameter server with remote gradient workers.")
    parser.add_argument("--address", default=os.environ.get("ZAF_ADDRESS"),
                        help="the broker's endpoint (default: $ZAF_ADDRESS)")
    parser.add_argument("--workers", type=int, default=3, help="worker tasks (default 3)")
    parser.add_argument("--updates", type=int, default=20,
                        help="gradients each worker pushes (default 20)")
    parser.add_argument("--interval-ms", type=int, default=500,
                        help="pause before each gradient (default 500)")
    parser.add_argument("--polls", type=int, default=10,
                        help="times to print the params while they run (default 10)")
    args = parser.parse_args()
    if not args.address:
        parser.error("--address (or $ZAF_ADDRESS) is required: start a cluster first")

    zaf.init(args.address)
    try:
        info = zaf.cluster_info()
        print(f"Cluster: broker {info['broker']}, {len(info['nodes'])} node(s)")
        if info.get("dashboard"):
            print(f"Dashboard: {info['dashboard']}")

        ps = zaf.spawn("ParameterServer", 10)
        print("Initial params:", format_params(zaf.get(ps.get_params.remote(), timeout=10)))

        # Start the workers: each is handed the server's handle
        workers = [zaf.submit("worker", ps, args.updates, args.interval_ms)
                   for _ in range(args.workers)]

        # Watch the params move while they run
        pause = (args.updates * args.interval_ms) / args.polls / 1000 if args.polls else 0
        for _ in range(args.polls):
            time.sleep(pause)
            print("Updated params:", format_params(zaf.get(ps.get_params.remote(), timeout=10)),
                  flush=True)

        # Wait for every worker
        pushed, workers_ok = 0, True
        budget = args.updates * args.interval_ms / 1000 + 30
        for index, ref in enumerate(workers):
            try:
                pushed += int(zaf.get(ref, timeout=budget))
            except zaf.ZafError as error:
                print(f"param_server: worker {index} failed: {error.code} {error.message}",
                      file=sys.stderr)
                workers_ok = False

        params = zaf.get(ps.get_params.remote(), timeout=10)
        print("Final params:", format_params(params))
        expected = -(args.workers * args.updates)
        all_expected = all(value == expected for value in params)
        print(f"{args.workers} workers pushed {pushed} gradients; final params "
              f"{'are' if all_expected else 'are NOT'} {expected:g} each")
        zaf.kill(ps)
        return 0 if workers_ok and all_expected else 1
    except zaf.ZafError as error:
        print(f"param_server: {error.code} {error.message}", file=sys.stderr)
        return 1
    finally:
        zaf.shutdown()


if __name__ == "__main__":
    sys.exit(main())
