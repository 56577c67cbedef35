"""Fleet simulator: a pure, seedable generator of realistic status traffic."""

from __future__ import annotations

from factories.simulate.fleet import Fleet

__all__ = ["Fleet"]
