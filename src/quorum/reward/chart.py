"""The learning curve as SVG coordinates: held-out accuracy by training labels, one line per arm, each
point with its interval. Drawn by the server (no script); the template only places the marks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT, PAD = 640, 260, 40


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    y_low: float | None
    y_high: float | None
    title: str


@dataclass(frozen=True)
class Series:
    arm: str
    marks: list[Mark]
    line: str


@dataclass(frozen=True)
class CurveChart:
    width: int
    height: int
    pad: int
    series: list[Series]
    x_max: int
    y_top: float
    y_bottom: float


def curve_chart(curves: dict[str, list[dict[str, Any]]]) -> CurveChart | None:
    points = [p for arm in curves.values() for p in arm if p.get("accuracy") is not None]
    if not points:
        return None
    x_max = max(int(p["labels"]) for p in points)
    values = [
        v
        for p in points
        for v in (p["accuracy"], p.get("accuracy_low"), p.get("accuracy_high"))
        if v is not None
    ]
    bottom, top = float(min(0.5, *values)), float(max(1.0, *values))
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def x_of(n: int) -> float:
        return round(PAD + inner_w * n / x_max, 1) if x_max else float(PAD)

    def y_of(v: float) -> float:
        return round(PAD + inner_h * (1 - (v - bottom) / (top - bottom)), 1)

    series = []
    for arm, arm_points in curves.items():
        marks = [
            Mark(
                x_of(int(p["labels"])),
                y_of(p["accuracy"]),
                y_of(p["accuracy_low"]) if p.get("accuracy_low") is not None else None,
                y_of(p["accuracy_high"]) if p.get("accuracy_high") is not None else None,
                f"{arm}: {p['labels']} labels, accuracy {p['accuracy']:.3f}",
            )
            for p in arm_points
            if p.get("accuracy") is not None
        ]
        if marks:
            series.append(Series(arm, marks, " ".join(f"{m.x},{m.y}" for m in marks)))
    return CurveChart(WIDTH, HEIGHT, PAD, series, x_max, top, bottom)
