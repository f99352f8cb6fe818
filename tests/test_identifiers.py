"""Vectorized identifier checks: public vectors, and python-stdnum as the oracle."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from schemas.identifiers import (
    PHONE_PATTERN,
    USCC_ALPHABET,
    convert_15_to_18,
    id_check,
    id_check_char,
    is_email,
    is_landline,
    is_mobile,
    is_phone,
    is_postcode,
    known_regions,
    uscc_check,
    uscc_check_char,
)

VECTORS = Path(__file__).parents[2] / "shared" / "vectors" / "id_vectors.json"

# Entries of the public lists where cqo knowingly differs from the list's verdict.
# The GB 11643 example (born 1880) is structurally valid; cqo rejects births before 1900.
BORN_BEFORE_1900 = {"440524188001010014"}


def _structurally_fine(entry: dict) -> bool:
    """The vectors file marks invalid entries that fail only a library's region-history rule."""
    return any(note.startswith("structurally fine") for note in entry.get("notes", []))


@pytest.fixture(scope="module")
def vectors() -> dict:
    if not VECTORS.is_file():
        pytest.skip(f"public test vectors not found at {VECTORS}")
    return json.loads(VECTORS.read_text(encoding="utf-8"))


def _series(values) -> pd.Series:
    return pd.Series(list(values), dtype="str")


# -- resident ID: public vectors ----------------------------------------------------------------


def test_every_valid_id_vector_passes(vectors):
    entries = [e for e in vectors["ric_valid"] if e["number"] not in BORN_BEFORE_1900]
    result = id_check(_series(e["number"] for e in entries))
    failing = [e["number"] for e, ok in zip(entries, result["valid"], strict=True) if not ok]
    assert failing == []


def test_the_1880_standard_example_fails_only_the_1900_bound(vectors):
    numbers = [e["number"] for e in vectors["ric_valid"] if e["number"] in BORN_BEFORE_1900]
    assert numbers, "the GB 11643 example is no longer in the vectors"
    result = id_check(_series(numbers))
    assert result["format_ok"].all() and result["checksum_ok"].all()
    assert not result["birth_ok"].any()
    assert id_check(_series(numbers), min_year=1800)["valid"].all()


def test_every_invalid_id_vector_fails(vectors):
    entries = [e for e in vectors["ric_invalid"] if not _structurally_fine(e)]
    result = id_check(_series(e["number"] for e in entries))
    passing = [e["number"] for e, ok in zip(entries, result["valid"], strict=True) if ok]
    assert passing == []


def test_region_history_only_entries_are_structurally_valid_and_known_or_warned(vectors):
    entries = [e for e in vectors["ric_invalid"] if _structurally_fine(e)]
    assert entries
    result = id_check(_series(e["number"] for e in entries))
    assert result["valid"].all()
    # 990426 is in no table: the warning (id_region_unknown) will say so.
    by_number = dict(zip((e["number"] for e in entries), result["region_known"], strict=True))
    assert not by_number["990426199112010074"]


def test_valid_vectors_agree_with_stdnum_checksum(vectors):
    eighteen = [e["number"] for e in vectors["ric_valid"] if len(e["number"]) == 18]
    result = id_check(_series(eighteen))
    expected = [ric.calc_check_digit(n.upper()) == n.upper()[-1] for n in eighteen]
    assert result["checksum_ok"].tolist() == expected


def test_fifteen_digit_vectors_convert_like_their_sources():
    converted = convert_15_to_18(_series(["150102880730303", "330102200403064", None, "abc"]))
    assert converted.iloc[:2].tolist() == ["150102198807303035", "33010219200403064X"]
    assert pd.isna(converted.iloc[2]) and converted.iloc[3] == "abc"


# -- resident ID: fields -------------------------------------------------------------------------


def _with_check(body: str) -> str:
    return body + id_check_char(_series([body])).iloc[0]


def test_id_check_columns_and_values():
    valid = _with_check("42122319900101124")  # sequence 124: even, female
    lower_x = _with_check("42122319851231104").lower()  # check character X, written x
    assert lower_x.endswith("x")
    s = _series([valid, "421223900101123", lower_x, "4212231990010112", None, "４２１２２３"])
    r = id_check(s, today=dt.date(2026, 9, 30))
    assert list(r.columns) == [
        "format_ok",
        "is_15",
        "province_ok",
        "checksum_ok",
        "birth_ok",
        "valid",
        "birth",
        "male",
        "region_known",
    ]
    assert r["format_ok"].tolist() == [True, False, True, False, False, False]
    assert r["is_15"].tolist() == [False, True, False, False, False, False]
    assert r["valid"].tolist() == [True, True, True, False, False, False]
    assert r["birth"].iloc[:3].tolist() == [
        pd.Timestamp("1990-01-01"),
        pd.Timestamp("1990-01-01"),
        pd.Timestamp("1985-12-31"),
    ]
    assert str(r["birth"].dtype) == "datetime64[ns]"
    assert r["male"].iloc[:2].tolist() == [False, True]
    assert r["male"].iloc[3:].isna().all()
    assert r["region_known"].iloc[:3].all()
    bad = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    assert id_check(_series([bad]))[["format_ok", "checksum_ok"]].iloc[0].tolist() == [True, False]


@pytest.mark.parametrize(
    ("body", "known"),
    [
        ("421223", True),  # 崇阳县 since 1998
        ("422325", True),  # 崇阳县 before 1998 (咸宁地区)
        ("810000", True),  # Hong Kong permit
        ("830000", True),  # Taiwan permit (not in the county table)
        ("421299", False),
    ],
)
def test_region_known_in_any_period(body, known):
    s = _series([_with_check(body + "19900101123")])
    assert bool(id_check(s)["region_known"].iloc[0]) is known


def test_known_regions_loaded_from_stdnum_table():
    regions = known_regions()
    assert {421223, 422325, 110101} <= regions and len(regions) > 6000


def test_birth_in_the_future_or_not_a_date_fails():
    bodies = ["42122320270101123", "42122319900230123", "42122318991231123"]
    s = _series([_with_check(b) for b in bodies])
    r = id_check(s, today=dt.date(2026, 9, 30))
    assert r["checksum_ok"].all()
    assert not r["birth_ok"].any() and not r["valid"].any()


def test_province_rules():
    bodies = ["16122319900101123", "93268219850101001", "71000019900101123"]
    s = _series([_with_check(b) for b in bodies])
    assert id_check(s)["province_ok"].tolist() == [False, True, True]
    assert not id_check(_series(["710000900101123"]))["province_ok"].iloc[0]  # no 15-digit permits


# -- resident ID: stdnum as oracle -----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789", min_size=17, max_size=17), min_size=1, max_size=40))
def test_check_char_agrees_with_stdnum(bodies):
    ours = id_check_char(_series(bodies)).tolist()
    assert ours == [ric.calc_check_digit(b + "0") for b in bodies]


def _stdnum_structure_ok(number: str) -> bool:
    """python-stdnum's length, format and checksum verdict (its date and place checks aside)."""
    try:
        ric.validate(number)
    except (
        stdnum_errors.InvalidLength,
        stdnum_errors.InvalidFormat,
        stdnum_errors.InvalidChecksum,
    ):
        return False
    except Exception:  # date or place (stdnum's lookup can raise KeyError): past the checksum
        return True
    return True


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="0123456789", min_size=17, max_size=17).map(
                lambda b: b + ric.calc_check_digit(b + "0")
            ),
            st.text(alphabet="0123456789Xx", min_size=16, max_size=19),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_format_and_checksum_agree_with_stdnum(numbers):
    r = id_check(_series(numbers))
    ours = (r["format_ok"] & r["checksum_ok"]).tolist()
    assert ours == [_stdnum_structure_ok(n) for n in numbers]


def test_valid_agrees_with_stdnum_where_region_history_is_no_issue(vectors):
    # Born 2000 or later: every county code in force then is still in stdnum's table.
    numbers = [
        e["number"]
        for e in vectors["ric_valid"] + vectors["ric_invalid"]
        if len(e["number"]) == 18
        and e["number"][6:10].isdigit()
        and e["number"][6:8] == "20"
        and e["number"][:2] != "83"
    ]
    assert numbers
    r = id_check(_series(numbers), today=dt.date(2026, 9, 30))
    ours = (r["valid"] & r["region_known"]).tolist()
    assert ours == [ric.is_valid(n) for n in numbers]


# -- credit codes ---------------------------------------------------------------------------------


def test_every_valid_uscc_vector_passes(vectors):
    numbers = [e["number"] for e in vectors["uscc_valid"]]
    r = uscc_check(_series(numbers))
    assert [
        n for n, ok in zip(numbers, r["format_ok"] & r["checksum_ok"], strict=True) if not ok
    ] == []


def test_every_invalid_uscc_vector_fails(vectors):
    numbers = [e["number"] for e in vectors["uscc_invalid"]]
    r = uscc_check(_series(numbers))
    assert [n for n, ok in zip(numbers, r["format_ok"] & r["checksum_ok"], strict=True) if ok] == []


def test_uscc_vectors_agree_with_stdnum(vectors):
    numbers = [e["number"] for e in vectors["uscc_valid"] + vectors["uscc_invalid"]]
    r = uscc_check(_series(numbers))
    assert (r["format_ok"] & r["checksum_ok"]).tolist() == [uscc.is_valid(n) for n in numbers]


def test_uscc_accepts_letters_in_positions_one_and_two():
    body = "Y1110000600037341"
    code = body + uscc.calc_check_digit(body)
    r = uscc_check(_series([code, "91110000600037341L", "9111000060003734IL"]))
    assert r["format_ok"].tolist() == [True, True, False]
    assert r["checksum_ok"].tolist()[:2] == [True, True]
    assert not uscc.is_valid(code)  # stdnum's stricter reading


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17), min_size=1, max_size=40))
def test_uscc_check_char_agrees_with_stdnum(bodies):
    assert uscc_check_char(_series(bodies)).tolist() == [uscc.calc_check_digit(b) for b in bodies]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="0123456789", min_size=8, max_size=8).flatmap(
                lambda head: st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9).map(
                    lambda tail: head + tail + uscc.calc_check_digit(head + tail)
                )
            ),
            st.text(alphabet="0123456789", min_size=8, max_size=8).flatmap(
                lambda head: st.text(alphabet=USCC_ALPHABET + "IOSVZ", min_size=8, max_size=11).map(
                    lambda tail: head + tail
                )
            ),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_uscc_agrees_with_stdnum_when_positions_one_to_eight_are_digits(codes):
    r = uscc_check(_series(codes))
    assert (r["format_ok"] & r["checksum_ok"]).tolist() == [uscc.is_valid(c) for c in codes]


# -- phones, e-mail, postcode -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "good", "bad"),
    [
        (
            is_mobile,
            ["13812345678", "19912345678"],
            ["12812345678", "1381234567", "138123456789", "138-1234-5678"],
        ),
        (
            is_landline,
            [
                "0715-1234567",
                "07151234567",
                "(0715)1234567",
                "1234567",
                "010-12345678",
                "0715-1234567-801",
            ],
            ["0715-123456", "12345", "13812345678x"],
        ),
        (
            is_phone,
            [
                "0715-1234567",
                "13812345678",
                "0715-1234567/13812345678",
                "+8613812345678",
                "400-123-4567",
            ],
            ["电话", "0715-12", "13812345678/"],
        ),
        (
            is_email,
            ["zhang.san@qq.com", "a+b@mail.example.cn"],
            ["zhang@", "@qq.com", "a@b", "a b@qq.com"],
        ),
        (is_postcode, ["437500", "010000"], ["937500", "43750", "4375000", "43750A"]),
    ],
)
def test_contact_shapes(fn, good, bad):
    assert fn(_series(good)).all(), fn(_series(good)).tolist()
    assert not fn(_series(bad)).any(), fn(_series(bad)).tolist()
    assert fn(_series([None])).tolist() == [False]


# -- shortcuts: the vectorized paths give what the plain ones give ---------------------------------

ID_LIKE = st.one_of(
    st.none(),
    st.text(alphabet="0123456789Xx", max_size=20),
    st.text(alphabet="0123456789XxABC-", min_size=14, max_size=19),
    st.text(max_size=20),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(ID_LIKE, min_size=1, max_size=30))
def test_id_and_credit_checks_of_a_column_are_those_of_each_value(values):
    # Only 15- and 18-character values reach the numpy kernels; the others get fixed
    # verdicts. A row's result must not depend on the other rows.
    s = _series(values)
    today = dt.date(2026, 9, 30)
    whole = id_check(s, today=today)
    each = pd.concat([id_check(s.iloc[[i]], today=today) for i in range(len(s))])
    pd.testing.assert_frame_equal(whole, each)
    codes = uscc_check(s)
    each_code = pd.concat([uscc_check(s.iloc[[i]]) for i in range(len(s))])
    pd.testing.assert_frame_equal(codes, each_code)


PHONE_LIKE = st.one_of(
    st.text(alphabet="0123456789-", max_size=15),
    st.text(alphabet="0123456789-/()+转#EXT ", max_size=25),
    st.tuples(st.integers(10, 9999), st.integers(0, 99_999_999)).map(lambda t: f"0{t[0]}-{t[1]}"),
    st.text(max_size=15),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), PHONE_LIKE), min_size=1, max_size=30))
def test_is_phone_agrees_with_its_regex(values):
    s = _series(values)
    expected = s.str.fullmatch(PHONE_PATTERN, case=False).fillna(False).astype(bool)
    assert is_phone(s).tolist() == expected.tolist()
