"""Milestones, pace, exact gaps and rates by unit and category (pipeline.targets)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pandas as pd
import pytest

from pipeline.config import Milestone
from pipeline.targets import (
    COUNTY,
    RATE_COLUMNS,
    UNKNOWN_UNIT,
    compute_rates,
    gap,
    gap_series,
    parse_quarter,
    previous_quarter,
    quarter_end,
    rank_by_rate,
    required_count,
    status_labels,
    targets_at,
)

# The seed's milestones (崇质强办文〔2022〕3号) and config.yaml's start.
START = dt.date(2021, 1, 1)
MILESTONES = (
    Milestone.model_validate({"date": "2021-12-31", "规上": 0.5, "重点行业中小微": 0.3}),
    Milestone.model_validate({"date": "2023-12-31", "规上": 0.8, "重点行业中小微": 0.5}),
    Milestone.model_validate({"date": "2025-12-31", "规上": 1.0, "重点行业中小微": 0.8}),
)


# -- quarters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quarter", "end"),
    [
        ("2026Q1", dt.date(2026, 3, 31)),
        ("2026Q2", dt.date(2026, 6, 30)),
        ("2026Q3", dt.date(2026, 9, 30)),
        ("2026Q4", dt.date(2026, 12, 31)),
        ("2024q1", dt.date(2024, 3, 31)),
    ],
)
def test_quarter_end(quarter, end):
    assert quarter_end(quarter) == end


@pytest.mark.parametrize("bad", ["2026Q5", "2026Q0", "26Q3", "2026-09", "", "Q3 2026", "2026Q3x"])
def test_parse_quarter_rejects_bad_text(bad):
    with pytest.raises(ValueError, match="2026Q3"):
        parse_quarter(bad)


@pytest.mark.parametrize(
    ("quarter", "previous"), [("2026Q3", "2026Q2"), ("2026Q1", "2025Q4"), ("2022Q4", "2022Q3")]
)
def test_previous_quarter(quarter, previous):
    assert previous_quarter(quarter) == previous


# -- targets_at -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quarter", "category", "due", "pace"),
    [
        # Before start: nothing due, no pace.
        ("2020Q4", "规上", 0.0, 0.0),
        # Before the first milestone: 2021-01-01 -> 2021-03-31 is 89 of the 364 days to
        # 2021-12-31, so pace = 0.5 × 89/364 (规上) and 0.3 × 89/364 (重点).
        ("2021Q1", "规上", 0.0, 0.5 * 89 / 364),
        ("2021Q1", "重点行业中小微", 0.0, 0.3 * 89 / 364),
        # Exactly on a milestone: due and pace are its target.
        ("2021Q4", "规上", 0.5, 0.5),
        ("2021Q4", "重点行业中小微", 0.3, 0.3),
        ("2023Q4", "规上", 0.8, 0.8),
        # Between: 2021-12-31 -> 2022-12-31 is 365 of the 730 days to 2023-12-31, so
        # pace = 0.5 + (0.8 − 0.5) × 365/730 = 0.65 and 0.3 + (0.5 − 0.3) × 0.5 = 0.4.
        ("2022Q4", "规上", 0.5, 0.65),
        ("2022Q4", "重点行业中小微", 0.3, 0.4),
        # 2023-06-30 is 365 + 181 = 546 days after 2021-12-31: 0.5 + 0.3 × 546/730.
        ("2023Q2", "规上", 0.5, 0.5 + 0.3 * 546 / 730),
        # On the last milestone and after it: the target holds.
        ("2025Q4", "规上", 1.0, 1.0),
        ("2025Q4", "重点行业中小微", 0.8, 0.8),
        ("2026Q3", "规上", 1.0, 1.0),
        ("2026Q3", "重点行业中小微", 0.8, 0.8),
        ("2030Q1", "重点行业中小微", 0.8, 0.8),
    ],
)
def test_targets_at(quarter, category, due, pace):
    got_due, got_pace = targets_at(quarter_end(quarter), category, START, MILESTONES)
    assert got_due == pytest.approx(due, abs=1e-12)
    assert got_pace == pytest.approx(pace, abs=1e-12)


def test_targets_at_accepts_mappings():
    ms = [{"date": dt.date(2021, 12, 31), "规上": 0.5}, {"date": "2023-12-31", "规上": 0.8}]
    assert targets_at(dt.date(2022, 12, 31), "规上", START, ms) == pytest.approx((0.5, 0.65))


def test_targets_at_day_before_a_milestone():
    due, pace = targets_at(dt.date(2021, 12, 30), "规上", START, MILESTONES)
    assert due == 0.0 and 0.49 < pace < 0.5


# -- gaps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "base", "qualified", "expected"),
    [
        (0.3, 10, 0, 3),  # 0.3 × 10 is 3 exactly; float arithmetic gives 3.0000000000000004
        (0.3, 10, 3, 0),
        (0.5, 3, 0, 2),  # 1.5 -> 2
        (0.5, 3, 1, 1),
        (0.8, 5, 0, 4),
        (1.0, 7, 0, 7),
        (1.0, 7, 6, 1),
        (0.8, 5, 9, 0),  # above the target: no negative gap
        (0.7, 10, 0, 7),  # 0.7 × 10 = 7.000000000000001 in floats
        (0.0, 12, 0, 0),
        (0.5, 0, 0, 0),  # no enterprises, nothing to do
        ("0.3", 10, 0, 3),
        (Fraction(1, 3), 3, 0, 1),
    ],
)
def test_gap_is_exact(target, base, qualified, expected):
    assert gap(target, base, qualified) == expected


def test_gap_of_a_computed_pace_is_exact():
    # 2023-01-10 lies 375 days after 2021-12-31: pace = 1/2 + 3/10 × 375/730 = 191/292, whose
    # float is no short decimal. × 292 it is 191 exactly: 191 required, not 192.
    _, pace = targets_at(dt.date(2023, 1, 10), "规上", START, MILESTONES)
    assert Fraction(1, 2) + Fraction(3, 10) * Fraction(375, 730) == Fraction(191, 292)
    assert required_count(pace, 292) == 191
    assert gap(pace, 292, 191) == 0
    assert gap(pace, 292, 190) == 1


def test_gap_series_matches_scalar():
    cases = [(0.3, 10, 0), (0.5, 3, 0), (0.8, 5, 0), (1.0, 7, 0), (0.8, 5, 9), (0.65, 20, 12)]
    target, base, qualified = (pd.Series(x) for x in zip(*cases, strict=True))
    got = gap_series(target, base, qualified)
    assert got.tolist() == [gap(*c) for c in cases] == [3, 2, 4, 7, 0, 1]
    assert str(got.dtype) == "int64"


# -- compute_rates --------------------------------------------------------------------------


def _base_status() -> pd.DataFrame:
    rows = [
        # township, department, category, appointed, qualified
        ("天城镇", "县经信局", "规上", True, True),
        ("天城镇", "县经信局", "规上", True, False),
        ("天城镇", "县经信局", "规上", False, False),
        ("天城镇", None, "重点行业中小微", True, True),
        ("沙坪镇", "县住建局", "规上", True, True),
        ("沙坪镇", "县经信局", "规上", True, True),
        ("崇阳县工业园区", "县经信局", "规上", True, True),
        ("崇阳县工业园区", "县经信局", "重点行业中小微", False, False),
        ("崇阳县工业园区", "县住建局", "重点行业中小微", True, False),
    ]
    frame = pd.DataFrame(
        rows, columns=["township", "department", "category", "appointed", "qualified"]
    )
    frame.insert(0, "enterprise_name", [f"企业{i}" for i in range(len(frame))])
    return frame


ORDER = ["天城镇", "沙坪镇", "石城镇", "崇阳县工业园区", "县经信局", "县住建局"]


def test_compute_rates_shape_and_order():
    rates = compute_rates(_base_status(), "2026Q3", START, MILESTONES, unit_order=ORDER)
    assert list(rates.columns) == RATE_COLUMNS
    keys = list(zip(rates["dimension"], rates["unit"], rates["category"], strict=True))
    assert keys == [
        ("全县", "全县", "规上"),
        ("全县", "全县", "重点行业中小微"),
        ("乡镇", "天城镇", "规上"),
        ("乡镇", "天城镇", "重点行业中小微"),
        ("乡镇", "沙坪镇", "规上"),
        ("乡镇", "沙坪镇", "重点行业中小微"),
        ("乡镇", "崇阳县工业园区", "规上"),
        ("乡镇", "崇阳县工业园区", "重点行业中小微"),
        ("部门", "县经信局", "规上"),
        ("部门", "县经信局", "重点行业中小微"),
        ("部门", "县住建局", "规上"),
        ("部门", "县住建局", "重点行业中小微"),
    ]
    for col in ("base", "appointed", "qualified", "gap_due", "gap_pace"):
        assert str(rates[col].dtype) == "int64"


def test_compute_rates_without_order_sorts_by_name():
    rates = compute_rates(_base_status(), "2026Q3", START, MILESTONES)
    towns = list(dict.fromkeys(rates.loc[rates["dimension"] == "乡镇", "unit"]))
    assert towns == sorted(towns)


def test_county_row_sums_bases_and_counts():
    rates = compute_rates(_base_status(), "2026Q3", START, MILESTONES, unit_order=ORDER)
    towns = rates[rates["dimension"] == "乡镇"]
    county = rates[rates["unit"] == COUNTY].set_index("category")
    for cat in ("规上", "重点行业中小微"):
        rows = towns[towns["category"] == cat]
        for col in ("base", "appointed", "qualified"):
            assert county.loc[cat, col] == rows[col].sum()
    # 规上: 6 enterprises, 5 appointed, 4 qualified -> 4/6, not the mean of 1/3, 1, 1.
    assert county.loc["规上", ["base", "appointed", "qualified"]].tolist() == [6, 5, 4]
    assert county.loc["规上", "rate"] == pytest.approx(4 / 6)
    # 2026Q3: 规上 100 % due -> need 6, gap 2; 重点 80 % of 3 = 2.4 -> 3, qualified 1, gap 2.
    assert county.loc["规上", ["gap_due", "gap_pace"]].tolist() == [2, 2]
    assert county.loc["重点行业中小微", ["target_due", "gap_due"]].tolist() == [0.8, 2]


def test_unit_rows_values():
    rates = compute_rates(_base_status(), "2022Q4", START, MILESTONES, unit_order=ORDER)
    row = rates[(rates["unit"] == "天城镇") & (rates["category"] == "规上")].iloc[0]
    # 3 enterprises, 1 qualified; due 0.5 -> ceil(1.5) = 2, pace 0.65 -> ceil(1.95) = 2.
    assert (row["base"], row["appointed"], row["qualified"]) == (3, 2, 1)
    assert row["rate"] == pytest.approx(1 / 3)
    assert (row["target_due"], row["target_pace"]) == pytest.approx((0.5, 0.65))
    assert (row["gap_due"], row["gap_pace"]) == (1, 1)


def test_base_zero_gives_rate_zero_and_no_gap():
    rates = compute_rates(_base_status(), "2026Q3", START, MILESTONES, unit_order=ORDER)
    row = rates[(rates["unit"] == "沙坪镇") & (rates["category"] == "重点行业中小微")].iloc[0]
    assert (row["base"], row["qualified"], row["rate"]) == (0, 0, 0.0)
    assert (row["gap_due"], row["gap_pace"]) == (0, 0)
    assert status_labels(rates).loc[row.name] == "无企业"


def test_department_dimension_skips_missing_department_but_county_counts_it():
    rates = compute_rates(_base_status(), "2026Q3", START, MILESTONES, unit_order=ORDER)
    depts = rates[rates["dimension"] == "部门"]
    assert UNKNOWN_UNIT not in set(depts["unit"])
    county = rates[(rates["unit"] == COUNTY) & (rates["category"] == "重点行业中小微")]
    assert county["base"].iloc[0] == 3  # the 天城镇 enterprise without 主管部门 included
    assert depts[depts["category"] == "重点行业中小微"]["base"].sum() == 2


def test_missing_township_is_kept_under_unknown():
    frame = _base_status()
    frame.loc[0, "township"] = None
    rates = compute_rates(frame, "2026Q3", START, MILESTONES, unit_order=ORDER)
    towns = rates[rates["dimension"] == "乡镇"]
    assert towns["unit"].iloc[-1] == UNKNOWN_UNIT
    assert towns["base"].sum() == rates.loc[rates["unit"] == COUNTY, "base"].sum()


def test_compute_rates_does_not_modify_input():
    frame = _base_status()
    before = frame.copy()
    compute_rates(frame, "2026Q3", START, MILESTONES)
    pd.testing.assert_frame_equal(frame, before)


# -- status and ranking ---------------------------------------------------------------------


def _rates(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    defaults = {
        "dimension": ["乡镇"] * n,
        "unit": [f"单位{i}" for i in range(n)],
        "category": ["规上"] * n,
    }
    return pd.DataFrame({**defaults, **cols})


def test_status_labels():
    rates = _rates(
        base=[10, 10, 10, 10, 0, 10],
        qualified=[8, 6, 3, 9, 0, 5],
        rate=[0.8, 0.6, 0.3, 0.9, 0.0, 0.5],
        target_due=[0.5, 0.5, 0.5, 0.0, 0.5, 0.5],
        target_pace=[0.65, 0.65, 0.65, 0.2, 0.65, 0.5],
        gap_due=[0, 0, 2, 0, 0, 0],
        gap_pace=[0, 1, 4, 0, 0, 0],
    )
    assert status_labels(rates).tolist() == [
        "已达标",  # due and pace met
        "滞后",  # due met, pace not: behind the pro-rata path
        "滞后",  # due missed
        "进度正常",  # nothing due yet, on pace
        "无企业",
        "已达标",  # exactly at the target
    ]


def test_rank_by_rate_within_category_ties_share_rank():
    rates = _rates(
        dimension=["全县", "乡镇", "乡镇", "乡镇", "乡镇", "乡镇"],
        unit=["全县", "甲", "乙", "丙", "丁", "戊"],
        category=["规上", "规上", "规上", "规上", "规上", "重点行业中小微"],
        base=[40, 10, 10, 10, 0, 10],
        rate=[0.5, 0.6, 0.9, 0.6, 0.0, 0.1],
    )
    assert rank_by_rate(rates).tolist() == [pd.NA, 2, 1, 2, pd.NA, 1]


def test_compute_rates_of_an_empty_base_list():
    empty = _base_status().iloc[0:0]
    rates = compute_rates(empty, "2026Q3", START, MILESTONES)
    assert rates.empty and list(rates.columns) == RATE_COLUMNS
    assert str(rates["base"].dtype) == "int64" and str(rates["rate"].dtype) == "float64"
