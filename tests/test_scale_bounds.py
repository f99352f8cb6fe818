"""Reports stay readable at a province's scale: charts show at most MAX_CHART_UNITS units."""

from __future__ import annotations

import pandas as pd

from pipeline.reports import charts
from pipeline.targets import compute_rates
from tests.test_charts import MILESTONES, START


def _many_units(n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        for k in range(3):
            rows.append((f"第{i:03d}镇", "县经信局", "规上", True, (i + k) % 4 != 0))
    base = pd.DataFrame(rows, columns=["township", "department", "category", "appointed",
                                       "qualified"])
    return compute_rates(base, "2026Q3", START, MILESTONES,
                         unit_order=sorted(base["township"].unique()))


def test_charts_of_many_units_show_those_needing_attention():
    rates = _many_units(100)
    towns = rates[(rates["dimension"] == "乡镇") & (rates["unit"] != "全县")]
    rate_fig = charts.rate_chart(rates, "规上", "2026Q3")
    ax = rate_fig.axes[0]
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert len(shown) == charts.MAX_CHART_UNITS
    lowest = towns.sort_values(["rate", "unit"], ascending=[False, True]).tail(
        charts.MAX_CHART_UNITS)["unit"]
    assert shown == lowest.tolist()
    assert "共 100 个单位" in ax.get_title()

    gap_fig = charts.gap_chart(rates, "规上", "2026Q3")
    labels = [t.get_text() for t in gap_fig.axes[0].get_yticklabels()]
    assert len(labels) == charts.MAX_CHART_UNITS
    assert min(towns.set_index("unit").loc[labels, "gap_pace"]) >= towns["gap_pace"].nlargest(
        charts.MAX_CHART_UNITS).min()


def test_a_county_keeps_every_unit_and_its_title():
    rates = _many_units(13)
    ax = charts.rate_chart(rates, "规上", "2026Q3").axes[0]
    assert len(ax.get_xticklabels()) == 13
    assert "共" not in ax.get_title()
