"""Benchmark: compile the generated national plan (>= 10^6 instances).

    .venv/bin/python bench/compile.py

Each measurement runs in a fresh child process so its peak memory (max RSS) is its own.
The baseline, measured in the same run, is the floor any graph-of-instances compiler pays:
a bare networkx DiGraph holding the same number of nodes (same id shape, one attribute
each) and edges, built from precomputed lists. Goals (issue 2): <= 20 s, <= 1.5 GiB.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 20.0
GOAL_PEAK_MIB = 1536.0


def child_compile(plan_path: str) -> dict[str, float]:
    from engine.loader import compile_file

    start = time.perf_counter()
    plan = compile_file(Path(plan_path))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "instances": len(plan.instances),
            "edges": plan.graph.number_of_edges(), "peak_mib": _peak_mib()}


def child_baseline(nodes: int, edges: int) -> dict[str, float]:
    import networkx as nx

    ids = [f"national-2026:task-{i % 25:02d}:xa-{i % 3321:04d}:2026-W{i % 52:02d}-{i}"
           for i in range(nodes)]
    start = time.perf_counter()
    gc.disable()  # as engine.core.compile does while it builds the graph
    graph = nx.DiGraph()
    graph.add_nodes_from((n, {"instance": (n, i)}) for i, n in enumerate(ids))
    graph.add_edges_from((ids[i % nodes], ids[(i + 1) % nodes]) for i in range(edges))
    seconds = time.perf_counter() - start
    gc.enable()
    return {"seconds": seconds, "instances": graph.number_of_nodes(),
            "edges": graph.number_of_edges(), "peak_mib": _peak_mib()}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(*args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, *args], check=True,
                          capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> int:
    from bench.national import write_national

    with tempfile.TemporaryDirectory() as folder:
        plan = write_national(Path(folder))
        print("compiling the national plan...", file=sys.stderr)
        ours = _run("--child-compile", str(plan))
    print("building the baseline graph...", file=sys.stderr)
    base = _run("--child-baseline", str(int(ours["instances"])), str(int(ours["edges"])))
    ok = ours["seconds"] <= GOAL_SECONDS and ours["peak_mib"] <= GOAL_PEAK_MIB
    print(f"instances            {int(ours['instances']):>12,}")
    print(f"edges                {int(ours['edges']):>12,}")
    print(f"compile time         {ours['seconds']:>10.2f} s   (goal <= {GOAL_SECONDS:.0f} s)")
    print(f"compile peak memory  {ours['peak_mib']:>10.0f} MiB (goal <= {GOAL_PEAK_MIB:.0f} MiB)")
    print(f"baseline time        {base['seconds']:>10.2f} s   bare DiGraph, same size")
    print(f"baseline peak memory {base['peak_mib']:>10.0f} MiB")
    print(f"ratio time           {ours['seconds'] / base['seconds']:>10.2f} x baseline")
    print(f"ratio memory         {ours['peak_mib'] / base['peak_mib']:>10.2f} x baseline")
    print("goals met" if ok else "GOALS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-compile":
        print(json.dumps(child_compile(sys.argv[2])))
    elif len(sys.argv) > 1 and sys.argv[1] == "--child-baseline":
        print(json.dumps(child_baseline(int(sys.argv[2]), int(sys.argv[3]))))
    else:
        sys.exit(main())
