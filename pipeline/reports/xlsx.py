"""Shared xlsxwriter settings: text never becomes a formula or a link; CJK-aware widths."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import pandas as pd

# xlsxwriter defaults turn "=1+1" into a live formula and "http://" into a link: never for
# sender text. Pass to xlsxwriter.Workbook(path, WORKBOOK_OPTIONS) or
# pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": WORKBOOK_OPTIONS}).
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


# Excel keeps at most 32,767 characters (UTF-16 units) in a cell. xlsxwriter cuts longer text
# silently; openpyxl writes it and Excel then "repairs" the file. Cut it here, and say so.
EXCEL_MAX_CHARS = 32_767
TRUNCATED_MARK = "…【内容超过 Excel 单元格上限，已截断】"


def fit_cell_text(text: str) -> str:
    """`text` as an Excel cell can hold it: unchanged when short enough, else cut to the limit
    with TRUNCATED_MARK at the end (the full text stays in the store)."""
    if len(text) <= EXCEL_MAX_CHARS // 2:  # cannot exceed the limit even in UTF-16
        return text
    units = text.encode("utf-16-le")
    if len(units) // 2 <= EXCEL_MAX_CHARS:
        return text
    room = (EXCEL_MAX_CHARS - len(TRUNCATED_MARK)) * 2
    return units[:room].decode("utf-16-le", errors="ignore") + TRUNCATED_MARK


def display_width(text: object) -> int:
    """Width in Excel character units: CJK (East Asian Wide/Fullwidth) counts 2."""
    s = "" if text is None or (isinstance(text, float) and text != text) else str(text)
    if s.isascii():
        return len(s)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def widest(texts: Iterable[object], cap: int) -> int:
    """The largest display width among `texts` (None skipped), at most about `cap`: longest
    text first, stopping once no shorter text can be wider (a text is at most twice its
    length wide)."""
    best = 0
    for text in sorted({str(t) for t in texts if t is not None}, key=len, reverse=True):
        if 2 * len(text) <= best or best >= cap:
            break
        best = max(best, display_width(text))
    return best


def column_widths(frame: pd.DataFrame, min_width: int = 6, max_width: int = 50) -> list[int]:
    """Widths that fit the header and the first 2,000 values of each column."""
    widths = []
    head = frame.head(2000)
    for col in frame.columns:
        values = head[col].dropna()
        if pd.api.types.is_float_dtype(values.dtype):
            # a rate 0.7727272727 shows as 77.3%: measured as a short number, not 18 digits
            texts = [str(int(v)) if v.is_integer() else f"{v:.4g}" for v in values.tolist()]
        else:
            texts = values.astype(str).tolist()
        w = max(display_width(col), widest(texts, max_width))
        widths.append(max(min_width, min(max_width, w + 2)))
    return widths
