"""Render a compiled plan's dependency graph as Mermaid or Graphviz DOT text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from engine.core.compile import CompiledPlan


def task_edges(plan: CompiledPlan) -> list[tuple[str, str]]:
    """Distinct task-level edges (prerequisite task, dependent task), in spec order."""
    seen: dict[tuple[str, str], None] = {}
    for a, b in plan.graph.edges():
        seen[(plan.graph.nodes[a]["instance"].task, plan.graph.nodes[b]["instance"].task)] = None
    return list(seen)


def to_mermaid(plan: CompiledPlan, *, level: str = "task") -> str:
    """A Mermaid flowchart of the tasks (or of every instance with level="instance")."""
    lines = ["flowchart LR"]
    short: dict[str, str] = {}  # Mermaid ids must be simple words; ours contain ':' and '-'
    for node_id, label in _nodes(plan, level):
        short[node_id] = f"n{len(short)}"
        lines.append(f'    {short[node_id]}["{_escape(label)}"]')
    for a, b in _edges(plan, level):
        lines.append(f"    {short[a]} --> {short[b]}")
    return "\n".join(lines) + "\n"


def to_dot(plan: CompiledPlan, *, level: str = "task") -> str:
    """A Graphviz digraph of the tasks (or of every instance with level="instance")."""
    lines = [f'digraph "{plan.spec.plan.id}" {{', "    rankdir=LR;", "    node [shape=box];"]
    for node_id, label in _nodes(plan, level):
        lines.append(f'    "{node_id}" [label="{_escape(label)}"];')
    for a, b in _edges(plan, level):
        lines.append(f'    "{a}" -> "{b}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _nodes(plan: CompiledPlan, level: str) -> Iterable[tuple[str, str]]:
    if level == "instance":
        for inst in plan.instances:
            due = f"{inst.due_date:%d/%m/%Y}" if inst.due_date else "thường xuyên"
            yield inst.id, f"{inst.task} · {inst.agency} · {inst.period} · {due}"
        return
    counts = Counter(i.task for i in plan.instances)
    for task in plan.spec.tasks:
        yield task.id, f"{task.id}: {task.due} ({counts[task.id]} instances)"


def _edges(plan: CompiledPlan, level: str) -> Iterable[tuple[str, str]]:
    return plan.graph.edges() if level == "instance" else task_edges(plan)


def _escape(text: str) -> str:
    return text.replace('"', "'")
