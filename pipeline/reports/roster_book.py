"""花名册.xlsx (internal, full data) and 问题清单.xlsx (every finding, masked again)."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.fields import BASE_FIELDS, FIELDS, SEVERITY_LABELS
from pipeline.fsutil import atomic_path
from pipeline.normalize import DATE_FIELDS, parse_dates
from pipeline.privacy import mask_id, mask_in_texts, mask_mobile
from pipeline.reports import sheetxml, xlsx
from pipeline.reports.xlsx import display_width

log = logging.getLogger(__name__)

MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows minus the header: the rest goes to sheet (2)
_WIDTH_SAMPLE = 2000

# Columns that hold identifiers: formatted as text so a clerk's later edit stays text too.
IDENTIFIER_FIELDS = ("credit_code", "id_number", "phone", "mobile", "fax", "postcode")

ROSTER_EXTRA: dict[str, str] = {
    "category": "企业类别",
    "department": "主管部门",
    "status": "资格状态",
    "problems": "问题",
    "source": "来源",
    "registered_quarter": "登记季度",
}

# A change list is read line by line: what changed, at which enterprise (with its credit code,
# to tell namesakes apart), who was and who is the CQO, when, and where it was reported. The
# person's full record is on the 花名册 sheet.
CHANGE_COLUMNS: dict[str, str] = {
    "enterprise_name": "企业名称",
    "change": "变动类型",
    "credit_code": "统一社会信用代码",
    "unit": "填报单位",
    "old_cqo": "原首席质量官",
    "new_cqo": "新首席质量官",
    "appointment_date": "任命日期",
    "fill_date": "填写日期",
    "days_to_register": "登记用时（天）",
    "source": "来源",
}

WITHOUT_CQO_COLUMNS: dict[str, str] = {
    "enterprise_name": "企业名称",
    "credit_code": "统一社会信用代码",
    "township": "所属乡镇",
    "department": "主管部门",
    "category": "企业类别",
    "industry": "所属行业",
    "scale": "企业规模",
}

ISSUE_COLUMNS: dict[str, str] = {
    "_unit": "填报单位",
    "_file": "文件",
    "_sheet": "工作表",
    "_row": "行号",
    "column": "列",
    "rule": "规则代码",
    "rule_label": "问题类型",
    "severity": "严重程度",
    "message": "问题说明",
    "value": "值",
}


_FILLS = {
    "错误": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "不合格": {"bg_color": "#FCE4D6", "font_color": "#833C0B"},
    "提醒": {"bg_color": "#FFF2CC"},
    "新增": {"bg_color": "#E2EFDA"},
    "变更": {"bg_color": "#FFF2CC"},
    "离任": {"font_color": "#808080"},
}

# Defensive masks for text that may leave the office (the validator masks already).


@dataclass
class _Column:
    header: str
    values: list[object]  # str or None; float or None when numeric; see sheetxml.Column.date
    numeric: bool = False
    identifier: bool = False
    max_width: int = 50
    date: bool = False  # values: Excel serials (float) where a date was read, else the text
    month_only: list[bool] | None = None
    wrap: bool = False


# -- public API ------------------------------------------------------------------------------


def write_roster(
    path: Path, roster: pd.DataFrame, changes: pd.DataFrame, without_cqo: pd.DataFrame
) -> Path:
    """Write 花名册.xlsx (INTERNAL: full, unmasked data; owner-only file permissions).

    Sheets: 花名册 (one row per enterprise with a CQO; 不合格 rows highlighted),
    本季度变动 (新增 / 变更 / 离任), 未聘任企业 (base enterprises without a CQO).
    """
    path = Path(path)
    roster_cols = _roster_columns(roster)
    change_cols = _columns(changes, CHANGE_COLUMNS, extras=False)
    without_cols = _columns(without_cqo, WITHOUT_CQO_COLUMNS, extras=False)
    book = sheetxml.Book("首席质量官花名册")
    status_at = next((i for i, c in enumerate(roster_cols) if c.header == "资格状态"), None)
    first_is_name = bool(roster_cols) and roster_cols[0].header == FIELDS["enterprise_name"]
    _add_table(
        book,
        "花名册",
        roster_cols,
        freeze_cols=1 if first_is_name else 0,
        highlight=None if status_at is None else (status_at, ["不合格"]),
    )
    change_at = next((i for i, c in enumerate(change_cols) if c.header == "变动类型"), None)
    _add_table(
        book,
        "本季度变动",
        change_cols,
        freeze_cols=1,
        highlight=None if change_at is None else (change_at, ["新增", "变更", "离任"]),
    )
    _add_table(book, "未聘任企业", without_cols, freeze_cols=1)
    with atomic_path(path, private=True) as tmp:
        book.save(tmp)
    log.info("花名册已写入 %s（%d 家企业）", path, len(roster))
    return path


def write_issues(path: Path, findings: pd.DataFrame) -> Path:
    """Write 问题清单.xlsx: every finding sorted by unit, file and row, plus a 汇总 sheet.

    This file may leave the office: ID numbers and mobiles are masked again here.
    """
    path = Path(path)
    frame = _issue_frame(findings)
    cols = []
    for key, label in ISSUE_COLUMNS.items():
        if key == "_row":
            cols.append(_Column(label, _numbers(frame[key]), numeric=True))
        elif key == "message":  # long: wrapped in a wide column, never cut at its edge
            cols.append(_Column(label, _texts(frame[key]), max_width=70, wrap=True))
        else:
            cols.append(_Column(label, _texts(frame[key]), max_width=40))
    severity_at = list(ISSUE_COLUMNS).index("severity")
    book = sheetxml.Book("首席质量官报送问题清单")
    _add_table(book, "问题清单", cols, highlight=(severity_at, list(SEVERITY_LABELS.values())))
    _add_summary(book, frame)
    with atomic_path(path) as tmp:
        book.save(tmp)
    log.info("问题清单已写入 %s（%d 条）", path, len(frame))
    return path


# -- frames to columns -----------------------------------------------------------------------


def _roster_columns(roster: pd.DataFrame) -> list[_Column]:
    cols = [
        _date_column(label, roster, name)
        if name in DATE_FIELDS
        else _Column(label, _texts(roster[name]), identifier=name in IDENTIFIER_FIELDS)
        for name, label in FIELDS.items()
        if name in roster.columns
    ]
    cols += [
        _Column(label, _texts(roster[name]), max_width=80 if name == "problems" else 50)
        for name, label in ROSTER_EXTRA.items()
        if name in roster.columns
    ]
    return cols


def _columns(frame: pd.DataFrame | None, spec: dict[str, str], extras: bool) -> list[_Column]:
    """Known columns in `spec` order (absent ones skipped); with `extras`, any other canonical
    or roster column after them, with its Chinese label."""
    if frame is None:
        frame = pd.DataFrame()
    labels = {**BASE_FIELDS, **FIELDS, **ROSTER_EXTRA, **spec}
    names = [n for n in spec if n in frame.columns]
    if extras:  # derived and private columns (name_key, *_parsed, _file...) have no label
        names += [n for n in frame.columns if n not in spec and n in labels]
    if not names:  # an empty frame still gets its headers
        return [_Column(label, []) for label in spec.values()]
    return [
        _date_column(labels.get(n, str(n)), frame, n)
        if n in DATE_FIELDS
        else _column(labels.get(n, str(n)), frame[n], n)
        for n in names
    ]


def _date_column(header: str, frame: pd.DataFrame, name: str) -> _Column:
    """A date field as date cells: the record's parsed date (`<name>_parsed`, else the text
    parsed here) as an Excel date, yyyy-mm-dd, or yyyy-mm where only the month was given
    (出生年月 1985.06); the sender's text where it is not a date, so nothing is lost."""
    raw = frame[name]
    parsed = frame.get(f"{name}_parsed")
    month_only = frame.get(f"{name}_month_only")
    if parsed is None and pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw
    if parsed is None:
        parsed, month_only = parse_dates(raw.astype("object"))
    elif not pd.api.types.is_datetime64_any_dtype(parsed):
        parsed = pd.to_datetime(parsed, errors="coerce")
    serial = sheetxml.date_serials(parsed)
    dated = ~np.isnan(serial)
    values = np.array(_texts(raw), dtype=object)
    values[dated] = serial[dated].astype(object)  # Python floats
    if month_only is None:
        month = _month_only(raw, pd.Series(parsed).reset_index(drop=True), dated)
    else:
        month = np.asarray(month_only.fillna(False), dtype=bool) & dated
    return _Column(
        header,
        values.tolist(),
        date=True,
        month_only=month.tolist() if month.any() else None,
    )


def _month_only(raw: pd.Series, parsed: pd.Series, dated: np.ndarray) -> np.ndarray:
    """Which parsed dates were given to the month only (2022年2月, 2022.02, 1985.06): the
    sender's text read again where the date is a first of the month (others have a day)."""
    month = np.zeros(len(raw), dtype=bool)
    first = dated & (parsed.dt.day == 1).to_numpy(dtype=bool, na_value=False)
    if first.any():
        again = parse_dates(raw[first].astype("object"))[1]
        month[first] = again.to_numpy(dtype=bool)
    return month


def _column(header: str, values: pd.Series, name: str) -> _Column:
    """Counts (days_to_register...) stay numbers; everything else is written as text."""
    is_count = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if is_count and name not in IDENTIFIER_FIELDS:
        return _Column(header, _numbers(values), numeric=True)
    return _Column(header, _texts(values), identifier=name in IDENTIFIER_FIELDS)


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value or None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, dt.datetime | pd.Timestamp):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _texts(values: pd.Series) -> list[object]:
    """Cell texts of a column: str, or None for an empty cell."""
    if isinstance(values.dtype, pd.StringDtype):
        return [v if v.__class__ is str and v else None for v in values.tolist()]
    if pd.api.types.is_datetime64_any_dtype(values):
        return [None if pd.isna(v) else _text(v) for v in values.tolist()]
    # Most cells of an object column are text or NaN: no call for those.
    return [
        (v or None) if v.__class__ is str else None if v.__class__ is float and v != v else _text(v)
        for v in values.tolist()
    ]


def _numbers(values: pd.Series) -> list[object]:
    numeric = pd.to_numeric(values, errors="coerce").astype("float64")
    return [None if math.isnan(v) else v for v in numeric.tolist()]


# -- issues ----------------------------------------------------------------------------------


def _issue_frame(findings: pd.DataFrame | None) -> pd.DataFrame:
    """The findings with every ISSUE_COLUMNS key, sorted, severity in Chinese, personal data
    masked."""
    frame = findings.copy() if findings is not None else pd.DataFrame()
    for key in [*ISSUE_COLUMNS, "field"]:
        if key not in frame.columns:
            frame[key] = pd.Series(pd.NA, index=frame.index, dtype="object")
    frame["_row"] = pd.to_numeric(frame["_row"], errors="coerce")
    frame = frame.sort_values(["_unit", "_file", "_row"], na_position="last", kind="stable")
    frame = frame.reset_index(drop=True)
    frame["severity"] = frame["severity"].map(
        lambda s: SEVERITY_LABELS.get(str(s), s) if isinstance(s, str) else s
    )
    frame["rule_label"] = _rule_labels(frame["rule"])
    field = frame["field"].astype("object").fillna("").astype(str)
    frame["value"] = _mask_values(frame["value"], field)
    frame["message"] = _scrub(frame["message"])
    return frame


def _rule_labels(rules: pd.Series) -> pd.Series:
    """The Chinese name of each rule code (schemas.rules.rule_label), once per distinct code."""
    from schemas.rules import rule_label

    codes = rules.astype("object")
    labels = {c: rule_label(c) for c in codes.dropna().unique()}
    return codes.map(labels).astype("object")


def _mask_values(values: pd.Series, field: pd.Series) -> pd.Series:
    text = values.map(_text, na_action="ignore").astype("object")
    out = _scrub(text).astype("object")
    for name, masker in (("id_number", mask_id), ("mobile", mask_mobile)):
        hit = (field == name) & text.notna()
        if hit.any():
            out[hit] = masker(text[hit].astype("str")).astype("object")
    # A credit code is not personal data: an all-digit one must not look masked.
    code = (field == "credit_code") & text.notna()
    out[code] = text[code]
    return out


def _scrub(values: pd.Series) -> pd.Series:
    """Mask ID-like and mobile-like digit runs inside free text."""
    return mask_in_texts(values)


# 汇总: the table by rule sits below the one by unit and to its right, in its own columns: a
# rule code, a Chinese name and a long sample message do not fit the narrow count columns.
_BY_RULE_COL = 5  # column F
_BY_RULE_HEADER = ("问题类型", "规则代码", "严重程度", "条数", "问题说明（示例）")


def _add_summary(book: sheetxml.Book, frame: pd.DataFrame) -> None:
    """汇总: findings counted by unit and severity, then by rule (with its Chinese name)."""
    severities = list(SEVERITY_LABELS.values())
    unit = frame["_unit"].astype("object").where(frame["_unit"].notna(), "（未识别单位）")
    by_unit = pd.crosstab(unit.astype(str), frame["severity"].astype("object").fillna("提醒"))
    by_unit = by_unit.reindex(columns=severities, fill_value=0)
    by_unit["合计"] = by_unit.sum(axis=1)

    cells: list[tuple[int, int, object, int]] = []

    def put_row(
        r: int, values: Sequence[object], style: int = sheetxml.DEFAULT, at: int = 0
    ) -> None:
        cells.extend((r, at + c, v, style) for c, v in enumerate(values))

    row = 0
    put_row(row, ["按填报单位统计"], sheetxml.TITLE)
    row += 1
    put_row(row, ["填报单位", *severities, "合计"], sheetxml.HEADER)
    for name, counts in by_unit.iterrows():
        row += 1
        put_row(row, [str(name), *(int(v) for v in counts.tolist())])
    row += 1
    put_row(row, ["合计", *(int(v) for v in by_unit.sum(axis=0).tolist())], sheetxml.TOTAL)

    at = _BY_RULE_COL
    row += 3
    put_row(row, ["按问题类型统计"], sheetxml.TITLE, at)
    row += 1
    put_row(row, _BY_RULE_HEADER, sheetxml.HEADER, at)
    labels, codes = [_BY_RULE_HEADER[0]], [_BY_RULE_HEADER[1]]
    if not frame.empty:
        rule = frame["rule"].astype("object").fillna("（无）").astype(str)
        grouped = frame.assign(_rule=rule).groupby("_rule", sort=False)
        by_rule = pd.DataFrame(
            {
                "label": grouped["rule_label"].agg(_mode),
                "severity": grouped["severity"].agg(_mode),
                "count": grouped.size(),
                "message": grouped["message"].agg(_mode),
            }
        ).sort_values("count", ascending=False, kind="stable")
        for code, r in by_rule.iterrows():
            row += 1
            label = _text(r["label"]) or str(code)
            put_row(row, [label, str(code), _text(r["severity"]) or "", int(r["count"])], at=at)
            cells.append((row, at + 4, _text(r["message"]) or "", sheetxml.WRAP))
            labels.append(label)
            codes.append(str(code))
    names = [str(n) for n in by_unit.index] + ["按填报单位统计", "（未识别单位）"]
    widths = {0: max(14, min(40, max(display_width(n) for n in names) + 2))}
    widths.update({c: 10 for c in range(1, len(severities) + 2)})
    widths[at] = max(12, min(30, max(display_width(t) for t in labels) + 2))
    widths[at + 1] = max(10, min(40, max(display_width(t) for t in codes) + 2))
    widths.update({at + 2: 10, at + 3: 8, at + 4: 60})
    book.add_cells("汇总", cells, widths, column_styles={at + 4: sheetxml.WRAP})


def _mode(values: pd.Series) -> object:
    counts = values.dropna().value_counts()
    return counts.index[0] if len(counts) else None


# -- writing ---------------------------------------------------------------------------------


def _width(col: _Column) -> int:
    sample = col.values[:_WIDTH_SAMPLE]
    if col.date:  # a date shows as yyyy-mm-dd; text kept where none was read
        texts = [v for v in sample if isinstance(v, str)]
        widest = max(10, xlsx.widest(texts, col.max_width))
    elif col.numeric:
        widest = max((len(f"{v:g}") for v in sample if v is not None), default=0)
    else:
        widest = xlsx.widest(sample, col.max_width)
    return max(6, min(col.max_width, max(display_width(col.header), widest) + 2))


def _add_table(
    book: sheetxml.Book,
    name: str,
    cols: Sequence[_Column],
    *,
    freeze_cols: int = 0,
    highlight: tuple[int, list[str]] | None = None,
) -> None:
    """Header + rows, frozen header, autofilter, widths; `highlight` = (column index, values):
    rows whose cell in that column equals a value get that value's fill (conditional format).
    Beyond Excel's row limit the rest goes to sheets 「<name>(2)」, 「<name>(3)」..."""
    widths = [_width(c) for c in cols]
    formats = None
    if highlight is not None:
        at, values = highlight
        formats = (at, {v: book.dxf(**_FILLS[v]) for v in values})
    n_rows = max((len(c.values) for c in cols), default=0)
    for part, start in enumerate(range(0, max(n_rows, 1), MAX_DATA_ROWS)):
        stop = min(start + MAX_DATA_ROWS, n_rows)
        whole = start == 0 and stop == n_rows
        columns = [
            sheetxml.Column(
                c.header,
                c.values if whole else c.values[start:stop],
                numeric=c.numeric,
                text_format=c.identifier,
                width=w,
                date=c.date,
                month_only=(
                    c.month_only if whole or c.month_only is None else c.month_only[start:stop]
                ),
                wrap=c.wrap,
            )
            for c, w in zip(cols, widths, strict=True)
        ]
        book.add_table(
            name if part == 0 else f"{name}({part + 1})",
            columns,
            freeze_cols=freeze_cols,
            highlight=formats,
        )
