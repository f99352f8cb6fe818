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
from pipeline.reports.excel import write_gap_report
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
    assert rows[0]["填报日期"] == dt.datetime(2026, 10, 8)
    assert rows[1]["是否逾期"] == "是"


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
        row for row in ws.iter_rows(min_row=r + 1)
        if row[unit_col - 1].value not in (None, "全县")
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
    path = write_gap_report(tmp_path / "g.xlsx", ReportContext(**{**ctx.__dict__,
                                                                  "lagging": lagging}))
    lag = openpyxl.load_workbook(path)["规上未达标企业"]
    r = _header_row(lag, "序号")
    header = [c.value for c in lag[r]]
    rows = [row for row in lag.iter_rows(min_row=r + 1) if row[0].value is not None]
    assert [row[header.index("所属乡镇")].value for row in rows] == ["天城镇", "天城镇", "沙坪镇"]
    assert [row[0].border.top.style for row in rows] == ["thin", "thin", "medium"]
    blank = rows[0][header.index("首席质量官")]
    assert blank.value is None and blank.border.left.style == "thin"
    assert rows[0][header.index("原因")].alignment.wrap_text
