"""Read submission workbooks as they arrive: find the table, map headers, keep provenance."""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import functools
import hashlib
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import Config, Unit
from pipeline.fields import BASE_FIELDS, FIELDS, IGNORED_HEADERS, SYNONYMS
from pipeline.normalize import header_key, to_halfwidth

log = logging.getLogger(__name__)

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
BASE_LIST_NAME = "企业名录.xlsx"
HEADER_SCAN_ROWS = 30

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Sheets that hold instructions rather than data.
_INSTRUCTION_SHEET = re.compile(r"说明|须知|指南|填表|instruction|readme|字典|选项|下拉", re.I)
# First non-empty cell of a note line under the table (填表人：..., 注：...).
_NOTE_ROW = re.compile(
    r"^\s*(注|说明|备注|附注|填表人|填报人|审核人|审核|负责人|联系人|联系电话|制表人|制表|"
    r"单位负责人|分管领导|合计|小计|总计|以下空白)\s*[0-9一二三四五六七八九十、.:：]?"
)
# Title-row hint of the sending unit: "填报单位：天城镇（盖章）".
_UNIT_IN_TITLE = re.compile(r"(?:填报|报送)单位\s*[:：]\s*([^\s(（:：]+)")
# Enterprise-identity fields a template pre-fills; a row with only these is not a record.
PREFILLED = frozenset({"unit", "enterprise_name", "credit_code", "township", "scale", "industry"})
# Group headers over a two-row header, and how they qualify the sub-headers below them.
_GROUP_ALIASES: dict[str, str] = {
    "首席质量官": "cqo",
    "首席质量官信息": "cqo",
    "首席质量官情况": "cqo",
    "首席质量官基本情况": "cqo",
    "企业信息": "enterprise",
    "企业基本信息": "enterprise",
    "企业基本情况": "enterprise",
    "企业情况": "enterprise",
    "单位负责人": "head",
    "单位质量负责人": "quality_head",
    "质量负责人": "quality_head",
}
_GROUP_FIELD_OVERRIDES: dict[str, dict[str, str | None]] = {
    # Under 单位负责人 / 质量负责人 only the name is a canonical field; their phones are not
    # the CQO's and must not fill mobile / phone.
    "head": {"姓名": "head_name", "": "head_name"},
    "quality_head": {"姓名": "quality_head_name", "": "quality_head_name"},
}


class IngestError(Exception):
    """A file cannot be read; the message is Chinese and names the file."""


@dataclass
class SheetReport:
    sheet: str
    hidden: bool = False
    header_row: int | None = None  # Excel row (1-based) of the last header row
    rows_read: int = 0
    skipped: str | None = None  # Chinese reason when the sheet was not read as data


@dataclass
class FileReport:
    file: str
    unit: str | None
    status: str = "ok"  # "ok" | "failed"
    error: str | None = None
    rows_read: int = 0
    sha256: str = ""
    size: int = 0
    sheets: list[SheetReport] = field(default_factory=list)
    title_date: str | None = None  # 填报日期 found in the title rows, as written

    @property
    def hidden_sheets(self) -> list[str]:
        return [s.sheet for s in self.sheets if s.hidden and s.skipped is None]


@dataclass
class IngestResult:
    records: pd.DataFrame
    columns: pd.DataFrame
    unknown_headers: pd.DataFrame
    files: list[FileReport]
    base: pd.DataFrame | None = None  # the base list, when read_quarter was given one

    def header_rows(self) -> dict[tuple[str, str], int]:
        return {
            (f.file, s.sheet): s.header_row
            for f in self.files
            for s in f.sheets
            if s.header_row is not None
        }

    def personal_columns(self) -> dict[tuple[str, str], dict[int, str]]:
        """(file, sheet) -> {0-based column: "id" | "mobile"}: where each sheet's ID numbers
        and mobiles sit (the return-to-sender copies mask those columns whatever the cells
        hold: an ID with a digit missing is still somebody's ID)."""
        kinds = {"id_number": "id", "mobile": "mobile"}
        out: dict[tuple[str, str], dict[int, str]] = {}
        picked = self.columns[self.columns["field"].isin(list(kinds))]
        for file, sheet, name, col in zip(
            picked["_file"], picked["_sheet"], picked["field"], picked["col"], strict=True
        ):
            out.setdefault((file, sheet), {})[int(col)] = kinds[name]
        return out


# -- header vocabulary ---------------------------------------------------------------------


def _lookup(fields: dict[str, str], synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, syns in synonyms.items():
        if name in fields:
            for s in syns:
                table.setdefault(header_key(s), name)
    for name, label in fields.items():  # canonical labels win over synonyms
        table[header_key(label)] = name
    return table


_SUBMISSION_LOOKUP = _lookup(FIELDS, SYNONYMS)
_BASE_SYNONYMS = {
    **SYNONYMS,
    "category": ("企业类别", "类别", "企业类型(规上/中小微)", "统计类别", "分类"),
    "department": ("主管部门", "行业主管部门", "主管单位"),
    "township": (*SYNONYMS["township"], "所属乡镇(园区)"),
}
_BASE_LOOKUP = _lookup(BASE_FIELDS, _BASE_SYNONYMS)
_IGNORED = {header_key(h) for h in IGNORED_HEADERS}
# The header search tries every cell of the first rows, twice (alone and under the row above):
# the same texts come back again and again, and header_key is pure.
_key = functools.lru_cache(maxsize=1 << 16)(header_key)


@dataclass
class _Table:
    header_row: int  # 0-based index of the last header row
    mapping: dict[int, str]  # column index -> canonical field
    headers: dict[int, str]  # column index -> header as written
    unknown: dict[int, str]  # column index -> header not understood


def _cell_text(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _map_headers(
    upper: Sequence[object] | None, lower: Sequence[object], lookup: dict[str, str]
) -> _Table:
    """Map one header row (optionally with the group row above it) to canonical fields."""
    mapping: dict[int, str] = {}
    headers: dict[int, str] = {}
    unknown: dict[int, str] = {}
    for col, raw in enumerate(lower):
        sub = _cell_text(raw)
        group = _cell_text(upper[col]) if upper is not None and col < len(upper) else ""
        if not sub and not group:
            continue
        written = f"{group}/{sub}" if group and sub and group != sub else (sub or group)
        written = " ".join(written.split())
        gkind = _GROUP_ALIASES.get(_key(group)) if group else None
        sub_key, group_key = _key(sub), _key(group)
        name: str | None
        if gkind in _GROUP_FIELD_OVERRIDES:
            overrides = _GROUP_FIELD_OVERRIDES[gkind]
            name = overrides.get(sub_key) if sub_key in overrides else None
            if name is None and sub_key not in overrides:
                unknown[col] = written
                continue
        elif sub:
            name = lookup.get(group_key + sub_key) if group and not gkind else None
            name = name or lookup.get(sub_key)
        else:  # a header cell merged over both rows
            name = lookup.get(group_key)
            sub_key = group_key
        if name is None:
            if sub_key in _IGNORED or group_key in _IGNORED:
                continue
            unknown[col] = written
        elif name in mapping.values():
            unknown[col] = written + "（重复列，已忽略）"
        else:
            mapping[col] = name
            headers[col] = written
    return _Table(header_row=-1, mapping=mapping, headers=headers, unknown=unknown)


def _fill_merged(rows: list[list[object]], merged: Iterable, last: int) -> list[list[object]]:
    """Copy each merged range's top-left value over the range, for the header rows only."""
    top = [list(r) for r in rows[: last + 1]]
    for (r0, c0), (r1, c1) in merged:
        if r0 > last:
            continue
        value = top[r0][c0] if c0 < len(top[r0]) else ""
        for r in range(r0, min(r1, last) + 1):
            for c in range(c0, c1 + 1):
                if c < len(top[r]) and (top[r][c] == "" or top[r][c] is None):
                    top[r][c] = value
    return top


def _may_hold_name(upper: list[str] | None, lower: list[str], name_keys: set[str]) -> bool:
    """Whether _map_headers(upper, lower) can map a column to enterprise_name: through the
    sub-header's key, the group's key, or the two joined (企业 over 名称)."""
    if any(k in name_keys for k in lower):
        return True
    if upper is None:
        return False
    if any(g in name_keys for g in upper):
        return True
    return any((g + k) in name_keys for g, k in zip(upper, lower, strict=False))


@functools.lru_cache(maxsize=8)
def _name_markers(name_keys: frozenset[str]) -> frozenset[str]:
    """The characters every key mapping to enterprise_name has, and every character that
    header_key turns into one of them (full-width forms...)."""
    from pipeline.normalize import _CLEAN_TABLE

    common = set.intersection(*(set(k) for k in name_keys)) if name_keys else set()
    sources = {
        chr(code)
        for code, to in _CLEAN_TABLE.items()
        if isinstance(to, str) and not common.isdisjoint(to)
        or isinstance(to, int) and chr(to) in common
    }
    return frozenset(common | sources)


@functools.lru_cache(maxsize=8)
def _marker_pattern(markers: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(m) for m in sorted(markers)) + "]")


def _has_marker(row: list[object], markers: frozenset[str]) -> bool:
    """Whether a text cell of `row` has one of the `markers` characters: one search over the
    row's text joined (a set test per cell costs several times more)."""
    try:
        text = "\x00".join(row)  # type: ignore[arg-type]
    except TypeError:  # numbers or dates among the cells
        text = "\x00".join([v for v in row if v.__class__ is str])
    return _marker_pattern(markers).search(text) is not None


def locate_table(
    rows: list[list[object]], merged: Iterable = (), lookup: dict[str, str] | None = None
) -> _Table | None:
    """Find the header: the row (alone or under a group row) that maps the most known fields.

    Needs at least three known headers including a name column; title rows above it, a
    merged group row (首席质量官 over 姓名 / 身份证号码 ...) and 序号 columns are handled.
    """
    lookup = lookup or _SUBMISSION_LOOKUP
    scan = min(len(rows), HEADER_SCAN_ROWS)
    if scan == 0:
        return None
    filled = _fill_merged(rows, merged, scan)
    # Most scanned rows are data. A candidate without a cell that can map to enterprise_name
    # is refused below whatever else it maps, so it is skipped before the column-by-column
    # mapping: its cells' keys (and group+sub keys) are looked up once.
    name_keys = frozenset(k for k, v in lookup.items() if v == "enterprise_name")
    markers = _name_markers(name_keys)
    # A character every name header has (称): a row without it in any cell, under a row
    # without it, cannot give a name column, so its cells' keys are never computed.
    marked = [_has_marker(row, markers) for row in filled[:scan]] if markers else [True] * scan
    keys: dict[int, list[str]] = {}

    def keys_of(r: int) -> list[str]:
        if r not in keys:
            keys[r] = [_key(_cell_text(v)) for v in filled[r]]
        return keys[r]

    best: _Table | None = None
    best_score = 0
    for r in range(scan):
        if not (marked[r] or (r > 0 and marked[r - 1])):
            continue
        candidates = [(None, filled[r])]
        if r > 0 and any(_cell_text(v) for v in filled[r - 1]):
            candidates.append((filled[r - 1], filled[r]))
        for upper, lower in candidates:
            above = keys_of(r - 1) if upper is not None else None
            if not _may_hold_name(above, keys_of(r), name_keys):
                continue
            table = _map_headers(upper, lower, lookup)
            score = len(table.mapping) * 2 - len(table.unknown)
            if "enterprise_name" not in table.mapping.values() or len(table.mapping) < 3:
                continue
            if score > best_score:
                best, best_score = table, score
                best.header_row = r
    return best


# -- units ---------------------------------------------------------------------------------


class UnitResolver:
    """Tell the configured unit from free text: exact name, alias, or a name it contains."""

    def __init__(self, units: Sequence[Unit]):
        self._exact: dict[str, str] = {}
        self._contained: list[tuple[str, str]] = []
        for u in units:
            for text in (u.name, *u.aliases):
                key = header_key(text)
                self._exact[key] = u.name
                self._contained.append((key, u.name))
        # Longest first: "崇阳县工业园区" before "工业园".
        self._contained.sort(key=lambda kv: -len(kv[0]))
        # The same search through the text's substrings (a county has thousands of names and
        # aliases; a file name has tens of characters): alias -> its first place in the order.
        self._order: dict[str, int] = {}
        for i, (alias, _) in enumerate(self._contained):
            self._order.setdefault(alias, i)
        self._lengths = sorted({len(a) for a in self._order}, reverse=True)

    def resolve(self, text: object) -> str | None:
        key = header_key(_cell_text(text))
        if not key:
            return None
        if key in self._exact:
            return self._exact[key]
        # The first alias of self._contained that `key` contains: of the longest that it
        # contains, the one placed first.
        order = self._order
        for n in self._lengths:
            if n > len(key):
                continue
            found = [
                order[sub]
                for sub in {key[i : i + n] for i in range(len(key) - n + 1)}
                if sub in order
            ]
            if found:
                return self._contained[min(found)][1]
        return None

    def resolve_series(self, values: pd.Series) -> pd.Series:
        uniques = {v: self.resolve(v) for v in values.dropna().unique()}
        return values.map(uniques).astype("object")


# -- reading files -------------------------------------------------------------------------


@dataclass
class _Sheet:
    name: str
    hidden: bool
    rows: list[list[object]]
    merged: list


def _check_container(path: Path, head: bytes, config: Config, data: bytes = b"") -> None:
    """Refuse what would be dangerous or pointless to open (size, zip bombs, encryption).
    `data` is the file's content when it was read (not when it is too large)."""
    limits = config.limits
    size = len(data) if data else path.stat().st_size
    if size > limits.max_file_mb * 1024 * 1024:
        raise IngestError(
            f"文件过大（{size / 1048576:.1f} MB，上限 {limits.max_file_mb:g} MB），已拒收"
        )
    if head.startswith(_ZIP_MAGIC):
        from pipeline.container import ContainerError, inspect_zip

        try:
            inspect_zip(path, int(limits.max_unzipped_mb * 1024 * 1024), data or None)
        except ContainerError as exc:
            raise IngestError(str(exc)) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
            raise IngestError("文件已损坏（压缩包不完整），请重新保存后报送") from exc
    elif head.startswith(_OLE_MAGIC):
        if data:
            blob = data[: 4 * 1024 * 1024]
        else:
            with path.open("rb") as fh:
                blob = fh.read(min(size, 4 * 1024 * 1024))
        if "EncryptedPackage".encode("utf-16-le") in blob:
            raise IngestError("文件设置了打开密码，无法读取；请取消密码后重新报送")


def _decode_csv(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError("无法识别 CSV 文件的文字编码；请另存为 Excel 文件后报送")
    return str(best)


def _read_csv(data: bytes) -> list[_Sheet]:
    return [_Sheet(name="Sheet1", hidden=False, rows=csv_rows(data), merged=[])]


def csv_rows(data: bytes) -> list[list[object]]:
    """The rows of a CSV file's bytes, decoded and split as ingest reads them (the feedback
    workbooks use it too, so that cells land where the findings point). Raises IngestError."""
    text = _decode_csv(data)
    sample = text[:4096]
    # Only the delimiter is sniffed. Excel and WPS always quote with " and double it inside a
    # field; from a sample without such a field the sniffer guesses doublequote=False (or ' as
    # the quote, from '4212... IDs), and a later row then splits in the wrong places.
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    try:
        reader = csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter)
        rows: list[list[object]] = [list(r) for r in reader]
    except csv.Error as exc:  # a field over csv's size limit, a stray quote...
        raise IngestError(f"CSV 文件无法解析（{exc}）；请用 Excel/WPS 另存为 .xlsx 后报送") from exc
    return rows


def _read_workbook(data: bytes) -> list[_Sheet]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    with io.BytesIO(data) as fh:
        try:
            wb = CalamineWorkbook.from_filelike(fh)
        except Exception as exc:  # calamine raises several unrelated types
            raise IngestError(_calamine_message(exc)) from exc
        sheets = []
        for meta in wb.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue
            try:
                sheet = wb.get_sheet_by_name(meta.name)
                rows = sheet.to_python(skip_empty_area=False)
                try:
                    merged = list(sheet.merged_cell_ranges or [])
                except Exception:  # ods: no merge information
                    merged = []
            except Exception as exc:
                raise IngestError(
                    f"工作表「{meta.name}」无法读取：{_calamine_message(exc)}"
                ) from exc
            hidden = meta.visible != SheetVisibleEnum.Visible
            sheets.append(_Sheet(meta.name, hidden, rows, merged))
        return sheets


def _calamine_message(exc: Exception) -> str:
    text = str(exc)
    if "password" in text.lower() or "Password" in type(exc).__name__:
        return "文件设置了打开密码，无法读取；请取消密码后重新报送"
    return (
        "文件已损坏或不是有效的 Excel 文件；请用 Excel/WPS 打开后另存为 .xlsx 再报送"
    )


def read_sheets(path: Path, config: Config) -> tuple[list[_Sheet], str, int]:
    """Every sheet of one file as rows of Python values in Excel coordinates (row 1 = index 0).

    Returns the sheets, the file's sha256 and size. Raises IngestError with a Chinese reason.
    """
    try:
        data = (
            path.read_bytes() if path.stat().st_size <= config.limits.max_file_mb * 1048576 else b""
        )
    except OSError as exc:
        raise IngestError(f"文件无法打开：{exc.strerror or exc}") from exc
    if data:
        head = data[:8]
    else:
        with path.open("rb") as fh:
            head = fh.read(8)
    digest = hashlib.sha256(data).hexdigest() if data else ""
    _check_container(path, head, config, data)
    if not data:
        raise IngestError("文件为空（0 字节）")
    if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        sheets = _read_workbook(data)
    elif path.suffix.lower() == ".csv":
        sheets = _read_csv(data)
    else:
        raise IngestError(
            "文件内容不是 Excel 工作簿（可能已损坏或扩展名有误）；"
            "请用 Excel/WPS 另存为 .xlsx 后报送"
        )
    if not any(_cell_text(c) for sheet in sheets for row in sheet.rows for c in row):
        # Readable but blank: say so, rather than an "ok" file that silently brought nothing.
        raise IngestError("文件中没有任何内容（所有工作表均为空）；请填写后重新报送")
    return sheets, digest, len(data)


# -- records -------------------------------------------------------------------------------


def _is_note_row(cells: list[object]) -> bool:
    filled = [c for c in cells if _cell_text(c)]
    if not filled:
        return True
    return len(filled) <= 3 and bool(
        _NOTE_ROW.match(to_halfwidth(pd.Series([_cell_text(filled[0])])).iloc[0])
    )


_DATE_IN_TITLE = re.compile(r"(?:填报|报送|填表)日期\s*[:：]\s*(\S+?(?:日|\d))(?:\s|$)")
_DATE_LABEL_LAST = re.compile(r"(?:填报|报送|填表)日期\s*[:：]?\s*$")


def _title_hints(rows: list[list[object]], header_row: int) -> tuple[str | None, str | None]:
    """Unit and fill date written in the title rows above the header: 填报单位：XX 填报日期：...
    in one cell, or the label ending a cell and the date in the next filled cell of the row
    (the templates' open date cell; many senders' own layouts)."""
    unit_text = date_text = None
    for row in rows[: max(0, header_row - 0)]:
        for i, cell in enumerate(row):
            text = _cell_text(cell)
            if not text:
                continue
            m = _UNIT_IN_TITLE.search(text)
            if m and unit_text is None:
                unit_text = m.group(1)
            if date_text is not None:
                continue
            d = _DATE_IN_TITLE.search(text)
            if d:
                date_text = d.group(1)
            elif _DATE_LABEL_LAST.search(text):
                after = next((c for c in row[i + 1 :] if _cell_text(c)), None)
                if isinstance(after, dt.datetime | dt.date):
                    date_text = after.strftime("%Y-%m-%d")
                elif after is not None and not re.search("[:：]", _cell_text(after)):
                    date_text = _cell_text(after)  # (not the next label: 报送季度：...)
    return unit_text, date_text


def _is_blank(value: object) -> bool:
    """`not _cell_text(value)`, with the usual cases first."""
    if value is None:
        return True
    if value.__class__ is str:
        return not value.strip()
    return not _cell_text(value)


# Cell types calamine gives whose _cell_text is never empty (a number, a date, a boolean).
_NEVER_BLANK = frozenset({float, int, bool, dt.datetime, dt.date, dt.time, dt.timedelta})


def _blank_column(column: np.ndarray) -> tuple[np.ndarray, bool]:
    """`_is_blank` of every cell of an object column, and whether every cell is text.

    Most columns hold only text (every CSV column; "" where empty): str.isspace mapped over
    them runs in C, where a Python call per cell costs three times as much. ("" is not
    isspace, and `not v.strip()` is `v == "" or v.isspace()`.)"""
    values = column.tolist()
    try:
        space = np.fromiter(map(str.isspace, values), dtype=bool, count=len(values))
    except TypeError:  # a number, a date or None among them
        blank = np.fromiter(
            (
                not v.strip()
                if v.__class__ is str
                else v.__class__ not in _NEVER_BLANK and _is_blank(v)
                for v in values
            ),
            dtype=bool,
            count=len(values),
        )
        return blank, False
    return space | (column == ""), True


def _grid(rows: list[list[object]], cols: list[int]) -> np.ndarray:
    """The `cols` of `rows` as a 2-D object array; "" where a row is shorter."""
    width = max(cols) + 1
    try:  # calamine's rows are all as wide as the sheet
        grid = np.array(rows, dtype=object)
        if grid.ndim != 2:
            raise ValueError("ragged")
    except ValueError:  # csv rows differ in length
        grid = np.array(
            [r[:width] if len(r) >= width else [*r, *([""] * (width - len(r)))] for r in rows],
            dtype=object,
        ).reshape(len(rows), width)
    if grid.shape[1] < width:
        grid = np.concatenate(
            [grid, np.full((len(rows), width - grid.shape[1]), "", dtype=object)], axis=1
        )
    return grid[:, cols]


# A column of a block: the values (None where empty), or, when every cell is text, the cells
# joined by _SEP ("" where empty). Worker processes send blocks back pickled: one string per
# column pickles and unpickles several times faster than a str object per cell, and the
# reading process splits it in C.
Column = list[object] | str
_SEP = "\x1f"  # ASCII unit separator; a column whose cells contain it is sent as a list


def _pack(values: np.ndarray, text: bool) -> Column:
    """`values` (an object array, "" where empty) as a Column."""
    if text:
        joined = _SEP.join(values.tolist())
        if joined.count(_SEP) == len(values) - 1:
            return joined
    values = values.copy()
    values[values == ""] = None
    return values.tolist()


def _object_array(values: list[object]) -> np.ndarray:
    """A 1-D object array of `values`, cells as calamine or csv give them (scalars)."""
    return np.array(values, dtype=object).reshape(len(values))


def _unpack(column: Column) -> np.ndarray:
    """A Column's values as an object array, None where empty."""
    if column.__class__ is not str:
        return _object_array(column)
    values = _object_array(column.split(_SEP))
    values[values == ""] = None
    return values


def _sheet_records(
    sheet: _Sheet, table: _Table, pack: bool = True
) -> tuple[dict[str, Column | np.ndarray], np.ndarray, int]:
    """Columns of the records under the header (Columns to send to another process, else
    object arrays with None where empty), their Excel rows, and the last header row.

    A row is a record when a mapped cell is filled, it is not a note line, and it has more
    than the enterprise identity a template pre-fills (PREFILLED). Whole-sheet array work: a
    national file has tens of thousands of rows.
    """
    # Data start below the header; with a two-row header found on row r, r is the lower row.
    start = table.header_row + 1
    cols = sorted(table.mapping)
    names = [table.mapping[c] for c in cols]
    body = sheet.rows[start:]
    cells = _grid(body, cols)
    filled = np.empty(cells.shape, dtype=bool)
    text = []
    for j in range(len(cols)):
        blank, all_text = _blank_column(cells[:, j])
        np.logical_not(blank, out=filled[:, j])
        text.append(all_text)
    n_filled = filled.sum(axis=1)
    own = [j for j, name in enumerate(names) if name not in PREFILLED]
    # a pre-filled template line nobody filled in has nothing outside PREFILLED
    keep = filled[:, own].any(axis=1) if own else np.zeros(len(body), dtype=bool)
    # A note line has at most three filled cells in the whole row, so at most three mapped
    # ones: only those rows need the row-wise look.
    for i in np.flatnonzero(keep & (n_filled <= 3)):
        if _is_note_row(body[i]):
            keep[i] = False
    rows = np.flatnonzero(keep)
    picked = cells[rows]
    data: dict[str, Column | np.ndarray] = {}
    for j, name in enumerate(names):
        if pack:
            data[name] = _pack(picked[:, j], text[j])
        else:
            column = picked[:, j]  # a copy (rows were picked by index)
            column[column == ""] = None
            data[name] = column
    return data, rows + (start + 1), table.header_row + 1


@dataclass
class Block:
    """One sheet's records, as compact as they pickle (worker processes send them back)."""

    file: str
    sheet: str
    rows: np.ndarray  # Excel rows (int64)
    columns: dict[str, Column]  # field -> values
    units: list[str | None] | str | None  # each row's unit, or one for every row

    def __len__(self) -> int:
        return len(self.rows)


def _records_frame(blocks: Sequence[Block]) -> pd.DataFrame:
    """One object frame from every sheet's block (columns in order of first appearance, None
    where a sheet lacks a column). Built once for the quarter: a DataFrame per sheet costs
    more than reading a small sheet does."""
    if not blocks:
        return pd.DataFrame(
            {"_file": [], "_sheet": [], "_row": pd.Series([], dtype="int64"), "_unit": []}
        ).astype({"_file": object, "_sheet": object, "_unit": object})
    # Order of first appearance, each block's columns being _file, _sheet, _row, its fields,
    # _unit (as the frame has always been laid out).
    names = list(
        dict.fromkeys(
            name
            for block in blocks
            for name in ("_file", "_sheet", "_row", *block.columns, "_unit")
        )
    )
    lengths = [len(b) for b in blocks]
    ends = np.cumsum(lengths).tolist()
    spans = list(zip([0, *ends[:-1]], ends, strict=True))
    data: dict[str, np.ndarray] = {}
    for name in names:
        if name == "_row":
            continue
        # slices of one array per column (None where a sheet lacks the column)
        out = np.full(ends[-1], None, dtype=object)
        for block, (s, e) in zip(blocks, spans, strict=True):
            if name == "_file":
                out[s:e] = block.file
            elif name == "_sheet":
                out[s:e] = block.sheet
            elif name == "_unit":
                if block.units.__class__ is list:
                    out[s:e] = _object_array(block.units)
                else:
                    out[s:e] = block.units
            elif name in block.columns:
                out[s:e] = _unpack(block.columns[name])
        data[name] = out
    rows = np.concatenate([b.rows for b in blocks]).astype(np.int64)
    frame = pd.DataFrame(
        {name: data[name] for name in names if name != "_row"}, dtype=object, copy=False
    )
    frame.insert(names.index("_row"), "_row", rows)
    return frame


def read_file(
    path: Path, rel: str, config: Config, resolver: UnitResolver
) -> tuple[FileReport, list[Block], list[dict], list[dict]]:
    """Read one submission file into record blocks; never raises for bad content."""
    report = FileReport(file=rel, unit=None)
    frames: list[Block] = []
    columns: list[dict] = []
    unknown: list[dict] = []
    try:
        sheets, report.sha256, report.size = read_sheets(path, config)
    except IngestError as exc:
        report.status, report.error = "failed", str(exc)
        report.unit = resolver.resolve(Path(rel).stem)
        return report, frames, columns, unknown
    except Exception:  # never let one file stop the run
        log.exception("unexpected failure reading %s", rel)
        report.status = "failed"
        report.error = "读取失败（文件内容异常）；请用 Excel/WPS 另存为 .xlsx 后报送"
        report.unit = resolver.resolve(Path(rel).stem)
        return report, frames, columns, unknown

    file_unit = resolver.resolve(Path(rel).stem)
    for sheet in sheets:
        sr = SheetReport(sheet=sheet.name, hidden=sheet.hidden)
        report.sheets.append(sr)
        if not any(_cell_text(c) for row in sheet.rows for c in row):
            sr.skipped = "空工作表"
            continue
        if len(sheet.rows) > config.limits.max_rows_per_sheet:
            sr.skipped = f"行数超过上限 {config.limits.max_rows_per_sheet}"
            continue
        table = locate_table(sheet.rows, sheet.merged)
        if table is None:
            sr.skipped = "填报说明" if _INSTRUCTION_SHEET.search(sheet.name) else "未找到表头"
            continue
        title_unit, title_date = _title_hints(sheet.rows, table.header_row)
        if title_date and report.title_date is None:
            report.title_date = title_date
        data, excel_rows, sr.header_row = _sheet_records(sheet, table)
        for col, name in table.mapping.items():
            columns.append(
                {
                    "_file": rel,
                    "_sheet": sheet.name,
                    "field": name,
                    "col": col,
                    "header": table.headers[col],
                }
            )
        for col, header in table.unknown.items():
            unknown.append({"_file": rel, "_sheet": sheet.name, "col": col, "header": header})
        sr.rows_read = len(excel_rows)
        if not len(excel_rows):
            continue
        sheet_unit = file_unit or resolver.resolve(title_unit) if title_unit else file_unit
        units: list[str | None] | str | None = sheet_unit
        if "unit" in data:  # a 单位 column: each row's own unit, the sheet's where it is empty
            resolved: dict[str, str | None] = {}
            units = []
            for value in _unpack(data["unit"]).tolist():
                text = _cell_text(value)
                if not text:
                    units.append(sheet_unit)
                    continue
                if text not in resolved:
                    resolved[text] = resolver.resolve(text)
                units.append(resolved[text])
        frames.append(Block(rel, sheet.name, excel_rows, data, units))
        report.rows_read += len(excel_rows)
        if report.unit is None:
            if units.__class__ is list:
                report.unit = next((u for u in units if u is not None), None)
            else:
                report.unit = units
    if report.unit is None:
        report.unit = file_unit
    return report, frames, columns, unknown


def submission_files(folder: Path) -> list[Path]:
    """Submission files of one quarter folder, in a stable order (the base list excluded)."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in SUFFIXES
        and p.name != BASE_LIST_NAME
        and not p.name.startswith(("~$", ".~"))
    )


# Many files are read in worker processes (both cores of the office PC), in file order. Below
# these sizes the start of the workers (they import pandas) costs more than it saves.
PARALLEL_MIN_FILES = 16
PARALLEL_MIN_BYTES = 4 * 1024 * 1024

_worker_state: tuple[Config, UnitResolver] | None = None


def _init_worker(config: Config) -> None:
    global _worker_state
    _worker_state = (config, UnitResolver(config.units))


def _read_file_job(
    task: tuple[str, str],
) -> tuple[FileReport, list[Block], list[dict], list[dict]]:
    """read_file in a worker process (top level, so that spawn can pickle it)."""
    assert _worker_state is not None
    config, resolver = _worker_state
    path, rel = task
    return read_file(Path(path), rel, config, resolver)


def _read_base_job(path: str) -> pd.DataFrame:
    """read_base_list in a worker process."""
    assert _worker_state is not None
    return read_base_list(Path(path), _worker_state[0])


def _worker_count(paths: Sequence[Path]) -> int:
    """Processes to read `paths` with: 1 unless there are many files and enough bytes."""
    from pipeline import parallel

    size = 0
    if len(paths) >= PARALLEL_MIN_FILES:
        for p in paths:
            with contextlib.suppress(OSError):
                size += p.stat().st_size
    return parallel.worker_count(len(paths), big_enough=size >= PARALLEL_MIN_BYTES)


def _read_files(
    paths: Sequence[Path],
    config: Config,
    resolver: UnitResolver,
    meanwhile: Callable[[], None] | None = None,
    base_list: Path | None = None,
    box: dict[str, pd.DataFrame] | None = None,
):
    """(path, read_file result) for every path, in order; in parallel when it pays.

    `meanwhile` runs in this process once the files are handed to the workers (first, when
    there are none); its exceptions propagate. `base_list` is read into box["base"]: by a
    worker, handed out before the files, so that the largest file starts first."""
    box = box if box is not None else {}
    workers = _worker_count([*paths, *([base_list] if base_list else [])])
    if workers <= 1:
        if base_list is not None:
            box["base"] = read_base_list(base_list, config)
        if meanwhile is not None:
            meanwhile()
        for path in paths:
            yield path, read_file(path, path.name, config, resolver)
        return
    from concurrent.futures import ProcessPoolExecutor

    from pipeline import parallel

    tasks = [(str(p), p.name) for p in paths]
    done = 0
    pool = None
    base_job = None
    try:
        try:
            pool = ProcessPoolExecutor(
                workers,
                mp_context=parallel.context(["pipeline.ingest"]),
                initializer=_init_worker,
                initargs=(config,),
            )
            if base_list is not None:
                base_job = pool.submit(_read_base_job, str(base_list))
            chunk = max(1, min(16, len(tasks) // (workers * 8)))
            results = pool.map(_read_file_job, tasks, chunksize=chunk)
        except Exception as exc:  # noqa: BLE001
            log.warning("no reader processes (%s): reading here", type(exc).__name__)
            results = iter(())
        if meanwhile is not None:
            meanwhile()
        try:
            for result in results:
                yield paths[done], result
                done += 1
        except Exception as exc:  # noqa: BLE001
            # Workers that cannot start (a calling script without `if __name__ ==
            # "__main__"`), a worker that died (memory), or an error of read_file itself: the
            # remaining files are read here, one by one: the outcome of a serial read.
            log.warning(
                "parallel reading stopped (%s); reading the remaining %d files here",
                type(exc).__name__,
                len(paths) - done,
            )
        for path in paths[done:]:
            yield path, read_file(path, path.name, config, resolver)
        if base_list is not None:
            try:
                box["base"] = base_job.result() if base_job is not None else None
            except IngestError:
                raise
            except Exception as exc:  # noqa: BLE001  (a worker that died: read it here)
                log.warning("base list not read by a worker (%s)", type(exc).__name__)
            if box.get("base") is None:
                box["base"] = read_base_list(base_list, config)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# Rows per call of read_quarter's `transform`: large enough that a column's distinct values
# are still few per call, small enough that the raw cells of one call are a few tens of MB.
TRANSFORM_ROWS = 50_000


def read_quarter(
    folder: Path,
    config: Config,
    files: Sequence[Path] | None = None,
    progress: Callable[[str], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
    base_list: Path | None = None,
    transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> IngestResult:
    """Read every submission of a quarter folder (or the given files) into one records frame.

    `meanwhile` runs in this process while worker processes read the files; its exceptions
    propagate. `base_list`, when given, is read too (by a worker when there are workers: it
    is the largest file of a large run) into `IngestResult.base`; its IngestError
    propagates. `transform` (a row-wise step such as normalizing) is applied to the records
    as they arrive, some TRANSFORM_ROWS at a time, and `records` holds its output: the raw
    cells of a large quarter (a Python object each) then never exist all at once."""
    resolver = UnitResolver(config.units)
    paths = list(files) if files is not None else submission_files(folder)
    reports: list[FileReport] = []
    frames: list[Block] = []
    columns: list[dict] = []
    unknown: list[dict] = []
    box: dict[str, pd.DataFrame] = {}
    done: list[pd.DataFrame] = []  # transformed chunks
    pending = 0  # rows in `frames`
    reading = _read_files(paths, config, resolver, meanwhile, base_list, box)
    for path, (report, f, c, u) in reading:
        rel = path.name
        reports.append(report)
        frames.extend(f)
        pending += sum(len(b) for b in f)
        columns.extend(c)
        unknown.extend(u)
        if progress:
            progress(rel)
        if transform is not None and pending >= TRANSFORM_ROWS:
            done.append(transform(_records_frame(frames)))
            frames, pending = [], 0
    if transform is None:
        records = _records_frame(frames)
    else:
        if frames or not done:
            done.append(transform(_records_frame(frames)))
        records = done[0] if len(done) == 1 else pd.concat(done, ignore_index=True)
        del done
    return IngestResult(
        base=box.get("base"),
        records=records,
        columns=pd.DataFrame(columns, columns=["_file", "_sheet", "field", "col", "header"]),
        unknown_headers=pd.DataFrame(unknown, columns=["_file", "_sheet", "col", "header"]),
        files=reports,
    )


# -- base list -----------------------------------------------------------------------------

_CATEGORY_WORDS = {
    "规上": "规上",
    "规模以上": "规上",
    "规模以上企业": "规上",
    "规模以上工业企业": "规上",
    "规上企业": "规上",
    "规上工业": "规上",
    "重点行业中小微": "重点行业中小微",
    "重点行业中小微企业": "重点行业中小微",
    "中小微": "重点行业中小微",
    "中小微企业": "重点行业中小微",
    "小微": "重点行业中小微",
}


def read_base_list(path: Path, config: Config) -> pd.DataFrame:
    """The base list (企业名录): one row per enterprise with its township and category.

    Raises IngestError when the file cannot be read or has no 企业名称 / 企业类别 / 所属乡镇
    columns.
    """
    from pipeline.normalize import clean_code, clean_text, name_key, parse_scale

    sheets, _, _ = read_sheets(path, config)
    resolver = UnitResolver(config.units)
    for sheet in sheets:
        table = locate_table(sheet.rows, sheet.merged, _BASE_LOOKUP)
        if table is None or "category" not in table.mapping.values():
            continue
        if "township" not in table.mapping.values():
            raise IngestError(
                f"企业名录 {path.name} 的表格中找不到「所属乡镇」列：各乡镇（园区）的聘任率按它"
                "统计，请补上该列（每家企业填所在乡镇或园区）后重新运行"
            )
        data, excel_rows, _ = _sheet_records(sheet, table, pack=False)
        raw = pd.DataFrame(data, dtype=object)
        base = pd.DataFrame(index=range(len(raw)))
        for name in BASE_FIELDS:
            col = raw[name] if name in raw else pd.Series([None] * len(raw), dtype=object)
            base[name] = clean_code(col) if name == "credit_code" else clean_text(col)
        # a few distinct words over many rows: mapped once each (clean_text gives text or NaN;
        # NaN, not in the dict, stays NaN)
        words = {v: _CATEGORY_WORDS.get(_key(v), v) for v in base["category"].dropna().unique()}
        base["category"] = base["category"].map(words)
        resolved = resolver.resolve_series(base["township"])
        base["township"] = resolved.where(resolved.notna(), base["township"]).astype("str")
        base["scale"] = parse_scale(base["scale"])
        base["name_key"] = name_key(base["enterprise_name"])
        base["_row"] = excel_rows
        base = base[base["enterprise_name"].notna()].reset_index(drop=True)
        return base
    raise IngestError(f"企业名录 {path.name} 中找不到含「企业名称」「企业类别」列的表格")


def quarter_fill_date(report: FileReport) -> dt.date | None:
    """The 填报日期 written in a file's title rows, if it parses."""
    if not report.title_date:
        return None
    from pipeline.normalize import parse_dates

    parsed, _ = parse_dates(pd.Series([report.title_date], dtype=object))
    value = parsed.iloc[0]
    return None if pd.isna(value) else value.date()


def quarter_fill_dates(reports: Sequence[FileReport]) -> dict[str, dt.date]:
    """file -> quarter_fill_date for every report that has one, parsed in one pass."""
    dated = [r for r in reports if r.title_date]
    if not dated:
        return {}
    from pipeline.normalize import parse_dates

    parsed, _ = parse_dates(pd.Series([r.title_date for r in dated], dtype=object))
    return {r.file: v.date() for r, v in zip(dated, parsed, strict=True) if not pd.isna(v)}
