"""Masking of personal data (ID numbers, mobiles) for everything that leaves the office."""

from __future__ import annotations

import pandas as pd


def _mask(values: pd.Series, keep_head: int, keep_tail: int) -> pd.Series:
    text = values.astype("str").where(values.notna())
    n = text.str.len()
    stars = n.sub(keep_head + keep_tail).clip(lower=1)
    middle = stars.map(lambda k: "*" * int(k), na_action="ignore")
    masked = text.str[:keep_head] + middle + text.str[-keep_tail:]
    # Too short to show anything safely: hide it all.
    short = n <= keep_head + keep_tail
    all_stars = n.map(lambda k: "*" * int(k), na_action="ignore")
    return masked.mask(short, all_stars)


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
