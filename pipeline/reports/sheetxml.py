"""Plain tables written straight to SpreadsheetML: the writer of 花名册.xlsx and 问题清单.xlsx.

xlsxwriter spends ~3 µs on every cell (a call, a type check, XML escaping, a temp file write);
a province's roster book has half a million cells. These books need little of what it offers
— text, number and date cells, a few fixed cell styles, column widths, a frozen header, an
autofilter and rows coloured by a column's value — so they are written here column by column:
text goes to the shared-string table (escaped once per distinct string, repeated values cost a
dictionary lookup), or, for columns where nearly every value differs (names, ID numbers,
phones), inline, so memory does not grow with a national roster. The output is what
xlsxwriter's constant_memory mode writes, plus a shared-string table: every cell is a string
or a number (a date is a number in a date format), never a formula or a link (text starting
with "=" stays text).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from xlsxwriter.utility import quote_sheetname, xl_col_to_name

from pipeline.reports.xlsx import EXCEL_MAX_CHARS, fit_cell_text

# Cell styles (indices into cellXfs of STYLES_XML).
DEFAULT = 0
HEADER = 1  # bold on light blue, thin border, wrapped, centred
TEXT = 2  # number format "@": a clerk's later edit of an identifier stays text
TITLE = 3  # bold 12 pt
TOTAL = 4  # bold with a top border
DATE = 5  # number format yyyy-mm-dd (a date cell: an Excel serial number)
MONTH = 6  # number format yyyy-mm (a date known to the month only, e.g. 出生年月 1985.06)
WRAP = 7  # wrapped text (long messages)

_ROWS_PER_CHUNK = 2000  # rows serialized at a time (bounds memory at a national scale)
_INLINE_RATIO = 0.7  # a text column whose sample is this distinct is written inline
_SAMPLE = 2000
_DEFLATE_LEVEL = 1  # repetitive XML: level 1 deflates ~4x faster than 6, files ~25% larger

_NS = (
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# What the plain path cannot write as is: XML specials, control characters (those XML 1.0
# forbids, and \r, which an XML reader turns into \n), text Excel would read as its own
# _xHHHH_ escape, and whitespace at either end (xml:space). As xlsxwriter does, control
# characters are written as _xHHHH_, which Excel reads back as the character.
_NEEDS_CARE = re.compile(
    r"[&<>\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_|^\s|\s$"
)
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_EDGE_SPACE = re.compile(r"^\s|\s$")


def _t(text: str) -> str:
    """`text` as a <t> element (cut to Excel's cell limit, escaped)."""
    if len(text) > EXCEL_MAX_CHARS // 2:
        text = fit_cell_text(text)
    if _NEEDS_CARE.search(text) is None:
        return f"<t>{text}</t>"
    s = _EXCEL_ESCAPE.sub(r"_x005F_\1", text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _FORBIDDEN.sub(lambda m: f"_x{ord(m.group()):04X}_", s)
    s = _SURROGATE.sub("\ufffd", s)
    if _EDGE_SPACE.search(text):
        return f'<t xml:space="preserve">{s}</t>'
    return f"<t>{s}</t>"


def _plain(texts: Sequence[str]) -> bool:
    """Whether every text can be written as is (the usual case): no escaping, no cut. A few
    scans over the joined texts instead of a regular expression per text."""
    if not texts:
        return True
    joined = "\n".join(texts)  # "\n" is not special, and stripped below if at an edge
    return (
        _SPECIAL.search(joined) is None
        and ("_x" not in joined or _EXCEL_ESCAPE.search(joined) is None)
        and "\n".join([t.strip() for t in texts]) == joined
        and max(map(len, texts)) <= EXCEL_MAX_CHARS // 2
    )


class _SharedStrings:
    """The shared-string table: text -> its index, as the text written into cells."""

    def __init__(self) -> None:
        self.index: dict[str, str] = {}

    def add(self, text: str) -> str:
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = str(len(self.index))
        return i


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return _esc(text).replace('"', "&quot;")


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def excel_width(chars: float) -> float:
    """Column width as Excel stores it for `chars` characters (xlsxwriter's conversion)."""
    max_digit, padding = 7, 5
    if chars <= 0:
        return 0.0
    if chars < 1:
        pixels = int(chars * (max_digit + padding) + 0.5)
    else:
        pixels = int(chars * max_digit + 0.5) + padding
    return int(pixels / max_digit * 256) / 256


# A wrapped cell's row is given the height of its lines: Excel fits such a row when it opens
# the file, LibreOffice does not.
_LINE_HEIGHT = 15.0  # points per line of 11 pt text, CJK included
_MAX_ROW_HEIGHT = 409.0  # Excel's limit

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_EXCEL_FIRST = np.datetime64("1900-01-01", "D")
_EXCEL_LEAP_BUG = np.datetime64("1900-03-01", "D")


def date_serials(values: object) -> np.ndarray:
    """Excel serial numbers (1900 date system: days since 1899-12-30, a time as the fraction
    of a day) of datetime64 values (a Series, an array or a list); NaN where a value is
    missing or before 1900 (which Excel cannot show as a date). Before 1900-03-01 a serial is
    one less, as Excel counts the 29 February 1900 that never was."""
    arr = np.asarray(values, dtype="datetime64[ns]")
    missing = np.isnat(arr)
    days = arr.astype("datetime64[D]")
    whole = (days - _EXCEL_EPOCH).astype("int64").astype("float64")
    fraction = (arr - days).astype("timedelta64[ns]").astype("int64") / 86_400e9
    serial = whole + fraction
    early = ~missing & (days < _EXCEL_LEAP_BUG)
    serial[early] -= 1
    serial[missing | (days < _EXCEL_FIRST)] = np.nan
    return serial


@dataclass
class Column:
    """One column of a table: `values` are str or None (text), or float or None (numeric).

    A `date` column holds float (an Excel serial, see date_serials: a date cell, yyyy-mm-dd,
    or yyyy-mm where `month_only` is true), str (text that is not a date, written as text) or
    None. `wrap`: text cells (and the empty column) wrap within the column width."""

    header: str
    values: Sequence[object]
    numeric: bool = False
    text_format: bool = False  # cells and the empty column formatted as text ("@")
    width: float = 10.0
    date: bool = False
    month_only: Sequence[bool] | None = None  # per value, for a date column
    wrap: bool = False


@dataclass
class _Sheet:
    name: str
    n_cols: int
    n_rows: int  # including the header row
    freeze: tuple[int, int] | None = None  # (rows, cols)
    autofilter: bool = False
    widths: dict[int, tuple[float, int]] = field(default_factory=dict)  # col -> (chars, style)
    heights: dict[int, float] = field(default_factory=dict)  # 0-based row -> points
    highlight: list[tuple[str, int]] = field(default_factory=list)  # (formula, dxf id)
    columns: Sequence[Column] | None = None  # a table...
    cells: list[tuple[int, int, object, int]] | None = None  # ...or free cells (r, c, v, style)

    @property
    def fits_one_page_wide(self) -> bool:
        """Narrow enough to print one A4 landscape page wide and stay legible (at most ~250
        characters of columns: ~70 % scale); a wider sheet prints across pages instead."""
        return sum(chars for chars, _ in self.widths.values()) <= FIT_WIDTH_CHARS


# The widest sheet printed scaled to one page wide (sum of column widths, in characters).
FIT_WIDTH_CHARS = 250


class Book:
    """A workbook of tables and small free-form sheets, written by `save`."""

    def __init__(self, title: str, author: str = "县质强办", comments: str = "由 cqo 生成") -> None:
        self.title, self.author, self.comments = title, author, comments
        self._sheets: list[_Sheet] = []
        self._dxfs: list[tuple[str | None, str | None]] = []  # (font colour, fill colour)

    def dxf(self, font_color: str | None = None, bg_color: str | None = None) -> int:
        """Id of a conditional format (font and/or fill colour, "#RRGGBB")."""
        key = (font_color, bg_color)
        if key not in self._dxfs:
            self._dxfs.append(key)
        return self._dxfs.index(key)

    def add_table(
        self,
        name: str,
        columns: Sequence[Column],
        *,
        freeze_cols: int = 0,
        highlight: tuple[int, dict[str, int]] | None = None,
        header_height: float = 30,
    ) -> None:
        """Header row and one row per value; frozen header, autofilter, widths.
        `highlight` = (column index, {value: dxf id}): rows whose cell in that column equals a
        value get that format."""
        n = max((len(c.values) for c in columns), default=0)
        sheet = _Sheet(name, len(columns), n + 1, freeze=(1, freeze_cols), autofilter=bool(columns))
        sheet.columns = columns
        sheet.heights[0] = header_height
        for c, col in enumerate(columns):
            sheet.widths[c] = (col.width, _column_style(col))
        if highlight is not None and n:
            at, formats = highlight
            letter = xl_col_to_name(at)
            for value, dxf_id in formats.items():
                sheet.highlight.append((f'${letter}2="{value}"', dxf_id))
        self._sheets.append(sheet)

    def add_cells(
        self,
        name: str,
        cells: list[tuple[int, int, object, int]],
        widths: dict[int, float] | None = None,
        column_styles: dict[int, int] | None = None,
    ) -> None:
        """A small sheet of single cells: (row, col, str or number, style). `column_styles`:
        the style of a column's empty cells (WRAP for a column of long texts)."""
        n_rows = max((r for r, *_ in cells), default=0) + 1
        n_cols = max((c for _, c, *_ in cells), default=0) + 1
        sheet = _Sheet(name, n_cols, n_rows)
        sheet.cells = sorted(cells, key=lambda x: (x[0], x[1]))
        styles = column_styles or {}
        sheet.widths = {c: (w, styles.get(c, DEFAULT)) for c, w in (widths or {}).items()}
        for r, c, value, style in sheet.cells:
            if style == WRAP and isinstance(value, str) and c in sheet.widths:
                lines = int(wrapped_lines([value], sheet.widths[c][0])[0])
                if lines > 1:
                    height = min(lines * _LINE_HEIGHT, _MAX_ROW_HEIGHT)
                    sheet.heights[r] = max(sheet.heights.get(r, 0.0), height)
        self._sheets.append(sheet)

    # -- writing ---------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the workbook: sheets streamed a chunk of rows at a time (the shared-string
        table last, once every sheet has added to it)."""
        shared = _SharedStrings()
        with zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_DEFLATE_LEVEL
        ) as zf:
            for i, sheet in enumerate(self._sheets, start=1):
                # ZIP64 only where an entry could pass 2 GiB (~30 bytes a cell): some readers
                # do not expect it.
                big = sheet.n_rows * max(sheet.n_cols, 1) > 50_000_000
                with zf.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=big) as fh:
                    for chunk in self._sheet_xml(sheet, i == 1, shared):
                        fh.write(chunk.encode("utf-8"))
            with zf.open("xl/sharedStrings.xml", "w") as fh:
                for chunk in _shared_strings_xml(shared):
                    fh.write(chunk.encode("utf-8"))
            for name, text in (
                ("[Content_Types].xml", self._content_types()),
                ("_rels/.rels", _ROOT_RELS),
                ("docProps/app.xml", self._app()),
                ("docProps/core.xml", self._core()),
                ("xl/workbook.xml", self._workbook()),
                ("xl/_rels/workbook.xml.rels", self._workbook_rels()),
                ("xl/styles.xml", self._styles()),
            ):
                zf.writestr(name, text)

    def _sheet_xml(self, sheet: _Sheet, first: bool, shared: _SharedStrings) -> Iterator[str]:
        last_col = xl_col_to_name(max(sheet.n_cols - 1, 0))
        ref = f"A1:{last_col}{max(sheet.n_rows, 1)}"
        fit = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if sheet.fits_one_page_wide else ""
        head = [_DECL, f"<worksheet {_NS}>", fit, f'<dimension ref="{ref}"/>', "<sheetViews>"]
        selected = ' tabSelected="1"' if first else ""
        head.append(f'<sheetView{selected} workbookViewId="0">')
        head.append(_pane(sheet.freeze))
        head.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
        if sheet.widths:
            head.append("<cols>")
            for c in sorted(sheet.widths):
                chars, style = sheet.widths[c]
                s = f' style="{style}"' if style else ""
                head.append(
                    f'<col min="{c + 1}" max="{c + 1}" width="{excel_width(chars)}"{s} '
                    'customWidth="1"/>'
                )
            head.append("</cols>")
        head.append("<sheetData>")
        yield "".join(head)
        if sheet.columns is not None:
            yield from _table_rows(sheet, shared)
        else:
            yield _cell_rows(sheet, shared)
        tail = ["</sheetData>"]
        if sheet.autofilter:
            tail.append(f'<autoFilter ref="{ref}"/>')
        if sheet.highlight:
            tail.append(f'<conditionalFormatting sqref="A2:{last_col}{sheet.n_rows}">')
            for priority, (formula, dxf_id) in enumerate(sheet.highlight, start=1):
                tail.append(
                    f'<cfRule type="expression" dxfId="{dxf_id}" priority="{priority}">'
                    f"<formula>{_esc(formula)}</formula></cfRule>"
                )
            tail.append("</conditionalFormatting>")
        # Printed A4 landscape; one page wide when that stays legible; the header row of a
        # table repeats on every page (_workbook's Print_Titles).
        scale = ' fitToWidth="1" fitToHeight="0"' if sheet.fits_one_page_wide else ""
        tail.append(
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            f'footer="0.3"/><pageSetup paperSize="9" orientation="landscape"{scale}/>'
            "</worksheet>"
        )
        yield "".join(tail)

    def _content_types(self) -> str:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(self._sheets) + 1)
        )
        return (
            _DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.extended-properties+xml"/><Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/>' + sheets + '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'sharedStrings+xml"/></Types>'
        )

    def _workbook(self) -> str:
        sheets, names = [], []
        for i, sheet in enumerate(self._sheets):
            sheets.append(
                f'<sheet name="{_attr(sheet.name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            )
            if sheet.autofilter:
                last = xl_col_to_name(max(sheet.n_cols - 1, 0))
                target = f"{quote_sheetname(sheet.name)}!$A$1:${last}${max(sheet.n_rows, 1)}"
                names.append(
                    f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                    f"{_esc(target)}</definedName>"
                )
            if sheet.columns is not None:  # a table: its header row on every printed page
                titles = f"{quote_sheetname(sheet.name)}!$1:$1"
                names.append(
                    f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                    f"{_esc(titles)}</definedName>"
                )
        defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
        return (
            _DECL + f"<workbook {_NS}>"
            '<workbookPr defaultThemeVersion="124226"/><bookViews><workbookView xWindow="240" '
            'yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews>'
            f"<sheets>{''.join(sheets)}</sheets>{defined}"
            '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
        )

    def _workbook_rels(self) -> str:
        n = len(self._sheets)
        rels = [
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        ]
        rels.append(f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>')
        rels.append(
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
        )
        return (
            _DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships">{"".join(rels)}</Relationships>'
        )

    def _styles(self) -> str:
        dxfs = []
        for font, fill in self._dxfs:
            part = f'<font><color rgb="{_argb(font)}"/></font>' if font else ""
            if fill:
                part += f'<fill><patternFill><bgColor rgb="{_argb(fill)}"/></patternFill></fill>'
            dxfs.append(f"<dxf>{part}</dxf>")
        return STYLES_XML.replace("{dxfs}", f'<dxfs count="{len(dxfs)}">{"".join(dxfs)}</dxfs>')

    def _core(self) -> str:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            _DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/'
            'dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{_esc(self.title)}</dc:title><dc:creator>{_esc(self.author)}"
            f"</dc:creator><dc:description>{_esc(self.comments)}</dc:description>"
            f"<cp:lastModifiedBy>{_esc(self.author)}</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
            "</cp:coreProperties>"
        )

    def _app(self) -> str:
        n = len(self._sheets)
        names = "".join(f"<vt:lpstr>{_esc(s.name)}</vt:lpstr>" for s in self._sheets)
        return (
            _DECL + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
            '2006/docPropsVTypes"><Application>Microsoft Excel</Application><DocSecurity>0'
            '</DocSecurity><ScaleCrop>false</ScaleCrop><HeadingPairs><vt:vector size="2" '
            'baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>'
            f"<vt:variant><vt:i4>{n}</vt:i4></vt:variant></vt:vector></HeadingPairs>"
            f'<TitlesOfParts><vt:vector size="{n}" baseType="lpstr">{names}</vt:vector>'
            "</TitlesOfParts><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
            "<HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion>"
            "</Properties>"
        )


# -- sheet data ------------------------------------------------------------------------------


def _pane(freeze: tuple[int, int] | None) -> str:
    if not freeze or freeze == (0, 0):
        return ""
    rows, cols = freeze
    top_left = f"{xl_col_to_name(cols)}{rows + 1}"
    if cols == 0:
        return (
            f'<pane ySplit="{rows}" topLeftCell="{top_left}" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft"/>'
        )
    if rows == 0:
        return (
            f'<pane xSplit="{cols}" topLeftCell="{top_left}" activePane="topRight" '
            'state="frozen"/><selection pane="topRight"/>'
        )
    letter = xl_col_to_name(cols)
    return (
        f'<pane xSplit="{cols}" ySplit="{rows}" topLeftCell="{top_left}" '
        'activePane="bottomRight" state="frozen"/>'
        f'<selection pane="topRight" activeCell="{letter}1" sqref="{letter}1"/>'
        f'<selection pane="bottomLeft" activeCell="A{rows + 1}" sqref="A{rows + 1}"/>'
        '<selection pane="bottomRight"/>'
    )


def _row_open(sheet: _Sheet, r: int) -> str:
    height = sheet.heights.get(r)
    if height is None:
        return f'<row r="{r + 1}">'
    return f'<row r="{r + 1}" ht="{height:g}" customHeight="1">'


def _inline(values: Sequence[object]) -> bool:
    """Whether a text column is nearly all distinct values (names, IDs): written inline."""
    sample = [v for v in values[:_SAMPLE] if v is not None]
    return len(sample) >= 50 and len(set(sample)) >= _INLINE_RATIO * len(sample)


def wrapped_lines(texts: Sequence[object], width: float) -> np.ndarray:
    """About how many lines each text (str; anything else counts 1) takes wrapped in a column
    `width` characters wide. Display width as (UTF-8 bytes + characters) / 2: CJK 2, ASCII 1,
    without a Unicode lookup per character (an issue list may have a million messages)."""
    usable = max(width - 1.5, 1.0)
    return np.fromiter(
        (
            math.ceil((len(t.encode("utf-8", "replace")) + len(t)) / 2 / usable) + t.count("\n")
            if isinstance(t, str) and t
            else 1
            for t in texts
        ),
        dtype=np.int64,
        count=len(texts),
    )


def _row_heights(lines: np.ndarray) -> list[str]:
    """Row attributes for rows of `lines` lines: a height where there is more than one."""
    heights = np.minimum(lines * _LINE_HEIGHT, _MAX_ROW_HEIGHT)
    return [
        f' ht="{h:g}" customHeight="1"' if n > 1 else ""
        for n, h in zip(lines.tolist(), heights.tolist(), strict=True)
    ]


def _column_style(col: Column) -> int:
    if col.date:
        return DATE
    if col.text_format:
        return TEXT
    return WRAP if col.wrap else DEFAULT


def _date_cells(
    pre: str, rows: list[str], values: Sequence[object], months: Sequence[bool] | None, shared
) -> list[str]:
    """A date column's cells: a serial in the date (or month) format, else the text as is."""
    add, get = shared.add, shared.index.get
    day, month = f'" s="{DATE}"><v>', f'" s="{MONTH}"><v>'
    if months is None:
        months = [False] * len(values)
    return [
        f"{pre}{r}{month if m else day}{_number(v)}</v></c>"
        if isinstance(v, float) and math.isfinite(v)
        else f'{pre}{r}" t="s"><v>{get(v) or add(v)}</v></c>'
        if isinstance(v, str) and v
        else ""
        for r, v, m in zip(rows, values, months, strict=True)
    ]


def _table_rows(sheet: _Sheet, shared: _SharedStrings) -> Iterator[str]:
    columns = sheet.columns or []
    add, get = shared.add, shared.index.get
    header = "".join(
        f'<c r="{xl_col_to_name(c)}1" s="{HEADER}" t="s"><v>{add(col.header)}</v></c>'
        for c, col in enumerate(columns)
    )
    yield f"{_row_open(sheet, 0)}{header}</row>"
    kinds = []
    for c, col in enumerate(columns):
        style = _column_style(col)
        style_attr = f' s="{style}"' if style in (TEXT, WRAP) else ""
        if col.date:
            kind = "d"
        else:
            kind = "n" if col.numeric else "i" if _inline(col.values) else "s"
        kinds.append((f'<c r="{xl_col_to_name(c)}', style_attr, kind))
    n = sheet.n_rows - 1
    for start in range(0, n, _ROWS_PER_CHUNK):
        stop = min(start + _ROWS_PER_CHUNK, n)
        rows = [str(r) for r in range(start + 2, stop + 2)]
        per_column = []
        for col, (pre, style, kind) in zip(columns, kinds, strict=True):
            values = col.values[start:stop]
            if len(values) < stop - start:  # a short column: pad with empty cells
                values = [*values, *[None] * (stop - start - len(values))]
            if kind == "d":
                months = None
                if col.month_only is not None:
                    months = list(col.month_only[start:stop])
                    months += [False] * (stop - start - len(months))
                per_column.append(_date_cells(pre, rows, values, months, shared))
                continue
            if kind == "s":  # `get(v) or add(v)`: a call only for a text not seen before
                mid = f'"{style} t="s"><v>'
                cells = [
                    "" if v is None else f"{pre}{r}{mid}{get(v) or add(v)}</v></c>"
                    for r, v in zip(rows, values, strict=True)
                ]
            elif kind == "i":
                mid = f'"{style} t="inlineStr"><is>'
                if _plain([v for v in values if v is not None]):
                    cells = [
                        "" if v is None else f"{pre}{r}{mid}<t>{v}</t></is></c>"
                        for r, v in zip(rows, values, strict=True)
                    ]
                else:
                    cells = [
                        "" if v is None else f"{pre}{r}{mid}{_t(v)}</is></c>"
                        for r, v in zip(rows, values, strict=True)
                    ]
            else:
                mid = f'"{style}><v>'
                cells = [
                    ""
                    if v is None or not math.isfinite(v)
                    else f"{pre}{r}{mid}{_number(v)}</v></c>"
                    for r, v in zip(rows, values, strict=True)
                ]
            per_column.append(cells)
        wrapped = [
            wrapped_lines(_padded(col.values[start:stop], stop - start), col.width)
            for col in columns
            if col.wrap and not col.date and not col.numeric
        ]
        if wrapped:
            attrs = _row_heights(np.maximum.reduce(wrapped))
            yield "".join(
                f'<row r="{r}"{a}>{"".join(cells)}</row>'
                for r, a, cells in zip(rows, attrs, zip(*per_column, strict=True), strict=True)
            )
            continue
        yield "".join(
            f'<row r="{r}">{"".join(cells)}</row>'
            for r, cells in zip(rows, zip(*per_column, strict=True), strict=True)
        )


def _padded(values: Sequence[object], n: int) -> Sequence[object]:
    return values if len(values) >= n else [*values, *[None] * (n - len(values))]


def _cell_rows(sheet: _Sheet, shared: _SharedStrings) -> str:
    out: list[str] = []
    current = None
    for r, c, value, style in sheet.cells or []:
        if r != current:
            if current is not None:
                out.append("</row>")
            out.append(_row_open(sheet, r))
            current = r
        s = f' s="{style}"' if style else ""
        ref = f"{xl_col_to_name(c)}{r + 1}"
        if isinstance(value, bool):
            value = "是" if value else "否"
        if isinstance(value, int | float):
            if math.isfinite(value):
                out.append(f'<c r="{ref}"{s}><v>{_number(float(value))}</v></c>')
        elif value is not None:
            out.append(f'<c r="{ref}"{s} t="s"><v>{shared.add(str(value))}</v></c>')
    if current is not None:
        out.append("</row>")
    return "".join(out)


def _shared_strings_xml(shared: _SharedStrings) -> Iterator[str]:
    n = len(shared.index)
    yield f'{_DECL}<sst {_NS.split(" ")[0]} count="{n}" uniqueCount="{n}">'
    items = list(shared.index)  # insertion order is index order
    for start in range(0, n, 20_000):
        chunk = items[start : start + 20_000]
        if _plain(chunk):
            yield "<si><t>" + "</t></si><si><t>".join(chunk) + "</t></si>"
        else:
            yield "".join(f"<si>{_t(s)}</si>" for s in chunk)
    yield "</sst>"


def _argb(color: str) -> str:
    return "FF" + color.lstrip("#").upper()


_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROOT_RELS = (
    _DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
    'metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)

# Fonts, fills, borders and the cell styles (DEFAULT, HEADER, TEXT, TITLE, TOTAL, DATE, MONTH,
# WRAP). The date formats are custom (164+): the built-in 14 shows as the reader's locale has it.
STYLES_XML = (
    _DECL + '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="@"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="166" formatCode="yyyy-mm"/></numFmts>'
    '<fonts count="3">'
    '<font><sz val="11"/><color rgb="FF000000"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><color rgb="FF000000"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="12"/><color rgb="FF000000"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="3"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/>'
    '</right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/>'
    "</bottom><diagonal/></border>"
    '<border><left/><right/><top style="thin"><color auto="1"/></top><bottom/><diagonal/>'
    "</border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    # Body cells are top-aligned: in a row made tall by a wrapped message, every cell of
    # the row starts on its first line.
    '<cellXfs count="8"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" '
    'applyAlignment="1"><alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
    'applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" '
    'wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
    'applyAlignment="1"><alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="2" xfId="0" applyFont="1" '
    'applyBorder="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
    'applyAlignment="1"><alignment vertical="top"/></xf>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
    'applyAlignment="1"><alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "{dxfs}"
    '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
    'defaultPivotStyle="PivotStyleLight16"/></styleSheet>'
)
