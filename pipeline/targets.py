"""Milestones, pro-rata pace, appointment rates and gaps by unit and category (pure, no I/O)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

COUNTY = "全县"
DIMENSIONS = ("全县", "乡镇", "部门")
CATEGORY_ORDER = ("规上", "重点行业中小微")
# Enterprises whose township / department is empty still count in the county row; in the
# township and department tables they appear under this name, so nothing silently vanishes.
UNKNOWN_UNIT = "（未注明）"

STATUS_MET = "已达标"
STATUS_ON_PACE = "进度正常"
STATUS_BEHIND = "滞后"
STATUS_EMPTY = "无企业"
STATUSES = (STATUS_MET, STATUS_ON_PACE, STATUS_BEHIND, STATUS_EMPTY)

RATE_COLUMNS = [
    "dimension",
    "unit",
    "category",
    "base",
    "appointed",
    "qualified",
    "rate",
    "target_due",
    "target_pace",
    "gap_due",
    "gap_pace",
]

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[Qq]\s*([1-4])\s*$")
_QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}
# A float target computed from milestones (e.g. a pace of 79/146) is recovered exactly as the
# nearest fraction with at most this denominator; see _exact().
_MAX_DENOMINATOR = 10**7


# -- quarters -------------------------------------------------------------------------------


def parse_quarter(quarter: str) -> tuple[int, int]:
    """Parse "2026Q3" into (2026, 3); ValueError (Chinese message) for anything else."""
    m = _QUARTER_RE.match(str(quarter))
    if not m:
        raise ValueError(f"季度格式应为「2026Q3」（年份 + Q + 1～4），收到：{quarter!r}")
    return int(m.group(1)), int(m.group(2))


def format_quarter(year: int, q: int) -> str:
    return f"{year}Q{q}"


def quarter_end(quarter: str) -> dt.date:
    """Last day of the quarter: "2026Q3" -> 2026-09-30."""
    year, q = parse_quarter(quarter)
    month, day = _QUARTER_END[q]
    return dt.date(year, month, day)


def previous_quarter(quarter: str) -> str:
    """The quarter before: "2026Q1" -> "2025Q4"."""
    year, q = parse_quarter(quarter)
    return format_quarter(year - 1, 4) if q == 1 else format_quarter(year, q - 1)


def quarter_label(quarter: str) -> str:
    """Title form: "2026Q3" -> "2026年第三季度"."""
    year, q = parse_quarter(quarter)
    return f"{year}年第{'一二三四'[q - 1]}季度"


# -- targets --------------------------------------------------------------------------------


def _exact(value: Any) -> Fraction:
    """The exact rational a target stands for: 0.3 -> 3/10 (not 0.299999...).

    Floats go through their shortest decimal text (Fraction(str(0.3)) == 3/10). A float with a
    long decimal expansion was computed (a pace such as 79/146): it is recovered as the closest
    fraction with a small denominator, which is exact for every pace built from milestones.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError("目标值不能是布尔值")
    if isinstance(value, int | np.integer):
        return Fraction(int(value))
    if isinstance(value, str | Decimal):
        return Fraction(str(value).strip())
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"目标值无效：{value!r}")
    f = Fraction(repr(x))
    if f.denominator <= 10**6:
        return f
    return Fraction(x).limit_denominator(_MAX_DENOMINATOR)


def _milestone_points(milestones: Iterable[Any], category: str) -> list[tuple[dt.date, Fraction]]:
    """(deadline, exact target) pairs, sorted. Accepts config.Milestone objects or mappings
    like {"date": date, "规上": 0.5, "重点行业中小微": 0.3}."""
    points = []
    for m in milestones:
        if isinstance(m, Mapping):
            day = m["date"]
            if category not in m:
                raise ValueError(f"目标节点 {day} 没有「{category}」的目标")
            target = m[category]
        else:
            day, target = m.date, m.target(category)
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        if isinstance(day, dt.datetime):
            day = day.date()
        points.append((day, _exact(target)))
    points.sort(key=lambda p: p[0])
    return points


def _targets_exact(
    day: dt.date, category: str, start: dt.date, milestones: Iterable[Any]
) -> tuple[Fraction, Fraction]:
    points = _milestone_points(milestones, category)
    if not points:
        raise ValueError("至少需要一个目标节点")
    due = Fraction(0)
    prev_day, prev_target = start, Fraction(0)
    for deadline, target in points:
        if deadline <= day:
            due = target
            prev_day, prev_target = deadline, target
            continue
        # `day` lies before this milestone: interpolate from the previous one (or from 0 at
        # `start`); before `start` the pace is 0.
        span = (deadline - prev_day).days
        if span <= 0:  # start on or after this deadline: nothing to interpolate
            return due, prev_target
        elapsed = min(max(0, (day - prev_day).days), span)
        pace = prev_target + (target - prev_target) * Fraction(elapsed, span)
        return due, pace
    # After the last milestone the target holds.
    return due, due


def targets_at(
    day: dt.date, category: str, start: dt.date, milestones: Iterable[Any]
) -> tuple[float, float]:
    """(target_due, target_pace) for a category at `day`.

    target_due: the latest milestone whose deadline is on or before `day` (0 if none).
    target_pace: linear in days between the previous milestone (or `start` at 0) and the next
    one; 0 before `start`; after the last milestone both equal its target.
    """
    due, pace = _targets_exact(day, category, start, milestones)
    return float(due), float(pace)


# -- gaps -----------------------------------------------------------------------------------


def required_count(target: Any, base: int) -> int:
    """ceil(target × base), exactly: the number of qualified CQOs the target asks for."""
    t = _exact(target) * int(base)
    return -((-t.numerator) // t.denominator)


def gap(target: Any, base: int, qualified: int) -> int:
    """max(0, ceil(target × base) − qualified), computed exactly (0.3 × 10 = 3, not 4)."""
    return max(0, required_count(target, base) - int(qualified))


def required_counts(target: pd.Series, base: pd.Series) -> pd.Series:
    """Vectorized required_count: exact ceil(target × base) per row (int64)."""
    target = pd.Series(target)
    base = pd.Series(base, index=target.index)
    uniques = pd.unique(target.to_numpy(dtype=float))
    fractions = {u: _exact(u) for u in uniques}
    num = target.map(lambda v: fractions[v].numerator).to_numpy(dtype=np.int64)
    den = target.map(lambda v: fractions[v].denominator).to_numpy(dtype=np.int64)
    b = base.fillna(0).to_numpy(dtype=np.int64)
    # ceil(a / d) == -((-a) // d) for integers; num ≤ 1e7 and base ≤ 1e9 stay inside int64.
    return pd.Series(-((-num * b) // den), index=target.index, dtype="int64")


def gap_series(target: pd.Series, base: pd.Series, qualified: pd.Series) -> pd.Series:
    """Vectorized gap: max(0, ceil(target × base) − qualified) per row (int64)."""
    need = required_counts(target, base)
    q = pd.Series(qualified, index=need.index).fillna(0).to_numpy(dtype=np.int64)
    return pd.Series(np.maximum(need.to_numpy() - q, 0), index=need.index, dtype="int64")


# -- rates ----------------------------------------------------------------------------------


def _ordered(names: Iterable[str], unit_order: Sequence[str] | None) -> list[str]:
    position = {n: i for i, n in enumerate(unit_order or ())}
    return sorted(
        set(names),
        key=lambda n: (n == UNKNOWN_UNIT, position.get(n, len(position)), n),
    )


def _category_order(categories: Iterable[str]) -> list[str]:
    position = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    return sorted(set(categories), key=lambda c: (position.get(c, len(position)), c))


def _unit_column(values: pd.Series) -> pd.Series:
    """Stripped unit names, UNKNOWN_UNIT where empty; each distinct value handled once (a
    national base list names a few thousand units half a million times)."""
    codes, uniques = pd.factorize(values)
    text = pd.Series(uniques, dtype="str").str.strip()
    text = text.mask(text.isna() | (text == ""), UNKNOWN_UNIT).tolist() + [UNKNOWN_UNIT]
    return pd.Series(np.asarray(text, dtype=object)[codes], index=values.index, dtype="str")


def compute_rates(
    base_status: pd.DataFrame,
    quarter: str,
    start: dt.date,
    milestones: Iterable[Any],
    unit_order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rates and gaps per (dimension, unit, category) at the quarter's end (docs/frames.md §6).

    `base_status`: the base list (township, department, category ...) with boolean columns
    `appointed` and `qualified`. Rows: 全县 (sums, not an average of rates), then 乡镇 (the
    township-level units, the industrial park included), then 部门. Within a dimension every
    unit gets a row for every category present in the base list (base 0 → rate 0.0); units
    follow `unit_order` (configured order), others by name, 「（未注明）」 last.
    """
    milestones = list(milestones)
    day = quarter_end(quarter)
    frame = pd.DataFrame(
        {
            "township": _unit_column(base_status["township"]),
            "department": _unit_column(base_status["department"])
            if "department" in base_status
            else UNKNOWN_UNIT,
            "category": base_status["category"].astype("str"),
            "appointed": base_status["appointed"].fillna(False).astype(bool).astype("int64"),
            "qualified": base_status["qualified"].fillna(False).astype(bool).astype("int64"),
        },
        index=base_status.index,
    )
    categories = _category_order(frame["category"].dropna().unique())

    pieces = []
    frame["_county"] = COUNTY
    for dimension, key in (("全县", "_county"), ("乡镇", "township"), ("部门", "department")):
        sub = frame
        if dimension == "部门":
            # Enterprises without a 主管部门 are in their township already; a 部门 row named
            # 「（未注明）」 would only be noise.
            sub = frame[frame["department"] != UNKNOWN_UNIT]
        block = sub.groupby([key, "category"], sort=False).agg(
            base=("appointed", "size"),
            appointed=("appointed", "sum"),
            qualified=("qualified", "sum"),
        )
        block.index = block.index.set_names(["unit", "category"])
        units = [COUNTY] if dimension == "全县" else _ordered(sub[key].unique(), unit_order)
        grid = pd.MultiIndex.from_product([units, categories], names=["unit", "category"])
        block = block.reindex(grid, fill_value=0).reset_index()
        block.insert(0, "dimension", dimension)
        pieces.append(block)

    rates = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()
    if rates.empty:
        text = ("dimension", "unit", "category")
        counts = ("base", "appointed", "qualified", "gap_due", "gap_pace")
        return pd.DataFrame(
            {
                c: pd.Series(dtype="str" if c in text else "int64" if c in counts else "float64")
                for c in RATE_COLUMNS
            }
        )
    for col in ("base", "appointed", "qualified"):
        rates[col] = rates[col].astype("int64")
    rates["rate"] = np.where(
        rates["base"] > 0, rates["qualified"] / rates["base"].where(rates["base"] > 0, 1), 0.0
    )
    targets = {c: _targets_exact(day, c, start, milestones) for c in categories}
    rates["target_due"] = rates["category"].map({c: float(t[0]) for c, t in targets.items()})
    rates["target_pace"] = rates["category"].map({c: float(t[1]) for c, t in targets.items()})
    rates["gap_due"] = gap_series(rates["target_due"], rates["base"], rates["qualified"])
    rates["gap_pace"] = gap_series(rates["target_pace"], rates["base"], rates["qualified"])
    for col in ("dimension", "unit", "category"):
        rates[col] = rates[col].astype("str")
    return rates[RATE_COLUMNS]


def status_labels(rates: pd.DataFrame) -> pd.Series:
    """已达标 / 进度正常 / 滞后 / 无企业 per row of a rates frame.

    - 无企业: base is 0 (nothing to measure).
    - 滞后: short of the pro-rata pace or of the milestone in force (gap_pace > 0 or gap_due > 0).
    - 已达标: a milestone is in force (target_due > 0), it is met (qualified ≥ ceil(target_due ×
      base), i.e. gap_due == 0) and the pace is met too.
    - 进度正常: on pace while no milestone is in force yet (before the first deadline).
    """
    base = rates["base"].fillna(0)
    behind = (rates["gap_pace"].fillna(0) > 0) | (rates["gap_due"].fillna(0) > 0)
    due_in_force = rates["target_due"].fillna(0) > 0
    labels = np.select(
        [base <= 0, behind, due_in_force],
        [STATUS_EMPTY, STATUS_BEHIND, STATUS_MET],
        default=STATUS_ON_PACE,
    )
    return pd.Series(labels, index=rates.index, dtype="str", name="status")


def rank_by_rate(rates: pd.DataFrame) -> pd.Series:
    """Rank (1 = best rate) within (dimension, category); ties share the best rank; the county
    row, units without enterprises and 「（未注明）」 get no rank (NA)."""
    rankable = (
        (rates["dimension"] != COUNTY) & (rates["base"] > 0) & (rates["unit"] != UNKNOWN_UNIT)
    )
    ranks = (
        rates["rate"]
        .where(rankable)
        .groupby([rates["dimension"], rates["category"]])
        .rank(method="min", ascending=False)
    )
    return ranks.astype("Int64").rename("rank")
