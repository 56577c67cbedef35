"""Axis arithmetic and markup for the SVG charts: nice steps, UTC time ticks, compact numbers.

Pure: no Django. Axis labels are generated from numbers and times only, but pass through
`escape` anyway so nothing unescaped can ever reach the page from here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from vacmon.dashboard import fmt

TIME_STEPS = (
    60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
    86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400,
)  # fmt: skip
MAX_X_TICKS = 6
# Axis tops are capped here: a rounded-up step or top near float's own limit would overflow to
# infinity, which no pixel can be.
LARGEST = 1e306


def nice_step(rough: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `rough`."""
    if not rough > 0:  # also NaN
        return 1.0
    rough = min(rough, LARGEST)
    power = 10.0 ** math.floor(math.log10(rough))
    for mult in (1.0, 2.0, 2.5, 5.0, 10.0):
        if mult * power >= rough * (1 - 1e-9):
            return mult * power
    return 10.0 * power


def nice_ceiling(value: float) -> float:
    """A round axis top at or above `value` (1 for an empty or all-zero chart)."""
    if not value > 0:  # also NaN
        return 1.0
    value = min(value, LARGEST)
    step = nice_step(value / 4)
    return math.ceil(value / step - 1e-9) * step


def compact(value: float) -> str:
    """1500 -> 1.5k, 2000000 -> 2M, 0.25 -> 0.25: short enough for a tick label."""
    magnitude = abs(value)
    for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= size:
            return f"{value / size:.3g}{suffix}"
    if magnitude == 0 or magnitude >= 1:
        return f"{value:.4g}"
    return f"{value:.2g}"


def time_step(span: int) -> int:
    for step in TIME_STEPS:
        if span / step <= MAX_X_TICKS:
            return step
    return max(TIME_STEPS[-1], (span // MAX_X_TICKS) // 86400 * 86400)


def time_ticks(t0: int, t1: int) -> list[int]:
    step = time_step(max(t1 - t0, 1))
    first = -(-t0 // step) * step
    return list(range(first, t1 + 1, step))


def tick_labels(ticks: Sequence[int]) -> list[tuple[str, str]]:
    """(main, second line) per tick in UTC; the second line (date, or year for daily ticks)
    appears only where it changes, as on a paper chart."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 3600
    out = []
    previous = ""
    for t in ticks:
        moment = fmt.moment(t)
        if moment is None:  # beyond any calendar: no label rather than no page
            out.append(("", ""))
            continue
        if step >= 86400:
            main, context = moment.strftime("%d %b"), moment.strftime("%Y")
        else:
            main, context = moment.strftime("%H:%M"), moment.strftime("%d %b")
        out.append((main, context if context != previous else ""))
        previous = context
    return out


def y_axis(ymax: float, y: Callable[[float], float], left: int, right: int, unit: str) -> list[str]:
    step = nice_step(ymax / 4)
    out = []
    k = 0
    while k * step <= ymax * (1 + 1e-9):
        v = k * step
        py = y(v)
        out.append(f'<line class="grid" x1="{left}" y1="{py:.1f}" x2="{right}" y2="{py:.1f}"/>')
        out.append(
            f'<text class="tick" x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">'
            f"{escape(compact(v))}</text>"
        )
        k += 1
    if unit:
        mid = y(ymax / 2)
        out.append(
            f'<text class="unit" transform="translate(12 {mid:.1f}) rotate(-90)" '
            f'text-anchor="middle">{escape(unit)}</text>'
        )
    return out


def x_axis(
    times: Sequence[int], interval: int, x: Callable[[float], float], bottom: int
) -> list[str]:
    if not times:
        return []
    t0, t1 = times[0], times[-1] + interval
    ticks = time_ticks(t0, t1)
    out = [f'<line class="axis" x1="{x(t0):.1f}" y1="{bottom}" x2="{x(t1):.1f}" y2="{bottom}"/>']
    for t, (top_label, low_label) in zip(ticks, tick_labels(ticks), strict=True):
        px = x(t)
        out.append(
            f'<line class="axis" x1="{px:.1f}" y1="{bottom}" x2="{px:.1f}" y2="{bottom + 4}"/>'
        )
        out.append(
            f'<text class="tick" x="{px:.1f}" y="{bottom + 16}" text-anchor="middle">'
            f"{escape(top_label)}</text>"
        )
        if low_label:
            out.append(
                f'<text class="tick" x="{px:.1f}" y="{bottom + 29}" text-anchor="middle">'
                f"{escape(low_label)}</text>"
            )
    out.append(f'<text class="unit" x="{x(t1):.1f}" y="{bottom + 29}" text-anchor="end">UTC</text>')
    return out
