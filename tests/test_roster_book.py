"""花名册.xlsx and 问题清单.xlsx read back with openpyxl: headers, values, text types, layout."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pipeline.fields import FIELDS
from pipeline.reports.roster_book import write_issues, write_roster

ID_1 = "421223199001011234"
ID_2 = "42122319850612002X"
CODE_1 = "914212230000000001"  # all digits: Excel would turn it into 9.14212E+17


def _roster() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "enterprise_name": ["崇阳县天城机械有限公司", "崇阳县白霓纺织有限公司"],
            "credit_code": [CODE_1, "91421223MA4F00002X"],
            "township": ["天城镇", "白霓镇"],
            "unit": ["天城镇", "白霓镇"],
            "cqo_name": ["王五", "赵六"],
            "id_number": [ID_1, ID_2],
            "education": ["本科", "高中"],
            "quality_years": ["5年", "2"],
            "mobile": ["13812345678", "13998765432"],
            "postcode": ["037500", None],
            "appointment_date": ["2026-07-01", None],
            "remarks": ["=1+1", "@sum(A1)"],
        },
        dtype="str",
    )
    # Derived and provenance columns the roster carries but the workbook must not show.
    frame["id_numeric"] = [False, False]
    frame["name_key"] = ["天城机械", "白霓纺织"]
    frame["appointment_date_parsed"] = pd.to_datetime(["2026-07-01", None])
    frame["education_level"] = pd.array([5, 2], dtype="Int8")
    frame["base_id"] = pd.array([1, pd.NA], dtype="Int64")
    frame["category"] = ["规上", "重点行业中小微"]
    frame["department"] = ["县经信局", "县经信局"]
    frame["status"] = ["合格", "不合格"]
    frame["problems"] = [np.nan, "学历低于大专"]
    frame["source"] = ["天城镇 · 天城镇.xlsx", "白霓镇 · 白霓镇.xlsx"]
    frame["registered_quarter"] = ["2026Q1", "2026Q3"]
    frame["quarter"] = ["2026Q3", "2026Q3"]
    return frame


def _changes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "enterprise_name": ["崇阳县白霓纺织有限公司", "崇阳县石城建材厂"],
            "change": ["新增", "离任"],
            "old_cqo": [None, "钱七"],
            "new_cqo": ["赵六", None],
            "unit": ["白霓镇", "石城镇"],
            "source": ["白霓镇 · 白霓镇.xlsx", "石城镇 · 石城镇.xlsx"],
            "appointment_date": ["2026-08-01", None],
            "fill_date": [pd.Timestamp("2026-10-05"), pd.NaT],
            "days_to_register": pd.array([65, pd.NA], dtype="Int64"),
            "ent_key": ["uscc:1", "name:石城建材"],  # internal: not shown
            "credit_code": ["91421223MA4F00002X", None],  # added by build.with_credit_codes
            # A person's full record is on the 花名册 sheet, not in the change list.
            "id_number": [ID_2, None],
            "mobile": ["13998765432", None],
        }
    )


def _without() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "enterprise_name": ["崇阳县铜钟茶业有限公司"],
            "credit_code": ["914212230000000099"],
            "township": ["铜钟乡"],
            "department": ["县农业农村局"],
            "category": ["重点行业中小微"],
            "name_key": ["铜钟茶业"],
        }
    )


def _header(ws) -> list[str]:
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def _row(ws, row: int) -> dict[str, object]:
    return dict(zip(_header(ws), [c.value for c in ws[row]], strict=True))


@pytest.fixture
def roster_book(tmp_path: Path) -> openpyxl.Workbook:
    path = write_roster(tmp_path / "2026Q3" / "花名册.xlsx", _roster(), _changes(), _without())
    assert path.name == "花名册.xlsx"
    return openpyxl.load_workbook(path)


def test_roster_sheets_and_headers(roster_book: openpyxl.Workbook) -> None:
    assert roster_book.sheetnames == ["花名册", "本季度变动", "未聘任企业"]
    header = _header(roster_book["花名册"])
    canonical = [FIELDS[f] for f in FIELDS if f in _roster().columns]
    assert header == [*canonical, "企业类别", "主管部门", "资格状态", "问题", "来源", "登记季度"]
    assert header[:3] == ["企业名称", "统一社会信用代码", "所属乡镇"]
    for hidden in ("name_key", "id_numeric", "base_id", "education_level", "quarter"):
        assert hidden not in header


def test_roster_values_and_text_cells(roster_book: openpyxl.Workbook) -> None:
    ws = roster_book["花名册"]
    row = _row(ws, 3)
    assert row["企业名称"] == "崇阳县白霓纺织有限公司"
    assert row["资格状态"] == "不合格"
    assert row["问题"] == "学历低于大专"
    assert row["登记季度"] == "2026Q3"
    assert row["邮编"] is None and row["任命日期"] is None  # empty stays empty
    header = _header(ws)
    id_cell = ws.cell(row=2, column=header.index("身份证号") + 1)
    assert id_cell.data_type == "s" and id_cell.value == ID_1  # full data: internal file
    code_cell = ws.cell(row=2, column=header.index("统一社会信用代码") + 1)
    assert code_cell.data_type == "s" and code_cell.value == CODE_1
    assert ws.cell(row=3, column=header.index("身份证号") + 1).value == ID_2
    assert ws.cell(row=2, column=header.index("邮编") + 1).value == "037500"
    formula_cell = ws.cell(row=2, column=header.index("备注") + 1)
    assert formula_cell.value == "=1+1" and formula_cell.data_type == "s"
    assert ws.cell(row=3, column=header.index("备注") + 1).value == "@sum(A1)"
    # The identifier columns are formatted as text, so a later edit stays text too.
    letter = openpyxl.utils.get_column_letter(header.index("身份证号") + 1)
    assert ws.column_dimensions[letter].width >= 18


def test_no_formula_written(tmp_path: Path) -> None:
    path = write_roster(tmp_path / "花名册.xlsx", _roster(), _changes(), _without())
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


def test_roster_layout(roster_book: openpyxl.Workbook) -> None:
    ws = roster_book["花名册"]
    assert ws.freeze_panes == "B2"  # header and enterprise name stay visible
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    rules = [r for rng in ws.conditional_formatting for r in rng.rules]
    assert any("不合格" in f for r in rules for f in r.formula)
    for name in ("本季度变动", "未聘任企业"):
        assert roster_book[name].freeze_panes == "B2"  # the enterprise name column too
        assert roster_book[name].auto_filter.ref


def test_changes_and_without_cqo(roster_book: openpyxl.Workbook) -> None:
    changes = roster_book["本季度变动"]
    assert _header(changes) == [
        "企业名称",
        "变动类型",
        "统一社会信用代码",
        "填报单位",
        "原首席质量官",
        "新首席质量官",
        "任命日期",
        "填写日期",
        "登记用时（天）",
        "来源",
    ]
    assert _row(changes, 2)["统一社会信用代码"] == "91421223MA4F00002X"
    assert _row(changes, 2)["登记用时（天）"] == 65  # a count stays a number
    assert _row(changes, 3)["登记用时（天）"] is None
    assert _row(changes, 3)["变动类型"] == "离任"
    assert _row(changes, 3)["原首席质量官"] == "钱七"
    assert _row(changes, 2)["填写日期"] == dt.datetime(2026, 10, 5)  # a date cell
    assert _row(changes, 2)["任命日期"] == dt.datetime(2026, 8, 1)  # text read as a date
    assert changes.cell(2, 8).number_format == "yyyy-mm-dd"
    without = roster_book["未聘任企业"]
    assert _header(without) == ["企业名称", "统一社会信用代码", "所属乡镇", "主管部门", "企业类别"]
    code = without.cell(row=2, column=2)
    assert code.value == "914212230000000099" and code.data_type == "s"


def test_roster_with_empty_frames(tmp_path: Path) -> None:
    empty_roster = _roster().iloc[0:0]
    path = write_roster(tmp_path / "花名册.xlsx", empty_roster, pd.DataFrame(), pd.DataFrame())
    wb = openpyxl.load_workbook(path)
    assert wb["花名册"].max_row == 1
    assert _header(wb["本季度变动"])[:2] == ["企业名称", "变动类型"]
    assert _header(wb["未聘任企业"])[0] == "企业名称"


def _findings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": [
                "id_checksum",
                "education_below_min",
                "not_in_base_list",
                "mobile_format",
                "required",
                "credit_code_checksum",
            ],
            "severity": ["error", "noncompliant", "warning", "warning", "error", "warning"],
            "field": [
                "id_number",
                "education",
                "enterprise_name",
                "mobile",
                "cqo_name",
                "credit_code",
            ],
            "message": [
                "身份证号校验位错误",
                "学历低于大专",
                "企业不在企业名录中",
                "手机号码格式有误：13812345678",
                "首席质量官姓名为空",
                "统一社会信用代码校验不通过",
            ],
            # An unmasked ID and mobile slipped through: the writer masks them again.
            "value": [ID_1, "高中", "=1+1", "13812345678", None, CODE_1],
            "record": [3, 1, 2, 4, 5, 6],
            "_file": [
                "白霓镇.xlsx",
                "天城镇.xlsx",
                "天城镇.xlsx",
                "白霓镇.xlsx",
                "白霓镇.xlsx",
                "白霓镇.xlsx",
            ],
            "_sheet": ["Sheet1"] * 6,
            "_row": pd.array([9, 4, 3, 5, 12, 6], dtype="Int64"),
            "_unit": ["白霓镇", "天城镇", "天城镇", "白霓镇", "白霓镇", "白霓镇"],
            "column": ["身份证号码", "学历", "企业名称", "手机", "姓名", "统一社会信用代码"],
            "col": pd.array([3, 5, 1, 8, 2, 1], dtype="Int64"),
        }
    )


@pytest.fixture
def issues_book(tmp_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(write_issues(tmp_path / "问题清单.xlsx", _findings()))


def test_issues_sheet(issues_book: openpyxl.Workbook) -> None:
    assert issues_book.sheetnames == ["问题清单", "汇总"]
    ws = issues_book["问题清单"]
    assert _header(ws) == [
        "填报单位",
        "文件",
        "工作表",
        "行号",
        "列",
        "规则代码",
        "问题类型",
        "严重程度",
        "问题说明",
        "值",
    ]
    order = [
        (ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 4).value)
        for r in range(2, ws.max_row + 1)
    ]
    assert order == [
        ("天城镇", "天城镇.xlsx", 3),
        ("天城镇", "天城镇.xlsx", 4),
        ("白霓镇", "白霓镇.xlsx", 5),
        ("白霓镇", "白霓镇.xlsx", 6),
        ("白霓镇", "白霓镇.xlsx", 9),
        ("白霓镇", "白霓镇.xlsx", 12),
    ]
    rows = {ws.cell(r, 6).value: _row(ws, r) for r in range(2, ws.max_row + 1)}
    assert rows["id_checksum"]["严重程度"] == "错误"
    assert rows["education_below_min"]["严重程度"] == "不合格"
    assert rows["not_in_base_list"]["严重程度"] == "提醒"
    assert rows["id_checksum"]["值"] == "421223********1234"
    assert rows["mobile_format"]["值"] == "138****5678"
    assert rows["mobile_format"]["问题说明"] == "手机号码格式有误：138****5678"
    assert rows["credit_code_checksum"]["值"] == CODE_1  # not personal: left as is
    assert rows["required"]["值"] is None
    assert rows["education_below_min"]["问题类型"] == "学历未达任职条件"
    assert ws.cell(2, 4).data_type == "n"
    formula = next(
        ws.cell(r, 10) for r in range(2, ws.max_row + 1) if ws.cell(r, 10).value == "=1+1"
    )
    assert formula.data_type == "s"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:J7"
    formulas = [f for rng in ws.conditional_formatting for r in rng.rules for f in r.formula]
    assert {"错误", "不合格", "提醒"} <= {f.split('"')[1] for f in formulas}


def test_issues_summary(issues_book: openpyxl.Workbook) -> None:
    ws = issues_book["汇总"]
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    header = cells[1]
    assert header[:5] == ["填报单位", "错误", "不合格", "提醒", "合计"]
    by_unit = {row[0]: row[1:5] for row in cells[2:5]}
    assert by_unit["白霓镇"] == [2, 0, 2, 4]
    assert by_unit["天城镇"] == [0, 1, 1, 2]
    assert by_unit["合计"] == [2, 1, 3, 6]
    by_rule_at = next(i for i, row in enumerate(cells) if "规则代码" in row)
    at = cells[by_rule_at].index("规则代码")
    by_rule = {row[at]: row[at - 1 : at + 4] for row in cells[by_rule_at + 1 :] if row[at]}
    assert by_rule["id_checksum"] == [
        "身份证号校验位错误",
        "id_checksum",
        "错误",
        1,
        "身份证号校验位错误",
    ]
    assert len(by_rule) == 6


def test_issues_empty(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_issues(tmp_path / "问题清单.xlsx", pd.DataFrame()))
    assert _header(wb["问题清单"])[0] == "填报单位"
    assert wb["问题清单"].max_row == 1
    assert wb["汇总"].cell(2, 1).value == "填报单位"


def test_change_list_credit_codes() -> None:
    """The base list's code first, else the one reported (an enterprise that left the roster
    is still in the base list)."""
    from pipeline.reports.build import with_credit_codes

    changes = pd.DataFrame(
        {"ent_key": ["a", "b", "c", "d"], "change": ["新增", "变更", "离任", "新增"]}
    )
    roster = pd.DataFrame({"ent_key": ["a", "b", "d"], "credit_code": ["RA", "RB", None]})
    base = pd.DataFrame({"ent_key": ["b", "c"], "credit_code": ["BB", "BC"]})
    out = with_credit_codes(changes, roster, base)
    assert out["credit_code"].tolist()[:3] == ["RA", "BB", "BC"]
    assert pd.isna(out["credit_code"].iloc[3])
    assert out["change"].tolist() == changes["change"].tolist()


def test_roster_text_is_escaped_and_kept(tmp_path: Path) -> None:
    """Sender text with XML specials, control characters, Excel's own _xHHHH_ escapes,
    spaces at either end and more than a cell holds comes back as written (cut, and said so,
    only past Excel's limit) — whether the column is written through the shared-string table
    or inline (a column of distinct values)."""
    from pipeline.reports.xlsx import TRUNCATED_MARK

    tricky = [
        'A&B <公司> "引号"',
        " 前后有空格 ",
        "控制\x01字符\r回车",
        "_x0041_ 不是 A",
        "换行\n第二行",
        "x" * 40_000,
    ]
    n = 60  # enough distinct names for the inline path
    roster = pd.DataFrame(
        {
            "enterprise_name": [f"企业{i}" for i in range(n - len(tricky))] + tricky,
            "remarks": (tricky + ["同一备注"] * n)[:n],  # repeated values: shared strings
        },
        dtype="str",
    )
    path = write_roster(tmp_path / "花名册.xlsx", roster, pd.DataFrame(), pd.DataFrame())
    # calamine reads _xHHHH_ escapes as Excel does (openpyxl leaves control characters escaped)
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("花名册").to_python()
    names = [r[0] for r in rows[-len(tricky) :]]
    remarks = [r[1] for r in rows[1 : len(tricky) + 1]]
    for written in (names, remarks):
        assert written[:5] == tricky[:5]
        assert written[5].endswith(TRUNCATED_MARK) and len(written[5]) <= 32_767
    assert openpyxl.load_workbook(path)["花名册"]["A2"].value == "企业0"  # openpyxl reads it too


def test_roster_beyond_excel_rows_continues_on_next_sheet(tmp_path: Path, monkeypatch) -> None:
    from pipeline.reports import roster_book

    monkeypatch.setattr(roster_book, "MAX_DATA_ROWS", 2)
    roster = pd.DataFrame(
        {"enterprise_name": ["甲", "乙", "丙"], "status": ["合格", "不合格", "合格"]}, dtype="str"
    )
    path = write_roster(tmp_path / "花名册.xlsx", roster, pd.DataFrame(), pd.DataFrame())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["花名册", "花名册(2)"]
    assert [c.value for c in wb["花名册"]["A"]] == ["企业名称", "甲", "乙"]
    assert [c.value for c in wb["花名册(2)"]["A"]] == ["企业名称", "丙"]
    assert wb["花名册(2)"].auto_filter.ref == "A1:B2"


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_reconciliation_counts_the_rows_as_written_without_loading_the_sheet(
    tmp_path, monkeypatch, chunk
):
    """run._data_rows streams the sheet XML (a national roster book is 26 M cells): it agrees
    with a reader on the rows of a sheet, whatever the read chunk cuts."""
    from python_calamine import CalamineWorkbook

    from pipeline import run
    from pipeline.reports import sheetxml

    book = sheetxml.Book("t")
    names = [f"企业{i}" if i % 3 else None for i in range(1234)]
    book.add_table(
        "花名册",
        [
            sheetxml.Column("企业名称", names),
            sheetxml.Column("序号", [float(i) for i in range(1234)], True),
        ],
    )
    book.add_table("本季度变动", [sheetxml.Column("企业名称", ["甲", "乙"])])
    path = tmp_path / "b.xlsx"
    book.save(path)
    monkeypatch.setattr(run, "_READ_CHUNK", chunk)
    assert run._data_rows(path, "花名册") == 1234
    assert run._data_rows(path, "本季度变动") == 2
    assert run._data_rows(path, "未聘任企业") == 0
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("花名册")
    assert sheet.height - 1 == 1234


def test_roster_dates_are_date_cells_and_unread_text_is_kept(tmp_path: Path) -> None:
    """Dates as senders write them (2026-07-17, 2026/7/5, 2026年8月12日, 2026.8.20) become date
    cells (yyyy-mm-dd; a 出生年月 such as 1985.06 as yyyy-mm), so the roster sorts and filters
    by date; text that is no date stays as written."""
    from python_calamine import CalamineWorkbook

    from pipeline.normalize import parse_dates

    appointed = ["2026-07-17", "2026/7/5", "2026年8月12日", "2026.8.20", "待定", None]
    born = ["1985.06", "1990-01-01", "1979年3月", "19880512", "不详", None]
    roster = pd.DataFrame(
        {
            "enterprise_name": [f"企业{i}" for i in range(6)],
            "birth_date": born,
            "appointment_date": appointed,
            "fill_date": ["2026-10-08"] * 6,
        },
        dtype="str",
    )
    for field in ("birth_date", "appointment_date"):
        roster[f"{field}_parsed"] = parse_dates(roster[field].astype("object"))[0]
    # A stored roster's fill date may have no parsed column: the text is read here.
    changes = pd.DataFrame(
        {
            "enterprise_name": ["企业0", "企业4"],
            "change": ["新增", "变更"],
            "appointment_date": ["2026.7.17", "七月"],
            "fill_date": ["2026年10月8日", None],
        }
    )
    path = write_roster(tmp_path / "花名册.xlsx", roster, changes, pd.DataFrame())

    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("花名册").to_python()
    header = rows[0]
    col = {label: [r[header.index(label)] for r in rows[1:]] for label in header}
    assert col["任命日期"] == [
        dt.date(2026, 7, 17),
        dt.date(2026, 7, 5),
        dt.date(2026, 8, 12),
        dt.date(2026, 8, 20),
        "待定",  # not a date: kept as written
        "",
    ]
    assert col["出生日期"][:4] == [
        dt.date(1985, 6, 1),
        dt.date(1990, 1, 1),
        dt.date(1979, 3, 1),
        dt.date(1988, 5, 12),
    ]
    assert col["出生日期"][4:] == ["不详", ""]
    assert col["填写日期"] == [dt.date(2026, 10, 8)] * 6
    change_rows = book.get_sheet_by_name("本季度变动").to_python()
    assert [r[change_rows[0].index("任命日期")] for r in change_rows[1:]] == [
        dt.date(2026, 7, 17),
        "七月",
    ]
    assert [r[change_rows[0].index("填写日期")] for r in change_rows[1:]] == [
        dt.date(2026, 10, 8),
        "",
    ]

    ws = openpyxl.load_workbook(path)["花名册"]
    head = _header(ws)
    born_col = head.index("出生日期") + 1
    formats = [ws.cell(r, born_col).number_format for r in range(2, 6)]
    assert formats == ["yyyy-mm", "yyyy-mm-dd", "yyyy-mm", "yyyy-mm-dd"]  # month-only: yyyy-mm
    assert ws.cell(6, born_col).data_type == "s" and ws.cell(6, born_col).value == "不详"
    appointed_col = head.index("任命日期") + 1
    assert ws.cell(2, appointed_col).is_date
    letter = openpyxl.utils.get_column_letter(appointed_col)
    assert ws.column_dimensions[letter].width >= 10  # yyyy-mm-dd fits, no ####


def test_date_serials_follow_excel() -> None:
    from pipeline.reports.sheetxml import date_serials

    values = pd.to_datetime(["1899-12-31", "1900-01-01", "1900-02-28", "1900-03-01", None])
    serials = date_serials(values)
    assert np.isnan(serials[0]) and np.isnan(serials[4])  # before 1900, missing: no date
    assert serials[1:4].tolist() == [1.0, 59.0, 61.0]  # Excel's 1900-02-29 is serial 60
    assert date_serials(pd.to_datetime(["2026-10-08 12:00"])).tolist() == [46303.5]


def test_issue_messages_wrap_and_summary_names_rules_in_chinese(
    issues_book: openpyxl.Workbook,
) -> None:
    ws = issues_book["问题清单"]
    header = _header(ws)
    message = openpyxl.utils.get_column_letter(header.index("问题说明") + 1)
    assert ws.column_dimensions[message].width >= 30
    assert ws[f"{message}2"].alignment.wrap_text  # long messages wrap, never cut off
    summary = issues_book["汇总"]
    cells = {c.value: c for row in summary.iter_rows() for c in row if c.value is not None}
    code = cells["education_below_min"]
    assert summary.cell(code.row, code.column - 1).value == "学历未达任职条件"
    explanation = summary.cell(code.row, code.column + 3)
    assert explanation.value == "学历低于大专" and explanation.alignment.wrap_text
    dims = summary.column_dimensions
    assert dims[code.column_letter].width >= len("education_below_min")
    assert dims[explanation.column_letter].width >= 50
    # The by-unit count columns stay narrow: the wide columns are the rule table's own.
    assert cells["填报单位"].column == 1 and code.column > cells["合计"].column
    assert max(dims[letter].width for letter in "BCDE") <= 12


def test_books_print_landscape_with_the_header_on_every_page(tmp_path: Path) -> None:
    """A4 landscape; a narrow table one page wide, a wide one across pages (scaled to one
    page it would be unreadable); a table's header row repeats on every page."""
    issues = openpyxl.load_workbook(write_issues(tmp_path / "问题清单.xlsx", _findings()))
    ws = issues["问题清单"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9")
    assert ws.print_title_rows == "$1:$1"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight in (0, "0")
    # every body cell starts on the first line of a row made tall by a wrapped message
    assert {ws.cell(2, c).alignment.vertical for c in range(1, ws.max_column + 1)} == {"top"}
    roster = openpyxl.load_workbook(
        write_roster(tmp_path / "花名册.xlsx", _roster(), _changes(), _without())
    )
    wide = roster["花名册"]
    assert wide.page_setup.orientation == "landscape" and wide.print_title_rows == "$1:$1"
    from pipeline.reports import sheetxml

    book = sheetxml.Book("宽表")
    book.add_table("宽", [sheetxml.Column(f"列{i}", ["x"], width=30) for i in range(12)])
    book.add_table("窄", [sheetxml.Column(f"列{i}", ["x"], width=30) for i in range(4)])
    book.save(tmp_path / "w.xlsx")
    printed = openpyxl.load_workbook(tmp_path / "w.xlsx")
    for name, fits in (("宽", False), ("窄", True)):
        ws = printed[name]
        assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
        setup = ws.sheet_properties.pageSetUpPr
        assert bool(setup and setup.fitToPage) == fits, name
