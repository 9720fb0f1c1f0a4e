#!/usr/bin/env python3
"""The message actor of the seed notebook, from Python.

Spawns the C sample's MessageActor (samples/message_actor), submits N
``message_worker`` tasks that each add their messages to it through the
handle they are given, reads the messages as they come with
``get_and_clear_messages``, waits for the workers, and checks that every
message arrived exactly once and in order per worker. Prints what the C
driver ``message_actor`` prints.

Needs a running cluster whose nodes load libmessage_actor.so::

    python3 message_actor.py --address tcp://127.0.0.1:5555
"""

import argparse
import os
import re
import sys
import time

try:
    import zaf
except ImportError:         # run from a clone: the package sits beside examples/
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import zaf

CALL_TIMEOUT = 10.0
MESSAGE = re.compile(r"Message (\d+) from worker (\d+)\.")


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Tasks feed an actor messages; the driver reads them as they come.")
    parser.add_argument("--address", default=os.environ.get("ZAF_ADDRESS"),
                        help="the broker's endpoint (default: $ZAF_ADDRESS)")
    parser.add_argument("--workers", type=int, default=3, help="worker tasks (default 3)")
    parser.add_argument("--messages", type=int, default=10,
                        help="messages each worker sends (default 10)")
    parser.add_argument("--interval-ms", type=int, default=100,
                        help="pause between a worker's messages (default 100)")
    parser.add_argument("--poll-ms", type=int, default=200,
                        help="pause between reads (default 200)")
    args = parser.parse_args()
    if not args.address:
        parser.error("--address (or $ZAF_ADDRESS) is required: start a cluster first")

    next_index = [0] * args.workers     # per worker: the index its next message must have
    tally = {"received": 0, "unexpected": 0}

    def collect(actor) -> None:
        messages = zaf.get(actor.get_and_clear_messages.remote(), timeout=CALL_TIMEOUT)
        if messages:
            print("New messages: [" + ", ".join(
                "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
                for text in messages) + "]", flush=True)
        for text in messages:
            tally["received"] += 1
            match = MESSAGE.fullmatch(text) if isinstance(text, str) else None
            worker = int(match.group(2)) if match else -1
            if not match or worker >= args.workers:
                print(f"message_actor: unexpected message '{text}'", file=sys.stderr)
                tally["unexpected"] += 1
                continue
            message = int(match.group(1))
            if message != next_index[worker]:
                print(f"message_actor: worker {worker}: got message {message}, "
                      f"expected {next_index[worker]}", file=sys.stderr)
                tally["unexpected"] += 1
                next_index[worker] = max(next_index[worker], message + 1)
            else:
                next_index[worker] += 1

    zaf.init(args.address)
    try:
        info = zaf.cluster_info()
        print(f"Cluster: broker {info['broker']}, {len(info['nodes'])} node(s)")
        if info.get("dashboard"):
            print(f"Dashboard: {info['dashboard']}")
        actor = zaf.spawn("MessageActor")
        # Start the workers: each is handed the actor's handle
        workers = [zaf.submit("message_worker", actor, index, args.messages, args.interval_ms)
                   for index in range(args.workers)]
        # Read the messages as they come, until all have or time runs out
        expected = args.workers * args.messages
        budget = args.messages * args.interval_ms / 1000 + 30
        give_up = time.monotonic() + budget
        while tally["received"] < expected:
            time.sleep(args.poll_ms / 1000)
            collect(actor)
            if time.monotonic() >= give_up:
                print(f"message_actor: gave up with {tally['received']} of {expected} messages",
                      file=sys.stderr)
                break
        # Wait for every worker: each says how many messages it sent
        sent, workers_ok = 0, True
        for index, ref in enumerate(workers):
            try:
                sent += int(zaf.get(ref, timeout=budget))
            except zaf.ZafError as error:
                print(f"message_actor: worker {index} failed: {error.code} {error.message}",
                      file=sys.stderr)
                workers_ok = False
        # Whatever is left now is a message too many
        collect(actor)
        in_order = (tally["unexpected"] == 0 and tally["received"] == expected
                    and all(index == args.messages for index in next_index))
        print(f"{args.workers} workers sent {sent} messages; received {tally['received']} "
              f"of {expected}, "
              f"{'each exactly once and in order per worker' if in_order else 'NOT each exactly once in order'}")
        zaf.kill(actor)
        return 0 if workers_ok and sent == expected and in_order else 1
    except zaf.ZafError as error:
        print(f"message_actor: {error.code} {error.message}", file=sys.stderr)
        return 1
    finally:
        zaf.shutdown()


if __name__ == "__main__":
    sys.exit(main())
