"""The server-rendered bar chart: bars scale to the largest value, text never leaves the
drawing, labels are escaped, and an empty chart still draws."""
from __future__ import annotations

import re

from gateway.web.helpers import Bar, bar_chart


def _widths(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect [^>]*width="([0-9.]+)"', svg)]


def test_bars_scale_to_the_largest_value_and_fit_the_view_box() -> None:
    svg = str(bar_chart([Bar("CNY due", 4, "4 · CN¥2,848,520.00"), Bar("USD overdue", 1)], title="Due"))
    view_w = float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg).group(1))
    a, b = _widths(svg)
    assert abs(a / b - 4) < 0.01
    xs = [float(x) for x in re.findall(r'<rect x="([0-9.]+)"', svg)]
    note_room = len("4 · CN¥2,848,520.00") * 7
    assert all(x + w + note_room <= view_w for x, w in zip(xs, (a, b)))
    assert "<title>Due</title>" in svg and 'role="img"' in svg


def test_labels_are_escaped_and_an_empty_chart_still_draws() -> None:
    svg = str(bar_chart([Bar("<script>", 2)], title="a & b"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg
    assert str(bar_chart([], title="none")).startswith("<svg")
