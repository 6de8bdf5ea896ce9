"""Server-rendered SVG bar charts with labelled axes: no script, no external library."""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 240, 56, 12, 28, 50


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str  # as shown in the bar's tooltip and above it


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    top: int
    bottom_y: int
    right_x: int
    bars: list[Bar]
    ticks: list[Tick]
    x_title: str
    y_title: str
    every: int  # show every n-th x label, so they do not overlap


def bar_chart(
    series: list[tuple[str, float]], *, x_title: str, y_title: str, y_max: float | None = None, unit: str = ""
) -> BarChart | None:
    """One bar per (label, value); ``y_max`` fixes the scale (100 for percentages), else the largest
    value does. None when there is nothing to draw."""
    if not series or all(v == 0 for _, v in series):
        return None
    whole = unit != "%" and all(float(v).is_integer() for _, v in series)
    top_value, step = axis_scale(y_max if y_max is not None else max(v for _, v in series), whole=whole)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = inner_w / len(series)
    bars = []
    for i, (label, value) in enumerate(series):
        h = inner_h * min(value / top_value, 1.0) if top_value else 0.0
        shown = f"{value:.0f}{unit}" if float(value).is_integer() or unit == "%" else f"{value:.1f}{unit}"
        bars.append(
            Bar(
                round(LEFT + slot * i + slot * 0.1, 1),
                round(TOP + inner_h - h, 1),
                round(slot * 0.8, 1),
                round(h, 1),
                label,
                shown,
            )
        )
    steps = round(top_value / step)
    ticks = [Tick(round(TOP + inner_h * (1 - k / steps), 1), _tick(step * k, unit)) for k in range(steps + 1)]
    every = max(1, -(-len(series) // 7))  # at most 7 x labels: they stay apart and readable
    return BarChart(
        WIDTH, HEIGHT, LEFT, TOP, HEIGHT - BOTTOM, WIDTH - RIGHT, bars, ticks, x_title, y_title, every
    )


def axis_scale(largest: float, *, whole: bool) -> tuple[float, float]:
    """The axis's top and its tick step for values up to ``largest``: a step of 1, 2 or 5 times a power of
    ten, at most 5 of them, the top a whole number of steps; counts (``whole``) step by whole numbers, so
    a day of 1 judgment reads 0 and 1 on the axis, not 0, 0.5 and 1."""
    if largest <= 0:
        return 1.0, 1.0
    rough = largest / 5
    power = 10.0 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    if whole:
        step = float(max(1, math.ceil(step)))
    return math.ceil(largest / step - 1e-9) * step, step


def _tick(value: float, unit: str) -> str:
    return f"{value:.0f}{unit}" if value >= 10 or float(value).is_integer() else f"{value:.1f}{unit}"
