"""The gap workbook 目标差距报告.xlsx, read back (pipeline.reports.excel)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl
import pandas as pd
import pytest

from pipeline.config import Milestone
from pipeline.reports.context import ReportContext
from pipeline.reports.excel import FILL_DATE_HEADER, write_gap_report
from pipeline.targets import compute_rates

START = dt.date(2021, 1, 1)
MILESTONES = (
    Milestone.model_validate({"date": "2021-12-31", "规上": 0.5, "重点行业中小微": 0.3}),
    Milestone.model_validate({"date": "2023-12-31", "规上": 0.8, "重点行业中小微": 0.5}),
    Milestone.model_validate({"date": "2025-12-31", "规上": 1.0, "重点行业中小微": 0.8}),
)
ORDER = ["天城镇", "沙坪镇", "崇阳县工业园区", "县经信局", "县住建局"]
RAW_ID = "421223199001011234"
RAW_MOBILE = "13812345678"


def _base_status() -> pd.DataFrame:
    rows = [
        # name, credit code, township, department, category, appointed, qualified
        ("崇阳甲机械有限公司", "91421223MA4F00001X", "天城镇", "县经信局", "规上", True, True),
        ("崇阳乙纺织有限公司", "91421223MA4F00002X", "天城镇", "县经信局", "规上", True, False),
        ("=SUM(A1)", "91421223MA4F00003X", "天城镇", "县经信局", "规上", False, False),
        ("崇阳丁农业合作社", "91421223MA4F00004X", "天城镇", None, "重点行业中小微", True, True),
        ("崇阳戊建材有限公司", "91421223MA4F00005X", "沙坪镇", "县住建局", "规上", True, True),
        ("崇阳己电子有限公司", "91421223MA4F00006X", "沙坪镇", "县经信局", "规上", True, True),
        (
            "崇阳庚新材料有限公司",
            "91421223MA4F00007X",
            "崇阳县工业园区",
            "县经信局",
            "规上",
            True,
            True,
        ),
        (
            "崇阳辛食品有限公司",
            "91421223MA4F00008X",
            "崇阳县工业园区",
            "县经信局",
            "重点行业中小微",
            False,
            False,
        ),
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "enterprise_name",
            "credit_code",
            "township",
            "department",
            "category",
            "appointed",
            "qualified",
        ],
    )


def _lagging(base: pd.DataFrame) -> pd.DataFrame:
    lag = base[~base["qualified"]].drop(columns=["appointed", "qualified"]).copy()
    lag["reason"] = ["不合格：学历低于大专", "未报送首席质量官", "未报送首席质量官"]
    lag["cqo_name"] = ["李四", None, None]
    # Deliberately NOT masked: the writer must mask again.
    lag["id_number"] = [RAW_ID, None, None]
    lag["mobile"] = [RAW_MOBILE, None, None]
    return lag


def _context(previous: bool = True) -> ReportContext:
    base = _base_status()
    rates = compute_rates(base, "2026Q3", START, MILESTONES, unit_order=ORDER)
    prev_base = base.assign(qualified=base["qualified"] & (base.index % 2 == 0))
    previous_rates = (
        compute_rates(prev_base, "2026Q2", START, MILESTONES, unit_order=ORDER)
        if previous
        else pd.DataFrame()
    )
    trend = pd.concat(
        [
            compute_rates(prev_base, q, START, MILESTONES).query("unit == '全县'").assign(quarter=q)
            for q in ("2025Q4", "2026Q1", "2026Q2")
        ],
        ignore_index=True,
    )
    submissions = pd.DataFrame(
        {
            "unit": ["天城镇", "沙坪镇"],
            "file": ["天城镇.xlsx", "沙坪镇2026Q3.xlsx"],
            "status": ["ok", "failed"],
            "rows_read": [4, 0],
            "rows_accepted": [3, 0],
            "rows_rejected": [1, 0],
            "fill_date": [pd.Timestamp("2026-10-08"), pd.NaT],
            "late": [False, True],
        }
    )
    return ReportContext(
        county="崇阳县",
        quarter="2026Q3",
        quarter_end=dt.date(2026, 9, 30),
        deadline=dt.date(2026, 10, 10),
        generated=dt.date(2026, 10, 15),
        profile_name="崇阳县2022",
        rates=rates,
        previous_rates=previous_rates,
        trend=trend,
        lagging=_lagging(base),
        submissions=submissions,
        missing_units=["崇阳县工业园区"],
        issue_counts={"required": 1},
        issue_summary=pd.DataFrame(),
    )


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("gap") / "目标差距报告.xlsx"
    assert write_gap_report(path, _context()) == path
    return path


@pytest.fixture(scope="module")
def book(workbook_path):
    return openpyxl.load_workbook(workbook_path)


def _rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def _header_row(ws, first: str) -> int:
    for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if row and row[0] == first:
            return r
    raise AssertionError(f"no header starting with {first} on {ws.title}")


def _table(ws, first: str) -> list[dict]:
    r = _header_row(ws, first)
    header = [c for c in _rows(ws)[r - 1]]
    out = []
    for row in ws.iter_rows(min_row=r + 1, values_only=True):
        if all(v is None for v in row):
            break
        out.append(dict(zip(header, row, strict=True)))
    return out


def test_sheet_names(book):
    assert book.sheetnames == [
        "汇总",
        "图表",
        "部门",
        "规上未达标企业",
        "重点行业中小微未达标企业",
        "报送情况",
    ]


def test_summary_header_and_county_row(book):
    ws = book["汇总"]
    r = _header_row(ws, "排名")
    header = _rows(ws)[r - 1]
    assert header == (
        "排名",
        "单位",
        "类别",
        "企业数",
        "已聘任",
        "合格",
        "聘任率",
        "较上季度",
        "应达目标",
        "进度目标",
        "差距(应达)",
        "差距(进度)",
        "状态",
    )
    assert ws.freeze_panes == f"C{r + 1}"
    assert ws.auto_filter.ref.startswith(f"A{r}:M")
    rows = _table(ws, "排名")
    county = next(x for x in rows if x["单位"] == "全县" and x["类别"] == "规上")
    # 规上: 6 enterprises, 5 appointed, 4 qualified; 2026Q3 target 100 % -> gap 2.
    assert (county["企业数"], county["已聘任"], county["合格"]) == (6, 5, 4)
    assert county["聘任率"] == pytest.approx(4 / 6)
    assert (county["应达目标"], county["差距(应达)"], county["状态"]) == (1, 2, "滞后")
    assert county["排名"] is None
    # Number formats: rates as percentages.
    rate_cell = ws.cell(row=r + 1, column=7)
    assert "%" in rate_cell.number_format
    # a rate 0.666... shows as 66.7%: its column is as wide as that, not as its 18 digits
    assert ws.column_dimensions["G"].width <= 10


def test_summary_ranks_units_by_rate_within_category(book):
    rows = [x for x in _table(book["汇总"], "排名") if x["类别"] == "规上" and x["单位"] != "全县"]
    # 沙坪镇 2/2 and the park 1/1 share rank 1; 天城镇 1/3 is third.
    assert [(x["单位"], x["排名"]) for x in rows] == [
        ("沙坪镇", 1),
        ("崇阳县工业园区", 1),
        ("天城镇", 3),
    ]
    assert {x["状态"] for x in rows} == {"已达标", "滞后"}


def test_summary_conditional_formats_for_status(book):
    ws = book["汇总"]
    rules = [rule for cf in ws.conditional_formatting for rule in cf.rules]
    formulas = {f for rule in rules for f in (rule.formula or [])}
    assert {'"已达标"', '"进度正常"', '"滞后"'} <= formulas


def test_department_sheet(book):
    rows = _table(book["部门"], "排名")
    units = {(x["单位"], x["类别"]): x for x in rows}
    assert units[("县经信局", "规上")]["企业数"] == 5
    assert units[("县住建局", "规上")]["合格"] == 1
    assert "全县" not in {x["单位"] for x in rows}


def test_native_charts_present(workbook_path):
    with zipfile.ZipFile(workbook_path) as z:
        names = set(z.namelist())
        assert "xl/charts/chart1.xml" in names
        charts = [n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        xml = "".join(z.read(n).decode("utf-8") for n in charts)
    # Two rate-vs-target charts (column + line combined) and the county trend line.
    assert len(charts) == 3
    assert xml.count("<c:barChart>") == 2 and xml.count("<c:lineChart>") == 3
    assert "汇总!$G$" in xml  # the rate column of the summary table


def test_trend_table_includes_current_quarter(book):
    rows = _table(book["图表"], "季度")
    assert [x["季度"] for x in rows] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert rows[-1]["规上聘任率"] == pytest.approx(4 / 6)


def test_lagging_enterprise_listed_under_its_unit(book):
    rows = _table(book["规上未达标企业"], "序号")
    assert [(x["所属乡镇"], x["企业名称"]) for x in rows] == [
        ("天城镇", "=SUM(A1)"),
        ("天城镇", "崇阳乙纺织有限公司"),
    ]
    by_name = {x["企业名称"]: x for x in rows}
    assert by_name["崇阳乙纺织有限公司"]["原因"] == "不合格：学历低于大专"
    assert by_name["崇阳乙纺织有限公司"]["身份证号"] == "421223********1234"
    assert by_name["崇阳乙纺织有限公司"]["手机"] == "138****5678"
    small = _table(book["重点行业中小微未达标企业"], "序号")
    assert [(x["所属乡镇"], x["企业名称"]) for x in small] == [
        ("崇阳县工业园区", "崇阳辛食品有限公司")
    ]


def test_formula_like_text_is_written_as_text(book):
    ws = book["规上未达标企业"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == "=SUM(A1)"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_no_full_id_number_or_mobile_anywhere(workbook_path, book):
    full_id = re.compile(r"(?<![0-9A-Z])\d{17}[\dX](?![0-9A-Z])")
    for ws in book:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                text = str(value)
                assert not full_id.search(text), (ws.title, text)
                assert RAW_MOBILE not in text, (ws.title, text)
    with zipfile.ZipFile(workbook_path) as z:
        raw = b"".join(z.read(n) for n in z.namelist())
    assert RAW_ID.encode() not in raw and RAW_MOBILE.encode() not in raw


def test_submissions_sheet_lists_files_and_missing_units(book):
    rows = _table(book["报送情况"], "序号")
    assert [(x["填报单位"], x["状态"]) for x in rows] == [
        ("天城镇", "已读取"),
        ("沙坪镇", "读取失败"),
        ("崇阳县工业园区", "未报送"),
    ]
    assert rows[0][FILL_DATE_HEADER] == dt.datetime(2026, 10, 8)
    assert rows[1]["是否逾期"] == "是"


def test_fill_date_says_where_it_comes_from(book, tmp_path):
    """A file without a 填报日期 in its title gets its rows' latest 填写日期: the header and the
    subtitle say so, and a 日期来源 column names the source when the frame knows it."""
    ws = book["报送情况"]
    assert FILL_DATE_HEADER == "填报日期\n(表头或最晚填写日期)"
    assert "表头未填时取各行“填写日期”中最晚的一个" in ws["A2"].value
    r = _header_row(ws, "序号")
    header = [c.value for c in ws[r]]
    assert "日期来源" not in header  # the context does not say: no empty column
    date_col = openpyxl.utils.get_column_letter(header.index(FILL_DATE_HEADER) + 1)
    assert ws.column_dimensions[date_col].width >= 20  # the header's second line fits

    ctx = _context()
    subs = ctx.submissions.assign(fill_date_source=["rows", None])
    path = write_gap_report(
        tmp_path / "s.xlsx", ReportContext(**{**ctx.__dict__, "submissions": subs})
    )
    rows = _table(openpyxl.load_workbook(path)["报送情况"], "序号")
    assert [x["日期来源"] for x in rows] == ["行内最晚填写日期", None, None]


def test_change_since_last_quarter_is_in_percentage_points(book):
    """较上季度 is a difference of two rates: percentage points, a number x100 rounded to 0.1
    like the supervision report ("上升16.7个百分点"), 持平 when unchanged."""
    for name in ("汇总", "部门"):
        ws = book[name]
        r = _header_row(ws, "排名")
        header = [c.value for c in ws[r]]
        col = header.index("较上季度") + 1
        cells = [ws.cell(row, col) for row in range(r + 1, ws.max_row + 1)]
        cells = [c for c in cells if isinstance(c.value, int | float)]
        assert cells
        for c in cells:
            assert c.number_format == '+0.0"个百分点";-0.0"个百分点";"持平"'
            assert c.value == round(c.value, 1) and abs(c.value) <= 100
        letter = openpyxl.utils.get_column_letter(col)
        assert ws.column_dimensions[letter].width >= 15  # "+16.7个百分点" without ####
    rows = _table(book["汇总"], "排名")
    county = next(x for x in rows if x["单位"] == "全县" and x["类别"] == "规上")
    # 规上 2026Q3: 4 of 6 qualified; 2026Q2 (odd rows unqualified): 3 of 6 -> +16.7 points.
    assert county["较上季度"] == pytest.approx(16.7)


def test_print_setup_of_every_sheet(book):
    """A4 landscape, one page wide, on every sheet; list sheets repeat their header row."""
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth in (None, 1)) and ws.page_setup.fitToHeight == 0
    for name in ("汇总", "部门", "规上未达标企业", "报送情况"):
        assert book[name].print_title_rows == "$3:$3"


def test_charts_are_not_cut_by_page_breaks(workbook_path, book):
    """The 图表 sheet breaks its pages between charts: every break is above a chart's first
    row, and no page holds more than fits at the fit-to-width scale."""
    from pipeline.reports import excel

    ws = book["图表"]
    breaks = [b.id for b in ws.row_breaks.brk]  # 1-based row above which the page breaks
    with zipfile.ZipFile(workbook_path) as z:
        drawing = next(n for n in z.namelist() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n))
        xml = z.read(drawing).decode("utf-8")
    starts = [int(r) for r in re.findall(r"<xdr:from>.*?<xdr:row>(\d+)</xdr:row>", xml)]
    ends = [int(r) for r in re.findall(r"<xdr:to>.*?<xdr:row>(\d+)</xdr:row>", xml)]
    assert len(starts) == 3
    for b in breaks:  # openpyxl: the id is the 0-based row of the first row below the break
        assert b in starts
        assert not any(s < b <= e for s, e in zip(starts, ends, strict=True))
    # Rows the charts span have an explicit height (LibreOffice would shrink them otherwise).
    assert all(ws.row_dimensions[r + 1].height == excel.ROW_PT for r in range(2, max(ends)))

    # The arithmetic: wide sheets (small scale) hold more charts a page, narrow ones fewer.
    rows, none = excel._chart_rows([40] * 10, 3)
    step = excel.CHART_ROWS
    assert rows == [1, 1 + step, 1 + 2 * step] and none == []
    rows, every = excel._chart_rows([8], 3)
    assert every == rows[1:]


def test_wrapped_reasons_get_taller_rows(tmp_path):
    """A reason that wraps makes its row tall enough for its lines (LibreOffice and WPS do not
    grow a row by themselves); one-line rows keep the default height."""
    from pipeline.reports import excel

    ctx = _context()
    long = (
        "不合格：学历「高中」低于任职条件（中专及以上学历，或中级及以上职称）；"
        "不符合首席质量官任职条件，请更换符合条件的人选。"
    )
    lagging = pd.DataFrame(
        {
            "enterprise_name": ["甲公司", "乙公司", "丙公司"],
            "township": ["天城镇", "天城镇", "沙坪镇"],
            "category": ["规上"] * 3,
            "reason": ["未报送首席质量官", long * 2, long],
        }
    )
    path = write_gap_report(
        tmp_path / "g.xlsx", ReportContext(**{**ctx.__dict__, "lagging": lagging})
    )
    ws = openpyxl.load_workbook(path)["规上未达标企业"]
    r = _header_row(ws, "序号")
    header = [c.value for c in ws[r]]
    width = ws.column_dimensions[openpyxl.utils.get_column_letter(header.index("原因") + 1)].width
    row_of = {x["原因"]: r + i for i, x in enumerate(_table(ws, "序号"), start=1)}
    heights = [ws.row_dimensions[row_of[text]].height for text in lagging["reason"]]
    assert heights[0] is None  # one line: the default height
    assert heights[1] > heights[2] > excel.LINE_HEIGHT
    for height, text in zip(heights[1:], (long * 2, long), strict=True):
        lines = round((height - excel.ROW_PADDING) / excel.LINE_HEIGHT)
        assert height >= lines * excel.LINE_HEIGHT + excel.ROW_PADDING
        # CJK counts 2: the lines hold the text at the column's width.
        assert (lines - 1) * (width - 2) < len(text) * 2 <= lines * width


def test_wrapped_row_heights_measure_only_long_texts(monkeypatch):
    from pipeline.reports import excel

    measured = []
    original = excel._line_count
    monkeypatch.setattr(excel, "_line_count", lambda t, w: (measured.append(t), original(t, w))[1])
    values = pd.Series(["短"] * 1000 + ["甲" * 50] * 1000 + [None, "a\nb"])
    heights = excel.wrapped_row_heights(values, 30)
    assert sorted(measured) == ["a\nb", "甲" * 50]  # each distinct long text once
    assert heights.index.tolist() == [*range(1000, 2000), 2001]
    # 100 wide in 28.5: 4 lines; "a\nb": 2; in whole pixels (3/4 point) at least that tall.
    for height, lines in ((heights.iloc[0], 4), (heights.iloc[-1], 2)):
        assert height * 4 / 3 == round(height * 4 / 3)
        assert 0 <= height - (lines * excel.LINE_HEIGHT + excel.ROW_PADDING) < 0.75


def test_without_previous_quarter_has_no_delta_column_and_charts_still_point_right(tmp_path):
    path = write_gap_report(tmp_path / "r.xlsx", _context(previous=False))
    ws = openpyxl.load_workbook(path)["汇总"]
    header = _rows(ws)[_header_row(ws, "排名") - 1]
    assert "较上季度" not in header
    rate_letter = openpyxl.utils.get_column_letter(header.index("聘任率") + 1)
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/charts/chart1.xml").decode("utf-8")
    assert f"汇总!${rate_letter}$" in xml


def test_empty_context_still_writes(tmp_path):
    ctx = _context()
    empty = ReportContext(
        **{
            **ctx.__dict__,
            "rates": ctx.rates.iloc[0:0],
            "previous_rates": pd.DataFrame(),
            "trend": pd.DataFrame(),
            "lagging": ctx.lagging.iloc[0:0],
            "submissions": ctx.submissions.iloc[0:0],
            "missing_units": [],
        }
    )
    path = write_gap_report(tmp_path / "empty.xlsx", empty)
    book = openpyxl.load_workbook(path)
    assert "汇总" in book.sheetnames and "报送情况" in book.sheetnames


def test_write_is_atomic_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "目标差距报告.xlsx"
    path.write_bytes(b"old")
    import pipeline.reports.excel as excel

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(excel, "_write_submissions", boom)
    with pytest.raises(RuntimeError):
        write_gap_report(path, _context())
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_cell_formats_follow_rows_and_columns(book, tmp_path):
    """County rows bold and shaded, every table cell bordered (blank ones too), a rule above
    each unit's group of lagging enterprises, the reason column wrapped."""
    ws = book["汇总"]
    r = _header_row(ws, "排名")
    header = [c.value for c in ws[r]]
    unit_col = header.index("单位") + 1
    county = next(row for row in ws.iter_rows(min_row=r + 1) if row[unit_col - 1].value == "全县")
    unit = next(
        row for row in ws.iter_rows(min_row=r + 1) if row[unit_col - 1].value not in (None, "全县")
    )
    assert all(c.font.b for c in county) and county[0].fill.fgColor.rgb.endswith("F2F2F2")
    assert not any(c.font.b for c in unit)
    assert ws.cell(r + 1, header.index("聘任率") + 1).number_format == "0.0%"

    ctx = _context()
    lagging = pd.DataFrame(
        {
            "enterprise_name": ["甲公司", "乙公司", "丙公司"],
            "credit_code": [None, None, None],
            "township": ["天城镇", "天城镇", "沙坪镇"],
            "department": [None, None, None],
            "category": ["规上"] * 3,
            "reason": ["未报送首席质量官"] * 3,
            "cqo_name": [None] * 3,
            "id_number": [None] * 3,
            "mobile": [None] * 3,
        }
    )
    path = write_gap_report(
        tmp_path / "g.xlsx", ReportContext(**{**ctx.__dict__, "lagging": lagging})
    )
    lag = openpyxl.load_workbook(path)["规上未达标企业"]
    r = _header_row(lag, "序号")
    header = [c.value for c in lag[r]]
    rows = [row for row in lag.iter_rows(min_row=r + 1) if row[0].value is not None]
    assert [row[header.index("所属乡镇")].value for row in rows] == ["天城镇", "天城镇", "沙坪镇"]
    assert [row[0].border.top.style for row in rows] == ["thin", "thin", "medium"]
    blank = rows[0][header.index("首席质量官")]
    assert blank.value is None and blank.border.left.style == "thin"
    assert rows[0][header.index("原因")].alignment.wrap_text
