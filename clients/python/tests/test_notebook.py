"""The seed notebook (examples/seed.ipynb) runs against a real cluster and
prints what the three C sample drivers print.

Jupyter is not needed: the notebook is read with the json module and its
code cells run in order in one namespace, in a child Python started in
the notebook's folder (as a Jupyter kernel is) without PYTHONPATH, so the
notebook's own sys.path fallback finds the package. The sizes of the demos
are lowered by a cell put after the one tagged "parameters", as papermill
does.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import cluster

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOK = EXAMPLES / "seed.ipynb"

#: The quick run's sizes, put after the "parameters" cell
QUICK: Dict[str, int] = {
    "WORKERS": 3, "UPDATES": 20, "INTERVAL_MS": 20, "POLLS": 2,
    "DURATION_MS": 500, "POLL_MS": 200,
    "MESSAGES": 10, "MESSAGE_INTERVAL_MS": 50, "MESSAGE_POLL_MS": 100,
}

#: The same sizes as the C drivers' flags
DRIVERS: Dict[str, List[str]] = {
    "param_server": ["--workers", "3", "--updates", "20", "--interval-ms", "20", "--polls", "2"],
    "tree_of_actors": ["--duration-ms", "500", "--poll-ms", "200"],
    "message_actor": ["--workers", "3", "--messages", "10", "--interval-ms", "50",
                      "--poll-ms", "100"],
}

#: Lines whose content depends on timing: only their shape is compared
VARYING = re.compile(r"^(Updated params|States|New messages|Actors per node|Dashboard): ")

#: Runs in the child: reads [name, source] pairs on stdin, runs them in order
#: in one namespace, as a kernel runs cells
RUNNER = """\
import json, sys
namespace = {"__name__": "__main__"}
for name, source in json.load(sys.stdin):
    exec(compile(source, name, "exec"), namespace)
"""

TIMEOUT = 90.0


def load() -> Dict[str, Any]:
    with open(NOTEBOOK, encoding="utf-8") as f:
        return json.load(f)


def source(cell: Dict[str, Any]) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def code_cells(notebook: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def is_parameters(cell: Dict[str, Any]) -> bool:
    return "parameters" in cell.get("metadata", {}).get("tags", [])


def stable_lines(output: str) -> List[str]:
    return [line for line in output.splitlines() if not VARYING.match(line)]


def lines_of(output: str, prefix: str) -> List[str]:
    return [line[len(prefix):] for line in output.splitlines() if line.startswith(prefix)]


def run_notebook(endpoint: str) -> "subprocess.CompletedProcess[str]":
    cells: List[Tuple[str, str]] = []
    for index, cell in enumerate(code_cells(load())):
        cells.append((f"<seed.ipynb cell {index}>", source(cell)))
        if is_parameters(cell):
            cells.append(("<injected parameters>",
                          "".join(f"{name} = {value!r}\n" for name, value in QUICK.items())))
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    env["ZAF_ADDRESS"] = endpoint
    return subprocess.run([sys.executable, "-u", "-c", RUNNER], input=json.dumps(cells),
                          cwd=EXAMPLES, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)


def run_driver(name: str, endpoint: str) -> str:
    result = subprocess.run([str(cluster.BIN_DIR / name)] + DRIVERS[name]
                            + ["--address", endpoint],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_notebook_is_an_unexecuted_python3_notebook() -> None:
    notebook = load()
    assert notebook["nbformat"] == 4 and notebook["nbformat_minor"] >= 0
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert notebook["cells"][0]["cell_type"] == "markdown"
    assert "ZAF_ADDRESS" in source(notebook["cells"][0])
    ids = [cell.get("id") for cell in notebook["cells"]]
    assert len(set(ids)) == len(ids)
    cells = code_cells(notebook)
    for cell in cells:
        assert cell["outputs"] == [] and cell["execution_count"] is None, cell
        compile(source(cell), "<cell>", "exec")     # plain Python: no magics
    # The sys.path fallback comes first, zaf.shutdown () last
    assert "except ImportError" in source(cells[0]) and "sys.path.insert" in source(cells[0])
    assert source(cells[-1]).strip() == "zaf.shutdown()"
    # One parameters cell, and it assigns every name the quick run overrides
    parameters = [cell for cell in cells if is_parameters(cell)]
    assert len(parameters) == 1
    assigned = {target.id for node in ast.walk(ast.parse(source(parameters[0])))
                if isinstance(node, ast.Assign) for target in ast.walk(node)
                if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store)}
    assert set(QUICK) <= assigned, set(QUICK) - assigned


def test_notebook_prints_what_the_c_drivers_print(shared_cluster: cluster.Cluster) -> None:
    result = run_notebook(shared_cluster.endpoint)
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    assert result.stderr == "", result.stderr

    # The lines that do not depend on timing are the C drivers', with the
    # cluster line once
    drivers = [stable_lines(run_driver(name, shared_cluster.endpoint))
               for name in ("param_server", "tree_of_actors", "message_actor")]
    cluster_line = f"Cluster: broker {shared_cluster.endpoint}, 2 node(s)"
    assert all(lines[0] == cluster_line for lines in drivers), drivers
    assert stable_lines(output) == [cluster_line] + [line for lines in drivers
                                                     for line in lines[1:]], output

    # Parameter server: two prints while the workers run, then -60 each
    assert len(lines_of(output, "Updated params: ")) == 2, output
    assert "Final params: [" + " ".join(["-60."] * 10) + "]" in output.splitlines()
    assert "3 workers pushed 60 gradients; final params are -60 each" in output.splitlines()

    # Tree of actors: states only move RUNNING -> DONE, end all DONE, and the
    # workers are ACTOR_DIED after terminate
    states = [ast.literal_eval(line) for line in lines_of(output, "States: ")]
    assert states and states[-1] == ["DONE"] * 3, output
    for before, after in zip(states, states[1:]):
        assert all(b in ("RUNNING", "DONE") and (b != "DONE" or a == "DONE")
                   for b, a in zip(before, after)), states
    assert lines_of(output, "States after terminate: ") == [str(["ACTOR_DIED"] * 3)]
    for kind in ("lr", "cl", "nn"):
        assert f"Worker {kind} after terminate: ACTOR_DIED (as expected)" in output.splitlines()
    assert "Supervisor killed; the tree of actors checked out" in output.splitlines()

    # Message actor: 30 messages, each exactly once, in order per worker
    received = [text for line in lines_of(output, "New messages: ")
                for text in ast.literal_eval(line)]
    expected = [f"Message {n} from worker {w}." for w in range(3) for n in range(10)]
    assert sorted(received) == sorted(expected), received
    for w in range(3):
        assert [text for text in received if text.endswith(f" worker {w}.")] == \
            [f"Message {n} from worker {w}." for n in range(10)]
    assert ("3 workers sent 30 messages; received 30 of 30, "
            "each exactly once and in order per worker") in output.splitlines()
