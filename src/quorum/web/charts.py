"""Small server-side SVG charts: no script, no external library."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT, PAD = 640, 180, 32


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    points: str
    y_max: int
    x_start: str
    x_end: str
    pad: int


def line_chart(series: list[tuple[datetime, int]]) -> LineChart | None:
    if len(series) < 2:
        return None
    t0, t1 = series[0][0], series[-1][0]
    span = max((t1 - t0).total_seconds(), 1.0)
    y_max = max(max(v for _, v in series), 1)
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    coords = [
        f"{PAD + inner_w * (t - t0).total_seconds() / span:.1f},{PAD + inner_h * (1 - v / y_max):.1f}"
        for t, v in series
    ]
    return LineChart(
        WIDTH, HEIGHT, " ".join(coords), y_max, t0.strftime("%d %b %H:%M"), t1.strftime("%d %b %H:%M"), PAD
    )


@dataclass(frozen=True)
class IntervalMark:
    x: float
    y: float
    y_low: float | None
    y_high: float | None
    hollow: bool
    title: str


@dataclass(frozen=True)
class IntervalChart:
    """Points with vertical interval whiskers; ``hollow`` points are the ones to read with care."""

    width: int
    height: int
    pad: int
    marks: list[IntervalMark]
    line: str
    y_top: float
    y_bottom: float
    zero_y: float | None
    x_start: str
    x_end: str


def interval_chart(
    series: list[tuple[datetime, float | None, float | None, float | None, bool, str]],
    y_range: tuple[float, float] = (0.0, 1.0),
) -> IntervalChart | None:
    """Chart of (time, value, low, high, hollow, title) points over a y range widened to fit the
    points; points without a value are left out of the drawing (the table still lists them)."""
    shown = [p for p in series if p[1] is not None]
    if not shown:
        return None
    values = [v for p in shown for v in (p[1], p[2], p[3]) if v is not None]
    bottom = min(y_range[0], *values)
    top = max(y_range[1], *values)
    bottom, top = float(bottom), float(top) if top > bottom else float(bottom) + 1.0
    t0, t1 = shown[0][0], shown[-1][0]
    span = (t1 - t0).total_seconds()
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def x_of(t: datetime) -> float:
        return round(PAD + (inner_w * (t - t0).total_seconds() / span if span > 0 else inner_w / 2), 1)

    def y_of(v: float) -> float:
        return round(PAD + inner_h * (1 - (v - bottom) / (top - bottom)), 1)

    marks = [
        IntervalMark(
            x_of(t),
            y_of(v),
            y_of(low) if low is not None else None,
            y_of(high) if high is not None else None,
            hollow,
            title,
        )
        for t, v, low, high, hollow, title in shown
        if v is not None
    ]
    return IntervalChart(
        WIDTH,
        HEIGHT,
        PAD,
        marks,
        " ".join(f"{m.x},{m.y}" for m in marks),
        top,
        bottom,
        y_of(0.0) if bottom < 0 < top else None,
        t0.strftime("%d %b %Y %H:%M"),
        t1.strftime("%d %b %Y %H:%M"),
    )
