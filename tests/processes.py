"""The processes below one, read from /proc: for tests and benches that start the service."""

from __future__ import annotations

from pathlib import Path


def descendants(pid: int) -> set[int]:
    """Every process started under `pid`, however deep (children of children included)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(p) for p in (task / "children").read_text().split()]
            except FileNotFoundError:
                continue  # gone while we looked
            found.update(kids)
            todo.extend(kids)
    return found
