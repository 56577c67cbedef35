"""Server-side SVG charts: stacked areas and lines with real gaps, legends and UTC axes.

Pure: no Django, no I/O. Every piece of text that reaches the SVG (titles, legend names that
come from messages, links) goes through `esc`, so the output may be inserted into a page as
markup; `Svg.__html__` tells Django's autoescape exactly that.

A value of None means "no data" and is drawn as a gap, never as 0 (spec vac-protocol.md 9.8).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from html import escape

from vacmon.dashboard import axes

Values = Sequence[float | None]

WIDTH = 720
PLOT_TOP = 34
PLOT_HEIGHT = 230
LEFT = 58
RIGHT = 14
AXIS_SPACE = 40
LEGEND_ROW = 18
LEGEND_COLUMNS = 3

# Twenty distinguishable colours; a group keeps its colour across charts (see `_colours`).
PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
    "#ff9da7", "#9c755f", "#86bcb6", "#8cd17d", "#499894", "#d37295", "#a0cbe8",
    "#ffbe7d", "#bab0ac", "#d4a6c8", "#fabfd2", "#b6992d", "#79706e",
)  # fmt: skip
LINE_COLOURS = ("#222222", "#c0392b", "#1f6fb2", "#6c3483")


class Svg(str):
    """SVG markup whose text has already been escaped by this module."""

    def __html__(self) -> str:
        return str(self)


def esc(text: object) -> str:
    return escape(str(text), quote=True)


@dataclass(frozen=True)
class Chart:
    title: str
    times: Sequence[int]  # bucket starts, epoch seconds
    interval: int
    stacked: Mapping[str, Values] = field(default_factory=dict)
    lines: Mapping[str, Values] = field(default_factory=dict)
    unit: str = ""
    links: Mapping[str, str] = field(default_factory=dict)  # legend name -> URL
    highlight: Collection[str] = ()  # legend names to mark (e.g. stale factories)
    max_groups: int = 10


@dataclass(frozen=True)
class Frame:
    """Where the plot area sits and how data maps onto it."""

    t0: int
    t1: int
    ymax: float

    def x(self, t: float) -> float:
        return LEFT + (t - self.t0) / max(self.t1 - self.t0, 1) * (WIDTH - LEFT - RIGHT)

    def y(self, v: float) -> float:
        return PLOT_TOP + PLOT_HEIGHT - v / self.ymax * PLOT_HEIGHT

    def ys(self, values: Sequence[float]) -> list[str]:
        """`y` of each value as drawn (one decimal), for a run of points."""
        bottom, scale = PLOT_TOP + PLOT_HEIGHT, PLOT_HEIGHT / self.ymax
        return [f"{bottom - v * scale:.1f}" for v in values]


def fold_groups(groups: Mapping[str, Values], keep: int) -> dict[str, list[float | None]]:
    """The `keep - 1` largest groups by total and one "other (n)" group summing the rest, so a
    space with 200 factories still gives a readable chart. Order: largest first."""
    ranked = sorted(groups, key=lambda g: (-sum(v for v in groups[g] if v is not None), g))
    if len(ranked) <= keep:
        return {g: list(groups[g]) for g in ranked}
    head, tail = ranked[: keep - 1], ranked[keep - 1 :]
    out = {g: list(groups[g]) for g in head}
    out[f"other ({len(tail)})"] = sum_values([groups[g] for g in tail])
    return out


def sum_values(rows: Sequence[Values]) -> list[float | None]:
    """Element-wise sum where None only when every row is None at that point."""
    width = max((len(r) for r in rows), default=0)
    out: list[float | None] = []
    for i in range(width):
        present = [r[i] for r in rows if i < len(r) and r[i] is not None]
        out.append(sum(v for v in present if v is not None) if present else None)
    return out


def stack(groups: Mapping[str, Values]) -> dict[str, list[tuple[float, float] | None]]:
    """(base, top) per group per bucket; a group without data in a bucket has None there and
    adds nothing to the groups above it."""
    width = max((len(v) for v in groups.values()), default=0)
    base = [0.0] * width
    out: dict[str, list[tuple[float, float] | None]] = {}
    for name, values in groups.items():
        cells: list[tuple[float, float] | None] = []
        for i in range(width):
            v = values[i] if i < len(values) else None
            if v is None:
                cells.append(None)
                continue
            cells.append((base[i], base[i] + v))
            base[i] += v
        out[name] = cells
    return out


def runs(cells: Sequence[object | None]) -> list[tuple[int, int]]:
    """Maximal [start, end] index ranges of non-None cells."""
    out: list[tuple[int, int]] = []
    start: int | None = None
    for i, cell in enumerate(cells):
        if cell is not None and start is None:
            start = i
        elif cell is None and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(cells) - 1))
    return out


# The tallest value a chart draws. Stored rows may hold anything finite (1.7e308 per factory
# sums to infinity), and an axis must still find a round top and a pixel for every point.
MAX_DRAWN = 1e300


def drawable(values: Values) -> list[float | None]:
    """`values` clamped to what an axis can scale: NaN is no data, beyond ±MAX_DRAWN is
    drawn at it."""
    return [None if v is None or v != v else max(-MAX_DRAWN, min(MAX_DRAWN, v)) for v in values]


def render(chart: Chart) -> Svg:
    chart = replace(
        chart,
        stacked={k: drawable(v) for k, v in chart.stacked.items()},
        lines={k: drawable(v) for k, v in chart.lines.items()},
    )
    groups = fold_groups(chart.stacked, chart.max_groups)
    names = list(groups) + list(chart.lines)
    colours = _colours(list(groups))
    stacked = stack(groups)
    frame = _frame(chart, stacked)
    legend_rows = math.ceil(len(names) / LEGEND_COLUMNS) if names else 1
    height = PLOT_TOP + PLOT_HEIGHT + AXIS_SPACE + legend_rows * LEGEND_ROW + 6
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{esc(chart.title)}">',
        f"<title>{esc(chart.title)}</title>",
        f'<text class="chart-title" x="{LEFT}" y="20">{esc(chart.title)}</text>',
        *_no_data(chart, frame, groups),
        *axes.y_axis(frame.ymax, frame.y, LEFT, WIDTH - RIGHT, chart.unit),
        *axes.x_axis(chart.times, chart.interval, frame.x, PLOT_TOP + PLOT_HEIGHT),
    ]
    # Every series of a chart is drawn through the same bucket centres: placed once.
    xs = [f"{frame.x(_centre(chart, i)):.1f}" for i in range(len(chart.times))]
    for name, cells in stacked.items():
        parts.extend(_area(name, cells, chart, frame, xs, colours[name]))
    for k, (name, values) in enumerate(chart.lines.items()):
        colour = LINE_COLOURS[k % len(LINE_COLOURS)]
        parts.extend(_line(name, values, frame, xs, colour, dashed=bool(groups)))
    parts.extend(_legend(chart, list(groups), colours, PLOT_TOP + PLOT_HEIGHT + AXIS_SPACE))
    if not names:
        parts.append(
            f'<text class="chart-empty" x="{WIDTH / 2}" y="{PLOT_TOP + PLOT_HEIGHT / 2}" '
            'text-anchor="middle">no data in this range</text>'
        )
    parts.append("</svg>")
    return Svg("".join(parts))


def _frame(chart: Chart, stacked: Mapping[str, Sequence[tuple[float, float] | None]]) -> Frame:
    tops = [c[1] for cells in stacked.values() for c in cells if c is not None]
    tops += [v for values in chart.lines.values() for v in values if v is not None]
    t0 = chart.times[0] if chart.times else 0
    t1 = (chart.times[-1] if chart.times else 0) + chart.interval
    return Frame(t0=t0, t1=t1, ymax=axes.nice_ceiling(max(tops, default=0.0)))


def _centre(chart: Chart, i: int) -> float:
    return chart.times[i] + chart.interval / 2


def _no_data(chart: Chart, frame: Frame, groups: Mapping[str, Values]) -> list[str]:
    """Shade buckets where nothing at all reported, so a gap reads as "no data"."""
    rows = list(groups.values()) + list(chart.lines.values())
    if not rows:
        return []
    empty = [None if v is None else 1 for v in sum_values(rows)]
    gaps = runs([1 if v is None else None for v in empty])
    out = []
    for a, b in gaps:
        x0, x1 = frame.x(chart.times[a]), frame.x(chart.times[b] + chart.interval)
        out.append(
            f'<rect class="nodata" x="{x0:.1f}" y="{PLOT_TOP}" width="{x1 - x0:.1f}" '
            f'height="{PLOT_HEIGHT}"><title>no data</title></rect>'
        )
    return out


def _area(
    name: str,
    cells: Sequence[tuple[float, float] | None],
    chart: Chart,
    frame: Frame,
    xs: Sequence[str],
    colour: str,
) -> list[str]:
    out = []
    for a, b in runs(cells):
        if a == b:
            # A lone bucket has no neighbour to join: draw it as a bar one bucket wide.
            lo, hi = cells[a] or (0.0, 0.0)
            x0, x1 = frame.x(chart.times[a]), frame.x(chart.times[a] + chart.interval)
            pts = [(x0, frame.y(hi)), (x1, frame.y(hi)), (x1, frame.y(lo)), (x0, frame.y(lo))]
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        else:
            run = [c for c in cells[a : b + 1] if c is not None]
            tops = frame.ys([hi for _, hi in run])
            bottoms = frame.ys([lo for lo, _ in run])
            top = [f"{x},{y}" for x, y in zip(xs[a : b + 1], tops, strict=True)]
            bottom = [f"{x},{y}" for x, y in zip(xs[a : b + 1], bottoms, strict=True)]
            points = " ".join(top + bottom[::-1])
        out.append(
            f'<polygon class="area" points="{points}" fill="{colour}" fill-opacity="0.8" '
            f'stroke="{colour}"><title>{esc(name)}</title></polygon>'
        )
    return out


def _line(
    name: str, values: Values, frame: Frame, xs: Sequence[str], colour: str, *, dashed: bool
) -> list[str]:
    """A line; dashed when it is a reference (capacity) over stacked areas."""
    dash = ' stroke-dasharray="6 3"' if dashed else ""
    out = []
    for a, b in runs(values):
        ys = frame.ys([v or 0.0 for v in values[a : b + 1]])
        if a == b:
            out.append(f'<circle class="point" cx="{xs[a]}" cy="{ys[0]}" r="2.5" fill="{colour}"/>')
            continue
        points = " ".join(f"{x},{y}" for x, y in zip(xs[a : b + 1], ys, strict=True))
        out.append(
            f'<polyline class="line" points="{points}" fill="none" stroke="{colour}" '
            f'stroke-width="2"{dash}><title>{esc(name)}</title></polyline>'
        )
    return out


def _legend(chart: Chart, groups: list[str], colours: Mapping[str, str], top: int) -> list[str]:
    entries = [(n, colours[n], False) for n in groups]
    entries += [(n, LINE_COLOURS[k % len(LINE_COLOURS)], True) for k, n in enumerate(chart.lines)]
    col_width = (WIDTH - LEFT) / LEGEND_COLUMNS
    dash = ' stroke-dasharray="6 3"' if groups else ""
    out = []
    for k, (name, colour, is_line) in enumerate(entries):
        x = LEFT + (k % LEGEND_COLUMNS) * col_width
        y = top + (k // LEGEND_COLUMNS) * LEGEND_ROW
        swatch = (
            f'<line x1="{x:.0f}" y1="{y + 6}" x2="{x + 14:.0f}" y2="{y + 6}" stroke="{colour}" '
            f'stroke-width="2"{dash}/>'
            if is_line
            else f'<rect x="{x:.0f}" y="{y}" width="12" height="12" fill="{colour}"/>'
        )
        css = "legend stale" if name in chart.highlight else "legend"
        label = _shorten(name, 30) + (" (stale)" if name in chart.highlight else "")
        text = f'<text class="{css}" x="{x + 18:.0f}" y="{y + 10}">{esc(label)}</text>'
        link = chart.links.get(name)
        if link:
            text = f'<a href="{esc(link)}">{text}</a>'
        out.append(f"<g>{swatch}{text}<title>{esc(name)}</title></g>")
    return out


def _shorten(name: str, limit: int) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _colours(names: Sequence[str]) -> dict[str, str]:
    """A colour per name chosen by a stable hash, so a VO or site has the same colour on
    every chart; a clash moves to the next free colour."""
    taken: set[int] = set()
    out = {}
    for name in names:
        k = zlib.crc32(name.encode()) % len(PALETTE)
        for step in range(len(PALETTE)):
            if (k + step) % len(PALETTE) not in taken or len(taken) >= len(PALETTE):
                k = (k + step) % len(PALETTE)
                break
        taken.add(k)
        out[name] = PALETTE[k]
    return out


def bars(title: str, labels: Sequence[str], counts: Sequence[float], unit: str = "") -> Svg:
    """A categorical bar chart (duration histogram, shutdown-code breakdown)."""
    height = PLOT_TOP + PLOT_HEIGHT + AXIS_SPACE
    counts = [v or 0.0 for v in drawable(counts)]
    frame = Frame(t0=0, t1=max(len(labels), 1), ymax=axes.nice_ceiling(max(counts, default=0)))
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
        f'<text class="chart-title" x="{LEFT}" y="20">{esc(title)}</text>',
        *axes.y_axis(frame.ymax, frame.y, LEFT, WIDTH - RIGHT, unit),
    ]
    bottom = PLOT_TOP + PLOT_HEIGHT
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        x0, x1 = frame.x(i) + 2, frame.x(i + 1) - 2
        parts.append(
            f'<rect class="bar" x="{x0:.1f}" y="{frame.y(count):.1f}" width="{x1 - x0:.1f}" '
            f'height="{bottom - frame.y(count):.1f}" fill="{PALETTE[0]}">'
            f"<title>{esc(label)}: {esc(axes.compact(count))}</title></rect>"
        )
        parts.append(
            f'<text class="tick" x="{(x0 + x1) / 2:.1f}" y="{bottom + 16}" '
            f'text-anchor="middle">{esc(_shorten(label, 14))}</text>'
        )
    parts.append("</svg>")
    return Svg("".join(parts))
