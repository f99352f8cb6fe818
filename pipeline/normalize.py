"""Pure, vectorized cleaning of raw cell values: text, codes, dates, vocabularies, durations."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache, lru_cache

import numpy as np
import pandas as pd
from numpy.typing import DTypeLike
from pandas.api.extensions import ExtensionArray

from pipeline.fields import (  # noqa: F401  (header_key and _CLEAN_TABLE: used from here too)
    _CLEAN_TABLE,
    _HALFWIDTH,
    _ZERO_WIDTH,
    EDUCATION_WORDS,
    FIELDS,
    header_key,
)

# Fields whose text is an identifier: all whitespace removed, letters upper-cased.
CODE_FIELDS = ("id_number", "credit_code", "phone", "fax", "postcode")
DATE_FIELDS = ("birth_date", "appointment_date", "fill_date")
FLAG_FIELDS = ("training", "pledge", "annual_report")

_FULLWIDTH_RE = "[\u3000\uff01-\uff5e]"

# Lookup tables over code points. Every character str.isspace() knows is below U+3001.
_IS_SPACE = np.zeros(0x110000, dtype=bool)
_IS_SPACE[[c for c in range(0x3001) if chr(c).isspace()]] = True
_IS_ZERO_WIDTH = np.zeros(0x110000, dtype=bool)
_IS_ZERO_WIDTH[list(_ZERO_WIDTH)] = True
_QUOTES = "'`‘’"  # '4212... is the usual trick to keep Excel from making an ID a number
_CODE_DROP = _IS_SPACE.copy()
_CODE_DROP[[ord(q) for q in _QUOTES]] = True
_MOBILE_DROP = _CODE_DROP.copy()
_MOBILE_DROP[[ord(c) for c in "-().—–"]] = True

# Excel's 1900 date system; serials 1..59 count from 1899-12-31, from 61 on from 1899-12-30
# because Excel keeps Lotus' fictitious 1900-02-29 (serial 60, never a real date).
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_YEAR_MIN, _YEAR_MAX = 1900, 2099  # the only plausible years here; keeps datetime64[ns] safe


# -- distinct values ----------------------------------------------------------------------------
# Real columns repeat a lot (学历, 性别, 乡镇, dates): every function works on the distinct raw
# values of a column and spreads the result back to the rows with the factorize codes.
# Text steps then run as numpy operations over the code points of all distinct strings at
# once: pandas' .str methods (no pyarrow here) loop in Python per value and cost 4-5x more
# on 500k names. Most values need no change at all (an ID number, a mobile number, a name
# without spaces or brackets): a step first finds the strings holding a code point it could
# change (one table lookup per code point) and transforms and decodes those only; the others
# are their own result. Vocabulary parsers (education, titles, Chinese numerals) are cached
# Python functions called once per distinct value.


class _Factorized:
    """Distinct raw values of a column and, per row, the position of its value (-1 = empty).

    `is_str` marks the distinct values that are str. With `text_only` (the column is only
    cleaned as text, not parsed), a column whose values are mostly distinct is not
    factorized: each non-empty cell is taken as its own "distinct" value."""

    def __init__(self, s: pd.Series, text_only: bool = False) -> None:
        values = s.to_numpy(dtype=object)
        self.index = s.index
        self._text: np.ndarray | None = None
        if text_only and _mostly_distinct(values):
            # Names, ID and mobile numbers: hashing 500k values costs ~0.1 s a column, more
            # than cleaning the few repeated ones again (~0.1 µs each). Parsed columns
            # (dates, vocabularies) always factorize: their per-value work is dearer.
            missing = pd.isna(values)  # the values factorize would code -1
            self.codes = np.cumsum(~missing, dtype=np.intp) - 1
            self.codes[missing] = -1
            self.uniques = values[~missing]
            self.is_str = _is_str_mask(self.uniques)
            return
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
        is_str = _is_str_mask(uniques)
        self.codes, self.uniques, self.is_str = _split_bools(values, codes, uniques, is_str)

    @classmethod
    def empty(cls, index: pd.Index) -> _Factorized:
        """A column that is not there: every row empty (no need to factorize 500k Nones)."""
        fac = cls.__new__(cls)
        fac.index = index
        fac.codes = np.full(len(index), -1, dtype=np.intp)
        fac.uniques = np.empty(0, dtype=object)
        fac.is_str = np.zeros(0, dtype=bool)
        fac._text = None
        return fac

    @property
    def text(self) -> np.ndarray:
        """clean_text of each distinct value (object array of str or NaN)."""
        if self._text is None:
            self._text = _render(self.uniques, self.is_str)
        return self._text

    def spread(self, per_unique: np.ndarray, na: object) -> np.ndarray:
        """Per-row numpy array from a per-unique one; empty cells get `na`."""
        out = np.empty(len(per_unique) + 1, dtype=per_unique.dtype)
        out[:-1] = per_unique
        out[-1] = na
        return out[self.codes]  # code -1 picks the appended `na`

    def series(self, per_unique: ExtensionArray) -> pd.Series:
        """Per-row Series from a per-unique pandas array (str, Int8, boolean): NA when empty."""
        # copy=False: take() made a new array (by default pandas 3 would copy it again)
        return pd.Series(per_unique.take(self.codes, allow_fill=True), index=self.index, copy=False)


_SAMPLE = 4096


def _mostly_distinct(values: np.ndarray) -> bool:
    """Are nine in ten of a sample of the non-empty values distinct? (Speed only: the results
    are the same either way.)"""
    if len(values) < 8 * _SAMPLE:
        return False
    sample = values[:: len(values) // _SAMPLE][:_SAMPLE]
    sample = sample[~pd.isna(sample)]
    return len(sample) >= _SAMPLE // 8 and len(pd.unique(sample)) > 0.9 * len(sample)


def _split_bools(
    values: np.ndarray, codes: np.ndarray, uniques: np.ndarray, is_str: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pandas hashes True with 1 and False with 0: give booleans codes of their own."""
    other = np.flatnonzero(~is_str)  # a str never equals 0 or 1: compare the rest only
    if not len(other):
        return codes, uniques, is_str
    rest = uniques[other]
    suspects = other[(rest == 0) | (rest == 1)]
    extra: list[object] = []
    for k in suspects:
        if not _is_number(uniques[k]) and not isinstance(uniques[k], (bool, np.bool_)):
            continue
        rows = np.flatnonzero(codes == k)
        is_bool = np.fromiter(
            (isinstance(values[r], (bool, np.bool_)) for r in rows), bool, len(rows)
        )
        if is_bool.all() or not is_bool.any():
            continue
        if not extra:
            codes = codes.copy()
        uniques[k] = values[rows[~is_bool][0]]
        extra.append(values[rows[is_bool][0]])
        codes[rows[is_bool]] = len(uniques) + len(extra) - 1
    if extra:
        uniques = np.concatenate([uniques, np.array(extra, dtype=object)])
        is_str = np.concatenate([is_str, np.zeros(len(extra), dtype=bool)])
    return codes, uniques, is_str


def _text_series(fac: _Factorized, per_unique: np.ndarray) -> pd.Series:
    return fac.series(pd.array(per_unique, dtype="str"))


def _float_series(fac: _Factorized, per_unique: np.ndarray) -> pd.Series:
    values = fac.spread(per_unique.astype("float64"), np.nan)
    return pd.Series(values, index=fac.index, dtype="float64", copy=False)


def _bool_series(fac: _Factorized, per_unique: np.ndarray) -> pd.Series:
    values = fac.spread(per_unique.astype(bool), False)
    return pd.Series(values, index=fac.index, dtype=bool, copy=False)


_NUMBER_TYPES = (int, float, np.integer, np.floating)
_BOOL_TYPES = (bool, np.bool_)


def _is_number(v: object) -> bool:
    return isinstance(v, _NUMBER_TYPES) and not isinstance(v, _BOOL_TYPES)


def _is_number_type(t: type) -> bool:
    return issubclass(t, _NUMBER_TYPES) and not issubclass(t, _BOOL_TYPES)


def _type_mask(values: np.ndarray, test: Callable[[type], bool]) -> np.ndarray:
    """`test(type(v))` for each value, evaluated once per distinct type: an isinstance test
    depends on the type alone, and a Python loop over 500k values costs ~0.2 s."""
    return _per_type(values, test, bool)


def _per_type(values: np.ndarray, fn: Callable[[type], object], dtype: DTypeLike) -> np.ndarray:
    """`fn(type(v))` for each value (an array of `dtype`), evaluated once per distinct type."""
    if not len(values):
        return np.zeros(0, dtype=dtype)
    types = np.fromiter(map(type, values), dtype=object, count=len(values))
    codes, distinct = pd.factorize(types)
    return np.array([fn(t) for t in distinct], dtype=dtype)[codes]


def _is_str_mask(values: np.ndarray) -> np.ndarray:
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return np.ones(len(values), dtype=bool)  # the usual case, checked in C
    return _type_mask(values, lambda t: issubclass(t, str))


# -- code points ------------------------------------------------------------------------------


def _join(values: np.ndarray) -> str:
    """All strings joined by NUL (which XML cells cannot hold; one found is made a space)."""
    joined = "\x00".join(values)
    if joined.count("\x00") != len(values) - 1:  # a NUL after all: make it a space
        joined = "\x00".join(v.replace("\x00", " ") for v in values)
    return joined


def _encode(joined: str) -> np.ndarray:
    return np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _to_codepoints(values: np.ndarray) -> np.ndarray:
    """All strings as one uint32 array, separated by 0 (see _join)."""
    return _encode(_join(values)).copy()


def _decode(cp: np.ndarray) -> str:
    return cp.tobytes().decode("utf-32-le", "surrogatepass")


def _from_codepoints(cp: np.ndarray) -> np.ndarray:
    """Back to an object array of str; empty strings become NaN."""
    out = np.array(_decode(cp).split("\x00"), dtype=object)
    out[out == ""] = np.nan
    return out


def _map_strings(text: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply a code-point transformation to the str entries of `text` (NaN stays NaN)."""
    out = np.full(len(text), np.nan, dtype=object)
    has = ~pd.isna(text)
    if has.any():
        out[has] = _from_codepoints(fn(_to_codepoints(text[has])))
    return out


def _rows_hit(cp: np.ndarray, hits: np.ndarray, n: int) -> np.ndarray:
    """Per string of `cp` (n strings separated by 0): does it hold one of the positions `hits`?"""
    rows = np.zeros(n, dtype=bool)
    if len(hits):
        rows[np.searchsorted(np.flatnonzero(cp == 0), hits)] = True
    return rows


def _recode(
    strings: np.ndarray,
    fn: Callable[[np.ndarray], np.ndarray],
    touches: np.ndarray,
    replace: tuple[str, str] | None = None,
) -> np.ndarray:
    """`_from_codepoints(fn(_to_codepoints(strings)))`, then `str.replace(*replace)` on each
    result, computed for the strings that need it only.

    `touches` marks every code point `fn` may change or drop; it must include every
    whitespace character (_join turns a NUL into a space). A string without any of them is
    its own result (only replaced, when it holds replace's old text): `fn` runs on the
    others only. Every result is a new str object, decoded in one piece: keeping the
    sender's objects saves ~40 ms a column here, but leaves the strings scattered among the
    raw cells the run frees; the base-list match, roster and store then ran ~2 s slower in
    all on the national benchmark (memory locality)."""
    if not len(strings):
        return np.array(strings, dtype=object)
    cp = _encode(_join(strings))
    out = np.array(_decode(cp).split("\x00"), dtype=object)
    change = _rows_hit(cp, np.flatnonzero(touches[cp]), len(out))
    if change.any():
        text = _decode(fn(_to_codepoints(strings[change])))
        if replace is not None:  # no NUL in either text: the same as per string
            text = text.replace(*replace)
        out[change] = text.split("\x00")
    if replace is not None:
        found = _rows_hit(cp, _find(cp, replace[0]), len(out)) & ~change
        out[found] = [s.replace(*replace) for s in out[found]]
    out[out == ""] = np.nan
    return out


def _find(cp: np.ndarray, literal: str) -> np.ndarray:
    """Start positions of `literal` (no NUL, not empty) in the code points."""
    pattern = _encode(literal)
    at = np.flatnonzero(cp[: max(len(cp) - len(pattern) + 1, 0)] == pattern[0])
    for j in range(1, len(pattern)):
        at = at[cp[at + j] == pattern[j]]
    return at


def _recode_text(
    text: np.ndarray,
    fn: Callable[[np.ndarray], np.ndarray],
    touches: np.ndarray,
    replace: tuple[str, str] | None = None,
) -> np.ndarray:
    """_recode over the str entries of `text` (NaN stays NaN)."""
    has = ~pd.isna(text)
    if has.all():
        return _recode(text, fn, touches, replace)
    out = np.full(len(text), np.nan, dtype=object)
    if has.any():
        out[has] = _recode(text[has], fn, touches, replace)
    return out


def _clean_codepoints(cp: np.ndarray) -> np.ndarray:
    """Half-width, zero-width removed, whitespace runs → one space, trimmed."""
    if not cp.size:
        return cp
    full = (cp >= 0xFF01) & (cp <= 0xFF5E)
    cp[full] -= 0xFEE0
    zero_width = _IS_ZERO_WIDTH[cp]
    if zero_width.any():
        cp = cp[~zero_width]
    space = _IS_SPACE[cp]
    cp[space] = 0x20
    # drop a space that follows a space or a string start: runs shrink to one, leading go
    after_gap = np.concatenate(([True], (space | (cp == 0))[:-1]))
    cp = cp[~(space & after_gap)]
    if not cp.size:
        return cp
    # drop the one space left before a string end
    before_end = np.concatenate(((cp == 0)[1:], [True]))
    return cp[~((cp == 0x20) & before_end)]


def _upper_ascii(cp: np.ndarray) -> np.ndarray:
    lower = (cp >= 0x61) & (cp <= 0x7A)
    cp[lower] -= 0x20
    return cp


def _code_codepoints(cp: np.ndarray) -> np.ndarray:
    return _upper_ascii(cp[~_CODE_DROP[cp]])


# What each transformation may change (see _recode): a string with none of these is kept.
_ASCII_LOWER_CP = np.zeros(0x110000, dtype=bool)
_ASCII_LOWER_CP[ord("a") : ord("z") + 1] = True
_CLEAN_TOUCHES = _IS_SPACE | _IS_ZERO_WIDTH
_CLEAN_TOUCHES[0xFF01:0xFF5F] = True
_CODE_TOUCHES = _CODE_DROP | _ASCII_LOWER_CP
_CLEAN_CODE_TOUCHES = _CLEAN_TOUCHES | _CODE_TOUCHES
_NOT_ASCII_DIGIT = np.ones(0x110000, dtype=bool)
_NOT_ASCII_DIGIT[[0, *range(ord("0"), ord("9") + 1)]] = False


@cache
def _is_word_table() -> np.ndarray:
    """Characters a name key keeps (str.isalnum, as regex \\w without "_"); astral kept."""
    table = np.ones(0x110000, dtype=bool)
    table[:0x10000] = np.fromiter((chr(c).isalnum() for c in range(0x10000)), bool, 0x10000)
    table[0] = True  # the separator
    return table


def _name_key_codepoints(cp: np.ndarray) -> np.ndarray:
    return _upper_ascii(cp[_is_word_table()[cp]])


@cache
def _name_key_touches() -> np.ndarray:
    return ~_is_word_table() | _ASCII_LOWER_CP


# -- text ---------------------------------------------------------------------------------------


def to_halfwidth(s: pd.Series) -> pd.Series:
    """Full-width ASCII (and （）) to half-width, U+3000 to a space; CJK untouched."""
    out = s.astype("str")
    # translate with a dict table costs a lookup per character: only touch the rows that need it
    needs = out.str.contains(_FULLWIDTH_RE, regex=True, na=False)
    if needs.any():
        out = out.mask(needs, out[needs].str.translate(_HALFWIDTH))
    return out


def _format_float(f: float) -> str:
    """A number as Excel shows it in General format: 15 significant digits, no exponent."""
    if f != f or f in (np.inf, -np.inf):
        return str(f)
    text = format(Decimal(format(f + 0.0, ".15g")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _format_scalar(v: object) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return _format_float(float(v))
    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v)
    if isinstance(v, dt.date):  # datetime and pd.Timestamp are dates too
        return f"{v.year:04d}-{v.month:02d}-{v.day:02d}"
    if isinstance(v, dt.time):
        return v.isoformat()
    return str(v)


def _render(uniques: np.ndarray, is_str: np.ndarray | None = None) -> np.ndarray:
    """clean_text of distinct raw values (object array of str or NaN); `is_str`: which are str."""
    out = np.full(len(uniques), np.nan, dtype=object)
    if not len(uniques):
        return out
    if is_str is None:
        is_str = _is_str_mask(uniques)
    if is_str.any():
        out[is_str] = _recode(uniques[is_str], _clean_codepoints, _CLEAN_TOUCHES)
    other = np.flatnonzero(~is_str)
    if len(other):
        vals = uniques[other]
        is_float = _type_mask(vals, lambda t: issubclass(t, (float, np.floating)))
        f = vals[is_float].astype(float)
        # integral floats below 1e15 are exact in int64: format them in one numpy call
        fast = np.isfinite(f) & (np.abs(f) < 1e15) & (f == np.round(f))
        idx_float = other[is_float]
        out[idx_float[fast]] = f[fast].astype(np.int64).astype(str).astype(object)
        slow = np.concatenate([idx_float[~fast], other[~is_float]]).astype(np.intp)
        if len(slow):
            rendered = np.array([_format_scalar(uniques[i]) for i in slow], dtype=object)
            out[slow] = _recode(rendered, _clean_codepoints, _CLEAN_TOUCHES)
    return out


def clean_text(s: pd.Series) -> pd.Series:
    """Raw cells to text: half-width, trimmed, whitespace runs collapsed; numbers without a
    spurious ".0" (15 significant digits, as Excel shows them), dates as YYYY-MM-DD."""
    fac = _Factorized(s, text_only=True)
    return _text_series(fac, fac.text)


def clean_code(s: pd.Series) -> pd.Series:
    """Identifier text: clean_text, then whitespace and quote marks removed, upper-cased."""
    fac = _Factorized(s, text_only=True)
    return _text_series(fac, _code_of(fac))


def _code_u(text: np.ndarray) -> np.ndarray:
    return _recode_text(text, _code_codepoints, _CODE_TOUCHES)


def _clean_code_codepoints(cp: np.ndarray) -> np.ndarray:
    return _code_codepoints(_clean_codepoints(cp))


def _code_of(fac: _Factorized) -> np.ndarray:
    """_code_u(fac.text), with clean and code in one pass over the strings' code points."""
    out = np.full(len(fac.uniques), np.nan, dtype=object)
    if fac.is_str.any():
        out[fac.is_str] = _recode(
            fac.uniques[fac.is_str], _clean_code_codepoints, _CLEAN_CODE_TOUCHES
        )
    other = ~fac.is_str
    if other.any():
        out[other] = _code_u(_render(fac.uniques[other], fac.is_str[other]))
    return out


_MOBILE_RE = re.compile(r"(?:\+86|0086|86)?(1\d{10})|(\d+)")
_NUMBER_TEXT_RE = re.compile(r"(\d+)\.0+")  # 13812345678.0 kept as text by a CSV round trip


def _mobile_u(code: np.ndarray) -> np.ndarray:
    """Mobile numbers from their clean_code text (see clean_mobile)."""
    # Digits only (the usual 13812345678) are their own result, unless 13 or 15 long, where a
    # 86 / 0086 prefix may go: found with numpy, the regex runs on the other values only.
    has = np.flatnonzero(~pd.isna(code))
    if not len(has):
        return code
    cp = _encode(_join(code[has]))
    ends = np.flatnonzero(cp == 0)
    lengths = np.diff(np.concatenate(([-1], ends, [len(cp)]))) - 1
    other = _rows_hit(cp, np.flatnonzero(_NOT_ASCII_DIGIT[cp]), len(has))
    todo = has[other | (lengths == 13) | (lengths == 15)]
    stripped = _map_strings(code[todo], lambda cp: cp[~_MOBILE_DROP[cp]])
    for i, t in zip(todo, stripped, strict=True):  # one regex per remaining distinct number
        if not isinstance(t, str):
            continue
        number = _NUMBER_TEXT_RE.fullmatch(code[i])
        m = _MOBILE_RE.fullmatch(number[1] if number else t)
        if m:
            code[i] = m[1] or m[2]
    return code


def clean_mobile(s: pd.Series) -> pd.Series:
    """Mobile numbers: spaces, dashes, brackets, dots and a +86/0086/86 prefix removed; the
    digits, or clean_code text when something else remains."""
    fac = _Factorized(s, text_only=True)
    return _text_series(fac, _mobile_u(_code_of(fac)))


def _name_key_u(text: np.ndarray) -> np.ndarray:
    return _recode_text(
        text, _name_key_codepoints, _name_key_touches(), replace=("有限责任公司", "有限公司")
    )


def name_key(s: pd.Series) -> pd.Series:
    """Enterprise name in matching form: no whitespace or punctuation (bracketed text kept),
    ASCII upper-cased, 有限责任公司 → 有限公司."""
    fac = _Factorized(s, text_only=True)
    return _text_series(fac, _name_key_u(fac.text))


# -- dates --------------------------------------------------------------------------------------

_DATE_RE = (
    r"^(?:(?P<y>\d{4})\s*[年./\-]\s*(?P<m>\d{1,2})\s*"
    r"(?:[月./\-]\s*(?P<d>\d{1,2})\s*[日号]?(?:\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"|(?P<mo>月份?)?)"
    r"|(?P<cy>\d{4})(?P<cm>\d{2})(?P<cd>\d{2}))$"
)


def _kind(t: type) -> str:
    """Of a value's type: d date, n number, s text, - other."""
    if issubclass(t, (dt.date, np.datetime64)):
        return "d"
    if _is_number_type(t):
        return "n"
    return "s" if issubclass(t, str) else "-"


def _dates_u(uniques: np.ndarray, text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[ns] array, month_only array) for distinct raw values."""
    n = len(uniques)
    year = np.full(n, np.nan)
    month = np.full(n, np.nan)
    day = np.full(n, np.nan)
    month_only = np.zeros(n, dtype=bool)
    kinds = _per_type(uniques, _kind, "<U1")
    for i in np.flatnonzero(kinds == "d"):
        d = uniques[i]
        d = pd.Timestamp(d) if isinstance(d, np.datetime64) else d
        year[i], month[i], day[i] = d.year, d.month, d.day

    num = np.flatnonzero(kinds == "n")
    if len(num):
        f = uniques[num].astype(float)
        serial = np.floor(f)
        # 1985.06 typed as a number is a 出生年月 (year.month), not serial 1985 (1905-06-07);
        # no field here has a date in 1905, so numbers 1900..2099 are read as year.month.
        yearish = (f >= _YEAR_MIN) & (f < _YEAR_MAX + 1)
        ok = (serial >= 1) & (serial <= _EXCEL_MAX_SERIAL) & (serial != 60) & ~yearish
        base = np.where(serial >= 61, np.datetime64("1899-12-30"), np.datetime64("1899-12-31"))
        days = base + np.where(ok, serial, 0).astype("timedelta64[D]")
        ymd = pd.DatetimeIndex(days.astype("datetime64[s]"))
        year[num[ok]] = ymd.year[ok]
        month[num[ok]] = ymd.month[ok]
        day[num[ok]] = ymd.day[ok]
        for j in np.flatnonzero(yearish):
            ym = _year_month_number(float(f[j]))
            if ym is not None:
                i = num[j]
                year[i], month[i], day[i] = ym[0], ym[1], 1
                month_only[i] = True

    txt = np.flatnonzero(kinds == "s")
    if len(txt):
        parts = pd.Series(text[txt], dtype="str").str.extract(_DATE_RE)
        is_month = parts["mo"].notna() | (parts["m"].notna() & parts["d"].isna())
        y = pd.to_numeric(parts["y"].fillna(parts["cy"]))
        m = pd.to_numeric(parts["m"].fillna(parts["cm"]))
        d = pd.to_numeric(parts["d"].fillna(parts["cd"])).mask(is_month, 1)
        year[txt], month[txt], day[txt] = y.to_numpy(float), m.to_numpy(float), d.to_numpy(float)
        month_only[txt] = is_month.to_numpy(bool)

    bad = ~((year >= _YEAR_MIN) & (year <= _YEAR_MAX))
    year[bad] = np.nan
    parsed = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce"
    ).astype("datetime64[ns]")
    values = parsed.to_numpy()
    return values, month_only & ~np.isnat(values)


def _year_month_number(f: float) -> tuple[int, int] | None:
    """1985.06 → (1985, 6); 1985.1 is 1 or 10 (Excel dropped the zero) and 1985 has no month."""
    text = format(f, ".15g")
    if "." not in text:
        return None
    y, frac = text.split(".")
    if frac == "1" or len(frac) > 2 or not 1 <= int(frac) <= 12:
        return None
    return int(y), int(frac)


def _dates_of(fac: _Factorized) -> tuple[pd.Series, pd.Series]:
    values, month_only = _dates_u(fac.uniques, fac.text)
    parsed = pd.Series(fac.spread(values, np.datetime64("NaT", "ns")), index=fac.index)
    return parsed.astype("datetime64[ns]"), _bool_series(fac, month_only)


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Raw date cells → (datetime64[ns], NaT when empty or not a date; month_only bool).

    Accepts dates, Excel serials (1900 system), 2022年2月22日, 2022.2.22, 2022-02-22, 2022/2/22,
    20220222, and year-month forms 2022年2月, 2022.02, 2022-02 (first day, month_only). A number
    1900..2099 is year.month (1985.06 typed into a 出生年月 cell), not a serial. Pass raw
    cells: clean_text has already turned a number such as 1985.10 into "1985.1"."""
    return _dates_of(_Factorized(s))


# -- vocabularies -------------------------------------------------------------------------------

# GB/T 4658 学历代码 (10 研究生, 20 本科, 30 专科, 40 中专, 60 高中, 70 初中 and their 毕业 codes).
_EDUCATION_CODES = {
    10: 6, 11: 6, 12: 6, 13: 6, 14: 6, 20: 5, 21: 5, 30: 4, 31: 4, 40: 3, 41: 3,
    60: 2, 61: 2, 70: 1, 71: 1,
}  # fmt: skip
# 在读: studying for that level; 肄业: left without the certificate. Either way not attained.
_NOT_ATTAINED = ("在读", "肄业")


# Words around a level that do not change it: how it was studied (函授本科, 在职研究生) and
# how it is written (本科毕业, 大专及以上, 本科学历). Anything else left over is unknown: a
# substring match would read 社会大学 as 本科.
_EDU_PREFIX = re.compile(
    r"^(?:非?全日制|(?:网络|成人|继续|远程|开放)教育|高等教育自学考试|自学考试|电大|夜大|函授|"
    r"自考|成人|成教|网络|网教|远程|业余|在职|开放|在读)+"
)
_EDU_SUFFIX = re.compile(r"(?:毕业|学历|学位|文化|程度|及以上|以上|在读|肄业|结业)+$")
_EDU_SPLIT = re.compile(r"[/、,，;；+()（）\[\]【】]")


@lru_cache(maxsize=4096)
def _education_one(text: str) -> tuple[int, bool]:
    """(level or 0 when unknown, in_progress) of one cleaned value."""
    t = re.sub(r"\s+", "", text).upper()
    if re.fullmatch(r"\d{2}", t):
        return _EDUCATION_CODES.get(int(t), 0), False
    if "以下" in t:  # 初中以下 / 高中以下: an upper bound, not a level
        return 0, False
    levels = []
    for part in filter(None, _EDU_SPLIT.split(t)):
        word = _EDU_SUFFIX.sub("", _EDU_PREFIX.sub("", part))
        if not word:  # a bracketed 在读 / 毕业 on its own
            continue
        if word not in EDUCATION_WORDS:
            return 0, False
        levels.append(EDUCATION_WORDS[word])
    if not levels:
        return 0, False
    return max(levels), any(w in t for w in _NOT_ATTAINED)


def _vocab_u(
    text: np.ndarray, one: Callable[[str], tuple[int, bool]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply a cached scalar parser to distinct cleaned values: (level int8, NA mask, flag)."""
    level = np.zeros(len(text), dtype=np.int8)
    flag = np.zeros(len(text), dtype=bool)
    for i, t in enumerate(text):
        if isinstance(t, str):
            level[i], flag[i] = one(t)
    return level, level == 0, flag


def _int8_series(fac: _Factorized, level: np.ndarray, na: np.ndarray) -> pd.Series:
    return fac.series(pd.arrays.IntegerArray(level, na))


def _education_of(fac: _Factorized) -> tuple[pd.Series, pd.Series]:
    level, na, in_progress = _vocab_u(fac.text, _education_one)
    return _int8_series(fac, level, na), _bool_series(fac, in_progress & ~na)


def parse_education(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """学历 → (level Int8: 1 初中 … 7 博士, NA when empty or unknown; in_progress bool for
    在读 / 肄业). Unknown words stay NA: the validator reports education_unknown."""
    return _education_of(_Factorized(s))


_SKILL_GRADES = frozenset(
    {"技师", "高级技师", "预备技师", "技工", "高级工", "中级工", "初级工", "普工"}
)
# 员级 titles; other "...员" words (质检员, 检验员) are jobs, not titles.
_JUNIOR_TITLES = ("技术员", "会计员", "统计员", "经济员", "审计员", "实习员")


@lru_cache(maxsize=4096)
def _title_part(part: str) -> int:
    p = re.sub(r"[()\[\]【】]", "", part)
    if not p or p in _SKILL_GRADES or (p.endswith("技师") and p.startswith(("高级", "一级"))):
        return 0
    if "建造师" in p or "注册" in p:  # 执业资格 (licences) have no title level
        return 0
    if any(w in p for w in ("正高", "教授级", "研究员级")):
        return 4
    if any(w in p for w in ("副高", "副教授", "副研究员", "副主任")):
        return 3
    if "助理研究员" in p:
        return 2
    if p in ("教授", "研究员") or p.endswith(("教授", "研究员", "主任医师")):
        return 4
    if "高级" in p or "高工" in p:
        return 3
    if "中级" in p:
        return 2
    if any(w in p for w in ("初级", "助理", "助教")) or p.endswith(_JUNIOR_TITLES):
        return 1
    if p.endswith("师"):  # 工程师, 经济师, 会计师, 统计师...: the bare series is 中级
        return 2
    return 0


def _title_one(text: str) -> tuple[int, bool]:
    parts = re.split(r"[、,，/;；\s]+|及|和", text.upper())
    return max((_title_part(p) for p in parts), default=0), False


def _title_of(fac: _Factorized) -> pd.Series:
    level, na, _ = _vocab_u(fac.text, _title_one)
    return _int8_series(fac, level, na)


def parse_title(s: pd.Series) -> pd.Series:
    """职称 → Int8 1 初级, 2 中级, 3 副高级, 4 正高级; NA for skill grades (技师), licences,
    unknown text and empty cells. Several titles: the highest."""
    return _title_of(_Factorized(s))


def _map_words(text: np.ndarray, table: dict[str, str]) -> np.ndarray:
    """Distinct cleaned values replaced by their table entry when they have one."""
    return np.array(
        [table.get(_lower_nospace(t), t) if isinstance(t, str) else t for t in text],
        dtype=object,
    )


def _lower_nospace(v: str) -> str:
    return re.sub(r"\s+", "", v).lower()


_GENDER = {w: "男" for w in ("男", "男性", "男士", "m", "male")} | {
    w: "女" for w in ("女", "女性", "女士", "f", "female")
}


def parse_gender(s: pd.Series) -> pd.Series:
    """性别 → 男 / 女 when recognisable (男性, M, male...), else the cleaned text."""
    fac = _Factorized(s)
    return _text_series(fac, _map_words(fac.text, _GENDER))


_FLAG_TRUE = frozenset("是 已 已参加 已签订 已签 已提交 已完成 有 √ ✓ ✔ y yes true 1".split())
# "x" is left out: some people tick a box with an X, others cross it out.
_FLAG_FALSE = frozenset("否 未 未参加 未签订 未签 未提交 未完成 无 没有 × ✗ ✘ n no false 0".split())


@lru_cache(maxsize=4096)
def _flag_one(text: str) -> int:
    """1 True, 0 False, -1 NA."""
    t = _lower_nospace(text)
    if t in _FLAG_TRUE:
        return 1
    if t in _FLAG_FALSE:
        return 0
    if re.fullmatch(r"已[^未没无不]{1,8}", t):  # 已参加培训, 已于3月签订
        return 1
    if re.fullmatch(r"(?:未|没有?|尚未)\S{1,8}", t):  # 未参加培训, 没有签
        return 0
    return -1


def _flag_series(fac: _Factorized) -> pd.Series:
    v = np.array([_flag_one(t) if isinstance(t, str) else -1 for t in fac.text], dtype=np.int8)
    return fac.series(pd.arrays.BooleanArray(v == 1, v < 0))


def parse_flag(s: pd.Series) -> pd.Series:
    """是/否, 已/未, √/×, Y/N, TRUE/FALSE, 1/0 → pandas boolean; NA when empty or other."""
    return _flag_series(_Factorized(s))


_TENURE = {w: "在任" for w in "在任 在职 现任 聘任中 在岗 新任 新聘 续任 留任 是".split()} | {
    w: "离任" for w in "离任 离职 已离任 已离职 解聘 已解聘 免职 辞职 调离 退休 否".split()
}


def parse_tenure(s: pd.Series) -> pd.Series:
    """任职状态 → 在任 / 离任 when recognisable (是/否 answer a 是否在任 header), else text."""
    fac = _Factorized(s)
    return _text_series(fac, _map_words(fac.text, _TENURE))


_SCALE = {
    f"{size}{suffix}": f"{size}型" for size in "大中小微" for suffix in ("", "型", "型企业", "企业")
}
# 小微 does not say which of the two; both get the same relaxed rules, so 小型 is safe.
_SCALE |= {"小微": "小型", "小微型": "小型", "小微企业": "小型", "小微型企业": "小型"}


def parse_scale(s: pd.Series) -> pd.Series:
    """企业规模 → 大型 / 中型 / 小型 / 微型 when recognisable (小微 → 小型), else text."""
    fac = _Factorized(s)
    return _text_series(fac, _map_words(fac.text, _SCALE))


# -- years of quality work ----------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_NUM = r"\d+(?:\.\d+)?|[零〇一二两三四五六七八九十]+"
_MORE = r"余|多|\+|有余"
_YEARS_RE = re.compile(
    rf"^(?P<pre>近|约|大约|大概|将近|接近|差不多|快)?"
    rf"(?:(?P<y>{_NUM})(?:{_MORE})?年(?P<half>半)?(?:零?(?P<m>{_NUM})个?月)?"
    rf"|(?P<halfonly>半)年"
    rf"|(?P<months>{_NUM})(?:{_MORE})?个?月"
    rf"|(?P<bare>{_NUM})(?:{_MORE})?)"
    rf"(?P<suf>以上|{_MORE}|左右|上下)?$"
)
_SINCE_RE = re.compile(
    r"^(?:自|从|于)?(?P<y>(?:19|20)\d{2})(?:年|[./\-])?"
    r"(?:(?P<m>\d{1,2})月?(?:[./\-]?\d{1,2}日?)?)?份?(?P<tail>.*)$"
)
_SINCE_TAIL_RE = re.compile(
    r"^[-~—–至到]*(?:起|开始)?[-~—–至到]*(?:今|至今|迄今|现在|目前|今天|以来)?(?:止)?$"
)


def _cn_number(t: str) -> float | None:
    """Arabic or Chinese numeral up to 99 (五, 十二, 二十, 两)."""
    if t[0].isdigit():
        return float(t)
    if "十" in t:
        tens, _, ones = t.partition("十")
        if len(tens) > 1 or len(ones) > 1 or "十" in ones:
            return None
        return 10 * (_CN_DIGITS[tens] if tens else 1) + (_CN_DIGITS[ones] if ones else 0)
    return float(_CN_DIGITS[t]) if len(t) == 1 else None


@lru_cache(maxsize=16384)
def _years_one(text: str, quarter_end: dt.date) -> tuple[float, bool]:
    """(years or NaN, approx) of one cleaned value."""
    t = re.sub(r"\s+", "", text).rstrip("。.,，;；")
    m = _SINCE_RE.match(t)
    if (
        m
        and m["tail"]
        and _SINCE_TAIL_RE.match(m["tail"])
        and re.search("起|开始|今|现在|目前|以来", m["tail"])
    ):
        month = int(m["m"]) if m["m"] else 1
        if not 1 <= month <= 12:
            return np.nan, False
        start = dt.date(int(m["y"]), month, 1)
        years = round((quarter_end - start).days / 365.25, 1)
        return (years, False) if 0 <= years <= 60 else (np.nan, False)
    m = _YEARS_RE.match(t)
    if not m:
        return np.nan, False
    if m["halfonly"]:
        value: float | None = 0.5
    elif m["months"]:
        months = _cn_number(m["months"])
        value = None if months is None else months / 12
    else:
        value = _cn_number(m["y"] or m["bare"])
        if value is not None:
            value += 0.5 if m["half"] else 0
            if m["m"]:
                months = _cn_number(m["m"])
                value = None if months is None or months >= 12 else value + months / 12
    if value is None or not 0 <= value <= 60:
        return np.nan, False
    return float(value), bool(m["pre"]) or m["suf"] in ("左右", "上下")


def _years_u(
    uniques: np.ndarray, text: np.ndarray, quarter_end: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    value = np.full(len(uniques), np.nan)
    approx = np.zeros(len(uniques), dtype=bool)
    for i, (raw, t) in enumerate(zip(uniques, text, strict=True)):
        if _is_number(raw):
            value[i] = raw if 0 <= raw <= 60 else np.nan
        elif isinstance(raw, str) and isinstance(t, str):
            value[i], approx[i] = _years_one(t, quarter_end)
    return value, approx & ~np.isnan(value)


def _years_of(fac: _Factorized, quarter_end: dt.date) -> tuple[pd.Series, pd.Series]:
    value, approx = _years_u(fac.uniques, fac.text, _as_date(quarter_end))
    return _float_series(fac, value), _bool_series(fac, approx)


def parse_quality_years(s: pd.Series, quarter_end: dt.date) -> tuple[pd.Series, pd.Series]:
    """质量工作年限 → (years float64, approx bool). Lower bounds (10年以上, 10余年, 5+) give
    the number; 近5年 / 约8年 / 8年左右 are approx; 2015年至今 counts to quarter_end. NaN when
    empty, not a duration, negative or over 60 (quality_years_format)."""
    return _years_of(_Factorized(s), quarter_end)


def _as_date(d: dt.date) -> dt.date:
    return pd.Timestamp(d).date()


# -- the whole frame ----------------------------------------------------------------------------


# Fields that are only cleaned as text (see _Factorized): no date, vocabulary or number parser.
_TEXT_ONLY = frozenset(FIELDS) - {
    *DATE_FIELDS,
    *FLAG_FIELDS,
    "education",
    "title",
    "quality_years",
    "gender",
    "tenure_status",
    "scale",
}


def normalize_records(raw: pd.DataFrame, quarter_end: dt.date) -> pd.DataFrame:
    """Raw records (docs/frames.md §1) → normalized records (§2): provenance and other "_"
    columns kept, every FIELDS key as cleaned str, plus the parsed columns. Pure."""
    facs = {
        f: _Factorized(raw[f], text_only=f in _TEXT_ONLY)
        if f in raw.columns
        else _Factorized.empty(raw.index)
        for f in FIELDS
    }
    vocab = {"gender": _GENDER, "tenure_status": _TENURE, "scale": _SCALE}

    # The reader's columns are copied: a view would keep all of `raw`'s cells alive (the
    # caller frees them after this step); every other column below is a new array, so the
    # frame is built without copying them again (copy=False at the end).
    cols: dict[str, pd.Series] = {c: raw[c].copy() for c in raw.columns if str(c).startswith("_")}
    for field, fac in facs.items():
        if field in CODE_FIELDS:
            text = _code_of(fac)
        elif field == "mobile":
            text = _mobile_u(_code_of(fac))
        elif field in vocab:
            text = _map_words(fac.text, vocab[field])
        else:
            text = fac.text
        cols[field] = _text_series(fac, text)
    for c in raw.columns:  # anything else the reader added travels along untouched
        if c not in cols:
            cols[c] = raw[c].copy()

    ids = facs["id_number"]
    cols["id_numeric"] = _bool_series(ids, _type_mask(ids.uniques, _is_number_type))
    for field in DATE_FIELDS:
        cols[f"{field}_parsed"], month_only = _dates_of(facs[field])
        if field == "birth_date":
            cols["birth_date_month_only"] = month_only
    cols["education_level"], cols["education_in_progress"] = _education_of(facs["education"])
    cols["title_level"] = _title_of(facs["title"])
    cols["quality_years_value"], cols["quality_years_approx"] = _years_of(
        facs["quality_years"], quarter_end
    )
    for field in FLAG_FIELDS:
        cols[f"{field}_flag"] = _flag_series(facs[field])
    names = facs["enterprise_name"]
    cols["name_key"] = _text_series(names, _name_key_u(names.text))
    return pd.DataFrame(cols, index=raw.index, copy=False)
