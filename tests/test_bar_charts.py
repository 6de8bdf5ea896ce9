"""The dashboard's bar charts: axes a person reads at a glance (round steps, whole numbers for counts)."""

from __future__ import annotations

import pytest

from quorum.web.bar_charts import axis_scale, bar_chart


@pytest.mark.parametrize(
    ("largest", "whole", "top", "step"),
    [
        (1, True, 1, 1),  # one judgment: 0 and 1, never 0.5
        (3, True, 3, 1),
        (7, True, 8, 2),
        (10, True, 10, 2),
        (48, True, 50, 10),
        (1234, True, 1500, 500),
        (100, False, 100, 20),
        (0.37, False, 0.4, 0.1),
    ],
)
def test_the_axis_has_round_steps_and_whole_ones_for_counts(
    largest: float, whole: bool, top: float, step: float
) -> None:
    assert axis_scale(largest, whole=whole) == pytest.approx((top, step))


def test_a_chart_of_counts_labels_its_ticks_with_whole_numbers_and_scales_to_its_top() -> None:
    chart = bar_chart([("mon", 1), ("tue", 0)], x_title="day", y_title="judgments")
    assert chart is not None
    assert [t.text for t in chart.ticks] == ["0", "1"]
    chart = bar_chart([("a", 7), ("b", 2)], x_title="x", y_title="judgments")
    assert chart is not None
    assert [t.text for t in chart.ticks] == ["0", "2", "4", "6", "8"]
    full = chart.bottom_y - chart.top
    assert chart.bars[0].height == pytest.approx(full * 7 / 8, abs=0.1)  # 7 of the axis's 8
    percent = bar_chart([("d", 75)], x_title="day", y_title="agree", y_max=100, unit="%")
    assert percent is not None
    assert [t.text for t in percent.ticks] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert bar_chart([("a", 0)], x_title="x", y_title="y") is None
