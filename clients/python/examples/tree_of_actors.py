#!/usr/bin/env python3
"""The tree of actors of the seed notebook, from Python.

Spawns the C sample's Supervisor (samples/tree_of_actors), which spawns
three Worker children (lr, cl, nn) in its constructor; asks it for their
handles, calls each worker directly, starts the training, polls the
states until every worker is DONE, terminates the children through the
supervisor and checks through the borrowed handles that they died, then
kills the root. Prints what the C driver ``tree_of_actors`` prints.

Needs a running cluster whose nodes load libtree_of_actors.so::

    python3 tree_of_actors.py --address tcp://127.0.0.1:5555
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

CALL_TIMEOUT = 35.0     # the supervisor's methods wait up to 10 s per worker


def strings(values):
    return "[" + ", ".join(f"'{value}'" for value in values) + "]"


def main() -> int:
    parser = argparse.ArgumentParser(
        description="A Supervisor actor that owns three Worker actors.")
    parser.add_argument("--address", default=os.environ.get("ZAF_ADDRESS"),
                        help="the broker's endpoint (default: $ZAF_ADDRESS)")
    parser.add_argument("--duration-ms", type=int, default=3000,
                        help="how long each worker trains (default 3000)")
    parser.add_argument("--poll-ms", type=int, default=500,
                        help="pause between state polls (default 500)")
    args = parser.parse_args()
    if not args.address:
        parser.error("--address (or $ZAF_ADDRESS) is required: start a cluster first")

    def call(actor, method):
        return zaf.get(actor.method(method).remote(), timeout=CALL_TIMEOUT)

    zaf.init(args.address)
    try:
        info = zaf.cluster_info()
        print(f"Cluster: broker {info['broker']}, {len(info['nodes'])} node(s)")
        if info.get("dashboard"):
            print(f"Dashboard: {info['dashboard']}")

        # The supervisor spawns its workers in its constructor
        supervisor = zaf.spawn("Supervisor", args.duration_ms)
        workers = call(supervisor, "workers")
        if len(workers) != 3 or not all(isinstance(w, zaf.ActorHandle) for w in workers):
            print(f"tree_of_actors: workers () gave {workers!r}, not 3 handles", file=sys.stderr)
            return 1
        # The handles are borrowed: we may call the workers, not kill them
        kinds = [call(worker, "kind") for worker in workers]
        print(f"Supervisor spawned 3 workers: {', '.join(kinds)}")
        if info.get("dashboard"):
            print(f"Dashboard: look at {info['dashboard']} to watch the Supervisor and its Workers live")
        nodes = zaf.cluster_info()["nodes"]
        print("Actors per node:" + "".join(f" {n['name']}={n['actors']}" for n in nodes))

        call(supervisor, "work")
        # Poll until every worker is DONE; states only move IDLE -> RUNNING -> DONE
        give_up = time.monotonic() + args.duration_ms / 1000 + 30
        was_done = [False] * 3
        while True:
            states = call(supervisor, "state")
            print("States:", strings(states), flush=True)
            for index, state in enumerate(states):
                if state not in ("DONE", "RUNNING") or (was_done[index] and state != "DONE"):
                    print(f"tree_of_actors: worker {kinds[index]} is {state} after "
                          f"{'DONE' if was_done[index] else 'work ()'}", file=sys.stderr)
                    return 1
                was_done[index] = state == "DONE"
            if all(was_done):
                break
            if time.monotonic() >= give_up:
                print("tree_of_actors: gave up: workers not DONE", file=sys.stderr)
                return 1
            time.sleep(args.poll_ms / 1000)

        # Terminate the children, then check through our borrowed handles
        killed = int(call(supervisor, "terminate"))
        print(f"Terminated {killed} workers")
        print("States after terminate:", strings(call(supervisor, "state")))
        all_died = killed == 3
        for kind, worker in zip(kinds, workers):
            try:
                call(worker, "state")
                outcome, died = "still answers", False
            except zaf.ZafError as error:
                outcome, died = error.code, isinstance(error, zaf.ActorDiedError)
            print(f"Worker {kind} after terminate: {outcome}"
                  f"{' (as expected)' if died else ' (expected ACTOR_DIED)'}")
            all_died &= died

        # Last, the root of the tree
        zaf.kill(supervisor)
        print(f"Supervisor killed; the tree of actors "
              f"{'checked out' if all_died else 'did NOT check out'}")
        return 0 if all_died else 1
    except zaf.ZafError as error:
        print(f"tree_of_actors: {error.code} {error.message}", file=sys.stderr)
        return 1
    finally:
        zaf.shutdown()


if __name__ == "__main__":
    sys.exit(main())
