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
