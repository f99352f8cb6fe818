"""Everything the quarterly documents need, gathered once by run.py and handed to each writer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class ReportContext:
    """Inputs of the gap workbook, the supervision report and the charts.

    Frames (see docs/frames.md):
    - rates: one row per (dimension, unit, category) — dimension 乡镇 / 部门 / 全县; columns
      unit, category, base, appointed, qualified, rate, target_due, target_pace, gap_due, gap_pace.
    - previous_rates: the same for the previous stored quarter (empty frame when none).
    - trend: county rows (unit 全县) of every stored quarter up to this one: quarter, category,
      base, appointed, qualified, rate, target_due, target_pace.
    - lagging: base enterprises without a qualified CQO: enterprise_name, credit_code, township,
      department, category, reason (Chinese: 未报送首席质量官 / 不合格：<rule messages>),
      cqo_name (may be NaN), id_number / mobile already masked.
    - submissions: one row per file received: unit, file, status, rows_read, rows_accepted,
      rows_rejected, fill_date (NaT if unknown), late (bool).
    - missing_units: configured 乡镇/园区 units that sent nothing this quarter.
    - issue_counts: rule code -> count; issue_summary: rule, severity, count, message (Chinese
      label of the rule), ordered by count.
    """

    county: str
    quarter: str  # "2026Q3"
    quarter_end: dt.date
    deadline: dt.date
    generated: dt.date
    profile_name: str
    rates: pd.DataFrame
    previous_rates: pd.DataFrame
    trend: pd.DataFrame
    lagging: pd.DataFrame
    submissions: pd.DataFrame
    missing_units: list[str]
    issue_counts: dict[str, int]
    issue_summary: pd.DataFrame
    chart_paths: dict[str, Path] = field(default_factory=dict)
