"""The gap workbook 目标差距报告.xlsx: rates, targets, gaps, ranking, lagging units, charts."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.fsutil import atomic_path
from pipeline.privacy import mask_id, mask_in_texts, mask_mobile
from pipeline.reports.context import ReportContext
from pipeline.reports.xlsx import (
    WORKBOOK_OPTIONS,
    column_widths,
    display_width,
    fit_cell_text,
)
from pipeline.targets import (
    CATEGORY_ORDER,
    COUNTY,
    STATUS_BEHIND,
    STATUS_MET,
    STATUS_ON_PACE,
    UNKNOWN_UNIT,
    parse_quarter,
    quarter_label,
    rank_by_rate,
    status_labels,
)

SHEET_SUMMARY = "汇总"
SHEET_CHARTS = "图表"
SHEET_DEPARTMENTS = "部门"
SHEET_SUBMISSIONS = "报送情况"

GREEN = {"bg_color": "#C6EFCE", "font_color": "#006100"}
AMBER = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}
RED = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}

PCT = "0.0%"
# The change of a rate is a difference of percentages: written as percentage points (the value
# x100, rounded to 0.1 like the supervision report) and shown "+12.7个百分点" / "持平".
DELTA_PP = '+0.0"个百分点";-0.0"个百分点";"持平"'
INT = "0"
DATE = "yyyy-mm-dd"

# 18-character ID numbers (and 11-digit mobiles) that slipped into free text are masked again.

SUBMISSION_STATUS = {"ok": "已读取", "failed": "读取失败"}
MISSING = "未报送"


def lagging_sheet_name(category: str) -> str:
    """Sheet of a category's lagging enterprises, e.g. 规上未达标企业 (at most 31 characters)."""
    return f"{category}未达标企业"[:31]


def write_gap_report(path: Path, ctx: ReportContext) -> Path:
    """Write 目标差距报告.xlsx (atomically) and return its path.

    Sheets: 汇总 (county and township rows per category, ranking, status), 图表 (trend table
    and native charts), 部门, one 「<类别>未达标企业」 sheet per category, 报送情况. Text from
    senders is written as text (never a formula); ID numbers and mobiles are masked.
    """
    path = Path(path)
    categories = _categories(ctx)
    rates = (
        ctx.rates.assign(status=status_labels(ctx.rates), rank=rank_by_rate(ctx.rates))
        if not ctx.rates.empty
        else ctx.rates
    )
    with atomic_path(path) as tmp:
        workbook = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        try:
            fmt = _Formats(workbook)
            summary = workbook.add_worksheet(SHEET_SUMMARY)
            charts = workbook.add_worksheet(SHEET_CHARTS)
            departments = workbook.add_worksheet(SHEET_DEPARTMENTS)
            lagging_sheets = {c: workbook.add_worksheet(lagging_sheet_name(c)) for c in categories}
            submissions = workbook.add_worksheet(SHEET_SUBMISSIONS)

            layout = _write_summary(summary, fmt, ctx, rates, categories)
            _write_charts(workbook, charts, fmt, ctx, layout, categories)
            _write_departments(departments, fmt, ctx, rates, categories)
            unit_order = _unit_order(ctx.rates)
            for cat, ws in lagging_sheets.items():
                _write_lagging(ws, fmt, ctx, cat, unit_order)
            _write_submissions(submissions, fmt, ctx)
            summary.activate()
        finally:
            workbook.close()
    return path


# -- formats and cells ----------------------------------------------------------------------


class _Formats:
    """Cached cell formats: one xlsxwriter Format per distinct property set."""

    def __init__(self, workbook: Workbook) -> None:
        self._workbook = workbook
        self._cache: dict[tuple, Any] = {}
        self.base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
        self.title = self.get(bold=True, font_size=14, align="left")
        self.subtitle = self.get(font_size=9, font_color="#595959", align="left")
        self.note = self.get(font_size=9, font_color="#595959", text_wrap=False)
        self.header = self.get(
            bold=True, bg_color="#DDEBF7", border=1, text_wrap=True, align="center"
        )
        self.green = workbook.add_format(GREEN)
        self.amber = workbook.add_format(AMBER)
        self.red = workbook.add_format(RED)
        self.red_font = workbook.add_format({"font_color": "#C00000", "bold": True})

    def get(self, **props: Any) -> Any:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self._workbook.add_format({**self.base, **props})
        return self._cache[key]

    def cell(
        self,
        num_format: str | None = None,
        county: bool = False,
        top_border: bool = False,
        wrap: bool = False,
    ) -> Any:
        props: dict[str, Any] = {"border": 1, "border_color": "#BFBFBF"}
        if num_format:
            props["num_format"] = num_format
        if county:
            props.update(bold=True, bg_color="#F2F2F2")
        if top_border:
            props.update(top=2, top_color="#7F7F7F")
        if wrap:
            props["text_wrap"] = True
        return self.get(**props)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _write(ws: Worksheet, row: int, col: int, value: Any, cell_format: Any = None) -> None:
    """Type-driven write: text always through write_string (never a formula or a link)."""
    kind = value.__class__
    if kind is str:  # the common cases first: one class check each
        ws.write_string(row, col, fit_cell_text(value), cell_format)
    elif kind is float:
        if math.isfinite(value):
            ws.write_number(row, col, value, cell_format)
        else:
            ws.write_blank(row, col, None, cell_format)
    elif kind is int:
        ws.write_number(row, col, value, cell_format)
    elif _is_missing(value):
        ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, bool | np.bool_):
        ws.write_string(row, col, "是" if value else "否", cell_format)
    elif isinstance(value, int | np.integer):
        ws.write_number(row, col, int(value), cell_format)
    elif isinstance(value, float | np.floating):
        if math.isfinite(value):
            ws.write_number(row, col, float(value), cell_format)
        else:
            ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, pd.Timestamp):
        ws.write_datetime(row, col, value.to_pydatetime(), cell_format)
    elif isinstance(value, dt.datetime | dt.date):
        ws.write_datetime(row, col, value, cell_format)
    else:
        ws.write_string(row, col, fit_cell_text(str(value)), cell_format)


@dataclass
class _Table:
    header_row: int
    first_row: int  # first data row (0-based)
    last_row: int  # last data row; < first_row when the table is empty
    columns: list[str]

    def col(self, name: str) -> int:
        return self.columns.index(name)


def _write_table(
    ws: Worksheet,
    fmt: _Formats,
    frame: pd.DataFrame,
    top: int,
    num_formats: dict[str, str] | None = None,
    county_rows: Sequence[bool] | None = None,
    group_starts: Sequence[bool] | None = None,
    wrap: Sequence[str] = (),
) -> _Table:
    """Header at row `top`, data below; returns where everything went."""
    num_formats = num_formats or {}
    columns = list(frame.columns)
    for c, name in enumerate(columns):
        ws.write_string(top, c, name, fmt.header)
    n = len(frame)
    county = [bool(x) for x in county_rows] if county_rows is not None else [False] * n
    starts = (
        [i > 0 and bool(x) for i, x in enumerate(group_starts)]
        if group_starts is not None
        else [False] * n
    )
    # Column by column: one format lookup per distinct (county row, group start) of a column.
    for c, name in enumerate(columns):
        formats: dict[tuple[bool, bool], Any] = {}
        number_format, wrapped = num_formats.get(name), name in wrap
        values = frame[name].to_numpy(dtype=object).tolist()
        keys = zip(county, starts, strict=True)
        for i, (value, key) in enumerate(zip(values, keys, strict=True)):
            cell_format = formats.get(key)
            if cell_format is None:
                cell_format = formats[key] = fmt.cell(number_format, *key, wrapped)
            _write(ws, top + 1 + i, c, value, cell_format)
    return _Table(top, top + 1, top + n, columns)


def _finish_table(
    ws: Worksheet,
    fmt: _Formats,
    frame: pd.DataFrame,
    table: _Table,
    freeze_cols: int = 0,
    max_width: int = 50,
) -> list[int]:
    """Column widths, header row, frozen panes, filter and print setup; returns the widths."""
    widths = column_widths(frame, max_width=max_width)
    for name, width in _MIN_WIDTHS.items():  # numbers too narrow for their format show ###
        if name in table.columns:
            c = table.col(name)
            widths[c] = max(widths[c], width)
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    ws.set_row(table.header_row, 30)
    ws.freeze_panes(table.header_row + 1, freeze_cols)
    ws.autofilter(
        table.header_row, 0, max(table.last_row, table.header_row), len(table.columns) - 1
    )
    ws.repeat_rows(table.header_row)
    _print_setup(ws)
    return widths


def _print_setup(ws: Worksheet) -> None:
    """A4 landscape, one page wide, as many pages tall as it takes."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)


def _title(ws: Worksheet, fmt: _Formats, ncols: int, title: str, subtitle: str) -> None:
    last = max(ncols - 1, 1)
    ws.merge_range(0, 0, 0, last, title, fmt.title)
    ws.merge_range(1, 0, 1, last, subtitle, fmt.subtitle)
    ws.set_row(0, 24)


# -- 汇总 / 部门 ------------------------------------------------------------------------------


RATE_HEADERS = {
    "rank": "排名",
    "unit": "单位",
    "category": "类别",
    "base": "企业数",
    "appointed": "已聘任",
    "qualified": "合格",
    "rate": "聘任率",
    "delta": "较上季度",
    "target_due": "应达目标",
    "target_pace": "进度目标",
    "gap_due": "差距(应达)",
    "gap_pace": "差距(进度)",
    "status": "状态",
}
# Formatted numbers wider than their values ("+12.7个百分点"): at least this wide.
_MIN_WIDTHS = {"较上季度": 15}

RATE_FORMATS = {
    "排名": INT,
    "企业数": INT,
    "已聘任": INT,
    "合格": INT,
    "聘任率": PCT,
    "较上季度": DELTA_PP,
    "应达目标": PCT,
    "进度目标": PCT,
    "差距(应达)": INT,
    "差距(进度)": INT,
}


def _categories(ctx: ReportContext) -> list[str]:
    found = set(ctx.rates["category"]) if "category" in ctx.rates else set()
    if "category" in ctx.lagging:
        found |= set(ctx.lagging["category"].dropna())
    if not found:
        found = set(CATEGORY_ORDER)
    return sorted(found, key=lambda c: (CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99, c))


def _unit_order(rates: pd.DataFrame) -> list[str]:
    """Township-level units in the order compute_rates gave them (the configured order)."""
    if rates.empty or "dimension" not in rates:
        return []
    return list(dict.fromkeys(rates.loc[rates["dimension"] == "乡镇", "unit"]))


def _with_delta(ctx: ReportContext, rates: pd.DataFrame) -> pd.DataFrame:
    prev = ctx.previous_rates
    if prev is None or prev.empty or "rate" not in prev:
        return rates
    keys = [k for k in ("dimension", "unit", "category") if k in prev and k in rates]
    before = prev[[*keys, "rate"]].drop_duplicates(keys).rename(columns={"rate": "_prev"})
    merged = rates.merge(before, on=keys, how="left")
    merged.index = rates.index
    points = ((merged["rate"] - merged["_prev"]) * 100).round(1) + 0.0  # no "-0.0"
    return merged.assign(delta=points).drop(columns="_prev")


def _ordered_block(rows: pd.DataFrame, unit_order: list[str]) -> pd.DataFrame:
    """Best rate first; units without a rank (no enterprises, 未注明) last, in unit order."""
    position = {u: i for i, u in enumerate(unit_order)}
    return (
        rows.assign(
            _norank=rows["rank"].isna(),
            _rank=rows["rank"].astype("float64"),
            _pos=rows["unit"].map(position).fillna(len(position)),
        )
        .sort_values(["_norank", "_rank", "_pos", "unit"], kind="stable")
        .drop(columns=["_norank", "_rank", "_pos"])
    )


def _rate_frame(rows: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in RATE_HEADERS if c in rows]
    return rows[cols].rename(columns=RATE_HEADERS).reset_index(drop=True)


def _color_labels(ws: Worksheet, table: _Table, column: str, pairs) -> None:
    """Colour the cells of `column` whose text equals a label: ((label, format), ...)."""
    c = table.col(column)
    for label, cell_format in pairs:
        ws.conditional_format(
            table.first_row,
            c,
            table.last_row,
            c,
            {"type": "cell", "criteria": "==", "value": f'"{label}"', "format": cell_format},
        )


def _status_formats(ws: Worksheet, fmt: _Formats, table: _Table) -> None:
    if table.last_row < table.first_row:
        return
    _color_labels(
        ws,
        table,
        "状态",
        ((STATUS_MET, fmt.green), (STATUS_ON_PACE, fmt.amber), (STATUS_BEHIND, fmt.red)),
    )
    for name in ("差距(应达)", "差距(进度)"):
        c = table.col(name)
        ws.conditional_format(
            table.first_row,
            c,
            table.last_row,
            c,
            {
                "type": "cell",
                "criteria": ">",
                "value": 0,
                "format": fmt.red_font,
            },
        )


@dataclass
class _SummaryLayout:
    blocks: dict[str, tuple[int, int]]  # category -> sheet rows of its ranked units
    columns: list[str]  # headers of the 汇总 table, in sheet order


_NOTES = (
    "口径说明：聘任率 = 已聘任合格首席质量官的企业数 ÷ 企业名录中的企业数；"
    "全县行为各单位合计，不是平均数。",
    "应达目标 = 截至本季度末已到期的最近一个目标节点；"
    "进度目标 = 在相邻两个目标节点之间按天数线性折算。",
    "差距 = 按目标应有的合格企业数（企业数 × 目标，向上取整）− 合格数，不小于 0；"
    "各单位分别取整，超过目标的单位不抵扣其他单位，故各单位差距之和可能大于全县差距。",
    "状态：已达标 = 已到期目标与进度目标均已达到；进度正常 = 尚无到期目标且达到进度目标；"
    "滞后 = 未达到进度目标或到期目标；无企业 = 该类别无企业。",
)


def _write_summary(
    ws: Worksheet,
    fmt: _Formats,
    ctx: ReportContext,
    rates: pd.DataFrame,
    categories: list[str],
) -> _SummaryLayout:
    """County row then ranked township rows for each category; returns, per category, the
    sheet rows (first, last) of the ranked units (what the rate chart plots)."""
    unit_order = _unit_order(ctx.rates)
    rates = _with_delta(ctx, rates)
    pieces, county_flags, starts = [], [], []
    blocks: dict[str, tuple[int, int]] = {}
    offset = 0
    for cat in categories:
        if rates.empty:
            break
        cat_rows = rates[rates["category"] == cat]
        county = cat_rows[cat_rows["dimension"] == COUNTY]
        units = _ordered_block(cat_rows[cat_rows["dimension"] == "乡镇"], unit_order)
        block = pd.concat([county, units])
        if block.empty:
            continue
        pieces.append(block)
        county_flags += [True] * len(county) + [False] * len(units)
        starts += [True] + [False] * (len(block) - 1)
        ranked = int(units["rank"].notna().sum())
        if ranked:
            blocks[cat] = (offset + len(county), offset + len(county) + ranked - 1)
        offset += len(block)
    columns = [c for c in RATE_HEADERS if c != "delta" or "delta" in rates]
    frame = (
        _rate_frame(pd.concat(pieces))
        if pieces
        else pd.DataFrame(columns=[RATE_HEADERS[c] for c in columns])
    )

    title = f"{ctx.county}企业首席质量官聘任情况目标差距报告（{quarter_label(ctx.quarter)}）"
    subtitle = (
        f"统计截至 {ctx.quarter_end:%Y-%m-%d}；任职条件：{ctx.profile_name}；"
        f"生成日期 {ctx.generated:%Y-%m-%d}；排名按聘任率（同类别各乡镇、园区之间）"
    )
    _title(ws, fmt, len(frame.columns), title, subtitle)
    table = _write_table(ws, fmt, frame, 2, RATE_FORMATS, county_flags, starts)
    _status_formats(ws, fmt, table)
    _finish_table(ws, fmt, frame, table, freeze_cols=2)
    note_row = table.last_row + 2
    for i, note in enumerate(_NOTES):
        ws.write_string(note_row + i, 0, note, fmt.note)
    return _SummaryLayout(
        {cat: (table.first_row + a, table.first_row + b) for cat, (a, b) in blocks.items()},
        table.columns,
    )


def _write_departments(
    ws: Worksheet,
    fmt: _Formats,
    ctx: ReportContext,
    rates: pd.DataFrame,
    categories: list[str],
) -> None:
    rates = _with_delta(ctx, rates)
    dept = rates[rates["dimension"] == "部门"] if not rates.empty else rates
    order = list(dict.fromkeys(dept["unit"])) if not dept.empty else []
    pieces, starts = [], []
    for cat in categories:
        rows = _ordered_block(dept[dept["category"] == cat], order) if not dept.empty else dept
        if rows.empty:
            continue
        pieces.append(rows)
        starts += [True] + [False] * (len(rows) - 1)
    columns = [c for c in RATE_HEADERS if c != "delta" or "delta" in rates]
    frame = (
        _rate_frame(pd.concat(pieces))
        if pieces
        else pd.DataFrame(columns=[RATE_HEADERS[c] for c in columns])
    )
    title = f"各主管部门企业首席质量官聘任情况（{quarter_label(ctx.quarter)}）"
    subtitle = "同一企业既计入所属乡镇，也计入其主管部门；未填主管部门的企业只计入乡镇。"
    _title(ws, fmt, len(frame.columns), title, subtitle)
    table = _write_table(ws, fmt, frame, 2, RATE_FORMATS, None, starts)
    if frame.empty:
        ws.write_string(3, 0, "企业名录中没有填写主管部门的企业。", fmt.note)
    _status_formats(ws, fmt, table)
    _finish_table(ws, fmt, frame, table, freeze_cols=2)


# -- 图表 -------------------------------------------------------------------------------------


def _trend_frame(ctx: ReportContext, categories: list[str]) -> pd.DataFrame:
    """One row per quarter: 季度, then per category 聘任率 / 应达目标 / 进度目标 (county)."""
    trend = ctx.trend if ctx.trend is not None else pd.DataFrame()
    if not trend.empty and "unit" in trend:
        trend = trend[trend["unit"] == COUNTY]
    cols = ["quarter", "category", "rate", "target_due", "target_pace"]
    current = ctx.rates[ctx.rates["unit"] == COUNTY] if not ctx.rates.empty else ctx.rates
    if not current.empty and (trend.empty or ctx.quarter not in set(trend["quarter"])):
        trend = pd.concat([trend, current.assign(quarter=ctx.quarter)], ignore_index=True)
    if trend.empty:
        return pd.DataFrame(columns=["季度"])
    trend = trend[[c for c in cols if c in trend]].drop_duplicates(
        ["quarter", "category"], keep="last"
    )
    quarters = sorted(trend["quarter"].astype(str).unique(), key=parse_quarter)
    out = pd.DataFrame({"季度": quarters})
    for cat in categories:
        rows = trend[trend["category"] == cat].set_index("quarter")
        for col, label in (
            ("rate", "聘任率"),
            ("target_due", "应达目标"),
            ("target_pace", "进度目标"),
        ):
            if col in rows:
                out[f"{cat}{label}"] = out["季度"].map(rows[col]).astype("float64")
    return out


# 图表 sheet: the trend table on the left, the charts stacked on its right, printed A4
# landscape one page wide. Each chart starts CHART_ROWS rows below the one before; a manual
# page break goes above a chart that would not fit whole on the page at the fit-to-width scale.
# Every row the charts span has an explicit height: a chart is anchored to cells, and
# LibreOffice's default row (17 px) would squash it.
CHART_WIDTH_PX, CHART_HEIGHT_PX = 760, 380
CHART_ROWS = 19
# 15.75 pt = 21 px, not Excel's default 15: xlsxwriter writes no height for a 15-point row.
TITLE_ROW_PT, HEADER_ROW_PT, ROW_PT = 24, 30, 15.75
TREND_MAX_WIDTH = 14  # the trend table's headers wrap onto two lines
# The gap column and the columns under the charts get this width explicitly: LibreOffice's
# default column is 85 px, not Excel's 64, and would stretch a cell-anchored chart.
CHART_COL_WIDTH = 9  # 68 px
# A4 landscape inside xlsxwriter's default margins (0.7 in left and right, 0.75 in top and
# bottom), in pixels at 96 dpi; a little less than all of it, as renderers differ.
_PAGE_WIDTH_PX = (29.7 / 2.54 - 1.4) * 96 * 0.97
_PAGE_HEIGHT_PX = (21.0 / 2.54 - 1.5) * 96 * 0.95


def _column_px(width: float) -> int:
    """Excel's pixel width of a column `width` characters wide (max digit width 7 px)."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


def _row_top_px(row: int) -> float:
    """Top of a 0-based row of the 图表 sheet in pixels: title row, header row, then rows."""
    heights = (TITLE_ROW_PT, HEADER_ROW_PT)
    return (sum(heights[:row]) + max(0, row - len(heights)) * ROW_PT) * 4 / 3


def _chart_rows(widths: Sequence[float], n_charts: int) -> tuple[list[int], list[int]]:
    """First sheet row of each chart, and the rows above which a printed page breaks."""
    sheet_px = sum(_column_px(w) for w in widths) + CHART_WIDTH_PX
    scale = min(1.0, _PAGE_WIDTH_PX / sheet_px)
    page_px = _PAGE_HEIGHT_PX / scale  # sheet pixels on one printed page
    rows = [1 + i * CHART_ROWS for i in range(n_charts)]
    breaks, page_top = [], 0.0
    for row in rows[1:]:
        top = _row_top_px(row)
        if top + CHART_HEIGHT_PX - page_top > page_px:
            breaks.append(row)  # set_h_pagebreaks([r]): the page breaks above 0-based row r
            page_top = top
    return rows, breaks


def _write_charts(
    workbook: Workbook,
    ws: Worksheet,
    fmt: _Formats,
    ctx: ReportContext,
    layout: _SummaryLayout,
    categories: list[str],
) -> None:
    trend = _trend_frame(ctx, categories)
    ws.write_string(0, 0, f"{COUNTY}聘任率趋势（按季度）", fmt.title)
    table = _write_table(ws, fmt, trend, 1, {c: PCT for c in trend.columns if c != "季度"})
    widths = column_widths(trend, max_width=TREND_MAX_WIDTH)
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    anchor_col = len(trend.columns) + 1
    n_charts = sum(cat in layout.blocks for cat in categories) + int(
        table.last_row >= table.first_row
    )
    rows, breaks = _chart_rows(widths + [CHART_COL_WIDTH], n_charts)
    chart_cols = math.ceil(CHART_WIDTH_PX / _column_px(CHART_COL_WIDTH))
    ws.set_column(anchor_col - 1, anchor_col + chart_cols, CHART_COL_WIDTH)
    ws.set_row(0, TITLE_ROW_PT)
    ws.set_row(1, HEADER_ROW_PT)
    for r in range(2, max(rows, default=0) + CHART_ROWS):
        ws.set_row(r, ROW_PT)
    _print_setup(ws)
    ws.set_h_pagebreaks(breaks)
    summary = SHEET_SUMMARY
    for cat in categories:
        if cat not in layout.blocks:
            continue
        first, last = layout.blocks[cat]
        rate_col = layout.columns.index("聘任率")
        unit_col = layout.columns.index("单位")
        columns = workbook.add_chart({"type": "column"})
        columns.add_series(
            {
                "name": f"{cat}聘任率",
                "categories": [summary, first, unit_col, last, unit_col],
                "values": [summary, first, rate_col, last, rate_col],
                "fill": {"color": "#4472C4"},
                "data_labels": {"value": True, "num_format": "0%", "font": {"size": 8}},
            }
        )
        line = workbook.add_chart({"type": "line"})
        for label, color, dash in (
            ("应达目标", "#C00000", "dash"),
            ("进度目标", "#ED7D31", "round_dot"),
        ):
            c = layout.columns.index(label)
            line.add_series(
                {
                    "name": label,
                    "categories": [summary, first, unit_col, last, unit_col],
                    "values": [summary, first, c, last, c],
                    "line": {"color": color, "width": 2, "dash_type": dash},
                    "marker": {"type": "none"},
                }
            )
        columns.combine(line)
        columns.set_title(
            {"name": f"各乡镇（园区）{cat}企业聘任率与目标", "name_font": {"size": 12}}
        )
        columns.set_y_axis(
            {
                "num_format": "0%",
                "min": 0,
                "max": 1,
                "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
            }
        )
        columns.set_x_axis({"num_font": {"rotation": -45, "size": 9}})
        columns.set_legend({"position": "bottom"})
        columns.set_size({"width": CHART_WIDTH_PX, "height": CHART_HEIGHT_PX})
        ws.insert_chart(rows.pop(0), anchor_col, columns)

    if table.last_row >= table.first_row:
        chart = workbook.add_chart({"type": "line"})
        palette = ("#4472C4", "#7030A0", "#00B0F0", "#ED7D31")
        for i, cat in enumerate(categories):
            color = palette[i % len(palette)]
            for label, dash, marker in (
                ("聘任率", "solid", "circle"),
                ("应达目标", "dash", "none"),
            ):
                name = f"{cat}{label}"
                if name not in table.columns:
                    continue
                c = table.col(name)
                chart.add_series(
                    {
                        "name": name,
                        "categories": [ws.name, table.first_row, 0, table.last_row, 0],
                        "values": [ws.name, table.first_row, c, table.last_row, c],
                        "line": {
                            "color": color,
                            "width": 2.25 if label == "聘任率" else 1.25,
                            "dash_type": dash,
                        },
                        "marker": {
                            "type": marker,
                            "size": 6,
                            "fill": {"color": color},
                            "border": {"color": color},
                        },
                    }
                )
        chart.set_title({"name": f"{COUNTY}企业首席质量官聘任率趋势", "name_font": {"size": 12}})
        chart.set_y_axis(
            {
                "num_format": "0%",
                "min": 0,
                "max": 1,
                "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
            }
        )
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": CHART_WIDTH_PX, "height": CHART_HEIGHT_PX})
        ws.insert_chart(rows.pop(0), anchor_col, chart)


# -- 未达标企业 ---------------------------------------------------------------------------------


LAGGING_HEADERS = {
    "township": "所属乡镇",
    "enterprise_name": "企业名称",
    "credit_code": "统一社会信用代码",
    "department": "主管部门",
    "cqo_name": "首席质量官",
    "id_number": "身份证号",
    "mobile": "手机",
    "reason": "原因",
}
_FREE_TEXT = ("enterprise_name", "cqo_name", "reason", "department", "township")


def _lagging_frame(lagging: pd.DataFrame, category: str, unit_order: list[str]) -> pd.DataFrame:
    rows = lagging[lagging["category"] == category] if "category" in lagging else lagging
    rows = rows.copy()
    # Defensive: the context should already be masked; masking twice changes nothing.
    if "id_number" in rows:
        rows["id_number"] = mask_id(rows["id_number"])
    if "mobile" in rows:
        rows["mobile"] = mask_mobile(rows["mobile"])
    for col in _FREE_TEXT:
        if col in rows:
            rows[col] = mask_in_texts(rows[col])
    if "township" not in rows:
        rows["township"] = UNKNOWN_UNIT
    rows["township"] = rows["township"].fillna(UNKNOWN_UNIT)
    position = {u: i for i, u in enumerate(unit_order)}
    rows = rows.assign(
        _pos=rows["township"].map(position).fillna(len(position)),
        _name=rows["enterprise_name"].fillna("") if "enterprise_name" in rows else "",
    ).sort_values(["_pos", "township", "_name"], kind="stable")
    cols = [c for c in LAGGING_HEADERS if c in rows]
    frame = rows[cols].rename(columns=LAGGING_HEADERS).reset_index(drop=True)
    frame.insert(0, "序号", range(1, len(frame) + 1))
    return frame


def _write_lagging(
    ws: Worksheet, fmt: _Formats, ctx: ReportContext, category: str, unit_order: list[str]
) -> None:
    frame = _lagging_frame(ctx.lagging, category, unit_order)
    units = frame["所属乡镇"] if "所属乡镇" in frame else pd.Series(dtype="str")
    n_units = units.nunique()
    title = f"{category}企业中尚无合格首席质量官的企业（{len(frame)} 家，涉及 {n_units} 个单位）"
    subtitle = (
        f"{quarter_label(ctx.quarter)}；按所属乡镇（园区）分组；"
        "原因「未报送首席质量官」= 名录内企业尚无在任首席质量官登记；"
        "身份证号、手机已脱敏。"
    )
    _title(ws, fmt, max(len(frame.columns), 4), title, subtitle)
    starts = (units != units.shift()).tolist() if len(frame) else []
    table = _write_table(ws, fmt, frame, 2, {"序号": INT}, None, starts, wrap=("原因",))
    if frame.empty:
        ws.write_string(3, 0, "本类别所有企业均已聘任合格首席质量官。", fmt.note)
    widths = _finish_table(ws, fmt, frame, table, freeze_cols=3, max_width=60)
    if "原因" in frame:
        # A wrapped cell does not make its row taller by itself: LibreOffice and WPS (and Excel,
        # for rows written by xlsxwriter) keep the default height and the lines overlap.
        heights = wrapped_row_heights(frame["原因"], widths[table.col("原因")])
        for i, height in zip(heights.index.tolist(), heights.tolist(), strict=True):
            ws.set_row(table.first_row + i, height)


LINE_HEIGHT = 14.0  # points per line of 10-point 宋体 (Excel: 13.5; LibreOffice a little more)
ROW_PADDING = 1.5


def wrapped_row_heights(values: pd.Series, width: float) -> pd.Series:
    """Row heights (points) for the cells of `values` that wrap to more than one line in a
    column `width` characters wide, by position (0 = first value); one-line cells are left out.

    Cheap on a long column: a text at most half as long as the column is wide fits on one
    line whatever its characters, so only longer texts (and texts with line breaks) are
    measured, each distinct text once."""
    usable = max(float(width) - 1.5, 1.0)  # cell padding; CJK wraps between any two characters
    text = pd.Series(values.to_numpy(dtype=object)).dropna().astype("str")
    long = text[(text.str.len() * 2 > usable) | text.str.contains("\n", regex=False)]
    if long.empty:
        return pd.Series(dtype="float64")
    lines = long.map({t: _line_count(t, usable) for t in long.unique()})
    lines = lines[lines > 1]
    # Whole pixels, rounded up: xlsxwriter keeps row heights in pixels and would round down.
    return np.ceil((lines * LINE_HEIGHT + ROW_PADDING) * 4 / 3) * 0.75


def _line_count(text: str, usable: float) -> int:
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in text.split("\n"))


# -- 报送情况 ---------------------------------------------------------------------------------


# The file's fill date is the 填报日期 of its title rows, else the latest 填写日期 of its rows
# (pipeline.run._file_timeliness): a row date can be weeks before the file was sent, so the
# header says so, and a 日期来源 column says which it was when the submissions frame knows.
FILL_DATE_HEADER = "填报日期\n(表头或最晚填写日期)"
SUBMISSION_HEADERS = {
    "unit": "填报单位",
    "file": "文件",
    "status": "状态",
    "rows_read": "读取行数",
    "rows_accepted": "接收行数",
    "rows_rejected": "退回行数",
    "fill_date": FILL_DATE_HEADER,
    "fill_date_source": "日期来源",
    "late": "是否逾期",
}
FILL_DATE_SOURCES = {"header": "表头", "rows": "行内最晚填写日期"}


def _write_submissions(ws: Worksheet, fmt: _Formats, ctx: ReportContext) -> None:
    subs = ctx.submissions.copy() if ctx.submissions is not None else pd.DataFrame()
    for col in SUBMISSION_HEADERS:
        if col not in subs:
            subs[col] = pd.Series(dtype="object")
    subs["status"] = subs["status"].map(lambda s: SUBMISSION_STATUS.get(s, s))
    known_source = subs["fill_date_source"].notna().any()
    subs["fill_date_source"] = subs["fill_date_source"].map(
        lambda s: FILL_DATE_SOURCES.get(s, s), na_action="ignore"
    )
    missing = pd.DataFrame({"unit": list(ctx.missing_units), "status": MISSING})
    columns = [c for c in SUBMISSION_HEADERS if c != "fill_date_source" or known_source]
    rows = pd.concat([subs[columns], missing], ignore_index=True)
    rows["late"] = rows["late"].astype("object")
    rows["fill_date"] = pd.to_datetime(rows["fill_date"], errors="coerce")
    frame = rows[columns].rename(columns=SUBMISSION_HEADERS)
    frame = frame.astype({FILL_DATE_HEADER: "object"}).where(frame.notna(), None)
    frame.insert(0, "序号", range(1, len(frame) + 1))

    n_units = subs["unit"].nunique()
    title = f"{quarter_label(ctx.quarter)}报送情况"
    subtitle = (
        f"报送截止日期 {ctx.deadline:%Y-%m-%d}；"
        f"收到 {len(subs)} 个文件，来自 {n_units} 个单位；"
        f"未报送 {len(ctx.missing_units)} 个单位"
        + (f"：{'、'.join(ctx.missing_units)}" if ctx.missing_units else "")
        + "；填报日期取表头所填日期，表头未填时取各行“填写日期”中最晚的一个"
    )
    _title(ws, fmt, len(frame.columns), title, subtitle)
    formats = {"序号": INT, "读取行数": INT, "接收行数": INT, "退回行数": INT}
    formats[FILL_DATE_HEADER] = DATE
    table = _write_table(ws, fmt, frame, 2, formats)
    if table.last_row >= table.first_row:
        _color_labels(
            ws,
            table,
            "状态",
            ((MISSING, fmt.red), ("读取失败", fmt.red), ("已读取", fmt.green)),
        )
        late = table.col("是否逾期")
        ws.conditional_format(
            table.first_row,
            late,
            table.last_row,
            late,
            {
                "type": "cell",
                "criteria": "==",
                "value": '"是"',
                "format": fmt.amber,
            },
        )
    _finish_table(ws, fmt, frame, table, freeze_cols=2)
    # The two-line header sets the width (dates would render as ########## if narrower).
    date_col = table.col(FILL_DATE_HEADER)
    width = max(12, *(display_width(line) + 2 for line in FILL_DATE_HEADER.split("\n")))
    ws.set_column(date_col, date_col, width)
