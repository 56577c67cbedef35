"""Paths built from stored names, for any stored string.

Names come from messages, and rows stored before the name rule (or by another writer) may
hold anything: a `/` no route's segment can hold, an empty string, `..` that a browser folds
away. Such a name gets no link ("") rather than a NoReverseMatch and a 500.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse


def routable(name: str) -> bool:
    """True if `name` can be one path segment that reaches the view it names."""
    return bool(name) and "/" not in name and name not in (".", "..")


def path_to(route: str, *names: str) -> str:
    """The path of `route` for these names, or "" when a name cannot be a path segment."""
    if not all(routable(n) for n in names):
        return ""
    try:
        return str(reverse(route, args=names))
    except NoReverseMatch:
        return ""
