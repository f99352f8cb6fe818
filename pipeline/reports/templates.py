"""Blank submission workbooks per unit (`cqo template`), pre-filled from the base list."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from pipeline.config import EDUCATION_LEVELS, Profile, Unit
from pipeline.fields import FIELDS
from pipeline.fsutil import atomic_path, safe_component
from pipeline.reports.xlsx import WORKBOOK_OPTIONS, display_width

log = logging.getLogger(__name__)

DATA_SHEET = "报送表"
HELP_SHEET = "填报说明"
LISTS_SHEET = "下拉选项"
FILE_SUFFIX = "_首席质量官报送表.xlsx"

# The template's columns, in order (canonical fields; labels from fields.FIELDS).
COLUMNS: tuple[str, ...] = (
    "unit",
    "enterprise_name",
    "credit_code",
    "township",
    "scale",
    "cqo_name",
    "id_number",
    "gender",
    "birth_date",
    "education",
    "school",
    "major",
    "quality_years",
    "position",
    "title",
    "mobile",
    "phone",
    "email",
    "appointment_date",
    "fill_date",
    "training",
    "pledge",
    "tenure_status",
    "remarks",
)
# Marked with a leading "*" (the reader ignores it). 手机 / 联系电话: at least one, said in
# the hints.
REQUIRED: frozenset[str] = frozenset(
    {"enterprise_name", "cqo_name", "id_number", "education", "quality_years"}
)
# Typed as text so that Excel never turns an 18-digit number into 4.21223E+17.
TEXT_FIELDS: frozenset[str] = frozenset({"credit_code", "id_number", "mobile", "phone"})
DATE_FIELDS: frozenset[str] = frozenset({"birth_date", "appointment_date", "fill_date"})
# Pre-filled from the base list and locked (when the base list has a value).
LOCKED_FIELDS: frozenset[str] = frozenset({"unit", "enterprise_name", "credit_code"})

CHOICES: dict[str, tuple[str, ...]] = {
    "education": EDUCATION_LEVELS,
    "gender": ("男", "女"),
    "scale": ("大型", "中型", "小型", "微型"),
    "training": ("是", "否"),
    "pledge": ("是", "否"),
    "tenure_status": ("在任", "离任"),
}

HINTS: dict[str, tuple[str, str]] = {
    "unit": ("填报单位", "录入企业名称后自动填写，一般无需修改"),
    "enterprise_name": ("必填", "企业全称，与营业执照一致；名录外企业请在表格下方空行续填"),
    "credit_code": ("统一社会信用代码", "18位，与营业执照一致，请以文本格式填写"),
    "cqo_name": ("必填", "首席质量官姓名"),
    "id_number": ("必填", "18位，末位可为X，请以文本格式填写"),
    "education": ("必填", "最高学历：初中/高中/中专/大专/本科/硕士/博士"),
    "quality_years": ("必填", "填数字，单位：年"),
    "mobile": ("手机", "11位手机号；手机与联系电话至少填写一项"),
    "phone": ("联系电话", "固定电话如 0715-1234567；手机与联系电话至少填写一项"),
    "birth_date": ("出生日期", "日期，例如 1985-06-01"),
    "appointment_date": ("任命日期", "企业法定代表人任命的日期，例如 2024-03-15"),
    "fill_date": ("填写日期", "日期，例如 2024-03-20"),
    "tenure_status": ("任职状态", "在任 / 离任；更换首席质量官时原任填“离任”，新任另起一行"),
}

COLUMN_NOTES: dict[str, str] = {
    "unit": "报送本表的乡镇、园区或部门（已预填）",
    "enterprise_name": "企业全称，与营业执照一致",
    "credit_code": "18位统一社会信用代码",
    "township": "企业所在乡镇（园区）",
    "scale": "大型 / 中型 / 小型 / 微型（按2011年中小企业划型标准）",
    "cqo_name": "企业法定代表人任命的首席质量官",
    "id_number": "18位公民身份号码，末位可为X；请勿输入为数字",
    "gender": "男 / 女，须与身份证号一致",
    "birth_date": "须与身份证号一致",
    "education": "最高学历（已取得），从下拉列表选择",
    "school": "最高学历的毕业院校",
    "major": "最高学历的所学专业",
    "quality_years": "从事质量管理工作的年数，填数字",
    "position": "在企业的现任职务（应为企业高层管理人员）",
    "title": "专业技术职称，如 工程师、高级工程师；无则空",
    "mobile": "11位手机号",
    "phone": "固定电话，含区号",
    "email": "电子邮箱",
    "appointment_date": "企业任命首席质量官的日期",
    "fill_date": "本行填写的日期",
    "training": "是否参加县质强办组织的任职培训：是 / 否",
    "pledge": "是否签订质量诚信承诺书：是 / 否",
    "tenure_status": "在任 / 离任",
    "remarks": "其他需要说明的情况（如企业更名、注销、名录信息有误）",
}

_MIN_DATA_ROWS = 500
_SPARE_ROWS = 100
_TITLE_ROW, _INFO_ROW, _HEADER_ROW = 0, 1, 2
_FIRST_DATA_ROW = 3
# The 填报单位 line (row 2): 填报单位 in A:B (locked), the label 填报日期： in C and the date the
# unit types in D:E (unlocked, a date), 报送季度 after it. The reader (ingest._title_hints)
# takes the filled cell after a cell ending with the label.
_DATE_LABEL_COL = 2
_DATE_COLS = (3, 4)
_QUARTER_COL = 5

_INLINE_LIST_LIMIT = 255


def _label(field: str) -> str:
    return ("*" if field in REQUIRED else "") + FIELDS[field]


def _quarter_text(quarter: str | None) -> str:
    if not quarter:
        return ""
    m = re.fullmatch(r"(\d{4})Q([1-4])", quarter.strip().upper())
    if not m:
        return quarter
    return f"{m.group(1)}年第{'一二三四'[int(m.group(2)) - 1]}季度"


def _quarter_deadline(quarter: str | None, days: int | None) -> dt.date | None:
    if not quarter or days is None:
        return None
    m = re.fullmatch(r"(\d{4})Q([1-4])", quarter.strip().upper())
    if not m:
        return None
    year, q = int(m.group(1)), int(m.group(2))
    end = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
    return end - dt.timedelta(days=1) + dt.timedelta(days=days)


def _enterprises(base: pd.DataFrame, unit: Unit) -> pd.DataFrame:
    """The unit's base-list enterprises: by township (乡镇/园区) or by 主管部门 (部门)."""
    key = "department" if unit.kind == "部门" else "township"
    if key not in base.columns or base.empty:
        return base.iloc[0:0]
    names = {unit.name, *unit.aliases}
    own = base[key].astype("str").str.strip().isin(names) & base[key].notna()
    return base[own]


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _rules_lines(profile_name: str, rules: Profile | None) -> list[str]:
    if rules is None:
        return [f"任职条件以县质强办现行规定（{profile_name}）为准。"]

    def describe(req) -> str:
        text = f"从事质量管理工作 {req.min_quality_years:g} 年以上，{req.min_education}及以上学历"
        if req.equivalent_min_title:
            text += f"，或具有{req.equivalent_min_title}及以上职称（视同相当学历）"
        return text

    lines = [f"任职条件（{profile_name}）：{describe(rules)}。"]
    small = rules.for_small_micro()
    if small != rules and rules.small_micro is not None:
        lines.append(f"小型、微型企业可适当放宽：{describe(small)}。")
    duties = []
    if rules.require_training:
        duties.append("参加县质强办组织的任职培训")
    if rules.require_pledge:
        duties.append("签订质量诚信承诺书")
    if rules.require_annual_report:
        duties.append("提交年度质量管理绩效报告")
    if duties:
        lines.append("此外须：" + "、".join(duties) + "。")
    lines.append(
        f"首席质量官变更的，企业应在任命后 {rules.change_registration_days} 天内报送变更登记。"
    )
    return lines


class _Lists:
    """Dropdown sources: inline when short, else a range on a hidden sheet (the 255-char limit)."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self._book = book
        self._sheet: Worksheet | None = None
        self._next_col = 0

    def source(self, items: Iterable[str]) -> list[str] | str:
        items = list(items)
        if len(",".join(items)) <= _INLINE_LIST_LIMIT:
            return items
        if self._sheet is None:
            self._sheet = self._book.add_worksheet(LISTS_SHEET)
            self._sheet.hide()
        col = self._next_col
        self._next_col += 1
        for r, item in enumerate(items):
            self._sheet.write_string(r, col, item)
        name = xl_col_to_name(col)
        return f"='{LISTS_SHEET}'!${name}$1:${name}${len(items)}"


def _write_info_row(
    book: xlsxwriter.Workbook, ws: Worksheet, unit: Unit, quarter: str | None, info
) -> None:
    """Row 2: 填报单位 (locked), 填报日期 (an open date cell), 报送季度 (see _DATE_COLS)."""
    last_col = len(COLUMNS) - 1
    ws.merge_range(_INFO_ROW, 0, _INFO_ROW, _DATE_LABEL_COL - 1, f"填报单位：{unit.name}", info)
    label = book.add_format({"font_size": 11, "valign": "vcenter", "align": "right"})
    ws.write_string(_INFO_ROW, _DATE_LABEL_COL, "填报日期：", label)
    date_input = book.add_format({
        "font_size": 11, "valign": "vcenter", "align": "center", "num_format": "yyyy-mm-dd",
        "locked": False, "border": 1, "bg_color": "#FFF2CC",
    })  # fmt: skip
    first, last = _DATE_COLS
    ws.merge_range(_INFO_ROW, first, _INFO_ROW, last, None, date_input)
    if ws.data_validation(_INFO_ROW, first, _INFO_ROW, last, {
        "validate": "date", "criteria": "between",
        "minimum": dt.date(2000, 1, 1), "maximum": dt.date(2100, 12, 31),
        "error_type": "warning", "error_message": "请填写日期，例如 2026-10-08。",
        "input_title": "填报日期", "input_message": "填写报送本表的日期，例如 2026-10-08",
    }) == -2:  # fmt: skip
        raise ValueError("数据验证未能写入：填报日期")
    quarter_text = f"报送季度：{_quarter_text(quarter)}" if quarter else ""
    ws.merge_range(_INFO_ROW, _QUARTER_COL, _INFO_ROW, last_col, quarter_text, info)


def _write_data_sheet(
    book: xlsxwriter.Workbook,
    unit: Unit,
    enterprises: pd.DataFrame,
    county: str,
    quarter: str | None,
    lists: _Lists,
) -> None:
    ws = book.add_worksheet(DATA_SHEET)
    ncols = len(COLUMNS)
    last_col = ncols - 1
    n_rows = max(_MIN_DATA_ROWS, len(enterprises) + _SPARE_ROWS)
    last_row = _FIRST_DATA_ROW + n_rows - 1

    title = book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    info = book.add_format({"font_size": 11, "valign": "vcenter"})
    header = book.add_format({
        "bold": True, "align": "center", "valign": "vcenter", "text_wrap": True,
        "border": 1, "bg_color": "#D9E1F2",
    })  # fmt: skip
    required_header = book.add_format({
        "bold": True, "align": "center", "valign": "vcenter", "text_wrap": True,
        "border": 1, "bg_color": "#D9E1F2", "font_color": "#C00000",
    })  # fmt: skip

    def cell_format(field: str, locked: bool):
        props: dict[str, object] = {"border": 1, "border_color": "#BFBFBF", "locked": locked}
        if field in TEXT_FIELDS:
            props["num_format"] = "@"
        elif field in DATE_FIELDS:
            props["num_format"] = "yyyy-mm-dd"
        if locked:
            props["bg_color"] = "#F2F2F2"
        return book.add_format(props)

    open_fmt = {f: cell_format(f, False) for f in COLUMNS}
    locked_fmt = {f: cell_format(f, True) for f in COLUMNS}

    ws.merge_range(_TITLE_ROW, 0, _TITLE_ROW, last_col, f"{county}企业首席质量官登记汇总表", title)
    _write_info_row(book, ws, unit, quarter, info)
    ws.set_row(_TITLE_ROW, 30)
    ws.set_row(_INFO_ROW, 22)
    ws.set_row(_HEADER_ROW, 32)

    widths = [display_width(_label(f)) + 2 for f in COLUMNS]
    # The 填报单位 line's merged A:B cell holds the unit's name even with no enterprises.
    widths[0] = max(widths[0], display_width(f"填报单位：{unit.name}") + 2 - widths[1])
    for c, field in enumerate(COLUMNS):
        ws.write_string(
            _HEADER_ROW, c, _label(field), required_header if field in REQUIRED else header
        )

    prefill = {
        "enterprise_name": enterprises.get("enterprise_name"),
        "credit_code": enterprises.get("credit_code"),
        "township": enterprises.get("township"),
        "scale": enterprises.get("scale"),
    }
    prefilled_rows = len(enterprises)
    unit_col = COLUMNS.index("unit")
    first_letter, last_letter = xl_col_to_name(1), xl_col_to_name(last_col)
    escaped_unit = unit.name.replace('"', '""')
    for i in range(n_rows):
        r = _FIRST_DATA_ROW + i
        for c, field in enumerate(COLUMNS):
            if i < prefilled_rows:
                if field == "unit":
                    value = unit.name
                else:
                    series = prefill.get(field)
                    value = _text(series.iloc[i]) if series is not None else ""
                if value:
                    fmt = locked_fmt[field] if field in LOCKED_FIELDS else open_fmt[field]
                    ws.write_string(r, c, value, fmt)
                    widths[c] = max(widths[c], display_width(value) + 2)
                    continue
            if c == unit_col and i >= prefilled_rows:
                # Added rows name their unit as soon as something is typed in them; an untouched
                # row caches "" and stays empty for the reader.
                formula = (
                    f'=IF(COUNTA({first_letter}{r + 1}:{last_letter}{r + 1})=0,"","{escaped_unit}")'
                )
                ws.write_formula(r, c, formula, open_fmt[field], "")
                continue
            ws.write_blank(r, c, None, open_fmt[field])

    for c, field in enumerate(COLUMNS):
        width = max(8, min(40, widths[c]))
        if field in TEXT_FIELDS:
            width = max(width, 22 if field in ("credit_code", "id_number") else 14)
        if field in DATE_FIELDS:
            width = max(width, 12)
        ws.set_column(c, c, width, open_fmt[field])

    def validate(field: str, options: dict) -> None:
        c = COLUMNS.index(field)
        hint = HINTS.get(field)
        if hint is not None:
            options = {**options, "input_title": hint[0][:32], "input_message": hint[1][:255]}
        if ws.data_validation(_FIRST_DATA_ROW, c, last_row, c, options) == -2:
            raise ValueError(f"数据验证未能写入：{FIELDS[field]}")  # xlsxwriter would skip it

    for field, items in CHOICES.items():
        choices = "可选：" + "、".join(items)
        validate(field, {
            "validate": "list", "source": lists.source(items),
            "error_title": "请从下拉列表中选择",
            "error_message": choices if len(choices) <= 120 else "请从下拉列表中选择。",
        })  # fmt: skip
    validate("id_number", {
        "validate": "length", "criteria": "==", "value": 18, "error_type": "warning",
        "error_message": "身份证号应为18位，请核对。",
    })  # fmt: skip
    validate("credit_code", {
        "validate": "length", "criteria": "==", "value": 18, "error_type": "warning",
        "error_message": "统一社会信用代码应为18位，请核对。",
    })  # fmt: skip
    validate("mobile", {
        "validate": "length", "criteria": "==", "value": 11, "error_type": "warning",
        "error_message": "手机号应为11位，请核对。",
    })  # fmt: skip
    validate("quality_years", {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 60,
        "error_type": "warning", "error_message": "请填写数字（年），例如 5 或 3.5。",
    })  # fmt: skip
    for field in DATE_FIELDS:
        validate(field, {
            "validate": "date", "criteria": "between",
            "minimum": dt.date(1900, 1, 1), "maximum": dt.date(2100, 12, 31),
            "error_type": "warning", "error_message": "请填写日期，例如 2024-03-15。",
        })  # fmt: skip
    for field in ("unit", "enterprise_name", "cqo_name", "phone"):
        validate(field, {"validate": "any"})

    ws.freeze_panes(_FIRST_DATA_ROW, 2)
    ws.autofilter(_HEADER_ROW, 0, last_row, last_col)
    ws.protect("", {
        "format_cells": True, "format_columns": True, "format_rows": True,
        "insert_rows": True, "insert_hyperlinks": True, "autofilter": True, "sort": True,
    })  # fmt: skip
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(_HEADER_ROW)
    ws.activate()


def _write_help_sheet(
    book: xlsxwriter.Workbook,
    unit: Unit,
    profile_name: str,
    rules: Profile | None,
    quarter: str | None,
    deadline_days: int | None,
) -> None:
    ws = book.add_worksheet(HELP_SHEET)
    title = book.add_format({"bold": True, "font_size": 14})
    text = book.add_format({"text_wrap": True, "valign": "top"})
    bold = book.add_format({"bold": True, "border": 1, "bg_color": "#D9E1F2"})
    cell = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 10)

    deadline = _quarter_deadline(quarter, deadline_days)
    if deadline is not None:
        when = f"本季度（{_quarter_text(quarter)}）请于 {deadline:%Y年%m月%d日} 前报送县质强办。"
    elif deadline_days is not None:
        when = f"请于每季度结束后 {deadline_days} 日内报送县质强办。"
    else:
        when = "请于每季度结束后按县质强办通知的时限报送。"

    lines = [
        f"一、本表由县质强办根据企业名录预先填入{unit.name}的企业。填报单位、企业名称和统一社会"
        "信用代码已锁定；名录信息有误（更名、注销、代码错误）请在“备注”中说明。",
        "二、名录外的企业（新增规上企业、重点行业中小微企业）请在表格下方空行续填，整行填写。",
        "三、带 * 的列为必填；手机与联系电话至少填写一项。请勿修改表头、增删列或调整列的顺序，"
        "不要合并单元格。",
        *[
            f"四、{line}" if i == 0 else f"    {line}"
            for i, line in enumerate(_rules_lines(profile_name, rules))
        ],
        "五、身份证号、统一社会信用代码、手机号列已设为文本格式：请直接输入，从其他表格复制时"
        "请用“选择性粘贴—数值”，切勿变成 4.21223E+17 这样的数字（末几位会丢失，无法恢复）。",
        "六、日期请填写为 2024-03-15 这样的日期；质量工作年限填数字（年），如 5 或 3.5。"
        "报送时请在表格第2行“填报日期：”右侧的黄色格内填写报送日期。",
        "七、更换首席质量官时：原任人员所在行的“任职状态”填“离任”，新任人员另起一行填“在任”，"
        "并填写任命日期。",
        f"八、{when}",
        "九、县质强办校验后，有问题的数据将以“退回修改”工作簿返回，请逐条修改后重新报送。",
    ]
    ws.write_string(0, 0, "填报说明", title)
    r = 2
    for line in lines:
        ws.merge_range(r, 0, r, 2, line, text)
        ws.set_row(r, 16 * max(1, -(-display_width(line) // 96)) + 4)
        r += 1
    r += 1
    for c, label in enumerate(("列名", "填写说明", "是否必填")):
        ws.write_string(r, c, label, bold)
    for field in COLUMNS:
        r += 1
        must = "必填" if field in REQUIRED else ("二选一" if field in ("mobile", "phone") else "")
        ws.write_string(r, 0, FIELDS[field], cell)
        ws.write_string(r, 1, COLUMN_NOTES.get(field, ""), cell)
        ws.write_string(r, 2, must, cell)


def write_template(
    path: Path,
    unit: Unit,
    base: pd.DataFrame,
    profile_name: str,
    quarter: str | None = None,
    *,
    rules: Profile | None = None,
    deadline_days: int | None = None,
    county: str = "崇阳县",
) -> Path:
    """Write one unit's blank submission workbook to `path` and return it."""
    enterprises = _enterprises(base, unit)
    with atomic_path(Path(path)) as tmp:
        book = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        try:
            lists = _Lists(book)
            _write_data_sheet(book, unit, enterprises, county, quarter, lists)
            _write_help_sheet(book, unit, profile_name, rules, quarter, deadline_days)
        finally:
            book.close()
    log.info("template for %s: %d enterprises pre-filled", unit.name, len(enterprises))
    return Path(path)


def write_templates(
    folder: Path,
    base: pd.DataFrame,
    units: Iterable[Unit],
    profile_name: str,
    quarter: str | None = None,
    *,
    rules: Profile | None = None,
    deadline_days: int | None = None,
    county: str = "崇阳县",
) -> dict[str, Path]:
    """One `<unit>_首席质量官报送表.xlsx` per unit under `folder`; returns unit name -> path.

    `base`: the base list (docs/frames.md §3). A 乡镇/园区 gets the enterprises whose township is
    its name (or an alias), a 部门 those whose 主管部门 is. `rules` (the active profile) and
    `deadline_days` make the 填报说明 sheet state the qualification rules and the deadline.
    """
    folder = Path(folder)
    root = folder.resolve()
    written: dict[str, Path] = {}
    for unit in units:
        path = folder / f"{safe_component(unit.name)}{FILE_SUFFIX}"
        if path.resolve().parent != root:
            raise ValueError(f"模板文件路径越出输出目录：{path}")
        written[unit.name] = write_template(
            path, unit, base, profile_name, quarter,
            rules=rules, deadline_days=deadline_days, county=county,
        )  # fmt: skip
    return written
