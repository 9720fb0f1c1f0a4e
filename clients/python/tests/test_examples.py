"""The examples run against a real cluster and print what the C sample
drivers print (the lines that do not depend on timing, compared with the
C driver's output in the same cluster)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

import cluster

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

CASES = {
    "param_server": ["--updates", "4", "--interval-ms", "100", "--polls", "2"],
    "tree_of_actors": ["--duration-ms", "500", "--poll-ms", "200"],
    "message_actor": ["--messages", "3", "--interval-ms", "50"],
}

#: Lines whose content depends on timing: only their shape is compared
VARYING = re.compile(r"^(Updated params|States|New messages|Actors per node): ")


def run(argv: List[str]) -> "subprocess.CompletedProcess[str]":
    env = dict(os.environ, PYTHONPATH=str(EXAMPLES.parent))
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


def stable_lines(output: str) -> List[str]:
    return [line for line in output.splitlines() if not VARYING.match(line)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_prints_what_the_c_driver_prints(name: str,
                                                 shared_cluster: cluster.Cluster) -> None:
    flags = CASES[name] + ["--address", shared_cluster.endpoint]
    python = run([sys.executable, str(EXAMPLES / f"{name}.py")] + flags)
    assert python.returncode == 0, python.stdout + python.stderr
    c_driver = run([str(cluster.BIN_DIR / name)] + flags)
    assert c_driver.returncode == 0, c_driver.stdout + c_driver.stderr
    assert stable_lines(python.stdout) == stable_lines(c_driver.stdout)
    varying = [line.split(":")[0] for line in python.stdout.splitlines() if VARYING.match(line)]
    assert varying, python.stdout
    if name == "param_server":
        assert varying == ["Updated params"] * 2
        assert "3 workers pushed 12 gradients; final params are -12 each" in python.stdout
    if name == "tree_of_actors":
        assert "Supervisor killed; the tree of actors checked out" in python.stdout
    if name == "message_actor":
        assert "received 9 of 9, each exactly once and in order per worker" in python.stdout


def test_example_needs_an_address() -> None:
    env_free = dict(os.environ)
    env_free.pop("ZAF_ADDRESS", None)
    result = subprocess.run([sys.executable, str(EXAMPLES / "param_server.py")],
                            env=dict(env_free, PYTHONPATH=str(EXAMPLES.parent)),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--address" in result.stderr
