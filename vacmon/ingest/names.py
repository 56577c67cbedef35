"""The per-source budget of new names: how many sites, spaces, factories and machinetypes
never seen before one source may introduce in an hour.

Every name becomes a row in the latest-state tables, the lists and the dashboard, so a
source inventing names (a broken relay, or a flood) costs every reader. A message that
would take its source over the budget is refused as `name_budget`; names already known
cost nothing, so a healthy fleet never meets the limit. Machine names are not counted:
every virtual machine has a new one. Known names are remembered per process: at least the
`known_limit // 2` most recently used and at most `known_limit` (vacmon.ingest.recent), so
a name in use stays known, and a flood of new names costs the same for each one however
many came before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from factories.messages import Message, Rejected
from vacmon.ingest.recent import RecentSet

NAME_BUDGET = "name_budget"
WINDOW_SECONDS = 3600.0

Name = tuple[str, ...]
OnRefused = Callable[[str, str, float], None]  # (site, source, now)


def names_of(message: Message) -> list[Name]:
    """The registry-like names a message brings, from its site down."""
    site, space, factory = message.site, message.space, message.factory
    names: list[Name] = [(site,), (site, space), (site, space, factory)]
    if message.machinetype:
        names.append((site, space, factory, message.machinetype))
    return names


@dataclass
class _Spent:
    window_start: float
    new_names: int = 0


class NameBudget:
    def __init__(
        self, per_hour: int, known_limit: int = 500_000, on_refused: OnRefused | None = None
    ) -> None:
        self.per_hour = per_hour
        self.known_limit = known_limit
        self.on_refused = on_refused
        self._known = RecentSet(known_limit)
        self._spent: dict[str, _Spent] = {}

    def check(self, message: Message, source: str, now: float) -> None:
        """Raise Rejected("name_budget") when the message's new names exceed what is left
        of its source's budget this hour; otherwise remember the names as known."""
        known = self._known
        new = [name for name in names_of(message) if not known.refresh(name)]
        if not new:
            return
        spent = self._window(source, now)
        if spent.new_names + len(new) > self.per_hour:
            if self.on_refused is not None:
                self.on_refused(message.site, source, now)
            raise Rejected(
                NAME_BUDGET,
                f"{source} introduced {spent.new_names} new names this hour, the budget is "
                f"{self.per_hour} (VACMON_NAME_BUDGET)",
            )
        spent.new_names += len(new)
        for name in new:
            known.add(name)

    def _window(self, source: str, now: float) -> _Spent:
        spent = self._spent.get(source)
        if spent is None or now - spent.window_start >= WINDOW_SECONDS:
            if len(self._spent) > self.known_limit:
                self._forget_old_windows(now)
            # Moved to the end: the windows stay in the order they started.
            self._spent.pop(source, None)
            spent = self._spent[source] = _Spent(now)
        return spent

    def _forget_old_windows(self, now: float) -> None:
        current = [(s, w) for s, w in self._spent.items() if now - w.window_start < WINDOW_SECONDS]
        # UDP sources are cheap to forge: past the limit within one hour, the oldest windows
        # go too, so the next clean-up is as many new sources away as this one removed, and
        # each new source costs the same however many came before (a source forgotten only
        # starts a new window).
        self._spent = dict(current[-(self.known_limit // 2) :])
