"""Tests for pipeline.normalize: cell cleaning, parsers and normalize_records."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import normalize as _normalize
from pipeline.fields import FIELDS, PROVENANCE
from pipeline.normalize import (
    clean_code,
    clean_mobile,
    clean_text,
    header_key,
    name_key,
    normalize_records,
    parse_dates,
    parse_education,
    parse_flag,
    parse_gender,
    parse_quality_years,
    parse_scale,
    parse_tenure,
    parse_title,
    to_halfwidth,
)

QUARTER_END = dt.date(2026, 3, 31)


def one(fn, value, *args):
    """Run a Series function on a single raw cell (object dtype, as ingest gives it)."""
    result = fn(pd.Series([value], dtype=object), *args)
    if isinstance(result, tuple):
        return tuple(r.iloc[0] for r in result)
    return result.iloc[0]


def is_missing(value) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


# -- to_halfwidth ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("４２１２２３ｘ", "421223x"),
        ("有限公司（崇阳）", "有限公司(崇阳)"),
        ("Ａ　Ｂ", "A B"),
        ("ｅｍａｉｌ＠ｑｑ．ｃｏｍ", "email@qq.com"),
        ("崇阳县天城镇", "崇阳县天城镇"),
        ("～！", "~!"),
        ("", ""),
    ],
)
def test_to_halfwidth(raw, expected):
    assert one(to_halfwidth, raw) == expected


def test_to_halfwidth_keeps_missing_and_dtype():
    out = to_halfwidth(pd.Series(["ａ", None], dtype=object))
    assert out.dtype == "str"
    assert out.iloc[0] == "a" and is_missing(out.iloc[1])


# -- clean_text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        (float("nan"), None),
        ("", None),
        ("   ", None),
        ("\u3000\n", None),
        (5.0, "5"),
        (437500.0, "437500"),
        (3.5, "3.5"),
        (0.1 + 0.2, "0.3"),  # 15 significant digits, as Excel shows it
        (-0.0, "0"),
        (7, "7"),
        (np.int64(7), "7"),
        (4.21223199001011e17, "421223199001011000"),
        (13812345678.0, "13812345678"),
        (True, "TRUE"),
        (False, "FALSE"),
        (dt.datetime(2022, 2, 22, 13, 5), "2022-02-22"),
        (dt.date(2021, 1, 3), "2021-01-03"),
        (pd.Timestamp("2020-01-05"), "2020-01-05"),
        ("  崇阳县\n某某公司  ", "崇阳县 某某公司"),
        ("Ａ　ｂ\r\n\tｃ", "A b c"),
        ("a\xa0\xa0b", "a b"),
        ("\u200b张三\ufeff", "张三"),
        ("有限公司（崇阳）", "有限公司(崇阳)"),
        ("a\x00b", "a b"),
    ],
)
def test_clean_text(raw, expected):
    result = one(clean_text, raw)
    if expected is None:
        assert is_missing(result)
    else:
        assert result == expected


def test_clean_text_dtype_and_index():
    s = pd.Series([5.0, "x", None], index=[10, 20, 30], dtype=object)
    out = clean_text(s)
    assert out.dtype == "str"
    assert list(out.index) == [10, 20, 30]


def test_clean_text_keeps_true_apart_from_one():
    # pandas hashes True == 1 == 1.0: the rendering must still follow each cell's type
    s = pd.Series([1, True, 1.0, 0, False, True], dtype=object)
    assert clean_text(s).tolist() == ["1", "TRUE", "1", "0", "FALSE", "TRUE"]


def test_clean_text_on_empty_series():
    out = clean_text(pd.Series([], dtype=object))
    assert out.dtype == "str" and len(out) == 0


# -- clean_code -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("４２１２２３１９９００１０１１２３ｘ", "42122319900101123X"),
        (" 421223 1990 0101 123x ", "42122319900101123X"),
        ("'421223199001011234", "421223199001011234"),
        ("91421223ma4abcde1x", "91421223MA4ABCDE1X"),
        (4.21223199001011e17, "421223199001011000"),
        (437500.0, "437500"),
        ("0715 - 1234567", "0715-1234567"),
        ("'", None),
        (None, None),
    ],
)
def test_clean_code(raw, expected):
    result = one(clean_code, raw)
    if expected is None:
        assert is_missing(result)
    else:
        assert result == expected


# -- clean_mobile ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("(+86)138.1234.5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        (13812345678.0, "13812345678"),
        (8613812345678.0, "13812345678"),
        ("13812345678.0", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0715-1234567", "07151234567"),
        ("86123", "86123"),  # no mobile after 86: kept as digits
        ("138 1234 5678/139 0000 0000", "13812345678/13900000000"),
        ("无", "无"),
        ("", None),
    ],
)
def test_clean_mobile(raw, expected):
    result = one(clean_mobile, raw)
    if expected is None:
        assert is_missing(result)
    else:
        assert result == expected


# -- parse_dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "month_only"),
    [
        (dt.datetime(2022, 2, 22, 9, 30), "2022-02-22", False),
        (dt.date(2022, 2, 22), "2022-02-22", False),
        (pd.Timestamp("2022-02-22"), "2022-02-22", False),
        (44614.0, "2022-02-22", False),
        (44614, "2022-02-22", False),
        (44614.75, "2022-02-22", False),  # a time of day is dropped
        (1.0, "1900-01-01", False),
        (59, "1900-02-28", False),
        (60, None, False),  # Excel's fictitious 1900-02-29
        (61, "1900-03-01", False),
        (0, None, False),
        (-5.0, None, False),
        (2958466, None, False),
        ("2022年2月22日", "2022-02-22", False),
        ("2022 年 2 月 22 日", "2022-02-22", False),
        ("2022.2.22", "2022-02-22", False),
        ("2022-02-22", "2022-02-22", False),
        ("2022/2/22", "2022-02-22", False),
        ("２０２２／２／２２", "2022-02-22", False),
        ("20220222", "2022-02-22", False),
        ("2022-02-22 00:00:00", "2022-02-22", False),
        ("2022年2月", "2022-02-01", True),
        ("2022.02", "2022-02-01", True),
        ("2022-02", "2022-02-01", True),
        ("1985.10", "1985-10-01", True),
        (1985.06, "1985-06-01", True),  # a 出生年月 typed as a number
        (1985.12, "1985-12-01", True),
        (1985.1, None, False),  # January or October: Excel dropped the zero
        (1985.0, None, False),  # a year alone is not a date
        ("2022-02-30", None, False),
        ("2022-13-01", None, False),
        ("2022.13", None, False),
        ("9999-01-01", None, False),
        ("22.2.22", None, False),
        ("二〇二二年二月", None, False),
        ("不详", None, False),
        ("", None, False),
        (None, None, False),
        (True, None, False),
    ],
)
def test_parse_dates(raw, expected, month_only):
    parsed, only_month = one(parse_dates, raw)
    if expected is None:
        assert parsed is pd.NaT
    else:
        assert parsed == pd.Timestamp(expected)
    assert bool(only_month) is month_only


def test_parse_dates_dtypes():
    parsed, month_only = parse_dates(pd.Series([44614.0, "x", None], index=[5, 6, 7]))
    assert parsed.dtype == "datetime64[ns]"
    assert month_only.dtype == bool
    assert list(parsed.index) == [5, 6, 7]


# -- parse_education ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "level", "in_progress"),
    [
        ("初中", 1, False),
        ("高中", 2, False),
        ("职高", 2, False),
        ("技校", 2, False),
        ("普高", 2, False),
        ("中专", 3, False),
        ("中技", 3, False),
        ("中等专业学校", 3, False),
        ("职业高中", 3, False),
        ("技工学校", 3, False),
        ("大专", 4, False),
        ("专科", 4, False),
        ("高职", 4, False),
        ("高专", 4, False),
        ("大学专科", 4, False),
        ("大专及以上", 4, False),
        ("本科", 5, False),
        ("大学本科", 5, False),
        ("大学", 5, False),
        ("学士", 5, False),
        ("本科学历", 5, False),
        ("本科/学士", 5, False),
        ("硕士", 6, False),
        ("研究生", 6, False),
        ("硕士研究生", 6, False),
        ("MBA", 6, False),
        ("emba", 6, False),
        ("MPA", 6, False),
        ("在职研究生", 6, False),
        ("博士", 7, False),
        ("博士研究生", 7, False),
        ("电大大专", 4, False),
        ("函授本科", 5, False),
        ("自考本科", 5, False),
        ("成人大专", 4, False),
        ("网络教育本科", 5, False),
        ("社会大学", None, False),  # not a level: no substring guess
        ("党校研究生", None, False),
        ("高中（职高）", 2, False),
        ("本科（学士）", 5, False),
        ("业余大专", 4, False),
        ("全日制本科", 5, False),
        (" 本 科 ", 5, False),
        ("本科在读", 5, True),
        ("在读本科", 5, True),
        ("大专(在读)", 4, True),
        ("大专（在读）", 4, True),
        ("本科肄业", 5, True),
        (10, 6, False),
        (11.0, 6, False),
        ("14", 6, False),
        (20, 5, False),
        ("21", 5, False),
        (30, 4, False),
        (31.0, 4, False),
        (40, 3, False),
        (41, 3, False),
        (60, 2, False),
        (61, 2, False),
        (70, 1, False),
        (71, 1, False),
        (90, None, False),
        ("小学", None, False),
        ("初中以下", None, False),
        ("无", None, False),
        ("不详", None, False),
        ("", None, False),
        (None, None, False),
    ],
)
def test_parse_education(raw, level, in_progress):
    got_level, got_progress = one(parse_education, raw)
    if level is None:
        assert got_level is pd.NA
    else:
        assert got_level == level
    assert bool(got_progress) is in_progress


def test_parse_education_dtypes():
    level, in_progress = parse_education(pd.Series(["本科", "什么", None], dtype=object))
    assert level.dtype == "Int8"
    assert in_progress.dtype == bool
    assert level.isna().tolist() == [False, True, True]


# -- parse_title ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("助理工程师", 1),
        ("技术员", 1),
        ("助理质量工程师", 1),
        ("助理经济师", 1),
        ("初级", 1),
        ("初级职称", 1),
        ("工程师", 2),
        ("质量工程师", 2),
        ("经济师", 2),
        ("会计师", 2),
        ("统计师", 2),
        ("中级", 2),
        ("中级职称", 2),
        ("工程师(中级)", 2),
        ("助理研究员", 2),
        ("高级工程师", 3),
        ("高级经济师", 3),
        ("高级会计师", 3),
        ("高工", 3),
        ("副高", 3),
        ("副教授", 3),
        ("高级工程师（副高）", 3),
        ("正高级工程师", 4),
        ("教授级高工", 4),
        ("正高级经济师", 4),
        ("教授", 4),
        ("研究员", 4),
        ("工程师、高级经济师", 3),  # several titles: the highest
        ("技师", None),
        ("高级技师", None),
        ("技工", None),
        ("高级工", None),
        ("一级建造师", None),
        ("质检员", None),
        ("无", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_title(raw, level):
    result = one(parse_title, raw)
    if level is None:
        assert result is pd.NA
    else:
        assert result == level


def test_parse_title_dtype():
    assert parse_title(pd.Series(["工程师", None], dtype=object)).dtype == "Int8"


# -- parse_quality_years --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "approx"),
    [
        (5, 5.0, False),
        (5.0, 5.0, False),
        (3.5, 3.5, False),
        ("5", 5.0, False),
        ("5年", 5.0, False),
        ("5 年", 5.0, False),
        ("５年", 5.0, False),
        ("3.5年", 3.5, False),
        ("五年", 5.0, False),
        ("两年", 2.0, False),
        ("十年", 10.0, False),
        ("十二年", 12.0, False),
        ("二十年", 20.0, False),
        ("二十五年", 25.0, False),
        ("3年6个月", 3.5, False),
        ("3年零6个月", 3.5, False),
        ("3年半", 3.5, False),
        ("一年半", 1.5, False),
        ("半年", 0.5, False),
        ("18个月", 1.5, False),
        ("10年以上", 10.0, False),
        ("10余年", 10.0, False),
        ("三年多", 3.0, False),
        ("5+", 5.0, False),
        ("5年+", 5.0, False),
        ("近5年", 5.0, True),
        ("约8年", 8.0, True),
        ("大约8年", 8.0, True),
        ("8年左右", 8.0, True),
        ("2015年至今", 11.2, False),
        ("2015.03-至今", 11.1, False),
        ("2015年3月至今", 11.1, False),
        ("自2015年起", 11.2, False),
        ("2015年", None, False),  # a year, not a duration
        ("2030年至今", None, False),  # starts after the quarter
        ("2015-2020", None, False),
        ("多年", None, False),
        ("一百年", None, False),
        ("3年13个月", None, False),
        ("熟悉质量管理", None, False),
        (-1, None, False),
        (61, None, False),
        ("70年", None, False),
        (True, None, False),
        (dt.datetime(2015, 3, 1), None, False),
        ("", None, False),
        (None, None, False),
    ],
)
def test_parse_quality_years(raw, value, approx):
    got_value, got_approx = one(parse_quality_years, raw, QUARTER_END)
    if value is None:
        assert math.isnan(got_value)
    else:
        assert got_value == pytest.approx(value)
    assert bool(got_approx) is approx


def test_parse_quality_years_dtypes():
    value, approx = parse_quality_years(pd.Series(["5年", None], dtype=object), QUARTER_END)
    assert value.dtype == "float64" and approx.dtype == bool


# -- gender, flags, tenure, scale -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("男", "男"),
        ("男性", "男"),
        ("M", "男"),
        ("male", "男"),
        (" 女 ", "女"),
        ("女性", "女"),
        ("F", "女"),
        ("Female", "女"),
        ("未知", "未知"),
        (None, None),
    ],
)
def test_parse_gender(raw, expected):
    result = one(parse_gender, raw)
    assert is_missing(result) if expected is None else result == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[(w, True) for w in ["是", "已", "已参加", "已签订", "已提交", "有", "√", "✓", "Y"]],
        *[(w, True) for w in ["yes", "true", "TRUE", 1, 1.0, True, "已参加培训"]],
        *[(w, False) for w in ["否", "未", "未参加", "无", "没有", "×", "✗", "N", "no"]],
        *[(w, False) for w in ["false", 0, 0.0, False, "未参加培训"]],
        ("", None),
        (None, None),
        ("待定", None),
        ("2022.3", None),
    ],
)
def test_parse_flag(raw, expected):
    result = one(parse_flag, raw)
    assert result is pd.NA if expected is None else result == expected


def test_parse_flag_dtype():
    assert parse_flag(pd.Series(["是", None], dtype=object)).dtype == "boolean"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[(w, "在任") for w in ["在任", "在职", "现任", "聘任中"]],
        *[(w, "离任") for w in ["离任", "离职", "已离任", "解聘", "免职", "辞职"]],
        ("", None),
        (None, None),
        ("待定", "待定"),
    ],
)
def test_parse_tenure(raw, expected):
    result = one(parse_tenure, raw)
    assert is_missing(result) if expected is None else result == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("大型", "大型"),
        ("大", "大型"),
        ("大型企业", "大型"),
        ("中型", "中型"),
        ("中", "中型"),
        ("小型", "小型"),
        ("小", "小型"),
        ("微型", "微型"),
        ("微型企业", "微型"),
        ("小微", "小型"),
        ("规上", "规上"),
        (None, None),
    ],
)
def test_parse_scale(raw, expected):
    result = one(parse_scale, raw)
    assert is_missing(result) if expected is None else result == expected


# -- name_key, header_key -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("崇阳县某某有限公司（崇阳）", "崇阳县某某有限公司崇阳"),
        ("崇阳县某某有限公司(崇阳)", "崇阳县某某有限公司崇阳"),
        ("崇阳 某某\n有限责任公司", "崇阳某某有限公司"),
        ("abc科技股份有限公司", "ABC科技股份有限公司"),
        ("ＡＢＣ·科技，有限公司。", "ABC科技有限公司"),
        ("湖北“某某”建材有限公司", "湖北某某建材有限公司"),
        ("  ", None),
        (None, None),
    ],
)
def test_name_key(raw, expected):
    result = one(name_key, raw)
    assert is_missing(result) if expected is None else result == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("*企业名称", "企业名称"),
        ("企业名称★", "企业名称"),
        ("身份证号(18位)", "身份证号"),
        ("质量工作年限（年）", "质量工作年限"),
        ("手机号码(请填写11位)【必填】", "手机号码"),
        ("(必填)", "(必填)"),
        ("企业(单位)名称", "企业(单位)名称"),
        ("首席质量官\n姓 名：", "首席质量官姓名"),
        ("E-Mail", "e-mail"),
        ("ＥＭＡＩＬ", "email"),
        ("备注:", "备注"),
    ],
)
def test_header_key(raw, expected):
    assert header_key(raw) == expected


def test_header_key_matches_every_canonical_label():
    for label in FIELDS.values():
        assert header_key(label) == label.lower()


# -- normalize_records ----------------------------------------------------------------------------


def raw_frame() -> pd.DataFrame:
    rows = [
        {
            "_file": "天城镇.xlsx",
            "_sheet": "Sheet1",
            "_row": 3,
            "_unit": "天城镇",
            "enterprise_name": "崇阳县某某机械有限责任公司（崇阳）",
            "credit_code": "91421223ma4abcde1x ",
            "cqo_name": " 张\u3000三 ",
            "id_number": "４２１２２３１９９００１０１１２３ｘ",
            "gender": "男性",
            "birth_date": "1990.01",
            "education": "本科在读",
            "quality_years": "五年",
            "title": "高级工程师",
            "mobile": "+86 138-1234-5678",
            "postcode": 437500.0,
            "appointment_date": dt.datetime(2022, 2, 22),
            "fill_date": 44650.0,
            "training": "√",
            "pledge": "已签订",
            "tenure_status": "在职",
        },
        {
            "_file": "天城镇.xlsx",
            "_sheet": "Sheet1",
            "_row": 4,
            "_unit": "天城镇",
            "enterprise_name": "ＡＢＣ科技有限公司",
            "credit_code": None,
            "cqo_name": "李四",
            "id_number": 4.21223199001011e17,
            "gender": "F",
            "birth_date": dt.date(1990, 1, 1),
            "education": 21.0,
            "quality_years": 3.0,
            "title": "技师",
            "mobile": 13912345678.0,
            "postcode": "437500",
            "appointment_date": "2022年2月30日",
            "fill_date": None,
            "training": "否",
            "pledge": None,
            "tenure_status": "离任",
        },
    ]
    return pd.DataFrame(rows, index=[100, 101], dtype=object).astype({"_row": int})


def test_normalize_records_values_and_dtypes():
    raw = raw_frame()
    before = raw.copy(deep=True)
    out = normalize_records(raw, QUARTER_END)

    pd.testing.assert_frame_equal(raw, before)  # input untouched
    assert list(out.index) == [100, 101]
    assert list(out.columns[:4]) == list(PROVENANCE)
    assert out["_row"].tolist() == [3, 4]
    for field in FIELDS:
        assert out[field].dtype == "str", field
    assert out["address"].isna().all()  # not in the sender's sheet

    first, second = out.loc[100], out.loc[101]
    assert first["enterprise_name"] == "崇阳县某某机械有限责任公司(崇阳)"
    assert first["credit_code"] == "91421223MA4ABCDE1X"
    assert first["cqo_name"] == "张 三"
    assert first["id_number"] == "42122319900101123X"
    assert second["id_number"] == "421223199001011000"
    assert out["id_numeric"].tolist() == [False, True]
    assert out["gender"].tolist() == ["男", "女"]
    assert out["mobile"].tolist() == ["13812345678", "13912345678"]
    assert out["postcode"].tolist() == ["437500", "437500"]
    assert out["quality_years"].tolist() == ["五年", "3"]  # raw text kept beside the value
    assert out["tenure_status"].tolist() == ["在任", "离任"]
    assert out["birth_date"].tolist() == ["1990.01", "1990-01-01"]

    assert out["birth_date_parsed"].tolist() == [pd.Timestamp("1990-01-01")] * 2
    assert out["birth_date_month_only"].tolist() == [True, False]
    assert out["appointment_date_parsed"].iloc[0] == pd.Timestamp("2022-02-22")
    assert out["appointment_date_parsed"].iloc[1] is pd.NaT
    assert out["fill_date_parsed"].iloc[0] == pd.Timestamp("2022-03-30")
    assert out["education_level"].tolist() == [5, 5]
    assert out["education_in_progress"].tolist() == [True, False]
    assert out["title_level"].tolist() == [3, pd.NA]
    assert out["quality_years_value"].tolist() == [5.0, 3.0]
    assert out["quality_years_approx"].tolist() == [False, False]
    assert out["training_flag"].tolist() == [True, False]
    assert out["pledge_flag"].tolist() == [True, pd.NA]
    assert out["annual_report_flag"].isna().all()
    assert out["name_key"].tolist() == ["崇阳县某某机械有限公司崇阳", "ABC科技有限公司"]

    dtypes = out.dtypes.astype(str).to_dict()
    assert dtypes == {
        **dtypes,
        "id_numeric": "bool",
        "birth_date_parsed": "datetime64[ns]",
        "appointment_date_parsed": "datetime64[ns]",
        "fill_date_parsed": "datetime64[ns]",
        "birth_date_month_only": "bool",
        "education_level": "Int8",
        "education_in_progress": "bool",
        "title_level": "Int8",
        "quality_years_value": "float64",
        "quality_years_approx": "bool",
        "training_flag": "boolean",
        "pledge_flag": "boolean",
        "annual_report_flag": "boolean",
        "name_key": "str",
    }


def test_normalize_records_empty_frame():
    raw = pd.DataFrame({c: pd.Series([], dtype=object) for c in (*PROVENANCE, "cqo_name")})
    out = normalize_records(raw, QUARTER_END)
    assert len(out) == 0
    assert set(FIELDS) <= set(out.columns)
    assert out["education_level"].dtype == "Int8"
    assert out["birth_date_parsed"].dtype == "datetime64[ns]"


def test_normalize_records_only_some_columns_and_extra_private_ones():
    raw = pd.DataFrame(
        {"_file": ["a.xlsx"], "_sheet": ["S"], "_row": [2], "_unit": [None], "_hidden": [True],
         "cqo_name": ["王五"]},
        index=[7],
    )  # fmt: skip
    out = normalize_records(raw, QUARTER_END)
    assert out["_hidden"].tolist() == [True]
    assert out["cqo_name"].tolist() == ["王五"]
    assert out["enterprise_name"].isna().all() and out["enterprise_name"].dtype == "str"
    assert out["id_numeric"].tolist() == [False]
    assert out["education_level"].isna().all()
    assert out["quality_years_value"].isna().all()
    assert out["birth_date_parsed"].isna().all()
    assert out["training_flag"].isna().all()


# -- properties -----------------------------------------------------------------------------------

cells = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="０１２３ｘＸ　 \n-（）'1234567890xX"),
    st.floats(allow_nan=True, allow_infinity=False),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)


def reference_clean(value: str) -> str:
    """Scalar oracle for the numpy text cleaner."""
    table = {0x3000: 0x20, **{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}}
    table |= dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF])
    return " ".join(value.replace("\x00", " ").translate(table).split())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(), max_size=20))
def test_clean_text_agrees_with_scalar_oracle(values):
    out = clean_text(pd.Series(values, dtype=object))
    expected = [reference_clean(v) or None for v in values]
    assert [None if is_missing(v) else v for v in out] == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, max_size=20))
def test_clean_code_is_idempotent(values):
    once = clean_code(pd.Series(values, dtype=object))
    twice = clean_code(once.astype(object))
    pd.testing.assert_series_equal(once, twice)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), max_size=20))
def test_to_halfwidth_never_raises_and_leaves_no_fullwidth(values):
    out = to_halfwidth(pd.Series(values, dtype=object))
    assert len(out) == len(values)
    assert not any(0xFF01 <= ord(c) <= 0xFF5E or c == "\u3000" for v in out.dropna() for c in v)


DURATION_LIKE = r"[近约自]?[0-9一二两三十半]{0,4}[年.]?[0-9]{0,2}个?月?[以上余+]?(至今)?"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(cells, st.from_regex(DURATION_LIKE, fullmatch=True)),
        max_size=20,
    )
)
def test_parse_quality_years_never_raises_and_stays_in_range(values):
    value, approx = parse_quality_years(pd.Series(values, dtype=object), QUARTER_END)
    finite = value.dropna()
    assert ((finite >= 0) & (finite <= 60)).all()
    assert not (approx & value.isna()).any()


@settings(max_examples=200, deadline=None)
@given(st.lists(cells, max_size=20))
def test_parsers_never_raise(values):
    s = pd.Series(values, dtype=object)
    parsed, month_only = parse_dates(s)
    assert parsed.dtype == "datetime64[ns]" and len(parsed) == len(values)
    assert not (month_only & parsed.isna()).any()
    parse_education(s)
    parse_title(s)
    parse_flag(s)
    clean_mobile(s)
    name_key(s)


# -- fast paths agree with the full transformations ----------------------------------------------
# The text steps transform and decode only the strings holding a code point they may change,
# mostly distinct columns skip factorizing, and plain mobile numbers skip the regex. Each
# shortcut must give exactly what the full path gives.

SPECIAL_TEXT = st.text(
    alphabet="ab Ab1０ｘ　\u00a0\u200b\t\n'’`-()（）.—有限责任公司有限公司崇阳٣\x00_",
    max_size=16,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12), SPECIAL_TEXT), max_size=20))
def test_recode_agrees_with_the_full_transformation(values):
    text = np.array([np.nan if v is None else v for v in values], dtype=object)
    for fn, touches in (
        (_normalize._clean_codepoints, _normalize._CLEAN_TOUCHES),
        (_normalize._code_codepoints, _normalize._CODE_TOUCHES),
        (_normalize._clean_code_codepoints, _normalize._CLEAN_CODE_TOUCHES),
        (_normalize._name_key_codepoints, _normalize._name_key_touches()),
    ):
        fast = _normalize._recode_text(text, fn, touches)
        full = _normalize._map_strings(text, fn)
        assert [None if is_missing(v) else v for v in fast] == [
            None if is_missing(v) else v for v in full
        ], fn.__name__
    keys = _normalize._name_key_u(text)
    full = _normalize._map_strings(text, _normalize._name_key_codepoints)
    expected = [None if is_missing(v) else v.replace("有限责任公司", "有限公司") for v in full]
    assert [None if is_missing(v) else v for v in keys] == expected


def reference_mobile(code: str) -> str:
    """The regex over every value (before the numpy shortcut for plain digits)."""
    stripped = "".join(c for c in code if not c.isspace() and c not in "'`‘’-().—–")
    if not stripped:
        return code
    number = re.fullmatch(r"(\d+)\.0+", code)
    m = re.fullmatch(r"(?:\+86|0086|86)?(1\d{10})|(\d+)", number[1] if number else stripped)
    return (m[1] or m[2]) if m else code


MOBILE_LIKE = st.one_of(
    st.text(alphabet="0123456789", max_size=16),
    st.text(alphabet="0123456789+86 -.()٣１", max_size=16),
    st.tuples(st.sampled_from(["", "86", "+86", "0086", "086", "8"]), st.integers(0, 10**12)).map(
        lambda t: f"{t[0]}1{t[1]:010d}"
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), MOBILE_LIKE, cells), max_size=20))
def test_clean_mobile_agrees_with_the_regex_on_every_value(values):
    s = pd.Series(values, dtype=object)
    codes = clean_code(s)
    expected = [None if is_missing(c) else reference_mobile(c) for c in codes]
    assert [None if is_missing(v) else v for v in clean_mobile(s)] == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={f: cells for f in FIELDS}), max_size=8))
def test_mostly_distinct_columns_normalize_as_factorized_ones(rows):
    raw = pd.DataFrame(rows, dtype=object)
    raw.insert(0, "_row", range(2, len(raw) + 2))
    raw.insert(0, "_file", "天城镇.xlsx")
    original = _normalize._mostly_distinct
    try:
        _normalize._mostly_distinct = lambda values: False
        factorized = normalize_records(raw, QUARTER_END)
        _normalize._mostly_distinct = lambda values: True
        distinct = normalize_records(raw, QUARTER_END)
    finally:
        _normalize._mostly_distinct = original
    pd.testing.assert_frame_equal(distinct, factorized)


def test_mostly_distinct_is_decided_on_a_sample():
    many = np.array([f"名称{i}" for i in range(40_000)], dtype=object)
    assert _normalize._mostly_distinct(many)
    assert not _normalize._mostly_distinct(many[:1000])  # small columns always factorize
    assert not _normalize._mostly_distinct(np.array(["本科", "大专"] * 20_000, dtype=object))
    mostly_empty = many.copy()
    mostly_empty[np.arange(len(many)) % 100 != 0] = None
    assert not _normalize._mostly_distinct(mostly_empty)  # too few values in the sample
