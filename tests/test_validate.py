"""Record rules: every code fails and passes, severities, profiles, masking, invariants."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from stdnum.cn import ric, uscc

from pipeline.config import load_config
from pipeline.fields import FIELDS
from pipeline.validate import (
    FINDING_COLUMNS,
    concat_findings,
    file_findings,
    finish_findings,
    problems_by_record,
    validate_records,
)
from schemas.rules import REQUIRED_CODES, RULES, message, render, rule_label, severity_of

QUARTER_END = dt.date(2026, 9, 30)
CONFIG = load_config(Path(__file__).parents[1] / "config.yaml")
CHONGYANG = CONFIG.profiles["崇阳县2022"]
HUBEI = CONFIG.profiles["湖北省2022"]
UNITS = CONFIG.unit_names()


def _id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def _code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)


ID_MALE_1985 = _id("42122319850101123")  # sequence 123: male
ID_OTHER = _id("42232519800606246")  # 422325: 崇阳县 before 1998; female
VALID = {
    "enterprise_name": "崇阳县甲机械有限公司",
    "credit_code": _code("91421223MA4A12345"),
    "cqo_name": "张三",
    "id_number": ID_MALE_1985,
    "gender": "男",
    "birth_date": "1985-01-01",
    "education": "本科",
    "quality_years": "5年",
    "title": None,
    "phone": "0715-1234567",
    "mobile": "13812345678",
    "email": "zhangsan@qq.com",
    "postcode": "437500",
    "appointment_date": "2026-07-01",
    "fill_date": "2026-07-15",
    "tenure_status": "在任",
}
EDUCATION = {"初中": 1, "高中": 2, "中专": 3, "大专": 4, "本科": 5, "硕士": 6, "博士": 7}
TITLES = {"助理工程师": 1, "工程师": 2, "高级工程师": 3, "正高级工程师": 4}
FLAGS = {"是": True, "否": False}


def _years(text: object) -> float:
    match = re.search(r"\d+(\.\d+)?", str(text)) if isinstance(text, str) else None
    return float(match.group()) if match else np.nan


def normalized(*rows: dict, start: int = 0) -> pd.DataFrame:
    """A normalized frame (docs/frames.md §2) from a few dicts over VALID.

    Missing FIELDS columns are NaN (`str`); derived columns follow the cells unless a row gives
    them. Provenance: 天城镇.xlsx / Sheet1, Excel rows 3, 4, ... unless given.
    """
    provenance = {"_file": "天城镇.xlsx", "_sheet": "Sheet1", "_unit": "天城镇"}
    full = [{**provenance, "_row": 3 + i, **VALID, **row} for i, row in enumerate(rows)]
    frame = pd.DataFrame(full, index=pd.RangeIndex(start, start + len(full)))
    for name in FIELDS:
        values = frame[name] if name in frame else pd.Series(None, index=frame.index)
        frame[name] = values.astype("str").where(values.notna())

    def dates(name: str):
        return lambda f: pd.to_datetime(f[name], errors="coerce", format="mixed")

    def education_level(f: pd.DataFrame) -> pd.Series:
        def level(text: str):
            return next((v for k, v in EDUCATION.items() if k in text), pd.NA)

        return f["education"].map(level, na_action="ignore").astype("Int8")

    false = lambda f: pd.Series(False, index=f.index)  # noqa: E731
    derived = {
        "id_numeric": false,
        "birth_date_parsed": dates("birth_date"),
        "appointment_date_parsed": dates("appointment_date"),
        "fill_date_parsed": dates("fill_date"),
        "birth_date_month_only": false,
        "education_level": education_level,
        "education_in_progress": lambda f: f["education"].str.contains("在读").fillna(False),
        "title_level": lambda f: f["title"].map(TITLES, na_action="ignore").astype("Int8"),
        "quality_years_value": lambda f: f["quality_years"].map(_years).astype("float64"),
        "quality_years_approx": lambda f: f["quality_years"].str.match("[约近]").fillna(False),
        "training_flag": lambda f: f["training"].map(FLAGS).astype("boolean"),
        "pledge_flag": lambda f: f["pledge"].map(FLAGS).astype("boolean"),
        "annual_report_flag": lambda f: f["annual_report"].map(FLAGS).astype("boolean"),
        "name_key": lambda f: f["enterprise_name"],
    }
    for name, make in derived.items():
        value = make(frame)
        if name in frame:  # some rows give it: theirs win
            value = frame[name].where(frame[name].notna(), value)
        frame[name] = value
    for name in (
        "id_numeric",
        "birth_date_month_only",
        "education_in_progress",
        "quality_years_approx",
    ):
        frame[name] = frame[name].astype("boolean").fillna(False).astype(bool)
    frame["birth_date_parsed"] = frame["birth_date_parsed"].astype("datetime64[ns]")
    for name in ("_file", "_sheet", "_unit"):
        frame[name] = frame[name].astype("str")
    frame["_row"] = frame["_row"].astype("int64")
    return frame


def columns_of(records: pd.DataFrame) -> pd.DataFrame:
    """Ingest's columns table: every field present, in FIELDS order, canonical headers."""
    sheets = records[["_file", "_sheet"]].drop_duplicates()
    rows = [
        {"_file": f, "_sheet": s, "field": name, "col": i, "header": label}
        for f, s in sheets.itertuples(index=False)
        for i, (name, label) in enumerate(FIELDS.items())
    ]
    return pd.DataFrame(rows)


def run(records: pd.DataFrame, profile=CHONGYANG, columns=None):
    return validate_records(
        records, columns_of(records) if columns is None else columns, profile, UNITS, QUARTER_END
    )


def found(findings: pd.DataFrame, rule: str | None = None) -> list[tuple]:
    rows = findings if rule is None else findings[findings["rule"] == rule]
    return [
        (rule, int(row), None if pd.isna(column) else column)
        for rule, row, column in zip(rows["rule"], rows["_row"], rows["column"], strict=True)
    ]


# -- every rule: one failing and one passing case ----------------------------------------------

CASES = [
    # rule, failing overrides, expected (rule, row, column), passing overrides
    ("required", {"education": None}, ("required", 3, "学历"), {}),
    ("required", {"enterprise_name": None}, ("required", 3, "企业名称"), {}),
    ("required", {"quality_years": None}, ("required", 3, "质量工作年限"), {}),
    ("required", {"mobile": None, "phone": None}, ("required", 3, "手机"), {"mobile": None}),
    (
        "required",
        {"tenure_status": "离任", "cqo_name": None, "id_number": None},
        ("required", 3, "首席质量官姓名"),
        {
            "tenure_status": "离任",
            "cqo_name": None,
            "education": None,
            "quality_years": None,
            "mobile": None,
            "phone": None,
        },
    ),
    ("unknown_unit", {"_unit": None}, ("unknown_unit", 3, None), {}),
    (
        "unknown_unit",
        {"_unit": None, "unit": "某某镇"},
        ("unknown_unit", 3, "填报单位"),  # the column the sender wrote it in
        {"_unit": "沙坪镇"},
    ),
    ("id_format", {"id_number": "42122319850101"}, ("id_format", 3, "身份证号"), {}),
    ("id_format", {"id_number": _id("42122319851301123")}, ("id_format", 3, "身份证号"), {}),
    (
        "id_checksum",
        {"id_number": ID_MALE_1985[:-1] + ("0" if ID_MALE_1985[-1] != "0" else "1")},
        ("id_checksum", 3, "身份证号"),
        {"id_number": ID_MALE_1985.replace("X", "x")},
    ),
    (
        "id_precision_lost",
        {"id_number": "421223198501011000", "id_numeric": True},
        ("id_precision_lost", 3, "身份证号"),
        {"id_number": "421223850101123", "id_numeric": True},
    ),
    ("id_old_15_digit", {"id_number": "421223850101123"}, ("id_old_15_digit", 3, "身份证号"), {}),
    (
        "id_birthdate_mismatch",
        {"birth_date": "1985-02-01"},
        ("id_birthdate_mismatch", 3, "出生日期"),
        {
            "birth_date": "1985-01",
            "birth_date_parsed": pd.Timestamp("1985-01-01"),
            "birth_date_month_only": True,
            "id_number": _id("42122319850115123"),
        },
    ),
    ("id_gender_mismatch", {"gender": "女"}, ("id_gender_mismatch", 3, "性别"), {"gender": None}),
    (
        "id_region_unknown",
        {"id_number": _id("42129919850101123")},
        ("id_region_unknown", 3, "身份证号"),
        {"id_number": _id("42232519850101123")},
    ),
    (
        "birth_date_implausible",
        {"id_number": _id("42122320100101123"), "birth_date": None},
        ("birth_date_implausible", 3, "身份证号"),
        {"id_number": _id("42122319460101123"), "birth_date": None},
    ),
    (
        "birth_date_implausible",
        {"id_number": None, "birth_date": "1930-05-01"},
        ("birth_date_implausible", 3, "出生日期"),
        {"id_number": None, "birth_date": "1960-05-01"},
    ),
    (
        "credit_code_checksum",
        {"credit_code": "91421223MA4A12345X"},
        ("credit_code_checksum", 3, "统一社会信用代码"),
        {"credit_code": None},
    ),
    ("mobile_format", {"mobile": "1381234567"}, ("mobile_format", 3, "手机"), {}),
    (
        "phone_format",
        {"phone": "电话0715"},
        ("phone_format", 3, "联系电话"),
        {"phone": "13812345678/0715-1234567"},
    ),
    ("email_format", {"email": "zhangsan@"}, ("email_format", 3, "Email"), {}),
    ("postcode_format", {"postcode": "43750"}, ("postcode_format", 3, "邮编"), {}),
    (
        "date_format",
        {"appointment_date": "去年"},
        ("date_format", 3, "任命日期"),
        {"appointment_date": None},
    ),
    ("date_format", {"birth_date": "八五年"}, ("date_format", 3, "出生日期"), {}),
    ("education_unknown", {"education": "小学"}, ("education_unknown", 3, "学历"), {}),
    (
        "education_below_min",
        {"education": "高中"},
        ("education_below_min", 3, "学历"),
        {"education": "大专"},
    ),
    (
        "education_in_progress",
        {"education": "本科在读"},
        ("education_in_progress", 3, "学历"),
        {"education": "硕士在读"},
    ),
    (
        "quality_years_format",
        {"quality_years": "很多年"},
        ("quality_years_format", 3, "质量工作年限"),
        {},
    ),
    (
        "quality_years_below_min",
        {"quality_years": "2年"},
        ("quality_years_below_min", 3, "质量工作年限"),
        {"quality_years": "3年"},
    ),
    (
        "quality_years_approx",
        {"quality_years": "约3年"},
        ("quality_years_approx", 3, "质量工作年限"),
        {"quality_years": "约8年"},
    ),
]


@pytest.mark.parametrize(
    ("rule", "bad", "expected", "good"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_fails_and_passes(rule, bad, expected, good):
    failing = run(normalized(bad)).findings
    assert expected in found(failing, rule)
    passing = run(normalized(good)).findings
    assert found(passing, rule) == []


def test_a_valid_record_has_no_finding():
    result = run(
        normalized(
            {},
            {
                "enterprise_name": "乙公司",
                "credit_code": None,
                "id_number": ID_OTHER,
                "gender": "女",
                "birth_date": "1980-06-06",
            },
        )
    )
    assert found(result.findings) == []
    assert result.records["qualified"].all() and not result.records["rejected"].any()


@pytest.mark.parametrize(
    ("flag", "rule", "header"),
    [
        ("training", "training_missing", "参加任职培训"),
        ("pledge", "pledge_missing", "签订质量诚信承诺书"),
        ("annual_report", "annual_report_missing", "年度质量管理绩效报告"),
    ],
)
def test_required_flags_only_when_the_profile_asks(flag, rule, header):
    strict = CHONGYANG.model_copy(update={f"require_{flag}": True})
    records = normalized(
        {flag: "否"},
        {flag: None, "enterprise_name": "乙公司"},
        {flag: "是", "enterprise_name": "丙公司"},
    )
    assert found(run(records, strict).findings, rule) == [(rule, 3, header), (rule, 4, header)]
    assert found(run(records).findings, rule) == []
    assert severity_of(rule) == "noncompliant"


def test_precision_lost_is_the_only_id_finding():
    records = normalized({"id_number": "4.21223198501011E+17", "id_numeric": True})
    rules = {r[0] for r in found(run(records).findings)}
    assert rules == {"id_precision_lost"}


def test_fifteen_digit_id_is_stored_as_eighteen_and_raw_kept():
    result = run(normalized({"id_number": "421223850101123"}))
    record = result.records.iloc[0]
    assert record["id_number"] == ID_MALE_1985
    assert record["id_number_raw"] == "421223850101123"
    assert not record["rejected"] and record["qualified"]


def test_a_departing_row_needs_only_the_enterprise_and_the_person():
    records = normalized(
        {
            "tenure_status": "离任",
            "cqo_name": None,
            "education": "小学",
            "quality_years": "1年",
            "mobile": None,
            "phone": None,
        }
    )
    assert found(run(records).findings) == []


# -- duplicates and people at several enterprises ---------------------------------------------


def test_identical_duplicate_is_a_warning_on_the_repeat():
    records = normalized(
        {},
        {},
        {
            "enterprise_name": "乙公司",
            "credit_code": None,
            "id_number": ID_OTHER,
            "gender": "女",
            "birth_date": "1980-06-06",
        },
    )
    result = run(records)
    assert found(result.findings) == [("duplicate_in_submission", 4, "企业名称")]
    assert result.findings["severity"].tolist() == ["warning"]
    assert not result.records["rejected"].any()


def test_different_duplicates_are_errors_on_every_copy():
    records = normalized(
        {},
        {
            "cqo_name": "李四",
            "id_number": ID_OTHER,
            "gender": "女",
            "birth_date": "1980-06-06",
            "enterprise_name": "别名公司",
        },
    )
    # Same credit code under another name: the same enterprise.
    result = run(records)
    assert found(result.findings, "duplicate_in_submission") == [
        ("duplicate_in_submission", 3, "企业名称"),
        ("duplicate_in_submission", 4, "企业名称"),
    ]
    assert set(result.findings["severity"]) == {"error"}
    assert result.records["rejected"].all()


def test_duplicates_are_per_file_and_ignore_departures():
    records = normalized(
        {},
        {"_file": "县经信局.xlsx", "_unit": "县经信局"},
        {"tenure_status": "离任", "cqo_name": "王五", "id_number": None},
    )
    assert found(run(records).findings, "duplicate_in_submission") == []


def test_same_person_at_two_enterprises_is_a_warning():
    records = normalized({}, {"enterprise_name": "乙公司", "credit_code": None})
    result = run(records)
    assert found(result.findings) == [
        ("cqo_multiple_enterprises", 3, "身份证号"),
        ("cqo_multiple_enterprises", 4, "身份证号"),
    ]
    assert "2家企业" in result.findings["message"].iloc[0]


# -- severities, profiles ------------------------------------------------------------------------


def test_severities_follow_the_rule_table():
    bad = [c[1] for c in CASES]
    records = normalized(
        *[{"credit_code": None, **b, "enterprise_name": f"企业{i}"} for i, b in enumerate(bad)]
    )
    findings = run(records).findings
    assert set(findings["rule"]) >= {c[0] for c in CASES}
    expected = {
        "required": "error",
        "unknown_unit": "error",
        "id_format": "error",
        "id_checksum": "error",
        "id_precision_lost": "error",
        "id_old_15_digit": "warning",
        "id_birthdate_mismatch": "error",
        "id_gender_mismatch": "warning",
        "id_region_unknown": "warning",
        "birth_date_implausible": "warning",
        "credit_code_checksum": "warning",
        "mobile_format": "warning",
        "phone_format": "warning",
        "email_format": "warning",
        "postcode_format": "warning",
        "date_format": "error",
        "education_unknown": "error",
        "education_below_min": "noncompliant",
        "education_in_progress": "noncompliant",
        "quality_years_format": "error",
        "quality_years_below_min": "noncompliant",
        "quality_years_approx": "warning",
        "cqo_multiple_enterprises": "warning",
    }
    got = findings.drop_duplicates("rule").set_index("rule")["severity"].to_dict()
    assert {k: got[k] for k in expected if k in got} == {
        k: v for k, v in expected.items() if k in got
    }


@pytest.mark.parametrize(
    ("scale", "base_scale", "relaxed"),
    [
        ("小型", None, True),
        ("微型", None, True),
        ("中型", None, False),
        (None, "微型", True),
        (None, "大型", False),
        ("中型", "小型", False),
        (None, None, False),
    ],
)
def test_small_and_micro_enterprises_get_the_relaxed_set(scale, base_scale, relaxed):
    records = normalized({"education": "中专", "quality_years": "2年", "scale": scale})
    records["_base_scale"] = pd.Series([base_scale], index=records.index, dtype="str")
    rules = {r[0] for r in found(run(records).findings)}
    if relaxed:
        assert rules == set()
    else:
        assert rules == {"education_below_min", "quality_years_below_min"}


def test_relaxed_set_still_has_a_floor():
    records = normalized({"education": "初中", "quality_years": "1年", "scale": "小型"})
    findings = run(records).findings
    assert {r[0] for r in found(findings)} == {"education_below_min", "quality_years_below_min"}
    assert "中专及以上学历" in findings["message"].iloc[0]
    assert "不足2年" in " ".join(findings["message"])


def test_profile_switch_changes_the_verdict_of_a_title_without_a_degree():
    records = normalized(
        {"education": "大专", "title": "工程师"},
        {
            "education": "大专",
            "enterprise_name": "乙公司",
            "credit_code": None,
            "id_number": ID_OTHER,
            "gender": "女",
            "birth_date": "1980-06-06",
        },
    )
    chongyang = run(records, CHONGYANG)
    hubei = run(records, HUBEI)
    assert chongyang.records["qualified"].tolist() == [True, True]
    assert hubei.records["qualified"].tolist() == [True, False]
    assert found(hubei.findings) == [("education_below_min", 4, "学历")]
    assert "本科及以上学历，或中级及以上职称" in hubei.findings["message"].iloc[0]


# -- invariants and privacy ------------------------------------------------------------------------


def _everything() -> pd.DataFrame:
    return normalized(
        *[{**c[1], "enterprise_name": f"企业{i}"} for i, c in enumerate(CASES)],
        *[{**c[3], "enterprise_name": f"好企业{i}"} for i, c in enumerate(CASES)],
        start=100,
    )


def test_rejected_iff_error_and_qualified_iff_no_error_or_noncompliant():
    result = run(_everything())
    f = result.findings
    errors = set(f.loc[f["severity"] == "error", "record"])
    failing = set(f.loc[f["severity"].isin(["error", "noncompliant"]), "record"])
    records = result.records
    assert records["rejected"].dtype == bool and records["qualified"].dtype == bool
    assert set(records.index[records["rejected"]]) == errors
    assert set(records.index[~records["qualified"]]) == failing
    assert not (records["rejected"] & records["qualified"]).any()
    assert set(f["record"]) <= set(records.index)


def test_findings_shape_order_and_provenance():
    records = _everything()
    f = run(records).findings
    assert list(f.columns) == list(FINDING_COLUMNS)
    assert str(f["_row"].dtype) == "Int64" and str(f["col"].dtype) == "Int64"
    assert f["record"].dtype == "int64"
    assert (f["_row"].to_numpy() == records.loc[f["record"], "_row"].to_numpy()).all()
    key = f[["_unit", "_file", "_sheet", "_row", "col"]]
    assert key.equals(key.sort_values(list(key.columns), kind="stable", na_position="last"))
    cells = f[f["field"].notna()]
    assert (cells["column"] == cells["field"].map(FIELDS)).all()
    assert (cells["col"] == cells["field"].map({n: i for i, n in enumerate(FIELDS)})).all()
    rows = f[f["field"].isna()]
    assert rows["column"].isna().all() and rows["col"].isna().all()
    assert set(f["severity"]) <= {"error", "noncompliant", "warning"}
    assert f["message"].str.len().gt(10).all()


def test_contact_finding_points_at_the_phone_column_when_there_is_no_mobile_column():
    records = normalized({"mobile": None, "phone": None})
    columns = columns_of(records)
    columns = columns[columns["field"] != "mobile"]
    f = run(records, columns=columns).findings
    assert found(f) == [("required", 3, "联系电话")]
    assert f["field"].tolist() == ["mobile"]


def test_no_full_id_or_mobile_leaves_in_findings():
    records = _everything()
    f = run(records).findings
    text = " ".join(f["value"].dropna().tolist() + f["message"].tolist())
    ids = set(records["id_number"].dropna()) | {ID_MALE_1985}
    assert not any(i in text for i in ids if len(i) >= 15)
    assert not re.search(r"\d{15}", text)
    assert not re.search(r"1[3-9]\d{9}", text)
    idf = f[f["field"] == "id_number"]
    assert idf["value"].dropna().str.contains(r"\*{4}").all()


def test_input_is_not_modified():
    records = normalized({"id_number": "421223850101123"})
    before = records.copy()
    run(records)
    pd.testing.assert_frame_equal(records, before)


def test_empty_input_gives_empty_typed_findings():
    records = normalized({}).iloc[:0]
    result = run(records)
    assert result.findings.empty and list(result.findings.columns) == list(FINDING_COLUMNS)
    assert "rejected" in result.records and "qualified" in result.records


# -- the rule table --------------------------------------------------------------------------------


def test_every_design_code_is_in_the_table_once():
    assert set(REQUIRED_CODES) <= set(RULES)
    extra = {
        "phone_format",
        "id_region_unknown",
        "education_in_progress",
        "training_missing",
        "pledge_missing",
        "annual_report_missing",
        "file_unreadable",
        "header_not_found",
        "unknown_header",
        "quality_years_approx",
        "birth_date_implausible",
    }
    assert extra <= set(RULES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_template_says_what_and_how(code):
    rule = RULES[code]
    assert rule.severity in ("error", "noncompliant", "warning")
    for template in (rule.template, *(t for _, t in rule.variants.values())):
        assert "：" in template and ("请" in template or "须" in template or "可忽略" in template)
    text = message(code, "X", **{p: "1" for p in rule.params}, label="学历")
    assert "{" not in text and rule_label(code) != code


def test_render_is_vectorized_and_message_is_scalar():
    values = pd.Series(["2年", None], index=[7, 9], dtype="str")
    out = render("quality_years_below_min", values, min_years=pd.Series([3, 2], index=[7, 9]))
    assert out.tolist() == [
        message("quality_years_below_min", "2年", min_years=3),
        message("quality_years_below_min", None, min_years=2),
    ]
    assert out.index.tolist() == [7, 9]
    assert severity_of("duplicate_in_submission:identical") == "warning"
    assert severity_of("duplicate_in_submission") == "error"


# -- findings of other stages --------------------------------------------------------------


def test_finish_findings_of_the_roster_stage():
    records = normalized({}, {"enterprise_name": "乙公司"}, start=10)
    raw = pd.DataFrame(
        {
            "record": [11, 10],
            "rule": ["not_in_base_list", "change_registration_late"],
            "field": ["enterprise_name", "fill_date"],
            "value": ["乙公司", "45"],
            "suggestion": pd.Series(["乙有限公司", None], dtype="str"),
            "days": [pd.NA, 45],
            "limit": [pd.NA, 30],
        }
    )
    f = finish_findings(raw, records, columns_of(records))
    assert found(f) == [
        ("change_registration_late", 3, "填写日期"),
        ("not_in_base_list", 4, "企业名称"),
    ]
    assert f["severity"].tolist() == ["warning", "warning"]
    assert "45天" in f["message"].iloc[0] and "30天" in f["message"].iloc[0]
    assert "乙有限公司" in f["message"].iloc[1]


def test_file_findings_and_concat():
    from pipeline.ingest import SheetReport as sheet

    raw = SimpleNamespace(
        files=[
            SimpleNamespace(
                file="坏.xlsx",
                unit="沙坪镇",
                status="failed",
                error="文件已加密",
                sheets=[],
                rows_read=0,
            ),
            SimpleNamespace(
                file="天城镇.xlsx",
                unit="天城镇",
                status="ok",
                error=None,
                sheets=[
                    sheet(sheet="Sheet1", header_row=2, skipped=None),
                    sheet(sheet="统计", header_row=None, skipped="未找到表头"),
                ],
                rows_read=3,
            ),
            SimpleNamespace(
                file="石城镇.xlsx",
                unit="石城镇",
                status="ok",
                error=None,
                sheets=[sheet(sheet="Sheet1", header_row=None, skipped="未找到表头")],
                rows_read=0,
            ),
            SimpleNamespace(  # a corrected copy beside the original: both are read
                file="天城镇（更正）.xlsx",
                unit="天城镇",
                status="ok",
                error=None,
                sheets=[sheet(sheet="Sheet1", header_row=2, skipped=None)],
                rows_read=2,
            ),
        ],
        unknown_headers=pd.DataFrame(
            {"_file": ["天城镇.xlsx"], "_sheet": ["Sheet1"], "col": [5], "header": ["籍贯"]}
        ),
    )
    ff = file_findings(raw)
    tuples = zip(ff["rule"], ff["severity"], ff["_file"], ff["_sheet"], strict=True)
    assert {(r, s, f, None if pd.isna(sh) else sh) for r, s, f, sh in tuples} == {
        ("file_unreadable", "error", "坏.xlsx", None),
        ("header_not_found", "warning", "天城镇.xlsx", "统计"),  # another sheet was read
        ("header_not_found", "error", "石城镇.xlsx", "Sheet1"),  # nothing of the file was read
        ("unknown_header", "warning", "天城镇.xlsx", "Sheet1"),
        ("unit_multiple_files", "warning", "天城镇.xlsx", None),
        ("unit_multiple_files", "warning", "天城镇（更正）.xlsx", None),
    }
    several = ff.loc[ff["rule"] == "unit_multiple_files", "message"].iloc[0]
    assert "2 个报送文件（天城镇.xlsx、天城镇（更正）.xlsx）" in several
    assert (ff["record"] == -1).all() and ff["_row"].isna().all()
    assert "文件已加密" in ff.loc[ff["rule"] == "file_unreadable", "message"].iloc[0]
    unknown = ff[ff["rule"] == "unknown_header"].iloc[0]
    assert unknown["column"] == "籍贯" and unknown["col"] == 5

    records = normalized({"education": "小学"})
    checked = run(records)
    both = concat_findings([ff, checked.findings, None])
    assert len(both) == len(ff) + len(checked.findings)
    assert list(both.columns) == list(FINDING_COLUMNS)
    problems = problems_by_record(both, records.index)
    assert problems.iloc[0].startswith("学历「小学」无法识别")
