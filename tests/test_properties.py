"""Properties that hold for every input hypothesis can think of: identifiers survive the ways
people type them, normalizers never raise, masking never shows more than 6 + 4 characters of
an ID, text always fits a cell, and the zip pre-scan never under-counts a sheet."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from pipeline.container import _SheetRange, _xlsx_range
from pipeline.fields import FIELDS
from pipeline.normalize import clean_code, clean_mobile, header_key, normalize_records
from pipeline.privacy import mask_cell, mask_id, mask_in_text, mask_in_texts, mask_mobile
from pipeline.reports.xlsx import EXCEL_MAX_CHARS, TRUNCATED_MARK, fit_cell_text
from schemas.identifiers import id_check, known_regions, uscc_check
from tests.helpers import make_id, make_uscc

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REGIONS = sorted(f"{r:06d}" for r in known_regions())[::37]  # a spread of real region codes
_WIDE = {c: chr(ord(c) + 0xFEE0) for c in "0123456789Xx"}  # full-width forms
_BLANKS = [" ", "\u3000", "\t", "\n", "\u00a0", "\u200b"]  # incl. no-break and zero-width


@st.composite
def valid_ids(draw) -> str:
    region = draw(st.sampled_from(REGIONS))
    birth = draw(st.dates(dt.date(1900, 1, 1), dt.date.today()))
    return make_id(region, birth.strftime("%Y%m%d"), draw(st.integers(0, 999)))


@st.composite
def as_typed(draw, text: str) -> str:
    """`text` as a clerk may have typed or pasted it: some characters full-width, blanks in
    between and around, a lower-case x, Excel's leading apostrophe."""
    out = []
    for ch in text:
        if ch == "X" and draw(st.booleans()):
            ch = "x"
        if ch in _WIDE and draw(st.booleans()):
            ch = _WIDE[ch]
        out.append(ch)
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from(_BLANKS)))
    typed = "".join(out)
    lead = draw(st.sampled_from(["", "'", " ", "\u3000", "'\u3000"]))
    return lead + typed + draw(st.sampled_from(["", " ", "\u3000", "\n"]))


# -- identifiers survive the ways they are typed -------------------------------------------


@SETTINGS
@given(st.data())
def test_every_valid_id_survives_width_spaces_and_lower_case_x(data):
    number = data.draw(valid_ids())
    typed = data.draw(as_typed(number))
    cleaned = clean_code(pd.Series([typed], dtype=object))
    assert cleaned.iloc[0] == number
    check = id_check(cleaned)
    assert bool(check["valid"].iloc[0]), (typed, number)
    # The same through the whole normalizer, as a record's ID cell.
    raw = pd.DataFrame({"_file": ["f.xlsx"], "_sheet": ["S"], "_row": [2], "id_number": [typed]})
    assert normalize_records(raw, dt.date(2026, 3, 31))["id_number"].iloc[0] == number


@SETTINGS
@given(st.data())
def test_every_valid_credit_code_survives_width_spaces_and_case(data):
    org = data.draw(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9))
    code = make_uscc(org)
    typed = data.draw(as_typed(code))
    typed = "".join(c.lower() if data.draw(st.booleans()) else c for c in typed)
    cleaned = clean_code(pd.Series([typed], dtype=object))
    assert cleaned.iloc[0] == code
    assert bool(uscc_check(cleaned)["checksum_ok"].iloc[0])


@SETTINGS
@given(st.integers(3, 9), st.integers(0, 999_999_999), st.data())
def test_every_mobile_survives_prefixes_and_separators(second, rest, data):
    number = f"1{second}{rest:09d}"
    sep = data.draw(st.sampled_from(["", " ", "-", "—", "."]))
    shaped = data.draw(
        st.sampled_from(
            [
                number,
                f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}",
                f"+86{sep}{number}",
                f"0086{number}",
                f"({number[:3]}){number[3:]}",
                "".join(_WIDE.get(c, c) for c in number),
            ]
        )
    )
    assert clean_mobile(pd.Series([shaped], dtype=object)).iloc[0] == number


# -- no input makes a normalizer raise -----------------------------------------------------

cells = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="０１２３ｘＸ　 \n\t\r-（）'=+@1234567890xX年月日.", max_size=30),
    st.floats(),  # NaN and both infinities included
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.just(""),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({}, optional={f: cells for f in FIELDS}), max_size=12))
def test_normalize_records_never_raises_and_keeps_its_shape(rows):
    raw = pd.DataFrame(rows, dtype=object)
    raw.insert(0, "_row", range(2, len(raw) + 2))
    raw.insert(0, "_sheet", "Sheet1")
    raw.insert(0, "_file", "天城镇.xlsx")
    out = normalize_records(raw, dt.date(2026, 9, 30))
    assert out.index.equals(raw.index)
    assert set(FIELDS) <= set(out.columns)
    for field in FIELDS:
        values = out[field].dropna()
        assert all(isinstance(v, str) and v == v.strip() for v in values), field
    assert out["birth_date_parsed"].dtype == "datetime64[ns]"


@SETTINGS
@given(st.text())
def test_header_key_never_raises_and_is_stable(text):
    key = header_key(text)
    assert header_key(key) == key


# -- masking never shows more than 6 + 4 characters of an ID ---------------------------------


@SETTINGS
@given(st.lists(st.one_of(st.text(max_size=30), valid_ids()), min_size=1, max_size=10))
def test_mask_id_shows_at_most_six_and_four(values):
    masked = mask_id(pd.Series(values, dtype=object))
    for raw, out in zip(values, masked, strict=True):
        assert len(out) == len(raw)
        visible = [i for i, c in enumerate(out) if c != "*"]
        assert all(i < 6 or i >= len(raw) - 4 for i in visible)
        assert sum(1 for c in out if c != "*" and c.isdigit()) <= 10
        if len(raw) <= 10:
            assert set(out) <= {"*"}


@SETTINGS
@given(st.lists(st.text(alphabet="0123456789-", max_size=15), min_size=1, max_size=10))
def test_mask_mobile_shows_at_most_three_and_four(values):
    for raw, out in zip(values, mask_mobile(pd.Series(values, dtype=object)), strict=True):
        assert len(out) == len(raw) and sum(c != "*" for c in out) <= 7


_NOT_DIGIT_EDGE = st.text(max_size=20).filter(lambda t: not t or not t[-1].isdigit())


@SETTINGS
@given(valid_ids(), _NOT_DIGIT_EDGE, st.text(max_size=20), st.booleans())
def test_an_id_inside_any_text_is_masked_to_six_and_four(number, before, after, typed_as_number):
    after = after if not after or not after[0].isdigit() else " " + after
    if typed_as_number and number[-1] != "X":  # an ID typed as a number: as Excel shows it
        out = mask_cell(float(number))
        number = format(Decimal(f"{float(number):.15g}"), "f")  # 15 significant digits
    else:
        out = mask_cell(before + number + after)
    assert isinstance(out, str)
    assert number not in out
    assert number[6:14] not in out  # the birth date and sequence never show
    assert number[:6] + "*" * (len(number) - 10) + number[-4:] in out


@SETTINGS
@given(valid_ids())
def test_a_valid_id_is_never_taken_for_a_credit_code(number):
    """One ID in 31 passes the credit-code checksum too: it must still be masked."""
    assert mask_cell(number) == number[:6] + "********" + number[-4:]


@SETTINGS
@given(st.integers(3, 9), st.integers(0, 99_999_999), _NOT_DIGIT_EDGE, st.text(max_size=20))
def test_a_mobile_inside_any_text_is_masked(second, rest, before, after):
    number = f"1{second}{rest:08d}"[:11].ljust(11, "0")
    after = after if not after or not after[0].isdigit() else " " + after
    out = mask_in_text(before + number + after)
    assert number not in out and number[:3] + "****" + number[-4:] in out


# -- text always fits a cell ---------------------------------------------------------------


@SETTINGS
@given(st.text(min_size=1, max_size=40), st.integers(0, 3000))
def test_fit_cell_text_always_fits_and_says_when_it_cut(piece, times):
    text = piece * times
    out = fit_cell_text(text)
    assert len(out.encode("utf-16-le")) // 2 <= EXCEL_MAX_CHARS
    if len(text.encode("utf-16-le")) // 2 <= EXCEL_MAX_CHARS:
        assert out == text
    else:
        assert out.endswith(TRUNCATED_MARK)
        assert text.startswith(out[: -len(TRUNCATED_MARK)])


# -- the zip pre-scan never under-counts a sheet -------------------------------------------

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


@st.composite
def worksheets(draw) -> str:
    """Worksheet XML as odd writers make it: references or none (implied positions), cells
    in any order, empty styled cells, attributes in any order, a namespace prefix."""
    p = draw(st.sampled_from(["", "x:"]))
    rows, row_no = [], 0
    for _ in range(draw(st.integers(0, 6))):
        row_no = draw(st.one_of(st.just(row_no + 1), st.integers(1, 60)))
        explicit_row = draw(st.booleans())
        cells = []
        for _ in range(draw(st.integers(0, 6))):
            attrs = []
            if draw(st.integers(0, 3)):
                ref_row = row_no if draw(st.booleans()) else draw(st.integers(1, 60))
                attrs.append(f'r="{_letters(draw(st.integers(1, 40)))}{ref_row}"')
            if draw(st.booleans()):
                attrs.insert(0, 's="1"')  # before r=: attribute order is free
            kind = draw(st.sampled_from(["value", "inline", "empty"]))
            a = (" " + " ".join(attrs)) if attrs else ""
            if kind == "value":
                cells.append(f"<{p}c{a}><{p}v>1</{p}v></{p}c>")
            elif kind == "inline":
                cells.append(f'<{p}c{a} t="inlineStr"><{p}is><{p}t>x</{p}t></{p}is></{p}c>')
            else:
                cells.append(f"<{p}c{a}/>")
        r = f' r="{row_no}"' if explicit_row else ""
        rows.append(f"<{p}row{r}>{''.join(cells)}</{p}row>")
    xmlns = f'xmlns:x="{_NS}"' if p else f'xmlns="{_NS}"'
    return (
        f'<?xml version="1.0"?><{p}worksheet {xmlns}><{p}sheetData>{"".join(rows)}'
        f"</{p}sheetData></{p}worksheet>"
    )


def _xlsx(sheet: str) -> bytes:
    from tests.test_hostile import _CT, _RELS, _WB_RELS, _workbook_xml

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _workbook_xml("Sheet1"))
        zf.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worksheets(), st.integers(1, 200))
def test_sheet_range_bound_never_below_what_calamine_builds(sheet, split):
    data = _xlsx(sheet)
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(data))
        .get_sheet_by_index(0)
        .to_python(skip_empty_area=False)
    )
    real = (len(rows), max((len(r) for r in rows), default=0))
    if real[0] == 0 or real[1] == 0:  # nothing with a value
        real = (0, 0)

    scan = _SheetRange("xl/worksheets/sheet1.xml")
    raw = sheet.encode()
    for i in range(0, len(raw), split):  # fed in pieces that cut tags anywhere
        scan.feed(raw[i : i + split])
    rows_bound, cols_bound = scan.bound()
    assert rows_bound >= real[0] and cols_bound >= real[1], (real, (rows_bound, cols_bound))

    with zipfile.ZipFile(io.BytesIO(data)) as zf, io.BytesIO(data) as fh:
        exact = _xlsx_range(fh, zf.getinfo("xl/worksheets/sheet1.xml"))[:2]
    assert exact == real  # the exact pass models calamine: used when the bound is too big


def test_range_helpers_agree_on_a_plain_sheet():
    sheet = (
        f'<?xml version="1.0"?><worksheet xmlns="{_NS}"><sheetData><row r="3">'
        '<c r="C3"><v>1</v></c></row></sheetData></worksheet>'
    )
    scan = _SheetRange("s")
    scan.feed(sheet.encode())
    assert scan.bound() == (3, 3)
    data = _xlsx(sheet)
    with zipfile.ZipFile(io.BytesIO(data)) as zf, io.BytesIO(data) as fh:
        assert _xlsx_range(fh, zf.getinfo("xl/worksheets/sheet1.xml")) == (3, 3, 1)
    assert np.prod(scan.bound()) == 9


@SETTINGS
@given(
    valid_ids(),
    st.lists(st.sampled_from(["", "", " ", "-", "\u3000"]), min_size=17, max_size=17),
    _NOT_DIGIT_EDGE.filter(lambda t: not t or t[-1] not in " -\u3000"),
    st.text(max_size=20),
)
def test_an_id_written_in_groups_is_masked_to_six_and_four(number, gaps, before, after):
    """422325 19890929 0792, 422325-19890929-0792, any single separators between digits: the
    birth date and the sequence never show."""
    grouped = "".join(d + sep for d, sep in zip(number, [*gaps, ""], strict=True))
    if after and (after[0].isdigit() or after[0] in " -\u3000"):
        after = "。" + after
    out = mask_in_text(before + grouped + after)
    kept = re.sub("[ \u3000-]", "", out)
    assert number[6:14] not in kept
    assert number[:6] + "*" * 8 + number[-4:] in kept


def test_digit_groups_that_are_not_an_id_stay():
    assert mask_in_text("2019-01-01 2020-12-31") == "2019-01-01 2020-12-31"
    assert mask_in_text("0715-3312345 0715-3312346") == "0715-3312345 0715-3312346"


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789 -X甲", max_size=24)), max_size=8))
def test_mask_in_texts_is_mask_in_text_per_value(values):
    out = mask_in_texts(pd.Series(values, dtype=object))
    assert out.tolist() == [None if v is None else mask_in_text(v) for v in values]
