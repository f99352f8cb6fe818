"""Masking of personal data (ID numbers, mobiles) for everything that leaves the office."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

import numpy as np
import pandas as pd


def _mask(values: pd.Series, keep_head: int, keep_tail: int) -> pd.Series:
    """Keep the head and tail of each text, stars between; too short to show anything
    safely: all stars. Works on each distinct value once (a column repeats few numbers
    per enterprise), and gives the same result whatever backs pandas' str dtype."""

    def one(text: str) -> str:
        n = len(text)
        if n <= keep_head + keep_tail:
            return "*" * n
        return text[:keep_head] + "*" * (n - keep_head - keep_tail) + text[n - keep_tail :]

    codes, uniques = pd.factorize(values.astype("str").where(values.notna()))
    masked = pd.array([one(u) for u in uniques] + [None], dtype="str")
    return pd.Series(masked.take(codes), index=values.index)


def mask_id(values: pd.Series) -> pd.Series:
    """421223199001011234 -> 421223********1234; short text becomes all stars."""
    return _mask(values, 6, 4)


def mask_mobile(values: pd.Series) -> pd.Series:
    """13812345678 -> 138****5678; short text becomes all stars."""
    return _mask(values, 3, 4)


def mask_id_text(value: object) -> str | None:
    """Scalar form of mask_id."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(mask_id(pd.Series([str(value)])).iloc[0])


def mask_mobile_text(value: object) -> str | None:
    """Scalar form of mask_mobile."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(mask_mobile(pd.Series([str(value)])).iloc[0])


# -- personal data inside any cell ---------------------------------------------------------
# For copies of a sender's own sheets (退回修改): whatever column an ID or mobile number sits
# in (身份证号, 备注, a shifted column...), it leaves the office masked. Runs of 15 to 18 digits
# keep their first 6 and last 4 characters, mobiles their first 3 and last 4.
# 15 to 18 characters: also an ID with a digit missing or one too many. Bounded by non-digits
# only: "ID421223..." or "身份证421223..." are masked too.
_ID_IN_TEXT = re.compile(r"(?<!\d)(\d{6})(\d{5,8})(\d{3}[\dXx])(?!\d)")
# An ID written in groups: 422325 19890929 0792, 422325-19890929-0792, 4223 2519 8909 2907 92
# (one space, dash or full-width space between digits). Only runs whose digits have an ID's
# shape (a region, a real birth date) are masked: a date range "2019-01-01 2020-12-31" stays.
_SEP = "[ \u3000-]"
_SPACED_ID = re.compile(rf"(?<!\d)\d(?:{_SEP}?\d){{13,16}}{_SEP}?[\dXx](?!\d)")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_SHAPE = re.compile(r"\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]")


def _is_credit_code(text: str) -> bool:
    """A whole cell holding a valid unified social credit code (not personal data, and an
    all-digit one looks like an ID number), and not a valid ID number (one in 31 of those
    passes the credit-code checksum too)."""
    code = text.strip().upper()
    if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
        return False
    if _ID_SHAPE.fullmatch(code):
        total = sum(int(c) * w for c, w in zip(code, _ID_WEIGHTS, strict=False))
        if code[17] == "10X98765432"[total % 11]:
            return False
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(code, _USCC_WEIGHTS, strict=False))
    return code[17] == _USCC_ALPHABET[(31 - total % 31) % 31]


_ID15_SHAPE = re.compile(r"\d{8}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}")


def _mask_spaced_id(match: re.Match[str]) -> str:
    """A grouped ID with its first 6 and last 4 characters kept and the separators left where
    they are; any other run of digits and separators unchanged."""
    run = match[0]
    chars = [c for c in run if c not in " \u3000-"]
    digits = unicodedata.normalize("NFKC", "".join(chars)).upper()  # full-width digits too
    if not (_ID_SHAPE.fullmatch(digits) or _ID15_SHAPE.fullmatch(digits)):
        return run
    out, seen = [], 0
    for c in run:
        if c in " \u3000-":
            out.append(c)
            continue
        out.append(c if seen < 6 or seen >= len(chars) - 4 else "*")
        seen += 1
    return "".join(out)


def mask_in_text(text: str) -> str:
    """Every ID-number-like and mobile-like run inside free text, masked."""
    text = _ID_IN_TEXT.sub(lambda m: m[1] + "*" * len(m[2]) + m[3], text)
    if any(c in text for c in " \u3000-"):
        text = _SPACED_ID.sub(_mask_spaced_id, text)
    return _MOBILE_IN_TEXT.sub(lambda m: m[1] + "****" + m[2], text)


def mask_in_texts(values: pd.Series) -> pd.Series:
    """mask_in_text over a column: each distinct value once, as text; missing stays missing."""
    codes, uniques = pd.factorize(values.astype("object"))
    masked = [
        mask_in_text(t) if any(c.isdigit() for c in t) else t for t in map(str, uniques)
    ]
    out = np.array([*masked, None], dtype=object)[codes]  # code -1 (missing) takes the None
    return pd.Series(out, index=values.index, dtype=object)


def mask_personal(value: object, kind: str) -> object:
    """A cell of a column that holds ID numbers (`kind` "id") or mobiles ("mobile"): masked
    whatever its shape when it holds at least 7 digits (an ID with a digit missing, a
    10-digit mobile, a number typed into the cell), as mask_id / mask_mobile mask the
    validator's values; shorter text ("无", "待补") unchanged. Other cells: mask_cell."""
    masked = mask_cell(value)
    if masked is not value:
        return masked
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return value
    if isinstance(value, float):
        if value != value or not value.is_integer():
            return value
        value = int(value)
    text = str(value)
    if sum(c.isdigit() for c in text) < 7:
        return value
    head, tail = (6, 4) if kind == "id" else (3, 4)
    stripped = text.strip()
    return str(_mask(pd.Series([stripped]), head, tail).iloc[0])


def mask_cell(value: object) -> object:
    """A cell value as it may leave the office: text with IDs and mobiles masked (a valid
    credit code kept), a number typed from an ID or a mobile turned into masked text,
    anything else unchanged (the same object, so callers can tell nothing changed)."""
    if isinstance(value, str):
        if not any(c.isdigit() for c in value) or _is_credit_code(value):
            return value
        masked = mask_in_text(value)
        return value if masked == value else masked
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and (value != value or not value.is_integer()):
        return value
    if abs(value) < 1e10:  # too short for a mobile or an ID
        return value
    # As Excel shows the number: 15 significant digits (4.22325199001026E+17 is
    # 422325199001026000 on screen, not the float's 422325199001025984).
    digits = format(Decimal(f"{value:.15g}"), "f") if isinstance(value, float) else str(value)
    masked = mask_in_text(digits)
    return value if masked == digits else masked
