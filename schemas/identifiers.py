"""Vectorized checks of resident ID numbers, credit codes, phones, e-mails and postcodes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd

# -- resident ID number (GB 11643-1999) ------------------------------------------------------

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_WEIGHTS_16 = ID_WEIGHTS.astype(np.int16)  # 9 × sum(weights) = 900 fits
ID_CHECK_CHARS = "10X98765432"
_ID_CHECK_CODES = np.array([ord(c) for c in ID_CHECK_CHARS], dtype=np.uint32)

# Province-level codes of the mainland (GB/T 2260), as the first two digits of a region code.
PROVINCES = frozenset(
    (
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
    )
)
# Residence permits of Taiwan (71 on old cards, 83 on permits), Hong Kong (81) and Macao (82):
# same structure and checksum, a region code the county table does not list.
PERMIT_PROVINCES = frozenset((71, 81, 82, 83))
_PROVINCE_TABLE = np.zeros(100, dtype=bool)
_PROVINCE_TABLE[list(PROVINCES)] = True
_PERMIT_TABLE = np.zeros(100, dtype=bool)
_PERMIT_TABLE[list(PERMIT_PROVINCES)] = True

_ZERO, _NINE, _X, _LOWER_X = ord("0"), ord("9"), ord("X"), ord("x")

ID_CHECK_COLUMNS = (
    "format_ok",
    "is_15",
    "province_ok",
    "checksum_ok",
    "birth_ok",
    "valid",
    "birth",
    "male",
    "region_known",
)


@cache
def known_regions() -> frozenset[int]:
    """Every 6-digit region code in python-stdnum's cn/loc table, in any period.

    A code counts whatever its years of use: 崇阳县 is 422325 before 1998 and 421223 after, and
    an ID keeps the code in force when it was issued.
    """
    from stdnum import numdb

    codes: set[int] = set()

    def walk(prefixes: list, head: str) -> None:
        for length, low, high, _props, children in prefixes:
            for value in range(int(low), int(high) + 1):
                code = head + str(value).zfill(length)
                if len(code) == 6:
                    codes.add(int(code))
                elif len(code) < 6:
                    walk(children, code)

    walk(numdb.get("cn/loc").prefixes, "")
    return frozenset(codes)


@cache
def _known_region_array() -> np.ndarray:
    return np.array(sorted(known_regions()), dtype=np.int64)


def _text(s: pd.Series) -> pd.Series:
    """Text form of a column: str dtype, missing kept missing."""
    if s.dtype == "str":
        return s
    return s.astype("str").where(s.notna())


def _codepoints(
    text: pd.Series, width: int, lengths: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(n × width) uint32 matrix of code points (0-padded, longer text cut) and text lengths
    (`lengths` when the caller has them)."""
    lengths = _lengths(text) if lengths is None else lengths
    arr = text.to_numpy(dtype=object, na_value="").astype(f"<U{width}")
    return arr.view(np.uint32).reshape(len(text), width), lengths


def _lengths(text: pd.Series) -> np.ndarray:
    """Length of each text, -1 where missing."""
    return text.str.len().fillna(-1).to_numpy(dtype=np.int64)


def _digit_matrix(cp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(is ASCII digit, digit value: 0 where not a digit) of a code-point matrix, as bool and
    uint8: an int64 (or uint32) copy of a 500k × 18 matrix costs more than the checks
    themselves, most of it touching fresh memory."""
    is_digit = (cp >= _ZERO) & (cp <= _NINE)
    digits = cp.astype(np.uint8)  # wraps for other code points: zeroed below
    digits -= _ZERO
    digits *= is_digit
    return is_digit, digits


def _digits_value(d: np.ndarray) -> np.ndarray:
    """Integer value of each row of a digit matrix (n × k, values 0-9)."""
    out = np.zeros(d.shape[0], dtype=np.int64)
    for j in range(d.shape[1]):
        out = out * 10 + d[:, j]
    return out


def _dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """datetime64[D] of (year, month, day), NaT where that is not a real calendar date."""
    ok = (year >= 1) & (year <= 9999) & (month >= 1) & (month <= 12) & (day >= 1)
    y = np.where(ok, year, 1970) - 1970
    m = np.where(ok, month, 1) - 1
    first = y.astype("datetime64[Y]").astype("datetime64[M]") + m.astype("timedelta64[M]")
    start = first.astype("datetime64[D]")
    days_in_month = ((first + np.timedelta64(1, "M")).astype("datetime64[D]") - start).astype(
        np.int64
    )
    ok &= day <= days_in_month
    dates = start + (np.where(ok, day, 1) - 1).astype("timedelta64[D]")
    return np.where(ok, dates, np.datetime64("NaT"))


def id_check_char(body: pd.Series) -> pd.Series:
    """The GB 11643 check character of each 17-digit body (NaN where the body is not 17 digits)."""
    text = _text(body)
    cp, n = _codepoints(text, 17)
    ok = (n == 17) & ((cp >= _ZERO) & (cp <= _NINE)).all(axis=1)
    digits = np.where(ok[:, None], cp.astype(np.int64) - _ZERO, 0)
    chars = np.array(list(ID_CHECK_CHARS), dtype=object)[(digits @ ID_WEIGHTS) % 11]
    return pd.Series(chars, index=body.index, dtype="str").where(ok)


def id_check(s: pd.Series, today: dt.date | None = None, min_year: int = 1900) -> pd.DataFrame:
    """Structure of each resident ID number, vectorized over the whole Series.

    Columns (index of `s`):
    - format_ok: 18 characters, 17 digits then a digit or X (x accepted);
    - is_15: 15 digits (first generation, no check character);
    - province_ok: the first two digits are a province (18-digit: also 71/81/82/83 permits and
      9x foreigners' permanent-residence IDs; 15-digit: mainland provinces only);
    - checksum_ok: the check character matches (18-digit only);
    - birth_ok: the birth date is a real date, not after `today`, not before `min_year`;
    - valid: 18-digit with all four above, or 15-digit with province and birth;
    - birth (datetime64[ns], NaT when not a date), male (boolean, NA when neither 15 nor 18
      digits), region_known (the 6-digit code is in python-stdnum's table, in any period).
    """
    today = today or dt.date.today()
    text = _text(s)
    lengths = _lengths(text)
    # Only 15 or 18 characters can be an ID: the other rows keep these values (no format,
    # no birth date, sex unknown), and the kernel runs on the candidates only.
    n_rows = len(s)
    out = {
        "format_ok": np.zeros(n_rows, dtype=bool),
        "is_15": np.zeros(n_rows, dtype=bool),
        "province_ok": np.zeros(n_rows, dtype=bool),
        "checksum_ok": np.zeros(n_rows, dtype=bool),
        "birth_ok": np.zeros(n_rows, dtype=bool),
        "valid": np.zeros(n_rows, dtype=bool),
        "birth": np.full(n_rows, np.datetime64("NaT"), dtype="datetime64[ns]"),
        "region_known": np.zeros(n_rows, dtype=bool),
    }
    male = pd.array(np.zeros(n_rows, dtype=bool), dtype="boolean")
    male[:] = pd.NA
    rows = np.flatnonzero((lengths == 15) | (lengths == 18))
    if len(rows):
        found = _id_kernel(text.iloc[rows], lengths[rows], today, min_year)
        for name, values in found.items():
            if name == "male":
                male[rows] = values
            else:
                out[name][rows] = values
    frame = pd.DataFrame(out, index=s.index)
    frame.insert(ID_CHECK_COLUMNS.index("male"), "male", male)
    return frame


def _id_kernel(text: pd.Series, n: np.ndarray, today: dt.date, min_year: int) -> dict:
    """id_check's columns for texts of 15 or 18 characters (numpy arrays)."""
    cp, _ = _codepoints(text, 18, n)
    is_digit, digits = _digit_matrix(cp)
    last = cp[:, 17]
    format_ok = (
        (n == 18)
        & is_digit[:, :17].all(axis=1)
        & (is_digit[:, 17] | (last == _X) | (last == _LOWER_X))
    )
    is_15 = (n == 15) & is_digit[:, :15].all(axis=1)

    expected = _ID_CHECK_CODES[(digits[:, :17] @ _ID_WEIGHTS_16) % 11]
    checksum_ok = format_ok & (np.where(last == _LOWER_X, _X, last) == expected)

    year = np.where(is_15, 1900 + _digits_value(digits[:, 6:8]), _digits_value(digits[:, 6:10]))
    month = np.where(is_15, _digits_value(digits[:, 8:10]), _digits_value(digits[:, 10:12]))
    day = np.where(is_15, _digits_value(digits[:, 10:12]), _digits_value(digits[:, 12:14]))
    shaped = format_ok | is_15
    birth = _dates(np.where(shaped, year, 0), month, day)
    birth_ok = ~np.isnat(birth) & (year >= min_year) & (birth <= np.datetime64(today, "D"))

    d0, d1, d2 = (digits[:, j].astype(np.int64) for j in range(3))
    province = d0 * 10 + d1
    mainland = _PROVINCE_TABLE[province]
    foreigner = d0 == 9  # 2023 permanent-residence ID: 9 + province of issue + ...
    province_ok = (format_ok & (mainland | _PERMIT_TABLE[province] | foreigner)) | (
        is_15 & mainland
    )
    region = _digits_value(digits[:, :6])
    region_known = shaped & (
        np.isin(region, _known_region_array())
        | _PERMIT_TABLE[province]
        | (foreigner & _PROVINCE_TABLE[d1 * 10 + d2])
    )

    sequence_digit = np.where(is_15, digits[:, 14], digits[:, 16])
    male = pd.array(sequence_digit % 2 == 1, dtype="boolean")
    male[~shaped] = pd.NA

    valid = (format_ok & province_ok & checksum_ok & birth_ok) | (is_15 & province_ok & birth_ok)
    # datetime64[ns] spans 1677-2262: dates outside stay NaT (they fail birth_ok anyway).
    birth = np.where((year > 1677) & (year < 2262), birth, np.datetime64("NaT"))
    return {
        "format_ok": format_ok,
        "is_15": is_15,
        "province_ok": province_ok,
        "checksum_ok": checksum_ok,
        "birth_ok": birth_ok & shaped,
        "valid": valid,
        "birth": birth.astype("datetime64[ns]"),
        "male": male,
        "region_known": region_known,
    }


def convert_15_to_18(s: pd.Series) -> pd.Series:
    """15-digit IDs as their 18-digit form ("19" after the region code, check character
    appended); every other value is returned unchanged."""
    text = _text(s)
    is_15 = text.str.fullmatch(r"\d{15}").fillna(False).astype(bool)
    body = text.str[:6] + "19" + text.str[6:]
    converted = body + id_check_char(body.where(is_15)).fillna("")
    return text.mask(is_15, converted)


# -- unified social credit code (GB 32100-2015) ----------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array(
    [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64
)
_USCC_WEIGHTS_16 = USCC_WEIGHTS.astype(np.int16)  # 30 × sum(weights) = 9150 fits
_USCC_VALUE = np.full(128, -1, dtype=np.int8)
for _i, _c in enumerate(USCC_ALPHABET):
    _USCC_VALUE[ord(_c)] = _i
    _USCC_VALUE[ord(_c.lower())] = _i


def _uscc_values(
    text: pd.Series, lengths: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(n × 18 int8 alphabet values, -1 for other characters; text lengths)."""
    cp, n = _codepoints(text, 18, lengths)
    values = _USCC_VALUE[np.minimum(cp, 127)]
    values[cp > 127] = -1
    return values, n


def uscc_check_char(body: pd.Series) -> pd.Series:
    """The GB 32100 check character of each 17-character body (NaN where not 17 alphabet chars)."""
    text = _text(body)
    values, n = _uscc_values(text)
    ok = (n == 17) & (values[:, :17] >= 0).all(axis=1)
    total = np.where(ok[:, None], values[:, :17], 0) @ _USCC_WEIGHTS_16
    chars = np.array(list(USCC_ALPHABET), dtype=object)[(31 - total % 31) % 31]
    return pd.Series(chars, index=body.index, dtype="str").where(ok)


def uscc_check(s: pd.Series) -> pd.DataFrame:
    """Unified social credit codes: `format_ok` (18 characters of the GB 32100 alphabet, digits
    in positions 3–8; letters allowed in 1–2, unlike python-stdnum) and `checksum_ok`."""
    text = _text(s)
    format_ok = np.zeros(len(s), dtype=bool)
    checksum_ok = np.zeros(len(s), dtype=bool)
    lengths = _lengths(text)
    rows = np.flatnonzero(lengths == 18)  # half the column may be empty: skip it
    if len(rows):
        values, _ = _uscc_values(text.iloc[rows], lengths[rows])
        ok = (values >= 0).all(axis=1) & (values[:, 2:8] <= 9).all(axis=1)
        # a -1 (not in the alphabet) in the sum only where ok is already False
        total = values[:, :17] @ _USCC_WEIGHTS_16
        format_ok[rows] = ok
        checksum_ok[rows] = ok & (values[:, 17] == (31 - total % 31) % 31)
    return pd.DataFrame({"format_ok": format_ok, "checksum_ok": checksum_ok}, index=s.index)


# -- phones, e-mail, postcode ------------------------------------------------------------------

MOBILE_PATTERN = r"1[3-9]\d{9}"
_LANDLINE = r"(?:\(?0\d{2,3}\)?-?)?[1-9]\d{6,7}(?:(?:-|转|EXT\.?|#)\d{1,6})?"
_PHONE_ONE = rf"(?:{_LANDLINE}|(?:\+?86)?{MOBILE_PATTERN}|[48]00-?\d{{3}}-?\d{{4}})"
PHONE_PATTERN = rf"{_PHONE_ONE}(?:[/,;、，；]{_PHONE_ONE})*"
LANDLINE_PATTERN = _LANDLINE
EMAIL_PATTERN = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
POSTCODE_PATTERN = r"[0-8]\d{5}"


def _fullmatch(
    s: pd.Series,
    pattern: str,
    case: bool = True,
    surely: Callable[[pd.Series], np.ndarray] | None = None,
) -> pd.Series:
    """True where the whole text matches; False where it does not or is missing.

    The regex runs once per distinct value (phones, e-mails and postcodes repeat a lot), and
    not on those `surely` (a vectorized test) says match.
    """
    codes, uniques = pd.factorize(_text(s))
    if len(uniques) == 0:
        return pd.Series(False, index=s.index)
    distinct = pd.Series(uniques, dtype="str")
    table = np.zeros(len(distinct) + 1, dtype=bool)  # the last entry, code -1: missing
    todo = np.arange(len(distinct))
    if surely is not None:
        sure = surely(distinct)
        table[:-1] = sure
        todo = todo[~sure]
    if len(todo):
        matched = distinct.iloc[todo].str.fullmatch(pattern, case=case)
        table[todo] = matched.fillna(False).to_numpy(dtype=bool)
    return pd.Series(table[codes], index=s.index)


def _digit_run(s: pd.Series, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(all `length` characters are ASCII digits, digit matrix: 0 where not a digit)."""
    cp, n = _codepoints(_text(s), length)
    is_digit, digits = _digit_matrix(cp)
    return (n == length) & is_digit.all(axis=1), digits


def is_mobile(s: pd.Series) -> pd.Series:
    """11 digits starting 1[3-9] (already stripped of +86 and separators)."""
    ok, d = _digit_run(s, 11)
    return pd.Series(ok & (d[:, 0] == 1) & (d[:, 1] >= 3), index=s.index)


def is_landline(s: pd.Series) -> pd.Series:
    """Area code 0 + 2–3 digits (brackets or dash optional), 7–8 digits, optional extension;
    a bare 7–8 digit local number too."""
    return _fullmatch(s, LANDLINE_PATTERN, case=False)


def is_phone(s: pd.Series) -> pd.Series:
    """A 联系电话 cell: one or more landlines, mobiles or 400/800 numbers separated by / , ; 、."""
    return _fullmatch(s, PHONE_PATTERN, case=False, surely=_plain_landline)


def _plain_landline(text: pd.Series) -> np.ndarray:
    """Where the text is 0 + 2–3 digits, "-", then [1-9] and 6–7 digits (0715-3312345): the
    usual 联系电话, which PHONE_PATTERN matches. Found with numpy; the regex, a Python call
    per value, then runs on the other values only."""
    cp, n = _codepoints(text, 13)
    is_digit, digits = _digit_matrix(cp)
    dash = cp == ord("-")
    out = np.zeros(len(text), dtype=bool)
    for area in (3, 4):  # position of the dash: 0 + 2 or 3 digits before it
        local = n - area - 1
        out |= (
            ((local == 7) | (local == 8))
            & dash[:, area]
            & (cp[:, 0] == _ZERO)
            & is_digit[:, 1:area].all(axis=1)
            & is_digit[:, area + 1]
            & (digits[:, area + 1] >= 1)
            & (is_digit[:, area + 1 :] | (np.arange(area + 1, 13) >= n[:, None])).all(axis=1)
        )
    return out


def is_email(s: pd.Series) -> pd.Series:
    """Pragmatic e-mail shape: local@domain.tld."""
    return _fullmatch(s, EMAIL_PATTERN)


def is_postcode(s: pd.Series) -> pd.Series:
    """6 digits, the first 0–8."""
    codes, uniques = pd.factorize(_text(s))
    ok, d = _digit_run(pd.Series(uniques, dtype="str"), 6)
    table = np.append(ok & (d[:, 0] <= 8), False)  # code -1: missing
    return pd.Series(table[codes], index=s.index)
