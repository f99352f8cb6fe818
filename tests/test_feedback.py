"""Return-to-sender workbooks: findings worst first, problem cells marked, originals untouched."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
import xlwt
from openpyxl.comments import Comment

from pipeline.reports.feedback import (
    AUTHOR,
    SEVERITY_COLORS,
    SEVERITY_TINTS,
    TABLE_HEADERS,
    write_all_feedback,
    write_feedback,
)

HEADER = ["序号", "企业名称", "统一社会信用代码", "首席质量官姓名", "身份证号码", "学历", "备注"]
ROWS = [
    [1, "崇阳甲公司", "91421223MA4XXXXX1X", "张三", "421223199001011234", "本科", "=1+1"],
    [2, "崇阳乙公司", "91421223MA4XXXXX2X", "李四", "421223199001011235", "高中", ""],
    [3, "崇阳丙公司", "91421223MA4XXXXX3X", "王五", "42122319900101123", "大专", "-备注"],
]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _xlsx_source(path: Path) -> Path:
    """A township sheet as received: title row, header on row 2, data from row 3, a hidden sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "报送表"
    ws["A1"] = "天城镇首席质量官登记汇总表"
    ws.merge_cells("A1:G1")
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # the sender typed text, not a formula
    ws["F4"].font = openpyxl.styles.Font(italic=True)
    ws["B5"].comment = Comment("企业自己的批注", "填表人")
    hidden = wb.create_sheet("参数")
    hidden["A1"] = "隐藏的参数"
    hidden.sheet_state = "hidden"
    wb.save(path)
    return path


def _xls_source(path: Path) -> Path:
    """Data starting at row 3, column B (two empty rows, one empty column): positions must hold."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for c, label in enumerate(HEADER):
        sheet.write(2, c + 1, label)
    for r, row in enumerate(ROWS, start=3):
        for c, value in enumerate(row):
            sheet.write(r, c + 1, value)
    book.save(str(path))
    return path


def _csv_source(path: Path) -> Path:
    lines = [",".join(HEADER)] + [",".join(str(v) for v in row) for row in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def _finding(
    rule,
    severity,
    file,
    row,
    col,
    message,
    *,
    sheet="报送表",
    column=None,
    value=None,
    unit="天城镇",
    field=None,
):
    return {
        "rule": rule,
        "severity": severity,
        "field": field,
        "message": message,
        "value": value,
        "record": 0 if row is not None else -1,
        "_file": file,
        "_sheet": sheet,
        "_row": row,
        "_unit": unit,
        "column": column,
        "col": col,
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["_row"] = frame["_row"].astype("Int64")
    frame["col"] = frame["col"].astype("Int64")
    frame["record"] = frame["record"].astype("int64")
    return frame


def _fill(cell) -> str | None:
    return cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None


def _table(ws) -> list[tuple]:
    """Rows of the findings table under its header row."""
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if tuple(r[: len(TABLE_HEADERS)]) == TABLE_HEADERS)
    return [r for r in rows[head + 1 :] if any(v is not None for v in r)]


@pytest.fixture
def single(tmp_path):
    src = _xlsx_source(tmp_path / "天城镇.xlsx")
    findings = _frame(
        [
            _finding(
                "required",
                "warning",
                "天城镇.xlsx",
                3,
                2,
                "统一社会信用代码校验位错误",
                column="统一社会信用代码",
            ),
            _finding(
                "education_below_min",
                "noncompliant",
                "天城镇.xlsx",
                4,
                5,
                "学历低于大专",
                column="学历",
                value="高中",
            ),
            _finding(
                "id_format",
                "error",
                "天城镇.xlsx",
                5,
                4,
                "身份证号应为18位",
                column="身份证号码",
                value="421223*******123",
            ),
            _finding(
                "duplicate_in_submission",
                "error",
                "天城镇.xlsx",
                3,
                None,
                "同一企业重复填报且数据不同",
            ),
            _finding(
                "id_checksum", "warning", "天城镇.xlsx", 5, 4, "请核对身份证号", column="身份证号码"
            ),
        ]
    )
    return src, findings


def test_single_xlsx_source_keeps_its_sheet_names_and_marks_cells(tmp_path, single):
    src, findings = single
    before = _sha256(src)
    out = write_feedback(
        tmp_path / "out" / "天城镇.xlsx",
        "天城镇",
        findings,
        {"天城镇.xlsx": src},
        {("天城镇.xlsx", "报送表"): 2},
    )

    assert _sha256(src) == before
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["问题说明", "报送表", "参数"]
    assert wb["参数"].sheet_state == "hidden"

    summary = wb["问题说明"]
    assert summary["A1"].value == "天城镇 首席质量官报送数据退回修改说明"
    table = _table(summary)
    assert [(r[4], r[2]) for r in table] == [
        ("错误", 3),
        ("错误", 5),
        ("不合格", 4),
        ("提醒", 3),
        ("提醒", 5),
    ]
    assert table[1][:4] == ("天城镇.xlsx", "报送表", 5, "E（身份证号码）")
    assert table[1][6] == "421223*******123"  # the validator's masked value, as given

    ws = wb["报送表"]
    # E5: an error and a warning on the same cell -> red, both messages in one comment.
    assert _fill(ws["E5"]) == SEVERITY_COLORS["error"]
    assert ws["E5"].comment.author == AUTHOR
    assert "身份证号应为18位" in ws["E5"].comment.text
    assert "请核对身份证号" in ws["E5"].comment.text
    # The unit's own data, but personal numbers leave the office masked (DESIGN.md, issue 7).
    assert ws["E5"].value == "421223*******1123"
    assert _fill(ws["F4"]) == SEVERITY_COLORS["noncompliant"]
    assert "学历低于大专" in ws["F4"].comment.text
    # Row 3: a row-level error marks the first cell red and tints the rest of the row;
    # the warning on C3 keeps its own colour.
    assert _fill(ws["A3"]) == SEVERITY_COLORS["error"]
    assert "重复填报" in ws["A3"].comment.text
    assert _fill(ws["D3"]) == SEVERITY_TINTS["error"]
    assert _fill(ws["C3"]) == SEVERITY_COLORS["warning"]
    # Unmarked cells are unchanged.
    assert ws["D4"].value == "李四" and _fill(ws["D4"]) is None and ws["D4"].comment is None
    assert ws["A1"].value == "天城镇首席质量官登记汇总表"
    assert "A1:G1" in {str(r) for r in ws.merged_cells.ranges}
    # A marked view, not a copy: the sender's formatting and comments stay in its original.
    assert not ws["F4"].font.italic and ws["B5"].comment is None
    # The header row (row 2 here) in bold and frozen; widths fit the text.
    assert ws["B2"].value == "企业名称" and ws["B2"].font.b and not ws["B3"].font.b
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["C"].width >= 18
    # Text that looks like a formula stays text.
    assert ws["G3"].value == "=1+1" and ws["G3"].data_type == "s"


def test_summary_links_to_the_problem_cell(tmp_path, single):
    src, findings = single
    out = write_feedback(tmp_path / "f.xlsx", "天城镇", findings, {"天城镇.xlsx": src}, {})
    summary = openpyxl.load_workbook(out)["问题说明"]
    links = {
        c.value: c.hyperlink.location
        for row in summary.iter_rows()
        for c in row
        if c.hyperlink is not None and c.column == 3
    }
    assert links[5] == "'报送表'!E5"


def test_several_sources_are_rendered_at_the_same_positions(tmp_path):
    xlsx = _xlsx_source(tmp_path / "天城镇一季度.xlsx")
    xls = _xls_source(tmp_path / "天城镇补报.xls")
    csv_ = _csv_source(tmp_path / "天城镇补充.csv")
    sources = {p.name: p for p in (xlsx, xls, csv_)}
    hashes = {p: _sha256(p) for p in sources.values()}
    findings = _frame(
        [
            _finding(
                "id_format",
                "error",
                "天城镇补报.xls",
                6,
                5,
                "身份证号应为18位",
                sheet="Sheet1",
                column="身份证号码",
            ),
            _finding(
                "education_below_min", "noncompliant", "天城镇一季度.xlsx", 4, 5, "学历低于大专"
            ),
            _finding(
                "mobile_format",
                "warning",
                "天城镇补充.csv",
                3,
                1,
                "企业名称疑似有误",
                sheet="天城镇补充",
            ),
        ]
    )

    out = write_feedback(tmp_path / "out.xlsx", "天城镇", findings, sources, {})

    assert {p: _sha256(p) for p in sources.values()} == hashes
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "问题说明"
    assert set(wb.sheetnames[1:]) == {
        "天城镇一季度-报送表",
        "天城镇一季度-参数",
        "天城镇补报-Sheet1",
        "天城镇补充-天城镇补充",
    }
    assert wb["天城镇一季度-参数"].sheet_state == "hidden"

    xls_ws = wb["天城镇补报-Sheet1"]
    assert xls_ws["B3"].value == "序号" and xls_ws["A3"].value is None
    assert xls_ws["F6"].value == "421223*******1123"  # masked, at its own position
    assert _fill(xls_ws["F6"]) == SEVERITY_COLORS["error"]
    assert "身份证号应为18位" in xls_ws["F6"].comment.text
    assert _fill(xls_ws["F5"]) is None and xls_ws["F5"].comment is None

    xlsx_ws = wb["天城镇一季度-报送表"]
    assert xlsx_ws["A1"].value == "天城镇首席质量官登记汇总表"
    assert "A1:G1" in {str(r) for r in xlsx_ws.merged_cells.ranges}
    assert _fill(xlsx_ws["F4"]) == SEVERITY_COLORS["noncompliant"]
    assert xlsx_ws["G3"].value == "=1+1" and xlsx_ws["G3"].data_type == "s"

    csv_ws = wb["天城镇补充-天城镇补充"]
    assert csv_ws["B3"].value == "崇阳乙公司"
    assert _fill(csv_ws["B3"]) == SEVERITY_COLORS["warning"]
    assert csv_ws["G2"].value == "=1+1" and csv_ws["G2"].data_type == "s"
    assert csv_ws["G4"].value == "-备注" and csv_ws["G4"].data_type == "s"

    table = _table(wb["问题说明"])
    assert [r[4] for r in table] == ["错误", "不合格", "提醒"]


def test_single_xls_source_is_rendered(tmp_path):
    xls = _xls_source(tmp_path / "沙坪镇.xls")
    findings = _frame(
        [
            _finding(
                "required",
                "error",
                "沙坪镇.xls",
                5,
                3,
                "缺少统一社会信用代码",
                sheet="Sheet1",
                unit="沙坪镇",
            ),
        ]
    )
    out = write_feedback(tmp_path / "沙坪镇反馈.xlsx", "沙坪镇", findings, {"沙坪镇.xls": xls}, {})
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["问题说明", "沙坪镇-Sheet1"]
    ws = wb["沙坪镇-Sheet1"]
    assert ws["D5"].value == "91421223MA4XXXXX2X"
    assert _fill(ws["D5"]) == SEVERITY_COLORS["error"]


def test_unreadable_or_missing_source_keeps_the_findings_table(tmp_path):
    broken = tmp_path / "白霓镇.xlsx"
    broken.write_bytes(b"not a workbook")
    findings = _frame(
        [
            _finding("required", "error", "白霓镇.xlsx", 4, 1, "缺少企业名称", unit="白霓镇"),
            _finding("required", "error", "白霓镇2.xlsx", 5, 1, "缺少学历", unit="白霓镇"),
        ]
    )
    out = write_feedback(tmp_path / "out.xlsx", "白霓镇", findings, {"白霓镇.xlsx": broken}, {})
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["问题说明"]
    summary = wb["问题说明"]
    assert len(_table(summary)) == 2
    notes = " ".join(str(c.value) for c in summary["A"] if c.value)
    assert "白霓镇.xlsx" in notes and "白霓镇2.xlsx" in notes


def test_a_source_over_the_configured_limits_is_listed_not_copied(tmp_path):
    from pipeline.config import Limits

    src = tmp_path / "白霓镇.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["企业名称", "备注"])
    wb.active.append(["白霓甲公司", "x" * 5000])
    wb.save(src)
    findings = _frame(
        [_finding("required", "error", "白霓镇.xlsx", 2, 1, "缺少学历", unit="白霓镇")]
    )
    small = Limits(max_file_mb=src.stat().st_size / 2 / 1024 / 1024)
    out = write_feedback(tmp_path / "o.xlsx", "白霓镇", findings, {src.name: src}, {}, small)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["问题说明"]
    notes = " ".join(str(c.value) for c in book["问题说明"]["A"] if c.value)
    assert "白霓镇.xlsx" in notes
    # under the default limits the same source is copied
    out = write_feedback(tmp_path / "o2.xlsx", "白霓镇", findings, {src.name: src}, {})
    assert len(openpyxl.load_workbook(out).sheetnames) == 2


def test_merged_cell_finding_marks_the_visible_cell(tmp_path):
    src = tmp_path / "路口镇.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws.append(["企业名称", "首席质量官姓名"])
    ws.append(["路口甲公司", "赵六"])
    ws.append([None, "钱七"])
    ws.merge_cells("A2:A3")
    wb.save(src)
    findings = _frame(
        [
            _finding(
                "duplicate_in_submission",
                "warning",
                "路口镇.xlsx",
                3,
                0,
                "企业重复",
                sheet="表",
                unit="路口镇",
            ),
        ]
    )
    out = write_feedback(tmp_path / "o.xlsx", "路口镇", findings, {"路口镇.xlsx": src}, {})
    ws = openpyxl.load_workbook(out)["表"]
    assert _fill(ws["A2"]) == SEVERITY_COLORS["warning"]
    assert "企业重复" in ws["A2"].comment.text


def test_write_all_feedback_one_file_per_unit_inside_the_folder(tmp_path):
    src_a = _xlsx_source(tmp_path / "a.xlsx")
    src_b = _xlsx_source(tmp_path / "b.xlsx")
    findings = _frame(
        [
            _finding("required", "error", "b.xlsx", 3, 1, "缺少企业名称", unit="../evil"),
            _finding("required", "error", "a.xlsx", 4, 1, "缺少企业名称", unit="天城镇"),
            _finding("unknown_unit", "error", "c.xlsx", None, None, "无法确定填报单位", unit=None),
        ]
    )
    folder = tmp_path / "退回修改"
    written = write_all_feedback(
        folder,
        findings,
        {"天城镇": {"a.xlsx": src_a}, "../evil": {"b.xlsx": src_b}},
        {},
    )
    assert list(written) == ["../evil", "天城镇"]
    for path in written.values():
        assert path.resolve().parent == folder.resolve()
        assert path.is_file()
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written.values())
    evil = openpyxl.load_workbook(written["../evil"])
    assert evil["问题说明"]["A1"].value == "../evil 首席质量官报送数据退回修改说明"
    assert len(_table(evil["问题说明"])) == 1


def test_oversized_source_is_not_loaded(tmp_path):
    from pipeline.config import Limits

    src = _xlsx_source(tmp_path / "青山镇.xlsx")
    limits = Limits(max_unzipped_mb=1000 / 1024 / 1024)  # 1000 bytes unzipped
    findings = _frame([_finding("required", "error", "青山镇.xlsx", 3, 1, "缺少企业名称")])
    out = write_feedback(
        tmp_path / "o.xlsx", "青山镇", findings, {"青山镇.xlsx": src}, {}, limits
    )
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["问题说明"]
    assert len(_table(wb["问题说明"])) == 1


def test_units_whose_safe_names_collide_get_separate_files(tmp_path):
    src = _xlsx_source(tmp_path / "a.xlsx")
    findings = _frame([
        _finding("required", "error", "a.xlsx", 3, 1, "甲", unit="a/b"),
        _finding("required", "error", "a.xlsx", 3, 1, "乙", unit="a_b"),
    ])  # fmt: skip
    sources = {"a/b": {"a.xlsx": src}, "a_b": {"a.xlsx": src}}
    written = write_all_feedback(tmp_path / "out", findings, sources, {})
    assert len({p.name for p in written.values()}) == 2
    messages = {u: _table(openpyxl.load_workbook(p)["问题说明"])[0][5] for u, p in written.items()}
    assert messages == {"a/b": "甲", "a_b": "乙"}


# -- the rendered view: values, types, merges, hostile shapes -------------------------------


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(
            zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("xl/worksheets/")
        )


def test_values_keep_their_types_and_personal_numbers_are_masked(tmp_path):
    src = tmp_path / "隽水镇.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("报送表")
    ws.write_row(0, 0, ["企业名称", "身份证号", "手机", "任命日期", "填写时间", "年限", "备注"])
    date_fmt = wb.add_format({"num_format": "yyyy/m/d"})
    ws.write_string(1, 0, "隽水甲公司")
    ws.write_number(1, 1, 421223199001011234)  # Excel turned the ID into a number
    ws.write_number(1, 2, 13812345678)
    ws.write_datetime(1, 3, dt.datetime(2026, 3, 1), date_fmt)
    ws.write_datetime(1, 4, dt.datetime(2026, 3, 1, 9, 30), date_fmt)
    ws.write_formula(1, 5, "=2+3", None, 5)  # only its saved result is shown
    ws.write_string(1, 6, '=HYPERLINK("http://x")\x01')
    ws.write_string(2, 0, "隽水乙公司")
    ws.write_string(2, 1, "421223199001011234")
    ws.write_string(2, 2, "+8613812345678")
    ws.write_string(2, 6, "@SUM(A1:A2)")
    wb.close()
    findings = _frame([_finding("id_precision_lost", "error", src.name, 2, 1, "身份证号被转为数字",
                                sheet="报送表", unit="隽水镇")])  # fmt: skip

    out = write_feedback(tmp_path / "o.xlsx", "隽水镇", findings, {src.name: src},
                         {(src.name, "报送表"): 1})  # fmt: skip

    ws = openpyxl.load_workbook(out)["报送表"]
    assert ws["A2"].value == "隽水甲公司"
    # the number lost the last digits: shown as Excel shows it (15 significant digits), as
    # the validator's value and comment say it
    assert ws["B2"].value == "421223********1000" and ws["B2"].data_type == "s"
    assert ws["B3"].value == "421223********1234"
    assert ws["C2"].value == "138****5678"
    assert ws["D2"].value == dt.datetime(2026, 3, 1) and ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["E2"].value == dt.datetime(2026, 3, 1, 9, 30)
    assert ws["E2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert ws["F2"].value == 5 and ws["F2"].data_type == "n"
    assert ws["G2"].value == '=HYPERLINK("http://x")' and ws["G2"].data_type == "s"
    assert ws["G3"].value == "@SUM(A1:A2)" and ws["G3"].data_type == "s"
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    assert _fill(ws["B2"]) == SEVERITY_COLORS["error"]
    xml = _sheet_xml(out)
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere


def test_xls_merged_ranges_and_hidden_sheets_are_reproduced(tmp_path):
    src = tmp_path / "石城镇.xls"
    book = xlwt.Workbook()
    sheet = book.add_sheet("汇总")
    sheet.write_merge(0, 0, 0, 6, "石城镇首席质量官登记表")  # wider than the data below
    for c, label in enumerate(HEADER[:5]):
        sheet.write(1, c, label)
    sheet.write_merge(2, 3, 1, 1, "石城甲公司")  # one enterprise, two rows
    sheet.write(2, 3, "张三")
    sheet.write(3, 3, "李四")
    hidden = book.add_sheet("旧表")
    hidden.write(0, 0, "上季度")
    hidden.visibility = 1
    book.save(str(src))
    findings = _frame([
        _finding("duplicate_in_submission", "warning", src.name, 4, 1, "企业重复填报",
                 sheet="汇总", unit="石城镇"),
        _finding("required", "error", src.name, 4, None, "缺少身份证号", sheet="汇总",
                 unit="石城镇"),
    ])  # fmt: skip

    out = write_feedback(tmp_path / "o.xlsx", "石城镇", findings, {src.name: src}, {})

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["问题说明", "石城镇-汇总", "石城镇-旧表"]
    assert wb["石城镇-旧表"].sheet_state == "hidden"
    ws = wb["石城镇-汇总"]
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:G1", "B3:B4"}
    assert ws["A1"].value == "石城镇首席质量官登记表" and ws["B3"].value == "石城甲公司"
    # A finding on a merged cell marks the cell that shows it; the row-level error marks the
    # row's first value (D4) and tints the rest, not the merged cell above.
    assert _fill(ws["B3"]) == SEVERITY_COLORS["warning"] and "企业重复" in ws["B3"].comment.text
    assert _fill(ws["D4"]) == SEVERITY_COLORS["error"] and "缺少身份证号" in ws["D4"].comment.text
    assert _fill(ws["A4"]) == SEVERITY_TINTS["error"] and _fill(ws["E4"]) == SEVERITY_TINTS["error"]
    links = [
        (c.value, c.hyperlink.location)
        for row in wb["问题说明"].iter_rows()
        for c in row
        if c.hyperlink is not None
    ]
    assert links == [(4, "'石城镇-汇总'!D4"), (4, "'石城镇-汇总'!B3")]  # error first


def test_hostile_merged_ranges_are_left_out(tmp_path):
    src = tmp_path / "铜钟乡.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws.append(["企业名称", "首席质量官姓名", "学历"])
    ws.append(["铜钟甲公司", "赵六", "初中"])
    ws.merge_cells("E5:F6")  # placeholder, replaced below
    wb.save(src)
    with zipfile.ZipFile(src) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    name = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    merges = (
        '<mergeCells count="3"><mergeCell ref="A1:XFD1048576"/>'
        '<mergeCell ref="A2:B2"/><mergeCell ref="B2:C2"/></mergeCells>'
    )
    parts[name] = re.sub(rb"<mergeCells.*?</mergeCells>", merges.encode(), parts[name])
    with zipfile.ZipFile(src, "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    findings = _frame([_finding("education_below_min", "noncompliant", src.name, 2, 2, "学历低",
                                sheet="表", unit="铜钟乡")])  # fmt: skip

    out = write_feedback(tmp_path / "o.xlsx", "铜钟乡", findings, {src.name: src}, {})

    ws = openpyxl.load_workbook(out)["表"]
    # The huge range is left out (never cut down to cover the data), the second of two
    # overlapping ranges too (Excel would call the file corrupt).
    assert {str(r) for r in ws.merged_cells.ranges} == {"A2:B2"}
    assert ws["C2"].value == "初中" and _fill(ws["C2"]) == SEVERITY_COLORS["noncompliant"]


def test_csv_header_row_is_found_whatever_the_findings_call_the_sheet(tmp_path):
    src = _csv_source(tmp_path / "天城镇.csv")
    findings = _frame([_finding("required", "error", src.name, 3, 1, "缺少企业名称",
                                sheet="天城镇")])  # fmt: skip
    out = write_feedback(tmp_path / "o.xlsx", "天城镇", findings, {src.name: src},
                         {(src.name, "Sheet1"): 1})  # fmt: skip
    ws = openpyxl.load_workbook(out)["天城镇-天城镇"]
    assert ws["A1"].value == "序号" and ws["A1"].font.b and ws.freeze_panes == "A2"
    assert ws["E2"].value == "421223********1234"
    assert _fill(ws["B3"]) == SEVERITY_COLORS["error"]


def test_many_findings_each_get_their_comment_and_link(tmp_path):
    src = tmp_path / "大县.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws.append(HEADER)
    for i in range(300):
        ws.append([i + 1, f"企业{i}", "", f"人{i}", "", "本科", ""])
    wb.save(src)
    findings = _frame([
        _finding("required", "error", src.name, i + 2, 4, f"第{i}行缺少身份证号", sheet="表",
                 unit="大县")
        for i in range(300)
    ])  # fmt: skip

    out = write_feedback(tmp_path / "o.xlsx", "大县", findings, {src.name: src}, {})

    book = openpyxl.load_workbook(out)
    ws = book["表"]
    comments = [c for row in ws.iter_rows() for c in row if c.comment is not None]
    assert len(comments) == 300
    assert all(_fill(c) == SEVERITY_COLORS["error"] for c in comments)
    assert "第299行缺少身份证号" in ws["E301"].comment.text
    table = _table(book["问题说明"])
    assert len(table) == 300 and [r[2] for r in table] == list(range(2, 302))


def test_two_row_header_is_bold_and_frozen_below_it(tmp_path):
    src = tmp_path / "港口乡.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws.append(["企业名称", "首席质量官", None])
    ws.append([None, "姓名", "身份证号"])
    ws.append(["港口甲公司", "孙八", "421223199001011234"])
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:C1")
    wb.save(src)
    findings = _frame([_finding("id_checksum", "error", src.name, 3, 2, "校验位错误", sheet="表",
                                unit="港口乡")])  # fmt: skip
    out = write_feedback(tmp_path / "o.xlsx", "港口乡", findings, {src.name: src},
                         {(src.name, "表"): 2})  # fmt: skip
    ws = openpyxl.load_workbook(out)["表"]
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:A2", "B1:C1"}
    assert ws["A1"].font.b and ws["B1"].font.b and ws["C2"].font.b and not ws["A3"].font.b
    assert ws.freeze_panes == "A3"
    assert ws["C3"].value == "421223********1234" and _fill(ws["C3"]) == SEVERITY_COLORS["error"]


def test_utf16_csv_and_a_workbook_named_csv_are_read_as_ingest_reads_them(tmp_path):
    utf16 = tmp_path / "大市.csv"
    lines = [",".join(HEADER)] + [",".join(str(v) for v in row) for row in ROWS]
    utf16.write_text("\n".join(lines) + "\n", encoding="utf-16")  # with its BOM
    named_csv = _xlsx_source(tmp_path / "大市补报.csv")  # an .xlsx saved under a .csv name
    findings = _frame([
        _finding("required", "error", utf16.name, 3, 1, "甲", sheet="Sheet1", unit="大市"),
        _finding("required", "error", named_csv.name, 4, 1, "乙", sheet="报送表", unit="大市"),
    ])  # fmt: skip
    sources = {utf16.name: utf16, named_csv.name: named_csv}
    out = write_feedback(tmp_path / "o.xlsx", "大市", findings, sources, {})
    wb = openpyxl.load_workbook(out)
    assert wb["大市-Sheet1"]["B3"].value == "崇阳乙公司"
    assert _fill(wb["大市-Sheet1"]["B3"]) == SEVERITY_COLORS["error"]
    assert wb["大市补报-报送表"]["B4"].value == "崇阳乙公司"
    assert wb["大市补报-参数"].sheet_state == "hidden"


def test_id_and_mobile_columns_are_masked_whatever_they_hold(tmp_path):
    """The columns ingest mapped to 身份证号 / 手机 are masked below the header even where the
    value is malformed (a digit missing, written in groups); other columns only where an ID
    or mobile is recognised; the title above the header is left alone."""
    src = tmp_path / "桂花泉镇.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("Sheet1")
    ws.write_string(0, 0, "填报日期：20261008 联系电话 0715-3312345")
    ws.write_row(1, 0, ["企业名称", "身份证号码", "手机", "备注"])
    ws.write_row(
        2, 0, ["甲公司", "422325 19890929 0792", "1824975535", "法人 422325-19890929-0792"]
    )
    ws.write_row(3, 0, ["乙公司", "42232519890929079", "138 1234 5678", "2019-01-01 2020-12-31"])
    ws.write_row(4, 0, ["丙公司", "无", "待补", ""])
    wb.close()
    findings = _frame([_finding("mobile_bad", "error", src.name, 3, 2, "手机号码应为 11 位",
                                sheet="Sheet1", unit="桂花泉镇", value="182***5535")])  # fmt: skip

    out = write_feedback(tmp_path / "o.xlsx", "桂花泉镇", findings, {src.name: src},
                         {(src.name, "Sheet1"): 2},
                         personal={(src.name, "Sheet1"): {1: "id", 2: "mobile"}})  # fmt: skip

    ws = openpyxl.load_workbook(out)["Sheet1"]
    assert ws["A1"].value == "填报日期：20261008 联系电话 0715-3312345"
    assert ws["B3"].value == "422325 ******** 0792"
    assert ws["C3"].value == "182***5535"  # as the validator's value shows it
    assert ws["D3"].value == "法人 422325-********-0792"
    assert ws["B4"].value == "422325*******9079"
    assert ws["C4"].value == "138****5678"
    assert ws["D4"].value == "2019-01-01 2020-12-31"  # a date range is not an ID
    assert (ws["B5"].value, ws["C5"].value) == ("无", "待补")
    text = "".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "19890929" not in text and "1234" not in text.replace("0715-3312345", "")


def test_a_hidden_sheet_with_problems_is_shown_and_said_so(tmp_path):
    src = _xlsx_source(tmp_path / "天城镇.xlsx")
    wb = openpyxl.load_workbook(src)
    old = wb.create_sheet("2025年四季度")
    old.append(HEADER)
    old.append(ROWS[0])
    old.sheet_state = "hidden"
    wb.save(src)
    findings = _frame([_finding("duplicate_in_submission", "warning", src.name, 2, 1,
                                "企业重复填报", sheet="2025年四季度")])  # fmt: skip

    out = write_feedback(tmp_path / "o.xlsx", "天城镇", findings, {src.name: src},
                         {(src.name, "2025年四季度"): 1})  # fmt: skip

    book = openpyxl.load_workbook(out)
    assert book["2025年四季度"].sheet_state == "visible"
    assert book["2025年四季度"].sheet_properties.tabColor.rgb.endswith(
        SEVERITY_COLORS["noncompliant"][-6:]
    )
    assert book["参数"].sheet_state == "hidden"  # no problem there: as the sender left it
    notes = " ".join(str(c.value) for c in book["问题说明"]["A"] if c.value)
    assert "隐藏的工作表（2025年四季度）" in notes


def test_copied_sheet_layout_ignores_notes_and_prints_landscape(tmp_path):
    src = tmp_path / "天城镇.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("报送表")
    ws.write_string(0, 0, "天城镇首席质量官登记汇总表（2026年第三季度）")
    ws.write_row(1, 0, ["序号", "企业名称", "首席质量官"])
    ws.write_row(2, 0, [1, "崇阳甲公司", "张三"])
    ws.write_string(4, 0, "填表人：王五    审核人：赵六    联系电话：0715-3312345")
    wb.close()
    findings = _frame([_finding("required", "error", src.name, 3, 2, "缺少首席质量官姓名" * 6)])

    out = write_feedback(tmp_path / "o.xlsx", "天城镇", findings, {src.name: src},
                         {(src.name, "报送表"): 2})  # fmt: skip

    book = openpyxl.load_workbook(out)
    copy = book["报送表"]
    assert copy.column_dimensions["A"].width < 10  # 序号, not the title or the 填表人 line
    assert copy.page_setup.orientation == "landscape"
    assert copy.sheet_properties.pageSetUpPr.fitToPage
    assert copy.page_setup.fitToWidth in (None, 1) and copy.page_setup.fitToHeight == 0  # 1 wide
    assert copy.print_title_rows == "$1:$2"
    summary = book["问题说明"]
    row = next(c.row for c in summary["F"] if c.value and "缺少首席质量官姓名" in str(c.value))
    assert summary.row_dimensions[row].height >= 30  # a long reason gets the rows it wraps to


def test_a_self_check_is_not_worded_as_a_registration(tmp_path):
    """`cqo validate`: nothing is registered yet, and an unreadable file has no copied sheets."""
    src = _xlsx_source(tmp_path / "天城镇.xlsx")
    findings = _frame([_finding("required", "error", src.name, 3, 1, "缺少企业名称")])
    out = write_feedback(tmp_path / "o.xlsx", "天城镇", findings, {src.name: src},
                         {(src.name, "报送表"): 2}, self_check=True)  # fmt: skip
    notes = " ".join(str(c.value) for c in openpyxl.load_workbook(out)["问题说明"]["A"][:4])
    assert "自查结果" in notes and "报送后该行数据不会被采用" in notes
    assert "未被采用" not in notes and "数据已登记" not in notes
    broken = tmp_path / "白霓镇.xlsx"
    broken.write_bytes(b"PK\x03\x04 broken")
    lost = _frame([_finding("file_unreadable", "error", broken.name, None, None, "文件已损坏",
                            unit="白霓镇")])  # fmt: skip
    out = write_feedback(tmp_path / "b.xlsx", "白霓镇", lost, {broken.name: broken}, {})
    notes = " ".join(str(c.value) for c in openpyxl.load_workbook(out)["问题说明"]["A"][:5])
    assert "原文件无法读取，本工作簿只有本说明" in notes and "后面的工作表" not in notes


def test_a_wide_copy_prints_across_pages_not_shrunk_to_one(tmp_path):
    """Twenty wide columns scaled to one page would print at ~4 pt: across pages instead,
    with the first two columns and the header repeated."""
    src = tmp_path / "崇阳县工业园区.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("首席质量官")
    ws.write_row(0, 0, [f"第{i}列的表头文字" for i in range(20)])
    ws.write_row(1, 0, ["崇阳县工业园区某某某某有限责任公司"] * 20)
    wb.close()
    findings = _frame([_finding("required", "error", src.name, 2, 3, "缺少身份证号",
                                sheet="首席质量官", unit="崇阳县工业园区")])  # fmt: skip
    out = write_feedback(tmp_path / "o.xlsx", "崇阳县工业园区", findings, {src.name: src},
                         {(src.name, "首席质量官"): 1})  # fmt: skip
    copy = openpyxl.load_workbook(out)["首席质量官"]
    assert copy.page_setup.orientation == "landscape"
    setup = copy.sheet_properties.pageSetUpPr
    assert not (setup and setup.fitToPage)
    assert copy.print_title_cols == "$A:$B" and copy.print_title_rows == "$1:$1"
