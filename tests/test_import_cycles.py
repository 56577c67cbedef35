"""No import cycles among the project's packages, counting every import: at module level,
inside functions (a lazy import is a cycle postponed, not removed) and under TYPE_CHECKING.
A package above a module is already being imported when the module runs, so importing a
sibling through it (`from vacmon.store import base`) is no edge to the package; taking a
name from the package's own __init__ is."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("factories", "publisher", "apel", "probes", "vacmon")


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported(module: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The project modules `module` imports, by the names its import statements give."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield full if full in known else base


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for module, path in known.items():
        for name in imported(module, path, known):
            while name and name not in known:
                name = name.rpartition(".")[0]
            direct = True
            while name:
                # Packages above the importer are already importing; only a name taken
                # directly from one of them is an edge to it.
                above = not direct and module.startswith(name + ".")
                if name != module and not above and name in known:
                    edges[module].add(name)
                direct = False
                name = name.rpartition(".")[0]
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_imports_itself_back_through_others() -> None:
    assert cycles(graph()) == []


def test_the_walk_sees_a_cycle_when_there_is_one() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]


def test_the_walk_sees_the_imports_of_the_project() -> None:
    edges = graph()
    assert "vacmon.trust.policies" in edges["vacmon.trust.udp"]
    assert "vacmon.trust.registry" in edges["vacmon.trust.udp"]  # the lazy one counts
    assert "vacmon.store.base" in edges["vacmon.store"]


def test_ingest_imports_nothing_from_ops() -> None:
    """Ingest owns its counters and write statistics; ops only reads and exports them."""
    edges = graph()
    into_ops = {
        (module, target)
        for module, targets in edges.items()
        if module.startswith("vacmon.ingest")
        for target in targets
        if target == "vacmon.ops" or target.startswith("vacmon.ops.")
    }
    assert into_ops == set()
    assert "vacmon.ingest.counters" in edges["vacmon.ops.metrics"]
