"""Return-to-sender workbooks (退回修改/<unit>.xlsx): the unit's own sheets, problem cells marked.

Privacy: the findings table (问题说明) shows the validator's `value`, already masked. The copied
sheets are the unit's own submission with ID and mobile numbers masked wherever they sit
(privacy.mask_cell): the file travels by e-mail or USB stick, and DESIGN.md keeps full numbers
to the internal roster and the store. The unit corrects its own original, where the full
number is. Nothing from another unit is ever written into it.

The originals under input/ are never modified: they are read, and the result is saved to a new
file through atomic_path.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import re
import warnings
import zipfile
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from pipeline import parallel
from pipeline.fsutil import atomic_path, safe_component
from pipeline.privacy import mask_cell
from pipeline.reports.xlsx import display_width, fit_cell_text

log = logging.getLogger(__name__)

AUTHOR = "县质强办"
SUMMARY_SHEET = "问题说明"

SEVERITY_ORDER = ("error", "noncompliant", "warning")
SEVERITY_LABELS = {"error": "错误", "noncompliant": "不合格", "warning": "提醒"}
# Full colour on the cell a finding points at; a light tint on the rest of a row-level
# finding's row.
SEVERITY_COLORS = {"error": "FFFF8080", "noncompliant": "FFFFB266", "warning": "FFFFF066"}
SEVERITY_TINTS = {"error": "FFFFE1E1", "noncompliant": "FFFFEBD6", "warning": "FFFFFBD6"}

TABLE_HEADERS = ("文件", "工作表", "行号", "列", "严重程度", "问题说明", "值")
_TABLE_WIDTHS = (22, 14, 7, 20, 10, 64, 26)

_OPENPYXL_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
# Same defaults as config.yaml limits (max_file_mb, max_unzipped_mb).
_MAX_FILE_BYTES = 50 * 1024 * 1024
_MAX_UNZIPPED_BYTES = 500 * 1024 * 1024


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


def _set_text(cell, text: object) -> None:
    """Write `text` as a string cell: never a formula, never an illegal XML character, never
    more than Excel holds."""
    value = fit_cell_text(ILLEGAL_CHARACTERS_RE.sub("", str(text)))
    cell.value = value
    cell.data_type = "s"


def _set_value(cell, value: object) -> None:
    """Write a value read by calamine (or csv) keeping its type; text stays text."""
    if isinstance(value, str):
        _set_text(cell, value)
        return
    cell.value = value
    if isinstance(value, dt.datetime):
        has_time = (value.hour, value.minute, value.second) != (0, 0, 0)
        cell.number_format = "yyyy-mm-dd hh:mm:ss" if has_time else "yyyy-mm-dd"
    elif isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, dt.time):
        cell.number_format = "hh:mm:ss"


# -- sheets of the sources ------------------------------------------------------------------


@dataclass
class _Target:
    """Where the findings of one (file, sheet) are drawn in the output workbook."""

    ws: Worksheet
    first_col: int = 1
    _max_col: int | None = None

    @property
    def max_col(self) -> int:
        # Worksheet.max_column scans every cell: ask once per sheet.
        if self._max_col is None:
            self._max_col = max(self.ws.max_column or 1, 1)
        return self._max_col

    def row_first_cell(self, row: int) -> int:
        """Column of the first non-empty cell of `row` (where a row-level finding is shown)."""
        for c in range(1, self.max_col + 1):
            if self.ws.cell(row=row, column=c).value not in (None, ""):
                return c
        return self.first_col


@dataclass
class _Copy:
    """The output workbook and the sheets it holds for each source (file, sheet)."""

    wb: Workbook
    targets: dict[tuple[str, str], _Target] = field(default_factory=dict)
    # csv files have one sheet whatever the findings call it.
    single_sheet_files: dict[str, _Target] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def target(self, file: str, sheet: str) -> _Target | None:
        return self.targets.get((file, sheet)) or self.single_sheet_files.get(file)


def _unique_sheet_name(wanted: str, taken: Iterable[str]) -> str:
    taken_lower = {t.lower() for t in taken}
    base = _SHEET_NAME_BAD.sub("_", wanted).strip("'") or "Sheet"
    name = base[:31]
    n = 2
    while name.lower() in taken_lower:
        suffix = f"~{n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    return name


def _too_large(src: Path) -> bool:
    """Sources are files ingest already read, but a file it refused (zip bomb, huge sheet) may
    still be listed: never load one whole."""
    try:
        if src.stat().st_size > _MAX_FILE_BYTES:
            return True
        if zipfile.is_zipfile(src):
            with zipfile.ZipFile(src) as zf:
                return sum(i.file_size for i in zf.infolist()) > _MAX_UNZIPPED_BYTES
    except (OSError, zipfile.BadZipFile):
        return False  # the reader will fail and say so
    return False


def _open_in_place(src: Path, file: str) -> _Copy | None:
    """The single-.xlsx case: the sender's own workbook, loaded whole (formulas, styles kept)."""
    if _too_large(src):
        return None
    try:
        with warnings.catch_warnings():
            # "Data Validation extension is not supported and will be removed": known, accepted.
            warnings.simplefilter("ignore", UserWarning)
            wb = load_workbook(src)
    except Exception as exc:  # any failure means: render instead
        log.info("openpyxl cannot open %s (%s); rendering a copy instead", src, exc)
        return None
    wb.template = False  # .xltx/.xltm: save as a plain workbook
    out = _Copy(wb)
    for ws in wb.worksheets:
        _mask_sheet(ws)
        out.targets[(file, ws.title)] = _Target(ws, ws.min_column)
    return out


def _mask_sheet(ws: Worksheet) -> None:
    """ID and mobile numbers in a loaded sender sheet, masked (formulas left alone)."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type in ("s", "n") and cell.value is not None:
                masked = mask_cell(cell.value)
                if masked is not cell.value:
                    _set_text(cell, masked)


def _calamine_rows(sheet) -> list[list[object]]:
    """Rows in Excel coordinates: row 0 is Excel row 1, column 0 is column A."""
    try:
        return sheet.to_python(skip_empty_area=False)
    except TypeError:  # an older python-calamine without the keyword
        rows = sheet.to_python()
        top, left = sheet.start if sheet.start else (0, 0)
        padding: list[list[object]] = [[] for _ in range(top)]
        return padding + [[""] * left + list(r) for r in rows]


def _read_csv_rows(src: Path) -> list[list[object]]:
    raw = src.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        text = str(best) if best is not None else raw.decode("utf-8", errors="replace")
    # The same dialect as ingest reads (only the delimiter sniffed), so cells land where the
    # findings point.
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    return [list(r) for r in reader]


def _fill_values(ws: Worksheet, rows: list[list[object]]) -> None:
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            _set_value(ws.cell(row=r, column=c), mask_cell(value))


def _auto_widths(ws: Worksheet, rows: list[list[object]]) -> None:
    widths: dict[int, int] = {}
    for row in rows[:2000]:
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            shown = value.strftime("%Y-%m-%d") if isinstance(value, dt.date) else value
            widths[c] = max(widths.get(c, 0), display_width(shown))
    for c, w in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = max(6, min(50, w + 2))


def _copy_styles(ws: Worksheet, src_ws: Worksheet) -> None:
    """Formatting of an openpyxl-readable sheet onto its rendered copy (values come from calamine:
    cached formula results, since the copy's sheet names differ from the original's)."""
    for row in src_ws.iter_rows():
        for cell in row:
            if not cell.has_style or isinstance(cell, MergedCell):
                continue
            tgt = ws.cell(row=cell.row, column=cell.column)
            tgt.font = copy(cell.font)
            tgt.fill = copy(cell.fill)
            tgt.border = copy(cell.border)
            tgt.alignment = copy(cell.alignment)
            if not isinstance(tgt.value, dt.date) or cell.is_date:
                tgt.number_format = cell.number_format
    for key, dim in src_ws.column_dimensions.items():
        if dim.width:
            ws.column_dimensions[key].width = dim.width
        ws.column_dimensions[key].hidden = dim.hidden
    for key, dim in src_ws.row_dimensions.items():
        if dim.height:
            ws.row_dimensions[key].height = dim.height
        ws.row_dimensions[key].hidden = dim.hidden
    ws.freeze_panes = src_ws.freeze_panes


def _emphasize_header(ws: Worksheet, header_row: int | None, width: int) -> None:
    if not header_row:
        return
    bold = Font(bold=True)
    for c in range(1, width + 1):
        cell = ws.cell(row=header_row, column=c)
        if cell.value is not None:
            cell.font = bold
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1).coordinate


def _render_file(
    out: _Copy, file: str, src: Path, header_rows: dict[tuple[str, str], int], csv_sheets: set[str]
) -> None:
    """Append faithful copies of every sheet of `src` to out.wb, cells at the same positions."""
    stem = Path(file).stem
    taken = out.wb.sheetnames
    if src.suffix.lower() == ".csv":
        rows = _read_csv_rows(src)
        label = next(iter(csv_sheets)) if len(csv_sheets) == 1 else ""
        ws = out.wb.create_sheet(_unique_sheet_name(f"{stem}-{label}" if label else stem, taken))
        _fill_values(ws, rows)
        _auto_widths(ws, rows)
        width = max((len(r) for r in rows), default=0)
        _emphasize_header(ws, header_rows.get((file, label)) if label else None, width)
        out.single_sheet_files[file] = _Target(ws, 1)
        return

    from python_calamine import CalamineWorkbook

    styled = None
    if src.suffix.lower() in _OPENPYXL_SUFFIXES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                styled = load_workbook(src)
        except Exception:  # styles are a bonus; values come from calamine
            styled = None
    with src.open("rb") as fh:
        book = CalamineWorkbook.from_filelike(fh)
        for meta in book.sheets_metadata:
            if "Chart" in str(meta.typ):
                continue
            sheet = book.get_sheet_by_name(meta.name)
            rows = _calamine_rows(sheet)
            ws = out.wb.create_sheet(_unique_sheet_name(f"{stem}-{meta.name}", out.wb.sheetnames))
            visible = str(meta.visible)
            if visible.endswith("VeryHidden"):
                ws.sheet_state = "veryHidden"
            elif visible.endswith("Hidden"):
                ws.sheet_state = "hidden"
            _fill_values(ws, rows)
            src_ws = styled[meta.name] if styled is not None and meta.name in styled else None
            if src_ws is not None:
                _copy_styles(ws, src_ws)
                merged = [str(r) for r in src_ws.merged_cells.ranges]
            else:
                _auto_widths(ws, rows)
                width = max((len(r) for r in rows), default=0)
                _emphasize_header(ws, header_rows.get((file, meta.name)), width)
                try:
                    merged = [
                        f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}"
                        for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])
                    ]
                except Exception:  # ods: no merged ranges
                    merged = []
            for rng in merged:
                if ":" in rng and rng.split(":")[0] != rng.split(":")[1]:
                    ws.merge_cells(rng)
            first_col = min((i + 1 for r in rows for i, v in enumerate(r) if v != ""), default=1)
            out.targets[(file, meta.name)] = _Target(ws, first_col)


def _render(
    sources: dict[str, Path],
    header_rows: dict[tuple[str, str], int],
    sheets_by_file: dict[str, set[str]],
) -> _Copy:
    wb = Workbook()
    wb.remove(wb.active)
    out = _Copy(wb)
    for file in sorted(sources):
        src = Path(sources[file])
        before = set(wb.sheetnames)
        try:
            if _too_large(src):
                raise ValueError("file too large to copy")
            _render_file(out, file, src, header_rows, sheets_by_file.get(file, set()))
        except Exception as exc:  # one unreadable source must not stop the rest
            log.warning("cannot copy %s into the feedback workbook: %s", src, exc)
            out.unreadable.append(file)
            for name in set(wb.sheetnames) - before:  # no half-copied file
                wb.remove(wb[name])
            out.targets = {k: v for k, v in out.targets.items() if k[0] != file}
            out.single_sheet_files.pop(file, None)
    return out


# -- marking --------------------------------------------------------------------------------


def _comment_text(items: list[tuple[str, str]]) -> str:
    lines = [f"{AUTHOR}："]
    numbered = len(items) > 1
    for i, (severity, message) in enumerate(items, start=1):
        prefix = f"{i}. " if numbered else ""
        lines.append(f"{prefix}【{SEVERITY_LABELS.get(severity, severity)}】{message}")
    return "\n".join(lines)


def _comment(text: str, existing: Comment | None) -> Comment:
    if existing is not None and existing.text:
        text = f"{existing.text.rstrip()}\n\n{text}"
    visual_lines = sum(max(1, math.ceil(display_width(line) / 40)) for line in text.split("\n"))
    return Comment(text, AUTHOR, height=min(400, 24 + 16 * visual_lines), width=260)


def _anchor(ws: Worksheet, row: int, col: int):
    """The writable cell showing (row, col): the top-left cell of a merged range."""
    cell = ws.cell(row=row, column=col)
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if cell.coordinate in rng:
                return ws.cell(row=rng.min_row, column=rng.min_col)
    return cell


def _mark_sheet(target: _Target, rows: pd.DataFrame) -> None:
    """Fill and comment every cell of `rows` (findings of one sheet); the worst severity wins."""
    ws = target.ws
    marks: dict[tuple[int, int], list[tuple[str, str]]] = {}
    tinted_rows: dict[int, str] = {}
    for f in rows.to_dict("records"):
        row = int(f["_row"])
        if _present(f["col"]):
            col = int(f["col"]) + 1
        else:
            col = target.row_first_cell(row)
            prev = tinted_rows.get(row)
            if prev is None or _severity_rank(f["severity"]) < _severity_rank(prev):
                tinted_rows[row] = str(f["severity"])
        cell = _anchor(ws, row, col)
        marks.setdefault((cell.row, cell.column), []).append(
            (str(f["severity"]), _text(f["message"]))
        )

    last_col = target.max_col
    for row, severity in tinted_rows.items():
        tint = PatternFill(fill_type="solid", fgColor=SEVERITY_TINTS.get(severity, "FFFFFFFF"))
        for c in range(1, last_col + 1):
            cell = ws.cell(row=row, column=c)
            if (row, c) in marks or isinstance(cell, MergedCell):
                continue
            cell.fill = tint

    for (row, col), items in marks.items():
        items.sort(key=lambda it: _severity_rank(it[0]))
        cell = ws.cell(row=row, column=col)
        worst = items[0][0]
        cell.fill = PatternFill(fill_type="solid", fgColor=SEVERITY_COLORS.get(worst, "FFFF8080"))
        cell.comment = _comment(_comment_text(items), cell.comment)


# -- the 问题说明 sheet ------------------------------------------------------------------------


def _sorted_findings(findings: pd.DataFrame) -> pd.DataFrame:
    order = findings.assign(
        __rank=findings["severity"].map(_severity_rank),
        __row=pd.to_numeric(findings["_row"], errors="coerce"),
        __col=pd.to_numeric(findings["col"], errors="coerce"),
    )
    order = order.sort_values(
        ["__rank", "_file", "_sheet", "__row", "__col"], na_position="first", kind="stable"
    )
    return order.drop(columns=["__rank", "__row", "__col"])


def _column_label(f: dict) -> str:
    letter = get_column_letter(int(f["col"]) + 1) if _present(f["col"]) else ""
    header = _text(f.get("column"))
    if letter and header:
        return f"{letter}（{header}）"
    return letter or header


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _write_summary(
    ws: Worksheet, unit: str, findings: pd.DataFrame, copy_: _Copy, missing: list[str]
) -> None:
    ncols = len(TABLE_HEADERS)
    last = get_column_letter(ncols)
    thin = Side(style="thin", color="FF999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    _set_text(ws["A1"], f"{unit} 首席质量官报送数据退回修改说明")
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30

    counts = findings["severity"].value_counts()
    errors = findings[findings["severity"] == "error"]
    error_rows = errors.dropna(subset=["_row"])[["_file", "_sheet", "_row"]].drop_duplicates()
    notes = [
        "请按下表逐条修改后重新报送；红色单元格为错误，必须修改（该行数据未被采用）；"
        "橙色为不合格（数据已登记，但首席质量官不符合任职条件，请核实或更换人选）；"
        "黄色为提醒（请核实，确认无误可不改）。",
        f"共 {len(findings)} 条：错误 {int(counts.get('error', 0))} 条"
        f"（涉及 {len(error_rows)} 行），不合格 {int(counts.get('noncompliant', 0))} 条，"
        f"提醒 {int(counts.get('warning', 0))} 条。本工作簿后面的工作表是贵单位报送的原表，"
        "问题单元格已标色并加批注（鼠标移到单元格上可查看）；点击下表的行号可跳转到该单元格。"
        "请在贵单位自己的原文件中修改后重新报送，不要直接报送本文件。",
        "为保护个人信息，下表“值”列中的身份证号、手机号已部分隐去；原表中的数据未作改动。",
    ]
    if missing:
        notes.append(
            "以下文件无法读取，未附原表，请按表中位置在原文件中修改：" + "、".join(missing)
        )
    for i, note in enumerate(notes, start=2):
        cell = ws.cell(row=i, column=1)
        _set_text(cell, note)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=ncols)
        ws.row_dimensions[i].height = 16 * max(1, math.ceil(display_width(note) / 150)) + 4

    head = len(notes) + 3
    header_fill = PatternFill(fill_type="solid", fgColor="FFD9E1F2")
    for c, label in enumerate(TABLE_HEADERS, start=1):
        cell = ws.cell(row=head, column=c)
        _set_text(cell, label)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = _TABLE_WIDTHS[c - 1]

    link_font = Font(color="FF0563C1", underline="single")
    r = head
    for r, f in enumerate(_sorted_findings(findings).to_dict("records"), start=head + 1):
        severity = str(f["severity"])
        row_no = int(f["_row"]) if _present(f["_row"]) else None
        values = (
            _text(f["_file"]),
            _text(f["_sheet"]),
            row_no,
            _column_label(f),
            SEVERITY_LABELS.get(severity, severity),
            _text(f["message"]),
            _text(f.get("value")),
        )
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                if value:
                    _set_text(cell, value)
            elif value is not None:
                cell.value = value
            cell.border = border
            cell.alignment = wrap
        sev_cell = ws.cell(row=r, column=5)
        sev_cell.fill = PatternFill(fill_type="solid", fgColor=SEVERITY_COLORS.get(severity))
        target = copy_.target(_text(f["_file"]), _text(f["_sheet"]))
        if target is not None and row_no is not None:
            col = int(f["col"]) + 1 if _present(f["col"]) else target.row_first_cell(row_no)
            cell = ws.cell(row=r, column=3)
            location = f"{_quoted(target.ws.title)}!{get_column_letter(col)}{row_no}"
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location)
            cell.font = link_font

    ws.freeze_panes = ws.cell(row=head + 1, column=1).coordinate
    ws.auto_filter.ref = f"A{head}:{last}{max(r, head)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{head}:{head}"


# -- public API -----------------------------------------------------------------------------


def write_feedback(
    path: Path,
    unit: str,
    findings: pd.DataFrame,
    sources: dict[str, Path],
    header_rows: dict[tuple[str, str], int],
) -> Path:
    """Write the return-to-sender workbook of one unit and return its path.

    `findings`: the unit's findings (docs/frames.md §4). `sources`: _file -> original file, read
    and never modified. A single .xlsx source is loaded whole and marked (formats, formulas,
    hidden sheets kept); several sources, or a .xls/.ods/.csv one, are rendered sheet by sheet
    ("<file stem>-<sheet>") with every value at its original row and column.
    """
    path = Path(path)
    sheets_by_file: dict[str, set[str]] = {}
    for file, sheet in findings[["_file", "_sheet"]].drop_duplicates().itertuples(index=False):
        if _present(file) and _present(sheet):
            sheets_by_file.setdefault(str(file), set()).add(str(sheet))

    copy_: _Copy | None = None
    if len(sources) == 1:
        ((file, src),) = sources.items()
        if Path(src).suffix.lower() in _OPENPYXL_SUFFIXES:
            copy_ = _open_in_place(Path(src), file)
    if copy_ is None:
        copy_ = _render(sources, header_rows, sheets_by_file)

    wb = copy_.wb
    summary = wb.create_sheet(_unique_sheet_name(SUMMARY_SHEET, wb.sheetnames), 0)
    missing = sorted(set(copy_.unreadable) | {f for f in sheets_by_file if f not in sources})
    _write_summary(summary, unit, findings, copy_, missing)

    cells = findings[findings["_row"].notna()] if len(findings) else findings
    for (file, sheet), rows in cells.groupby(["_file", "_sheet"], dropna=False, sort=True):
        target = copy_.target(_text(file), _text(sheet))
        if target is None:
            log.info("no copied sheet for %s / %s: findings listed only", file, sheet)
            continue
        _mark_sheet(target, rows)

    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = False
    summary.sheet_view.tabSelected = True
    wb.active = 0
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def write_all_feedback(
    folder: Path,
    findings: pd.DataFrame,
    sources_by_unit: dict[str, dict[str, Path]],
    header_rows: dict[tuple[str, str], int],
) -> dict[str, Path]:
    """One workbook per unit that has findings: folder/<safe unit>.xlsx. Returns unit -> path.

    Findings whose unit is unknown cannot be returned to anyone; they stay in 问题清单.xlsx.
    """
    return start_all_feedback(folder, findings, sources_by_unit, header_rows).result()


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
            log.warning("parallel feedback stopped (%s); writing the remaining %d here",
                        type(exc).__name__, len(self._jobs) - len(paths))
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        paths += [write_feedback(*job) for job in self._jobs[len(paths):]]
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
        jobs.append((path, unit, by_unit[unit], sources, rows))
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
