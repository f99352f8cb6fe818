"""Look inside a workbook's zip container before any parser does: bombs, DTDs, cell ranges.

calamine trusts what it reads: a member that inflates to gigabytes, or one cell at XFD1048576
(it holds a sheet densely, from A1 to the last used cell: 17 billion cells, and the process
aborts). This module inflates every member once as a stream, with a cap, and refuses before
the parser allocates anything. Messages are Chinese and shown to the sender.
"""

from __future__ import annotations

import io
import re
import struct
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

# Cells a sheet may span (rows x columns from A1 to the last cell with a value), and cells it
# may hold. Reading keeps them all: ~40 bytes an empty cell, ~100 with a value (calamine's
# cells plus Python's objects), so 10 million is 0.4-1 GB. A county submission has hundreds
# of rows; the largest file of the benchmarks (the national base list) about 4 million cells.
MAX_SHEET_CELLS = 10_000_000
# Longest text between two tags in a sheet or the shared strings. Excel keeps at most 32,767
# characters in a cell (~260 KB even written as &#NNNNN; references).
MAX_TEXT_RUN = 4 * 1024 * 1024

_READ = 1 << 16  # compressed bytes read at a time
_INFLATE = 1 << 20  # at most this many inflated bytes held at a time
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, (fixed fields), name and extra lengths
_LOCAL_MAGIC = b"PK\x03\x04"
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# A DTD is never part of an Office or OpenDocument file; it is how entity-expansion bombs
# ("billion laughs") and external-entity reads start. Also looked for in UTF-16.
_DTD_MARKERS = tuple(
    m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be")
)
_DTD_ASCII = (b"<!DOCTYPE", b"<!ENTITY")  # UTF-8 and every 8-bit encoding
_DTD_TAIL = max(len(m) for m in _DTD_MARKERS)
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.I)
_CELL_TEXT = re.compile(r"xl/worksheets/[^/]+\.xml|xl/sharedstrings\.xml|content\.xml", re.I)
# Any r="..." attribute (cells: letters and row; rows: row only), in any attribute order,
# namespace prefix or quoting.
_REF_LETTERS = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{1,3})[0-9]""")
_REF_ROWS = re.compile(rb"""\sr\s*=\s*["'][A-Za-z]*([0-9]+)""")
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")

BOMB = "文件解压后过大（超过 {limit:g} MB），疑似压缩炸弹，已拒收"
SIZE_LIE = "文件内部声明的大小与实际内容不符（疑似压缩炸弹或恶意文件），已拒收"
DTD = "文件含有 XML 实体或 DOCTYPE 声明（正常的 Excel 文件不会有，可能是恶意文件），已拒收"
METHOD = "文件使用了不支持的压缩方式；请用 Excel/WPS 另存为 .xlsx 后报送"
TEXT_RUN = "文件中有超长的单元格内容（超过 Excel 的上限），疑似恶意文件，已拒收"
ZIP_PASSWORD = "文件设置了密码（压缩包加密），无法读取；请取消密码后重新报送"
XLSB = "不支持 Excel 二进制工作簿（.xlsb）；请用 Excel/WPS 另存为 .xlsx 后报送"
NOT_A_SHEET = "这是{kind}，不是 Excel 表格；请把数据填到报送模板（Excel）中后重新报送"
CELLS = "{sheet}的单元格过多（超过 {limit:,} 个），疑似恶意文件，已拒收；请删除多余的内容后重新报送"
AREA = (
    "{sheet}的单元格范围过大（约 {rows:,} 行 × {cols:,} 列，上限 {limit:,} 个单元格），"
    "疑似恶意文件，已拒收；请删除多余的行和列后重新报送"
)


class ContainerError(Exception):
    """The container is refused; the message is Chinese. zipfile.BadZipFile (and zlib.error)
    mean it is damaged."""


def inspect_zip(path: Path, max_unzipped_bytes: int, data: bytes | None = None) -> None:
    """Refuse a zip-based workbook (xlsx, xlsm, ods) that is dangerous to hand to a parser.

    Every member is inflated once, as a stream, never holding more than ~1 MB: a member that
    inflates past its declared size, or a total past `max_unzipped_bytes`, is a bomb; XML
    members with a DTD are refused; each worksheet's used range must stay under
    MAX_SHEET_CELLS. `data`, when given, is the file's content (already read by the caller).
    Raises ContainerError, zipfile.BadZipFile or zlib.error.
    """
    with (
        zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as zf,
        io.BytesIO(data) if data is not None else Path(path).open("rb") as fh,
    ):
        infos = [i for i in zf.infolist() if not i.is_dir()]
        declared = sum(i.file_size for i in infos)
        limit_mb = max_unzipped_bytes / 1048576
        if declared > max_unzipped_bytes:
            raise ContainerError(
                f"文件解压后过大（{declared / 1048576:.0f} MB，上限 {limit_mb:g} MB），"
                "疑似压缩炸弹，已拒收"
            )
        names = {i.filename.lower() for i in infos}
        if "xl/workbook.bin" in names:
            raise ContainerError(XLSB)
        if "xl/workbook.xml" not in names and "content.xml" not in names:
            if "word/document.xml" in names:
                raise ContainerError(NOT_A_SHEET.format(kind="Word 文档"))
            if "ppt/presentation.xml" in names:
                raise ContainerError(NOT_A_SHEET.format(kind="PowerPoint 演示文稿"))
        is_ods = "content.xml" in names and "xl/workbook.xml" not in names
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise ContainerError(ZIP_PASSWORD)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ContainerError(METHOD)
            name = info.filename.lower()
            dtd = name.endswith(_XML_SUFFIXES)
            sheet = _SheetRange(info.filename) if _WORKSHEET.fullmatch(name) else None
            cell_text = _CELL_TEXT.fullmatch(name) is not None
            produced = run = 0
            tail = b""
            markers: tuple[bytes, ...] = ()
            for chunk in _inflate(fh, info):
                produced += len(chunk)
                if produced > info.file_size:
                    raise ContainerError(SIZE_LIE)
                if total + produced > max_unzipped_bytes:
                    raise ContainerError(BOMB.format(limit=limit_mb))
                if dtd:  # the whole member: a lenient parser may take a DTD anywhere
                    if not markers:  # UTF-16 (a BOM or NULs up front) or an 8-bit encoding
                        wide = chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\0" in chunk[:4]
                        markers = _DTD_MARKERS if wide else _DTD_ASCII
                    # Every marker has a "!" (one byte, in UTF-16 too): looking for that byte
                    # is a memchr, and most members have none; only then the markers.
                    if b"!" in chunk or b"!" in tail:
                        window = tail + chunk
                        if any(m in window for m in markers):
                            raise ContainerError(DTD)
                    tail = (tail + chunk[-_DTD_TAIL:])[-_DTD_TAIL:]
                if cell_text:
                    run = _text_run(run, chunk)
                if sheet is not None:
                    sheet.feed(chunk)
            total += produced
            if sheet is not None and not sheet.finish():
                _check_xlsx_exact(fh, info)
            if is_ods and name == "content.xml":
                _check_ods(fh, info)


def _text_run(run: int, chunk: bytes) -> int:
    """Length of the text since the last tag, carried over pieces; refuses an endless one (a
    single cell of hundreds of megabytes is a memory bomb, not data)."""
    first = chunk.find(b"<")
    if first < 0:
        run += len(chunk)
    else:
        run += first
        if run <= MAX_TEXT_RUN:
            run = len(chunk) - chunk.rfind(b"<") - 1
    if run > MAX_TEXT_RUN:
        raise ContainerError(TEXT_RUN)
    return int(run)


def _inflate(fh: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member's content in pieces of at most _INFLATE bytes, read from the raw stream (the
    declared size is not trusted: zipfile would stop there, calamine might not)."""
    fh.seek(info.header_offset)
    header = fh.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise zipfile.BadZipFile("truncated local header")
    magic, name_len, extra_len = _LOCAL_HEADER.unpack(header)
    if magic != _LOCAL_MAGIC:
        raise zipfile.BadZipFile("bad local header")
    fh.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
    left = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    while left > 0:
        raw = fh.read(min(left, _READ))
        if not raw:
            raise zipfile.BadZipFile("truncated member")
        left -= len(raw)
        if inflater is None:
            yield raw
            continue
        out = inflater.decompress(raw, _INFLATE)
        while True:
            if out:
                yield out
            if not inflater.unconsumed_tail:
                break
            out = inflater.decompress(inflater.unconsumed_tail, _INFLATE)
        if inflater.eof:
            return


def _column_number(letters: bytes | str) -> int:
    n = 0
    text = letters if isinstance(letters, str) else letters.decode("ascii")
    for ch in text.upper():
        n = n * 26 + ord(ch) - 64
    return n


_PAD = bytes(32)  # lets every look-ahead below stay inside the array
_ENDS_NAME = np.zeros(256, dtype=bool)  # what may follow a tag's name: space, ">", "/"
_ENDS_NAME[[9, 10, 13, 32, 47, 62]] = True


def _is_upper(b: np.ndarray) -> np.ndarray:
    return (b - np.uint8(65)) < 26  # uint8 wraps around: one comparison for A-Z


def _is_digit(b: np.ndarray) -> np.ndarray:
    return (b - np.uint8(48)) < 10


_POWERS = {n: 10 ** np.arange(n - 1, -1, -1, dtype=np.int64) for n in range(1, 8)}


def _max_number(a: np.ndarray, start: np.ndarray) -> int | None:
    """The largest of the numbers `123"` starting at the positions `start` of the byte array
    `a`, or None when one is not 1-7 digits followed by a quote."""
    if not len(start):
        return 0
    going = _is_digit(a[start])
    if not going.all():
        return None
    width = np.ones(len(start), dtype=np.int64)
    for k in range(1, 8):
        going &= _is_digit(a[start + k])
        width += going
    if going.any() or (a[start + width] != 34).any():
        return None  # 8 digits or more, or no closing quote: the regex path decides
    wide = int(width.max())  # only the widest numbers can be the largest
    at = start[width == wide]
    digits = np.stack([a[at + k] for k in range(wide)], axis=1) - np.uint8(48)
    return int((digits @ _POWERS[wide]).max())


def _std_refs(a: np.ndarray, at: np.ndarray) -> tuple[int, np.ndarray] | None:
    """For the references `A1"` starting at the positions `at` of the byte array `a`: the
    last column and where each one's digits start (for _max_number), or None when one does
    not start with 1-3 capitals."""
    if not len(at):
        return 0, at
    c0, c1, c2 = a[at], a[at + 1], a[at + 2]
    if not _is_upper(c0).all():
        return None
    two = _is_upper(c1)
    three = two & _is_upper(c2)
    if (three & _is_upper(a[at + 3])).any():
        return None
    col = c0.astype(np.int64) - 64
    col = np.where(two, col * 26 + c1 - 64, col)
    col = np.where(three, col * 26 + c2 - 64, col)
    return int(col.max()), at + 1 + two + three


def _follows(a: np.ndarray, at: np.ndarray, text: bytes) -> np.ndarray:
    """Whether `text` is at each of the positions `at` of the byte array `a` (a gather per
    byte: cheaper than gathering rows of a window when there are millions of positions)."""
    same = a[at] == text[0]
    for k in range(1, len(text)):
        same &= a[at + k] == text[k]
    return same


class _SheetRange:
    """A cheap upper bound of a worksheet's used range, fed the XML as it inflates.

    Explicit references give the last column and row; cells and rows written without a
    reference (allowed: the position is implied) are counted generously from the number of
    tags. finish() is True when the bound is within MAX_SHEET_CELLS; otherwise the exact
    count decides (unusual files only: namespace prefixes, missing references, huge sheets).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.carry = b""
        self.letters: set[bytes] = set()
        self.max_col = 0  # from the references read with numpy (letters: the others)
        self.cell_refs = 0
        self.max_row = 0
        self.cell_tags = 0
        self.row_tags = 0
        self.row_refs = 0

    def feed(self, chunk: bytes) -> None:
        data = self.carry + chunk
        cut = data.rfind(b"<")  # never split a tag between two pieces
        if cut <= 0:
            self.carry = data if len(data) < _INFLATE else b""
            if self.carry:
                return
            cut = len(data)
        piece, self.carry = data[:cut], data[cut:]
        self._scan(piece)

    def _scan(self, piece: bytes) -> None:
        # One pass finds every tag start; the counts and the common cell references are read
        # from the bytes after each "<" with numpy (a national base list has millions of
        # cells: a regex match object per cell costs seconds; this is a few array passes).
        # Only the "<c" / "<r" tags are looked at further (a cell has four or five "<": <v>,
        # </v>, </c>...).
        if b"<c" not in piece and b"<r" not in piece and b":" not in piece:
            return  # no cell or row tag (the tail of a sheet, </sheetData></worksheet>...)
        size = len(piece)
        buf = piece + _PAD
        a = np.frombuffer(buf, np.uint8)
        lt = np.flatnonzero(a[:size] == 60)  # "<"
        after = a[lt + 1]
        tags = lt[(after == 99) | (after == 114)]  # "<c..." or "<r..."
        n1, n2 = a[tags + 1], a[tags + 2]
        # "<c" and "<row" followed by what can end a tag name: not <col>, <cols>, <cfRule>,
        # <rowBreaks>, which every sheet with column widths or formats has
        c_at = tags[(n1 == 99) & _ENDS_NAME[n2]]
        row_at = tags[(n1 == 114) & (n2 == 111)]
        row_at = row_at[(a[row_at + 3] == 119) & _ENDS_NAME[a[row_at + 4]]]
        # '<c r="' and '<row r="': where the references start
        std_at = c_at[_follows(a, c_at + 2, b' r="')] + 6
        row_std = row_at[_follows(a, row_at + 4, b' r="')] + 8
        cell_tags, row_tags = len(c_at), len(row_at)
        row_refs = len(row_std)
        if b":" in piece:
            # Generous tag counts: ":c" and ":row" count anything prefixed (x:c, but also
            # x:cfRule, or text). A prefixed row's reference counts as one (':row r="').
            colon = np.flatnonzero(a[:size] == 58)
            cell_tags += int(np.count_nonzero(a[colon + 1] == 99))
            prefixed_row = colon[_follows(a, colon + 1, b"row")]
            row_tags += len(prefixed_row)
            prefixed_std = prefixed_row[_follows(a, prefixed_row + 4, b' r="')] + 8
            row_refs += len(prefixed_std)
            row_std = np.concatenate([row_std, prefixed_std])
        self.cell_tags += cell_tags
        self.row_tags += row_tags
        self.row_refs += row_refs
        std = len(std_at)
        if cell_tags == std and row_tags == row_refs:  # all <c r="A1" / <row r="1": fast
            refs = _std_refs(a, std_at)
            # the cells' rows, and the rows' numbers (they place the cells without one, later)
            starts = None if refs is None else np.concatenate([refs[1], row_std])
            max_row = None if starts is None else _max_number(a, starts)
            if refs is not None and max_row is not None:
                self._count_refs(std)
                max_col = refs[0]
                if std or row_refs:
                    self.max_col = max(self.max_col, max_col)
                    self.max_row = max(self.max_row, max_row)
                return
        letters = _REF_LETTERS.findall(piece)
        self._count_refs(len(letters))
        self.letters.update(letters)
        numbers = _REF_ROWS.findall(piece)
        if numbers:
            self.max_row = max(self.max_row, max(map(int, set(numbers))))

    def _count_refs(self, n: int) -> None:
        self.cell_refs += n
        if self.cell_refs > MAX_SHEET_CELLS:  # each is a cell tag: too many, whatever they hold
            raise ContainerError(
                CELLS.format(sheet=f"工作表（{Path(self.name).name}）", limit=MAX_SHEET_CELLS)
            )

    def bound(self) -> tuple[int, int]:
        """(rows, columns): never less than the last row and column the reader will use."""
        if self.carry:
            self._scan(self.carry)
            self.carry = b""
        cols = max((_column_number(x) for x in self.letters), default=self.max_col)
        cols = max(cols, self.max_col)
        cols += max(0, self.cell_tags - self.cell_refs)
        rows = self.max_row + max(0, self.row_tags - self.row_refs)
        return rows, cols

    def finish(self) -> bool:
        rows, cols = self.bound()
        return rows * cols <= MAX_SHEET_CELLS and self.cell_tags <= MAX_SHEET_CELLS


def _parse_stream(fh: BinaryIO, info: zipfile.ZipInfo, parser) -> None:
    try:
        for chunk in _inflate(fh, info):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as exc:
        raise zipfile.BadZipFile(f"{info.filename}: {exc}") from exc


def _check_xlsx_exact(fh: BinaryIO, info: zipfile.ZipInfo) -> None:
    rows, cols, cells = _xlsx_range(fh, info)
    if cells > MAX_SHEET_CELLS:
        raise ContainerError(
            CELLS.format(sheet=f"工作表（{Path(info.filename).name}）", limit=MAX_SHEET_CELLS)
        )
    if rows * cols > MAX_SHEET_CELLS:
        raise ContainerError(
            AREA.format(
                sheet=f"工作表（{Path(info.filename).name}）",
                rows=rows,
                cols=cols,
                limit=MAX_SHEET_CELLS,
            )
        )


class _CellWalk:
    """Where calamine puts each cell: its reference, else the next column (or row)."""

    def __init__(self) -> None:
        self.row = self.col = 0
        self.cell: tuple[int, int] | None = None
        self.valued = False
        self.max_row = self.max_col = self.cells = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local == "row":
            r = attrs.get("r", "")
            self.row = int(r) if r.isdigit() else self.row + 1
            self.col = 0
        elif local == "c":
            m = _CELL_REF.fullmatch(attrs.get("r", ""))
            if m:
                self.col, row = _column_number(m[1]), int(m[2])
            else:
                self.col, row = self.col + 1, self.row
            self.cell, self.valued = (row, self.col), False
        elif self.cell is not None and local in ("v", "is", "f"):
            self.valued = True

    def end(self, name: str) -> None:
        if name.rsplit(" ", 1)[-1] == "c" and self.cell is not None:
            if self.valued:
                self.cells += 1
                self.max_row = max(self.max_row, self.cell[0])
                self.max_col = max(self.max_col, self.cell[1])
            self.cell = None


def _xlsx_range(fh: BinaryIO, info: zipfile.ZipInfo) -> tuple[int, int, int]:
    """(last row, last column, cells) as calamine builds the range: cells with content,
    explicit or implied positions, counted from A1 (rows are read with their empty area
    kept)."""
    walk = _CellWalk()
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = walk.start
    parser.EndElementHandler = walk.end
    _parse_stream(fh, info, parser)
    return walk.max_row, walk.max_col, walk.cells


_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _repeat(attrs: dict[str, str], key: str) -> int:
    value = attrs.get(f"{_ODS_TABLE} {key}", "1")
    return int(value) if value.isdigit() else 1


def _check_ods(fh: BinaryIO, info: zipfile.ZipInfo) -> None:
    """OpenDocument repeats a row or cell N times with one element (number-rows-repeated,
    number-columns-repeated): a few bytes can describe billions of cells with a value. Count
    each sheet's range with the repeats, as the reader expands them."""
    state: dict = {
        "sheet": "",
        "row": 0,
        "col": 0,
        "rows_rep": 1,
        "row_cols": 0,
        "cell_end": 0,
        "in_cell": False,
        "max_row": 0,
        "max_col": 0,
    }

    def check() -> None:
        if state["max_row"] * state["max_col"] > MAX_SHEET_CELLS:
            raise ContainerError(
                AREA.format(
                    sheet=f"工作表「{state['sheet']}」",
                    rows=state["max_row"],
                    cols=state["max_col"],
                    limit=MAX_SHEET_CELLS,
                )
            )

    def start(name: str, attrs: dict[str, str]) -> None:
        ns, _, local = name.rpartition(" ")
        if ns == _ODS_TABLE and local == "table":
            state.update(sheet=attrs.get(f"{_ODS_TABLE} name", ""), row=0, max_row=0, max_col=0)
        elif ns == _ODS_TABLE and local == "table-row":
            state.update(rows_rep=_repeat(attrs, "number-rows-repeated"), col=0, row_cols=0)
        elif ns == _ODS_TABLE and local in ("table-cell", "covered-table-cell"):
            state["col"] += _repeat(attrs, "number-columns-repeated")
            state["cell_end"], state["in_cell"] = state["col"], True
            if f"{_ODS_OFFICE} value-type" in attrs:
                state["row_cols"] = state["col"]
        elif state["in_cell"]:  # text inside a cell without a value type
            state["row_cols"] = max(state["row_cols"], state["cell_end"])

    def end(name: str) -> None:
        ns, _, local = name.rpartition(" ")
        if ns != _ODS_TABLE:
            return
        if local in ("table-cell", "covered-table-cell"):
            state["in_cell"] = False
        elif local == "table-row":
            if state["row_cols"]:
                state["max_row"] = state["row"] + state["rows_rep"]
                state["max_col"] = max(state["max_col"], state["row_cols"])
                check()
            state["row"] += state["rows_rep"]

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _parse_stream(fh, info, parser)
