"""Return-to-sender workbooks (退回修改/<unit>.xlsx): the unit's own sheets, problem cells marked.

What the workbook is: a *marked view* of what the unit sent, written fresh with xlsxwriter.
The first sheet, 问题说明, lists every finding (worst first) with a link to its cell; then
come the unit's submitted sheets, every value at the row and column where the sender put it
(read with python-calamine, or csv), hidden sheets still hidden, merged ranges reproduced
where calamine reports them (xlsx/xls), the header row in bold and frozen. Each problem cell
is filled with its severity's colour and carries a comment explaining the finding in
Chinese; the rest of the row of a row-level finding is tinted.

What it is not: a copy of the sender's file. The sender's fonts, borders, fills, comments,
images, formulas (their saved results are shown) and macros are not carried over: the unit
corrects its own original, which it still has, and the 问题说明 sheet says so. Rendering from
values is also what makes a province's thousand workbooks cheap (xlsxwriter writes; nothing
is loaded into openpyxl's object model).

Privacy: the findings table shows the validator's `value`, already masked. The copied sheets
are the unit's own submission with ID and mobile numbers masked wherever they sit
(privacy.mask_cell): the file travels by e-mail or USB stick, and DESIGN.md keeps full
numbers to the internal roster and the store. Nothing from another unit is ever written
into it.

Safety: sender text is always written as text (never a formula or a link, see
reports/xlsx.WORKBOOK_OPTIONS), characters XML cannot hold are dropped, overlong text is cut
with a mark. The originals under input/ are only read; the result is written to a new file
through atomic_path. A source that cannot be read is named in 问题说明, which still lists
its findings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xlsxwriter
from python_calamine import CalamineWorkbook

from pipeline import parallel
from pipeline.config import Limits
from pipeline.fields import SEVERITY_LABELS
from pipeline.fsutil import atomic_path, safe_component
from pipeline.ingest import csv_rows
from pipeline.privacy import mask_cell, mask_personal
from pipeline.reports.sheetxml import FIT_WIDTH_CHARS
from pipeline.reports.xlsx import WORKBOOK_OPTIONS, display_width, fit_cell_text

log = logging.getLogger(__name__)

AUTHOR = "县质强办"
SUMMARY_SHEET = "问题说明"

SEVERITY_ORDER = ("error", "noncompliant", "warning")
# Full colour on the cell a finding points at; a light tint on the rest of a row-level
# finding's row. ARGB, as openpyxl reads them back.
SEVERITY_COLORS = {"error": "FFFF8080", "noncompliant": "FFFFB266", "warning": "FFFFF066"}
SEVERITY_TINTS = {"error": "FFFFE1E1", "noncompliant": "FFFFEBD6", "warning": "FFFFFBD6"}

TABLE_HEADERS = ("文件", "工作表", "行号", "列", "严重程度", "问题说明", "值")
_TABLE_WIDTHS = (22, 14, 7, 20, 10, 64, 26)

# A single source of these kinds keeps its sheet names; otherwise "<file stem>-<sheet>".
_OWN_NAME_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # zip, OLE
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
# Characters XML 1.0 cannot hold (the set openpyxl refuses): dropped from every text.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Merged ranges are reproduced as the sender drew them, up to this many cells each and
# _MAX_MERGED_CELLS in all per sheet (xlsxwriter visits every cell of a range: a hostile
# A1:XFD1048576 must not cost billions of steps, nor be cut down to cover the data).
_MAX_MERGE_CELLS = 10_000
_MAX_MERGED_CELLS = 200_000
_EXCEL_LAST_ROW, _EXCEL_LAST_COL = 1_048_575, 16_383  # 0-based
# The header row is frozen when it is this near the top (a frozen block taller than a screen
# would leave no room for the data).
_MAX_FROZEN_ROW = 20
# xlsxwriter's (Excel's) limit is 65,530 links per sheet; past it the row number stays plain.
_MAX_LINKS = 65_000
_WIDTH_SAMPLE_ROWS = 2000

_DATE = "yyyy-mm-dd"
_DATETIME = "yyyy-mm-dd hh:mm:ss"
_TIME = "hh:mm:ss"
_DURATION = "[h]:mm:ss"
_GRID = "#999999"
_LINK_COLOR = "#0563C1"


def _severity_rank(severity: object) -> int:
    try:
        return SEVERITY_ORDER.index(str(severity))
    except ValueError:
        return len(SEVERITY_ORDER)


def _present(value: object) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and math.isnan(value))
        and not (value is pd.NA or value is pd.NaT)
    )


def _text(value: object) -> str:
    return str(value) if _present(value) else ""


# The columns of a findings frame this module reads (docs/frames.md §4).
_FIELDS = ("severity", "message", "value", "_file", "_sheet", "_row", "col", "column")


def _records(findings: pd.DataFrame) -> list[dict]:
    """The findings as plain dicts: `_file`, `_sheet`, `severity`, `message`, `value`,
    `column` as text ("" when missing), `_row` (1-based) and `col` (0-based) as int or None.
    A unit has a handful of findings: pandas per-call overhead would cost more than the rows."""
    n = len(findings)
    columns = [findings[c].tolist() if c in findings.columns else [None] * n for c in _FIELDS]
    out = []
    for severity, message, value, file, sheet, row, col, column in zip(*columns, strict=True):
        out.append(
            {
                "severity": _text(severity),
                "message": _text(message),
                "value": _text(value),
                "_file": _text(file),
                "_sheet": _text(sheet),
                "_row": int(row) if _present(row) else None,
                "col": int(col) if _present(col) else None,
                "column": _text(column),
            }
        )
    return out


def _clean(text: object) -> str:
    """`text` as a cell or comment can hold it: no illegal XML character, not over the limit."""
    return fit_cell_text(_ILLEGAL_XML.sub("", str(text)))


def _rgb(argb: str) -> str:
    """FFRRGGBB (openpyxl's notation, the constants above) -> #RRGGBB (xlsxwriter's)."""
    return "#" + argb[-6:]


def _cell_name(row: int, col: int) -> str:
    """A1 name of 1-based (row, col)."""
    return f"{_col_letter(col)}{row}"


def _col_letter(col: int) -> str:
    """Column letter of a 1-based column number."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# -- formats --------------------------------------------------------------------------------


class _Formats:
    """xlsxwriter formats of the copied sheets, one per combination used (a workbook-wide
    cache: every add_format is a style record in the file)."""

    def __init__(self, wb):
        self._wb = wb
        self._cache: dict[tuple, object] = {}

    def get(self, num_format: str | None = None, bold: bool = False, fill: str | None = None):
        key = (num_format, bold, fill)
        if key == (None, False, None):
            return None
        fmt = self._cache.get(key)
        if fmt is None:
            props: dict[str, object] = {}
            if num_format:
                props["num_format"] = num_format
            if bold:
                props["bold"] = True
            if fill:
                props["pattern"] = 1
                props["bg_color"] = _rgb(fill)
            fmt = self._cache[key] = self._wb.add_format(props)
        return fmt


# -- the sources, read ----------------------------------------------------------------------


@dataclass
class _Sheet:
    """One sheet of a source as read, in Excel coordinates, and where it goes in the output."""

    file: str
    name: str  # as the source calls it (the findings' _sheet)
    title: str = ""  # its name in the output workbook
    rows: list[list[object]] = field(default_factory=list)  # rows[0][0] is A1
    state: str = "visible"  # visible / hidden / veryHidden
    header_row: int | None = None  # 1-based
    # 0-based column -> "id" / "mobile": where ingest found the ID numbers and mobiles
    personal: dict[int, str] = field(default_factory=dict)
    # 0-based (first_row, first_col, last_row, last_col), within the data, non-overlapping
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    # 1-based (row, col) of every merged cell but the top-left -> that top-left cell
    covered: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    width: int = 0  # columns with data (the widest row)
    first_col: int = 1  # 1-based leftmost column holding a value

    def row_first_cell(self, row: int) -> int:
        """Column of the first non-empty cell of `row` (where a row-level finding is shown)."""
        if 1 <= row <= len(self.rows):
            for c, value in enumerate(self.rows[row - 1], start=1):
                if value is not None and value != "":
                    return c
        return self.first_col

    def anchor(self, row: int, col: int) -> tuple[int, int]:
        """The cell showing (row, col): the top-left cell of a merged range."""
        return self.covered.get((row, col), (row, col))


@dataclass
class _Sources:
    """The readable sheets of a unit's sources, in output order."""

    sheets: list[_Sheet] = field(default_factory=list)
    targets: dict[tuple[str, str], _Sheet] = field(default_factory=dict)
    # csv files have one sheet whatever the findings call it.
    single_sheet_files: dict[str, _Sheet] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def target(self, file: str, sheet: str) -> _Sheet | None:
        return self.targets.get((file, sheet)) or self.single_sheet_files.get(file)


def _cut_utf16(text: str, units: int) -> str:
    """`text` cut to at most `units` UTF-16 code units (Excel counts a sheet name so)."""
    if len(text) * 2 <= units:
        return text
    return text.encode("utf-16-le")[: units * 2].decode("utf-16-le", errors="ignore")


def _unique_sheet_name(wanted: str, taken: Iterable[str]) -> str:
    """A valid sheet name (31 UTF-16 units, no []:*?/\\, no ' at either end), unique among
    `taken` ignoring case."""
    taken_lower = {t.lower() for t in taken}
    base = _SHEET_NAME_BAD.sub("_", wanted).strip("'") or "Sheet"
    name = _cut_utf16(base, 31).rstrip("'") or "Sheet"
    n = 2
    while name.lower() in taken_lower:
        suffix = f"~{n}"
        name = _cut_utf16(base, 31 - len(suffix)) + suffix
        n += 1
    return name


def _too_large(src: Path, limits: Limits) -> bool:
    """Sources are files ingest already read, but a file it refused (zip bomb, huge sheet) may
    still be listed: never load one over the configured limits (config.yaml `limits`)."""
    try:
        if src.stat().st_size > limits.max_file_mb * 1024 * 1024:
            return True
        if zipfile.is_zipfile(src):
            with zipfile.ZipFile(src) as zf:
                unzipped = sum(i.file_size for i in zf.infolist())
                return unzipped > limits.max_unzipped_mb * 1024 * 1024
    except (OSError, zipfile.BadZipFile):
        return False  # the reader will fail and say so
    return False


def _shape(sheet: _Sheet, merged: Iterable[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """Width, first column and merged ranges of a sheet whose rows are set."""
    rows = sheet.rows
    sheet.width = max((len(r) for r in rows), default=0)
    sheet.first_col = min(
        (c for r in rows for c, v in enumerate(r, start=1) if v is not None and v != ""),
        default=1,
    )
    height, taken = len(rows), set()
    for (r0, c0), (r1, c1) in merged:
        r0, r1 = sorted((int(r0), int(r1)))
        c0, c1 = sorted((int(c0), int(c1)))
        if r0 >= height or c0 >= sheet.width or r0 < 0 or c0 < 0:
            continue  # starts outside the data area: an empty range, nothing to show
        r1, c1 = min(r1, _EXCEL_LAST_ROW), min(c1, _EXCEL_LAST_COL)
        area = (r1 - r0 + 1) * (c1 - c0 + 1)
        if area < 2 or area > _MAX_MERGE_CELLS or len(taken) + area > _MAX_MERGED_CELLS:
            continue
        cells = [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
        if not taken.isdisjoint(cells):
            continue  # overlapping ranges: Excel calls such a file corrupt
        taken.update(cells)
        sheet.merged.append((r0, c0, r1, c1))
        for r, c in cells[1:]:
            sheet.covered[(r + 1, c + 1)] = (r0 + 1, c0 + 1)


def _is_csv(src: Path) -> bool:
    """A .csv file that is text (an .xlsx or .xls saved as .csv is read as a workbook, as
    ingest does: the content decides)."""
    if src.suffix.lower() != ".csv":
        return False
    with src.open("rb") as fh:
        return not fh.read(8).startswith(_WORKBOOK_MAGIC)


def _read_file(file: str, src: Path, csv_sheets: set[str]) -> tuple[list[_Sheet], bool]:
    """The sheets of one source file, and whether it is a csv (raises when it cannot be
    read)."""
    if _is_csv(src):
        label = next(iter(csv_sheets)) if len(csv_sheets) == 1 else ""
        sheet = _Sheet(file, label, rows=csv_rows(src.read_bytes()))
        _shape(sheet, ())
        return [sheet], True

    sheets = []
    with src.open("rb") as fh:
        book = CalamineWorkbook.from_filelike(fh)  # sniffs the content, not the extension
        for meta in book.sheets_metadata:
            if "Chart" in str(meta.typ):
                continue
            data = book.get_sheet_by_name(meta.name)
            visible = str(meta.visible)
            state = (
                "veryHidden"
                if visible.endswith("VeryHidden")
                else "hidden"
                if visible.endswith("Hidden")
                else "visible"
            )
            sheet = _Sheet(file, meta.name, rows=data.to_python(skip_empty_area=False), state=state)
            try:
                merged = list(data.merged_cell_ranges or [])
            except Exception:  # noqa: BLE001  (ods: no merged ranges)
                merged = []
            _shape(sheet, merged)
            sheets.append(sheet)
    return sheets, False


def _read_sources(
    sources: dict[str, Path],
    header_rows: dict[tuple[str, str], int],
    sheets_by_file: dict[str, set[str]],
    limits: Limits,
    personal: dict[tuple[str, str], dict[int, str]] | None = None,
) -> _Sources:
    out = _Sources()
    own_names = len(sources) == 1 and all(
        Path(p).suffix.lower() in _OWN_NAME_SUFFIXES for p in sources.values()
    )
    taken: list[str] = []
    for file in sorted(sources):
        src = Path(sources[file])
        try:
            if _too_large(src, limits):
                raise ValueError("file too large to copy")
            sheets, is_csv = _read_file(file, src, sheets_by_file.get(file, set()))
        except Exception as exc:  # noqa: BLE001  (one unreadable source must not stop the rest)
            log.warning("cannot copy %s into the feedback workbook: %s", src, exc)
            out.unreadable.append(file)
            continue
        stem = Path(file).stem
        file_headers = [v for k, v in header_rows.items() if k[0] == file]
        file_personal = [v for k, v in (personal or {}).items() if k[0] == file]
        for sheet in sheets:
            if own_names:
                wanted = sheet.name
            else:
                wanted = f"{stem}-{sheet.name}" if sheet.name else stem
            sheet.title = _unique_sheet_name(wanted, taken)
            taken.append(sheet.title)
            header = header_rows.get((file, sheet.name))
            if header is None and is_csv and len(file_headers) == 1:
                header = file_headers[0]  # a csv: whatever ingest called its one sheet
            sheet.header_row = int(header) if header else None
            columns = (personal or {}).get((file, sheet.name))
            if columns is None and is_csv and len(file_personal) == 1:
                columns = file_personal[0]
            sheet.personal = dict(columns or {})
            out.sheets.append(sheet)
            if is_csv:
                out.single_sheet_files[file] = sheet
            else:
                out.targets[(file, sheet.name)] = sheet
    return out


# -- marking --------------------------------------------------------------------------------


def _comment_text(items: list[tuple[str, str]]) -> str:
    lines = [f"{AUTHOR}："]
    numbered = len(items) > 1
    for i, (severity, message) in enumerate(items, start=1):
        prefix = f"{i}. " if numbered else ""
        lines.append(f"{prefix}【{SEVERITY_LABELS.get(severity, severity)}】{message}")
    return "\n".join(lines)


def _comment_options(text: str) -> dict:
    visual_lines = sum(max(1, math.ceil(display_width(line) / 40)) for line in text.split("\n"))
    return {"author": AUTHOR, "width": 260, "height": min(400, 24 + 16 * visual_lines)}


@dataclass
class _Marks:
    """What the findings of one sheet draw on it: 1-based (row, col) keys."""

    fills: dict[tuple[int, int], str] = field(default_factory=dict)  # ARGB
    comments: dict[tuple[int, int], str] = field(default_factory=dict)


def _marks(sheet: _Sheet, rows: list[dict]) -> _Marks:
    """Fill and comment of every cell of `rows` (findings of one sheet); the worst severity
    wins. A finding without a column marks the row's first value and tints the rest."""
    cells: dict[tuple[int, int], list[tuple[str, str]]] = {}
    tinted_rows: dict[int, str] = {}
    for f in rows:
        row = f["_row"]
        if f["col"] is not None:
            col = f["col"] + 1
        else:
            col = sheet.row_first_cell(row)
            prev = tinted_rows.get(row)
            if prev is None or _severity_rank(f["severity"]) < _severity_rank(prev):
                tinted_rows[row] = f["severity"]
        cells.setdefault(sheet.anchor(row, col), []).append((f["severity"], f["message"]))

    out = _Marks()
    for row, severity in tinted_rows.items():
        tint = SEVERITY_TINTS.get(severity, "FFFFFFFF")
        for c in range(1, max(sheet.width, 1) + 1):
            if (row, c) not in cells and (row, c) not in sheet.covered:
                out.fills[(row, c)] = tint
    for key, items in cells.items():
        items.sort(key=lambda it: _severity_rank(it[0]))
        out.fills[key] = SEVERITY_COLORS.get(items[0][0], SEVERITY_COLORS["error"])
        out.comments[key] = _clean(_comment_text(items))
    return out


# -- the copied sheets ----------------------------------------------------------------------


def _write_value(ws, r: int, c: int, value: object, formats: _Formats, bold, fill) -> None:
    """Write a value read by calamine (or csv), 0-based (r, c), keeping its type; text stays
    text (never a formula); dates shown as dates."""
    if isinstance(value, str):
        ws.write_string(r, c, _clean(value), formats.get(None, bold, fill))
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, formats.get(None, bold, fill))
    elif isinstance(value, int | float):
        if math.isfinite(value):
            ws.write_number(r, c, value, formats.get(None, bold, fill))
        else:
            ws.write_string(r, c, str(value), formats.get(None, bold, fill))
    elif isinstance(value, dt.datetime):
        if value.year < 1900:  # before Excel's epoch: no date serial exists
            ws.write_string(r, c, value.isoformat(sep=" "), formats.get(None, bold, fill))
        else:
            timed = (value.hour, value.minute, value.second) != (0, 0, 0)
            ws.write_datetime(r, c, value, formats.get(_DATETIME if timed else _DATE, bold, fill))
    elif isinstance(value, dt.date):
        if value.year < 1900:
            ws.write_string(r, c, value.isoformat(), formats.get(None, bold, fill))
        else:
            ws.write_datetime(r, c, value, formats.get(_DATE, bold, fill))
    elif isinstance(value, dt.time):
        ws.write_datetime(r, c, value, formats.get(_TIME, bold, fill))
    elif isinstance(value, dt.timedelta) and value >= dt.timedelta(0):
        ws.write_datetime(r, c, value, formats.get(_DURATION, bold, fill))
    else:
        ws.write_string(r, c, _clean(value), formats.get(None, bold, fill))


def _column_widths(sheet: _Sheet) -> dict[int, int]:
    """0-based column -> width fitting the first rows' values (CJK counts 2). Text of a range
    merged across columns (a title, a note under the table) spreads over them, and a row
    holding one value (a title or a 填表人 note typed into column A) is not a table row: not
    counted; nor are the rows above the header."""
    spread = {(r0, c0) for r0, c0, _, c1 in sheet.merged if c1 > c0}
    widths: dict[int, int] = {}
    first = sheet.header_row - 1 if sheet.header_row else 0
    for r, row in enumerate(sheet.rows[:_WIDTH_SAMPLE_ROWS]):
        if r < first or sum(v is not None and v != "" for v in row) < 2:
            continue
        for c, value in enumerate(row):
            if value is None or value == "" or (spread and (r, c) in spread):
                continue
            if isinstance(value, dt.datetime) and value.time() != dt.time(0):
                w = 19  # yyyy-mm-dd hh:mm:ss
            elif isinstance(value, dt.date):
                w = 10  # yyyy-mm-dd
            else:
                text = value if isinstance(value, str) else str(value)
                w = len(text) if text.isascii() else display_width(text)
            if w > widths.get(c, 0):
                widths[c] = w
    return {c: max(6, min(50, w + 2)) for c, w in widths.items()}


def _write_sheet(wb, formats: _Formats, sheet: _Sheet, marks: _Marks | None) -> None:
    ws = wb.add_worksheet(sheet.title)
    if marks and sheet.state != "visible":
        # A hidden sheet with marks is shown (tab in the warning colour): a link to a hidden
        # sheet does nothing in Excel, and the sender would never see its coloured cells.
        ws.set_tab_color(_rgb(SEVERITY_COLORS["noncompliant"]))
    elif sheet.state == "hidden":
        ws.hide()
    elif sheet.state == "veryHidden":
        ws.very_hidden()
    widths = _column_widths(sheet)
    for c, w in widths.items():
        ws.set_column(c, c, w)
    # Merged ranges first: merge_range leaves the top-left cell blank, written below.
    for r0, c0, r1, c1 in sheet.merged:
        ws.merge_range(r0, c0, r1, c1, "")

    fills = dict(marks.fills) if marks else {}
    header = sheet.header_row
    bold_rows = set()  # 0-based
    if header:
        bold_rows.add(header - 1)
        # A two-row header: the row above is bold too when labels are merged down into it.
        if any(r0 == header - 2 and r1 >= header - 1 for r0, _, r1, _ in sheet.merged):
            bold_rows.add(header - 2)
    # ID and mobile columns (below the header) are masked whatever the cells hold; any other
    # cell where an ID or a mobile is recognised in it.
    personal = sheet.personal if header else {}
    for r, row in enumerate(sheet.rows):
        bold = r in bold_rows
        data_row = header is not None and r >= header
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            fill = fills.pop((r + 1, c + 1), None) if fills else None
            kind = personal.get(c) if data_row else None
            shown = mask_personal(value, kind) if kind else mask_cell(value)
            _write_value(ws, r, c, shown, formats, bold, fill)
    for (row, col), fill in fills.items():  # marked or tinted cells without a value
        ws.write_blank(row - 1, col - 1, None, formats.get(None, False, fill))
    if marks:
        for (row, col), text in marks.comments.items():
            ws.write_comment(row - 1, col - 1, text, _comment_options(text))
    if header and header <= _MAX_FROZEN_ROW and len(sheet.rows) > header:
        ws.freeze_panes(header, 0)
        ws.repeat_rows(0, header - 1)
    # A submission table is wide: A4 landscape, one page wide when that stays legible
    # (sheetxml.FIT_WIDTH_CHARS), else across pages with the first two columns repeated.
    ws.set_landscape()
    ws.set_paper(9)
    if sum(widths.values()) <= FIT_WIDTH_CHARS:
        ws.fit_to_pages(1, 0)
    else:
        ws.repeat_columns(0, min(1, max(widths, default=0)))


# -- the 问题说明 sheet ------------------------------------------------------------------------


def _sorted_findings(findings: list[dict]) -> list[dict]:
    """Worst first, then by file, sheet, row and column (findings without a row first)."""

    def key(f: dict) -> tuple:
        row, col = f["_row"], f["col"]
        return (
            _severity_rank(f["severity"]),
            f["_file"],
            f["_sheet"],
            row is not None,
            row or 0,
            col is not None,
            col or 0,
        )

    return sorted(findings, key=key)


def _column_label(f: dict) -> str:
    letter = _col_letter(f["col"] + 1) if f["col"] is not None else ""
    header = f["column"]
    if letter and header:
        return f"{letter}（{header}）"
    return letter or header


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _lines(text: str, width: int) -> int:
    """Lines `text` wraps to in a column `width` characters wide (CJK counts 2)."""
    return sum(
        max(1, math.ceil(display_width(part) / max(1, width - 2))) for part in text.split("\n")
    )


def _write_summary(
    wb,
    ws,
    unit: str,
    findings: list[dict],
    sources: _Sources,
    missing: list[str],
    self_check: bool = False,
) -> None:
    ncols = len(TABLE_HEADERS)
    grid = {"border": 1, "border_color": _GRID}
    title_fmt = wb.add_format(
        {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}
    )
    note_fmt = wb.add_format({"text_wrap": True, "valign": "top"})
    head_fmt = wb.add_format(
        {**grid, "bold": True, "pattern": 1, "bg_color": "#D9E1F2", "align": "center",
         "valign": "vcenter"}
    )  # fmt: skip
    cell_props = {**grid, "text_wrap": True, "valign": "top"}
    cell_fmt = wb.add_format(cell_props)
    link_fmt = wb.add_format({**cell_props, "font_color": _LINK_COLOR, "underline": 1})
    severity_fmts = {
        sev: wb.add_format({**cell_props, "pattern": 1, "bg_color": _rgb(color)})
        for sev, color in SEVERITY_COLORS.items()
    }

    ws.merge_range(0, 0, 0, ncols - 1, "", title_fmt)
    title = "自查结果" if self_check else "退回修改说明"
    ws.write_string(0, 0, _clean(f"{unit} 首席质量官报送数据{title}"), title_fmt)
    ws.set_row(0, 30)

    counts = Counter(f["severity"] for f in findings)
    error_rows = {
        (f["_file"], f["_sheet"], f["_row"])
        for f in findings
        if f["severity"] == "error" and f["_row"] is not None
    }
    if self_check:  # `cqo validate`: nothing was registered, the unit has not sent anything yet
        legend = (
            "请按下表逐条修改后再报送；红色单元格为错误，必须修改（否则报送后该行数据不会被采用）；"
            "橙色为不合格（数据可以登记，但首席质量官不符合任职条件，请核实或更换人选）；"
        )
    else:
        legend = (
            "请按下表逐条修改后重新报送；红色单元格为错误，必须修改（该行数据未被采用）；"
            "橙色为不合格（数据已登记，但首席质量官不符合任职条件，请核实或更换人选）；"
        )
    copies = (
        "本工作簿后面的工作表是贵单位报送的原表（只含数据：原表的字体、边框、公式和批注未复制），"
        "问题单元格已标色并加批注（鼠标移到单元格上可查看）；点击下表的行号可跳转到该单元格。"
        if sources.sheets
        else "（原文件无法读取，本工作簿只有本说明。）"
    )
    notes = [
        legend + "黄色为提醒（请核实，确认无误可不改）。",
        f"共 {len(findings)} 条：错误 {int(counts.get('error', 0))} 条"
        f"（涉及 {len(error_rows)} 行），不合格 {int(counts.get('noncompliant', 0))} 条，"
        f"提醒 {int(counts.get('warning', 0))} 条。{copies}"
        "请在贵单位自己的原文件中修改后重新报送，不要直接报送本文件。",
        "为保护个人信息，本文件中的身份证号、手机号已部分隐去；贵单位原文件中的数据未作改动。",
    ]
    if missing:
        notes.append(
            "以下文件无法读取，未附原表，请按表中位置在原文件中修改：" + "、".join(missing)
        )
    shown = sorted(
        {f["_sheet"] for f in findings if (t := sources.target(f["_file"], f["_sheet"]))
         and t.state != "visible" and f["_row"] is not None}
    )  # fmt: skip
    if shown:
        notes.append(
            "原表中隐藏的工作表（" + "、".join(shown) + "）也有问题，本文件中已将其取消隐藏"
            "（标签为橙色）；如其中是过期数据，请在原文件中删除该工作表。"
        )
    for i, note in enumerate(notes, start=1):
        ws.merge_range(i, 0, i, ncols - 1, "", note_fmt)
        ws.write_string(i, 0, _clean(note), note_fmt)
        ws.set_row(i, 16 * max(1, math.ceil(display_width(note) / 150)) + 4)

    head = len(notes) + 2  # 0-based row of the table's header
    for c, label in enumerate(TABLE_HEADERS):
        ws.write_string(head, c, label, head_fmt)
        ws.set_column(c, c, _TABLE_WIDTHS[c])

    r = head
    links = 0
    for r, f in enumerate(_sorted_findings(findings), start=head + 1):
        severity = f["severity"]
        row_no = f["_row"]
        values = (
            f["_file"],
            f["_sheet"],
            row_no,
            _column_label(f),
            SEVERITY_LABELS.get(severity, severity),
            f["message"],
            f["value"],
        )
        lines = max(
            _lines(v, _TABLE_WIDTHS[c]) for c, v in enumerate(values) if isinstance(v, str) and v
        )
        if lines > 1:  # wrapped text needs the row's height (LibreOffice and WPS do not fit it)
            ws.set_row(r, 15 * lines + 3)
        for c, value in enumerate(values):
            fmt = severity_fmts.get(severity, cell_fmt) if c == 4 else cell_fmt
            if isinstance(value, str):
                if value:
                    ws.write_string(r, c, _clean(value), fmt)
                else:
                    ws.write_blank(r, c, None, fmt)
            elif value is not None:
                ws.write_number(r, c, value, fmt)
            else:
                ws.write_blank(r, c, None, fmt)
        target = sources.target(f["_file"], f["_sheet"])
        if target is not None and row_no is not None and links < _MAX_LINKS:
            col = f["col"] + 1 if f["col"] is not None else target.row_first_cell(row_no)
            row, col = target.anchor(row_no, col)
            location = f"{_quoted(target.title)}!{_cell_name(row, col)}"
            # The link's cell keeps the row number as a number: write_url writes its text,
            # write_number then replaces the value and leaves the link.
            if ws.write_url(r, 2, f"internal:{location}", link_fmt, str(row_no)) == 0:
                ws.write_number(r, 2, row_no, link_fmt)
                links += 1

    ws.freeze_panes(head + 1, 0)
    ws.autofilter(head, 0, max(r, head), ncols - 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(head)


# -- public API -----------------------------------------------------------------------------


def write_feedback(
    path: Path,
    unit: str,
    findings: pd.DataFrame,
    sources: dict[str, Path],
    header_rows: dict[tuple[str, str], int],
    limits: Limits | None = None,
    personal: dict[tuple[str, str], dict[int, str]] | None = None,
    self_check: bool = False,
) -> Path:
    """Write the return-to-sender workbook of one unit and return its path.

    `findings`: the unit's findings (docs/frames.md §4). `sources`: _file -> original file, read
    and never modified. Every sheet of every source is rendered from its values with each
    value at its original row and column; a single .xlsx/.xlsm source keeps its sheet names,
    otherwise they are "<file stem>-<sheet>". See the module docstring for what is kept.
    `limits`: a source larger than these is not copied (its findings are listed only).
    `personal`: (file, sheet) -> {0-based column: "id" / "mobile"} (IngestResult.
    personal_columns): those columns are masked below the header whatever their cells hold.
    """
    path = Path(path)
    records = _records(findings)
    sheets_by_file: dict[str, set[str]] = {}
    for f in records:
        if f["_file"] and f["_sheet"]:
            sheets_by_file.setdefault(f["_file"], set()).add(f["_sheet"])

    read = _read_sources(sources, header_rows, sheets_by_file, limits or Limits(), personal)
    parts: dict[int, tuple[_Sheet, list[dict]]] = {}  # id(sheet) -> its findings with a row
    for f in sorted(
        (f for f in records if f["_row"] is not None), key=lambda f: (f["_file"], f["_sheet"])
    ):
        target = read.target(f["_file"], f["_sheet"])
        if target is None:
            log.info("no copied sheet for %s / %s: findings listed only", f["_file"], f["_sheet"])
            continue
        parts.setdefault(id(target), (target, []))[1].append(f)
    marks = {key: _marks(target, rows) for key, (target, rows) in parts.items()}

    missing = sorted(set(read.unreadable) | {f for f in sheets_by_file if f not in sources})
    summary_title = _unique_sheet_name(SUMMARY_SHEET, [s.title for s in read.sheets])
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {**WORKBOOK_OPTIONS, "in_memory": True})
        try:
            summary = wb.add_worksheet(summary_title)
            _write_summary(wb, summary, unit, records, read, missing, self_check)
            formats = _Formats(wb)
            for sheet in read.sheets:
                _write_sheet(wb, formats, sheet, marks.get(id(sheet)))
            summary.activate()
        except BaseException:
            with contextlib.suppress(Exception):
                wb.close()  # (atomic_path removes the half-written file)
            raise
        wb.close()
    return path


def write_all_feedback(
    folder: Path,
    findings: pd.DataFrame,
    sources_by_unit: dict[str, dict[str, Path]],
    header_rows: dict[tuple[str, str], int],
    limits: Limits | None = None,
    personal: dict[tuple[str, str], dict[int, str]] | None = None,
    self_check: bool = False,
) -> dict[str, Path]:
    """One workbook per unit that has findings: folder/<safe unit>.xlsx. Returns unit -> path.

    Findings whose unit is unknown cannot be returned to anyone; they stay in 问题清单.xlsx.
    """
    return start_all_feedback(
        folder, findings, sources_by_unit, header_rows, limits, personal, self_check
    ).result()


class PendingFeedback:
    """Feedback workbooks being written by worker processes (or, serially, on `result()`)."""

    def __init__(self, jobs: list[tuple], pool=None, paths=None):
        self._jobs, self._pool, self._paths = jobs, pool, paths

    def result(self) -> dict[str, Path]:
        """unit -> path, in unit order, once every workbook is written."""
        if self._pool is None:
            return {job[1]: write_feedback(*job) for job in self._jobs}
        paths: list[Path] = []
        try:
            for path in self._paths:
                paths.append(path)
        except Exception as exc:  # noqa: BLE001
            # Workers that cannot start or died, or an error of write_feedback itself: the
            # rest is written here, so the outcome is the one of a serial run.
            log.warning(
                "parallel feedback stopped (%s); writing the remaining %d here",
                type(exc).__name__,
                len(self._jobs) - len(paths),
            )
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        paths += [write_feedback(*job) for job in self._jobs[len(paths) :]]
        return {job[1]: path for job, path in zip(self._jobs, paths, strict=True)}

    def cancel(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def start_all_feedback(
    folder: Path,
    findings: pd.DataFrame,
    sources_by_unit: dict[str, dict[str, Path]],
    header_rows: dict[tuple[str, str], int],
    limits: Limits | None = None,
    personal: dict[tuple[str, str], dict[int, str]] | None = None,
    self_check: bool = False,
) -> PendingFeedback:
    """write_all_feedback, started: with many units the workbooks are written by worker
    processes while the caller goes on (the other reports); `.result()` waits for them."""
    folder = Path(folder)
    root = folder.resolve()
    known = findings[findings["_unit"].notna()] if len(findings) else findings
    if len(known) < len(findings):
        log.info("%d findings without a unit: not returned", len(findings) - len(known))
    used: set[str] = set()
    jobs = []
    # one pass over the findings, not one per unit (a province has a thousand units)
    by_unit = dict(list(known.groupby(known["_unit"].astype(str), sort=True))) if len(known) else {}
    for unit in sorted(known["_unit"].astype(str).unique()):
        name = safe_component(unit)
        stem, n = name, 2
        while name.lower() in used:  # two unit names that sanitize alike
            name = f"{stem}-{n}"
            n += 1
        used.add(name.lower())
        path = folder / f"{name}.xlsx"
        if path.resolve().parent != root:
            raise ValueError(f"反馈文件路径越出输出目录：{path}")
        sources = sources_by_unit.get(unit, {})
        rows = {k: v for k, v in header_rows.items() if k[0] in sources}
        cols = {k: v for k, v in (personal or {}).items() if k[0] in sources}
        jobs.append(
            (path, unit, by_unit[unit], sources, rows, limits or Limits(), cols, self_check)
        )
    workers = parallel.worker_count(len(jobs), big_enough=len(jobs) >= PARALLEL_MIN_UNITS)
    if workers <= 1:
        return PendingFeedback(jobs)
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(workers, mp_context=parallel.context(["pipeline.reports.feedback"]))
    chunk = max(1, min(8, len(jobs) // (workers * 8)))
    return PendingFeedback(jobs, pool, pool.map(_feedback_job, jobs, chunksize=chunk))


# Many units (a province's townships): the workbooks are written by worker processes, one per
# core. Below this many the start of the workers costs more than it saves.
PARALLEL_MIN_UNITS = 32


def _feedback_job(job: tuple) -> Path:
    """write_feedback in a worker process (top level, so that spawn can pickle it)."""
    return write_feedback(*job)
