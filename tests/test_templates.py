"""Blank submission templates: canonical headers, the unit's enterprises, text IDs, dropdowns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from pipeline.config import Profile, Unit, load_config
from pipeline.fields import FIELDS
from pipeline.reports.templates import (
    COLUMNS,
    DATA_SHEET,
    HELP_SHEET,
    REQUIRED,
    write_template,
    write_templates,
)

HEADER_ROW = 3  # Excel row of the header: title, 填报单位 line, header
ROOT = Path(__file__).resolve().parents[1]

BASE = pd.DataFrame(
    {
        "enterprise_name": ["天城甲公司", "沙坪乙公司", "天城丙公司", "园区丁公司"],
        "credit_code": ["91421223MA4AAAAA1X", "91421223MA4BBBBB2X", None, "91421223MA4DDDDD4X"],
        "township": ["天城镇", "沙坪镇", "天城镇", "工业园区"],
        "industry": ["制造业", "制造业", "建筑业", "制造业"],
        "category": ["规上", "规上", "重点行业中小微", "规上"],
        "department": ["县经信局", "县经信局", "县住建局", "县经信局"],
        "scale": ["中型", "小型", None, "大型"],
    }
)
UNITS = [
    Unit(name="天城镇", kind="乡镇"),
    Unit(name="崇阳县工业园区", kind="园区", aliases=("工业园区",)),
    Unit(name="县住建局", kind="部门"),
    Unit(name="县商务局", kind="部门"),
]
RULES = Profile(
    min_quality_years=3,
    min_education="大专",
    equivalent_min_title="中级",
    small_micro={"min_quality_years": 2, "min_education": "中专"},
)


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("templates")
    return write_templates(
        folder, BASE, UNITS, "崇阳县2022", "2026Q3", rules=RULES, deadline_days=10
    )


def _col(ws, field: str) -> int:
    """1-based column of a canonical field in the header row."""
    labels = [c.value for c in ws[HEADER_ROW]]
    label = ("*" if field in REQUIRED else "") + FIELDS[field]
    return labels.index(label) + 1


def _prefilled(ws) -> list[tuple[str, str | None]]:
    name_col, code_col = _col(ws, "enterprise_name"), _col(ws, "credit_code")
    rows = []
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        name = ws.cell(r, name_col).value
        if name:
            rows.append((name, ws.cell(r, code_col).value))
    return rows


def test_one_file_per_unit_named_after_it(templates):
    assert list(templates) == ["天城镇", "崇阳县工业园区", "县住建局", "县商务局"]
    assert templates["天城镇"].name == "天城镇_首席质量官报送表.xlsx"
    assert all(p.is_file() for p in templates.values())


def test_header_row_holds_the_canonical_labels(templates):
    wb = openpyxl.load_workbook(templates["天城镇"])
    assert wb.sheetnames[:2] == [DATA_SHEET, HELP_SHEET]
    ws = wb[DATA_SHEET]
    assert ws["A1"].value == "崇阳县企业首席质量官登记汇总表"
    assert ws["A2"].value == "填报单位：天城镇"
    assert ws["C2"].value == "填报日期："
    assert ws["F2"].value == "报送季度：2026年第三季度"
    labels = [c.value for c in ws[HEADER_ROW]]
    assert [label.lstrip("*") for label in labels] == [FIELDS[f] for f in COLUMNS]
    assert "*身份证号" in labels and "*企业名称" in labels and "手机" in labels
    for label in ("统一社会信用代码", "任职状态", "签订质量诚信承诺书", "Email"):
        assert label in labels


def test_only_the_units_enterprises_are_prefilled(templates):
    ws = openpyxl.load_workbook(templates["天城镇"])[DATA_SHEET]
    assert _prefilled(ws) == [("天城甲公司", "91421223MA4AAAAA1X"), ("天城丙公司", None)]
    assert ws.cell(HEADER_ROW + 1, _col(ws, "unit")).value == "天城镇"
    assert ws.cell(HEADER_ROW + 1, _col(ws, "scale")).value == "中型"

    park = openpyxl.load_workbook(templates["崇阳县工业园区"])[DATA_SHEET]
    assert _prefilled(park) == [("园区丁公司", "91421223MA4DDDDD4X")]  # matched by alias
    dept = openpyxl.load_workbook(templates["县住建局"])[DATA_SHEET]
    assert _prefilled(dept) == [("天城丙公司", None)]  # by 主管部门
    assert _prefilled(openpyxl.load_workbook(templates["县商务局"])[DATA_SHEET]) == []


def test_identifier_columns_are_text_for_500_rows(templates):
    ws = openpyxl.load_workbook(templates["县商务局"])[DATA_SHEET]
    for field in ("id_number", "mobile", "phone", "credit_code"):
        col = _col(ws, field)
        for row in (HEADER_ROW + 1, HEADER_ROW + 250, HEADER_ROW + 500):
            assert ws.cell(row, col).number_format == "@", (field, row)
    assert ws.cell(HEADER_ROW + 10, _col(ws, "birth_date")).number_format == "yyyy-mm-dd"


def test_dropdowns_and_hints(templates):
    ws = openpyxl.load_workbook(templates["天城镇"])[DATA_SHEET]
    by_col: dict[str, object] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_col[openpyxl.utils.get_column_letter(rng.min_col)] = dv

    def dv_of(field):
        return by_col[openpyxl.utils.get_column_letter(_col(ws, field))]

    education = dv_of("education")
    assert education.type == "list"
    assert education.formula1 == '"初中,高中,中专,大专,本科,硕士,博士"'
    assert dv_of("gender").formula1 == '"男,女"'
    assert dv_of("tenure_status").formula1 == '"在任,离任"'
    assert dv_of("scale").formula1 == '"大型,中型,小型,微型"'
    assert dv_of("training").formula1 == '"是,否"' == dv_of("pledge").formula1
    assert dv_of("id_number").prompt == "18位，末位可为X，请以文本格式填写"
    assert dv_of("quality_years").prompt == "填数字，单位：年"
    assert dv_of("appointment_date").prompt
    (rng,) = dv_of("id_number").sqref.ranges
    assert rng.min_row == HEADER_ROW + 1 and rng.max_row >= HEADER_ROW + 500


def test_long_dropdown_lists_go_to_a_hidden_sheet(tmp_path, monkeypatch):
    from pipeline.reports import templates as mod

    long_list = tuple(f"学历选项{i:02d}" for i in range(40))
    monkeypatch.setitem(mod.CHOICES, "education", long_list)
    path = write_templates(tmp_path, BASE, UNITS[:1], "崇阳县2022")["天城镇"]
    wb = openpyxl.load_workbook(path)
    assert wb[mod.LISTS_SHEET].sheet_state == "hidden"
    assert [c.value for c in wb[mod.LISTS_SHEET]["A"]] == list(long_list)
    ws = wb[DATA_SHEET]
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert f"'{mod.LISTS_SHEET}'!$A$1:$A$40" in formulas


def test_protection_locks_prefilled_cells_only(templates):
    ws = openpyxl.load_workbook(templates["天城镇"])[DATA_SHEET]
    assert ws.protection.sheet is True
    assert not ws.protection.password
    assert ws.protection.autoFilter is False  # False = allowed in the OOXML attribute
    first = HEADER_ROW + 1
    for field in ("unit", "enterprise_name", "credit_code"):
        assert ws.cell(first, _col(ws, field)).protection.locked, field
    for field in ("township", "scale", "cqo_name", "id_number", "education", "remarks"):
        assert not ws.cell(first, _col(ws, field)).protection.locked, field
    # 天城丙公司 has no credit code in the base list: its cell stays open to fill in.
    assert not ws.cell(first + 1, _col(ws, "credit_code")).protection.locked
    # Added rows below the pre-filled ones are open, the header is not.
    for field in COLUMNS:
        assert not ws.cell(first + 5, _col(ws, field)).protection.locked, field
    assert ws.cell(HEADER_ROW, 1).protection.locked


def test_blank_rows_read_as_empty_and_name_their_unit_when_filled(templates):
    """Added rows carry a 填报单位 formula whose cached value is empty: the reader sees no row."""
    with templates["天城镇"].open("rb") as fh:
        rows = CalamineWorkbook.from_filelike(fh).get_sheet_by_name(DATA_SHEET).to_python()
    nonempty = [r for r in rows[HEADER_ROW:] if any(v != "" for v in r)]
    assert [r[1] for r in nonempty] == ["天城甲公司", "天城丙公司"]
    ws = openpyxl.load_workbook(templates["天城镇"])[DATA_SHEET]
    formula = ws.cell(HEADER_ROW + 3, _col(ws, "unit")).value
    assert formula.startswith("=IF(COUNTA(") and '"天城镇"' in formula


def test_help_sheet_states_the_profile_rules_and_deadline(templates):
    ws = openpyxl.load_workbook(templates["天城镇"])[HELP_SHEET]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "崇阳县2022" in text
    assert "3 年以上" in text and "大专及以上学历" in text and "中级及以上职称" in text
    assert "2 年以上" in text and "中专及以上学历" in text  # small/micro relaxation
    assert "2026年10月10日" in text
    for field in COLUMNS:
        assert FIELDS[field] in text


def test_unit_names_never_escape_the_folder(tmp_path):
    folder = tmp_path / "模板"
    written = write_templates(folder, BASE, [Unit(name="../evil", kind="乡镇")], "x")
    path = written["../evil"]
    assert path.resolve().parent == folder.resolve()
    assert openpyxl.load_workbook(path)[DATA_SHEET]["A2"].value.startswith("填报单位：../evil")


@pytest.mark.parametrize("typed", [dt.date(2026, 10, 8), "2026-10-08"])
def test_filing_date_is_typed_into_an_open_cell_and_read_back(tmp_path, typed):
    """填报日期 is an unlocked date cell on the protected sheet; a filled template gives the
    reader the unit and the title date (lateness is judged by it)."""
    from pipeline.ingest import UnitResolver, quarter_fill_date, read_file

    path = write_template(tmp_path / "天城镇.xlsx", UNITS[0], BASE, "崇阳县2022", "2026Q3")
    wb = openpyxl.load_workbook(path)
    ws = wb[DATA_SHEET]
    assert ws.protection.sheet is True
    assert ws["C2"].value == "填报日期："
    date_cell = ws["D2"]
    assert date_cell.protection.locked is False
    assert date_cell.number_format == "yyyy-mm-dd"
    assert "D2:E2" in {str(r) for r in ws.merged_cells.ranges}
    dvs = [dv for dv in ws.data_validations.dataValidation if "D2" in str(dv.sqref)]
    assert len(dvs) == 1 and dvs[0].type == "date"
    assert ws["A2"].protection.locked and ws["F2"].protection.locked

    date_cell.value = typed
    ws.cell(HEADER_ROW + 1, _col(ws, "cqo_name")).value = "张伟"
    wb.save(path)

    saved = openpyxl.load_workbook(path)[DATA_SHEET]
    assert saved.protection.sheet is True and saved["D2"].protection.locked is False
    config = load_config(ROOT / "config.yaml")
    report = read_file(path, path.name, config, UnitResolver(config.units))[0]
    assert report.status == "ok" and report.unit == "天城镇"
    assert report.title_date == "2026-10-08"
    assert quarter_fill_date(report) == dt.date(2026, 10, 8)


def test_blank_filing_date_gives_no_title_date(templates):
    from pipeline.ingest import UnitResolver, read_file

    config = load_config(ROOT / "config.yaml")
    path = templates["天城镇"]
    report = read_file(path, path.name, config, UnitResolver(config.units))[0]
    assert report.status == "ok" and report.title_date is None and report.unit == "天城镇"
