"""Every rule code: severity, short label and the Chinese message template (what, and how to fix).

One table for every stage (validate, roster, ingest). A finding's message is the template
rendered with the offending value and the rule's parameters; `render` does it for a whole
column at once. Codes are stable (run_summary.json, tests): never rename one.

A check may name a *variant* as "code:variant" (e.g. "duplicate_in_submission:identical"):
the finding keeps the plain code, the variant picks another severity and/or template.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

Severity = Literal["error", "noncompliant", "warning"]
SEVERITIES: tuple[Severity, ...] = ("error", "noncompliant", "warning")


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    label: str  # short Chinese name, for counts and headings
    template: str  # placeholders: {value}, {label} (the field's Chinese name), rule params
    scope: Literal["cell", "row", "file"] = "cell"
    stage: Literal["ingest", "validate", "roster"] = "validate"
    variants: dict[str, tuple[Severity, str]] = field(default_factory=dict)

    @property
    def params(self) -> tuple[str, ...]:
        names: set[str] = set()
        for text in (self.template, *(t for _, t in self.variants.values())):
            names |= {f for _, f, _, _ in string.Formatter().parse(text) if f}
        return tuple(sorted(names - {"value", "label"}))


_RULES: tuple[Rule, ...] = (
    # -- file level (ingest) --------------------------------------------------------------
    Rule(
        "file_unreadable",
        "error",
        "文件无法读取",
        "文件无法读取：{value}。请{advice}。",
        scope="file",
        stage="ingest",
    ),
    Rule(
        "header_not_found",
        "error",
        "找不到表头",
        "工作表中找不到表头（应包含“企业名称”“首席质量官姓名”等列），该表未读取：请使用统一的报送模板填报。",
        scope="file",
        stage="ingest",
        variants={
            # The file has another sheet that was read: this one is likely a note or a total.
            "extra_sheet": (
                "warning",
                "工作表中找不到表头，该表未读取：如该表有需要报送的首席质量官信息，"
                "请按报送模板的表头填写；否则可忽略。",
            ),
        },
    ),
    Rule(
        "unknown_header",
        "warning",
        "无法识别的表头",
        "表头「{value}」无法识别，该列未读取：如该列有需要报送的内容，请改用报送模板中的列名。",
        scope="file",
        stage="ingest",
    ),
    Rule(
        "hidden_sheet_read",
        "warning",
        "隐藏工作表已读取",
        "隐藏工作表「{value}」中的 {rows} 行已一并读取：如是过期数据，请删除该工作表后重新报送。",
        scope="file",
        stage="ingest",
    ),
    Rule(
        "unit_multiple_files",
        "warning",
        "同一单位多个文件",
        "本单位本季度有 {count} 个报送文件（{files}），各文件的记录都已读取：如其中有更正版，"
        "请删除旧文件、只保留一个后重新运行，否则同一企业的记录会被当作重复或不一致处理。",
        scope="file",
        stage="ingest",
    ),
    # -- required and unit --------------------------------------------------------------------
    Rule(
        "required",
        "error",
        "必填项为空",
        "必填项「{label}」为空：请补填{label}。",
        variants={
            "contact": ("error", "手机和联系电话都为空：请至少填写一个联系方式（建议填写手机）。"),
            "departure": (
                "error",
                "离任登记缺少首席质量官姓名和身份证号：请至少填写其中一项，以便确认离任人员。",
            ),
        },
    ),
    Rule(
        "unknown_unit",
        "error",
        "填报单位不明",
        "填报单位「{value}」不是已登记的乡镇、园区或部门：请在“填报单位”列填写规范的单位全称"
        "（如“天城镇”）。",
        scope="row",
        variants={
            "missing": (
                "error",
                "无法确定填报单位：请在“填报单位”列填写乡镇、园区或部门名称，"
                "或在文件名中写明单位名称（如“天城镇.xlsx”）。",
            ),
        },
    ),
    # -- resident ID number --------------------------------------------------------------------
    Rule(
        "id_format",
        "error",
        "身份证号格式错误",
        "身份证号「{value}」格式不正确：应为18位（17位数字加1位数字或X），前两位为省份代码，"
        "第7–14位为真实的出生日期。请对照身份证原件重填。",
    ),
    Rule(
        "id_checksum",
        "error",
        "身份证号校验位错误",
        "身份证号「{value}」校验位不符（第18位应由前17位计算得出），说明有数字抄错：请对照身份证原件逐位核对。",
    ),
    Rule(
        "id_precision_lost",
        "error",
        "身份证号被存成数字",
        "身份证号「{value}」在 Excel 中被存成了数字，最后几位已丢失：请先把该列设置为“文本”格式，"
        "再重新输入完整的18位号码。",
    ),
    Rule(
        "id_old_15_digit",
        "warning",
        "15位旧身份证号",
        "身份证号「{value}」是已停用的15位旧号码，已换算为18位号码 {converted} 登记："
        "请核对，今后填写18位号码。",
    ),
    # Birth date and ID disagree: one of the two identity fields is wrong and nobody can tell
    # which (error). A gender cell is a one-character pick that identifies no one: the ID,
    # which passed its checksum, is trusted and the row is kept (warning).
    Rule(
        "id_birthdate_mismatch",
        "error",
        "出生日期与身份证号不符",
        "出生日期「{value}」与身份证号中的出生日期 {id_birth} 不一致："
        "请核对出生日期和身份证号，改正填错的一项。",
    ),
    Rule(
        "id_gender_mismatch",
        "warning",
        "性别与身份证号不符",
        "性别「{value}」与身份证号（第17位，奇数为男、偶数为女）显示的“{id_gender}”不一致：请核对性别和身份证号。",
    ),
    Rule(
        "id_region_unknown",
        "warning",
        "身份证地区码未知",
        "身份证号「{value}」前6位地区码不在全国行政区划代码表（含历史代码）中：请核对身份证号的前6位。",
    ),
    Rule(
        "birth_date_implausible",
        "warning",
        "年龄异常",
        "按出生日期 {birth} 计算，首席质量官在本季度末为{age}岁，不在18–80岁之间："
        "请核对出生日期和身份证号。",
    ),
    # -- other formats -------------------------------------------------------------------------
    Rule(
        "credit_code_checksum",
        "warning",
        "统一社会信用代码有误",
        "统一社会信用代码「{value}」格式或校验位不正确（应为18位数字或大写字母，不含I、O、S、V、Z）："
        "请对照营业执照核对；确属早期试点地区核发的代码可忽略本提示，系统将按企业名称匹配。",
    ),
    Rule(
        "mobile_format",
        "warning",
        "手机号格式错误",
        "手机号「{value}」不是有效的11位手机号码（1开头，第二位为3–9）：请核对。",
    ),
    Rule(
        "phone_format",
        "warning",
        "联系电话格式错误",
        "联系电话「{value}」格式不正确：固定电话请写成“区号-号码”（如0715-1234567），手机请写11位号码，"
        "多个号码用“/”分隔。",
    ),
    Rule(
        "email_format",
        "warning",
        "电子邮箱格式错误",
        "电子邮箱「{value}」格式不正确（应形如 name@example.com）：请核对。",
    ),
    Rule(
        "postcode_format",
        "warning",
        "邮编格式错误",
        "邮编「{value}」不是6位数字的邮政编码：请核对。",
    ),
    Rule(
        "date_format",
        "error",
        "日期无法识别",
        "{label}「{value}」不是可识别的日期：请写成“2022-02-22”或“2022年2月22日”，"
        "或使用 Excel 的日期格式。",
    ),
    # -- qualification (rule profile) ----------------------------------------------------------
    Rule(
        "education_unknown",
        "error",
        "学历无法识别",
        "学历「{value}」无法识别：请填写初中、高中、中专、大专、本科、硕士或博士之一。",
    ),
    Rule(
        "education_below_min",
        "noncompliant",
        "学历未达任职条件",
        "学历「{value}」低于任职条件（{requirement}）：不符合首席质量官任职条件，请更换符合条件的人选。",
    ),
    Rule(
        "education_in_progress",
        "noncompliant",
        "学历在读未取得",
        "学历「{value}」为在读，尚未取得，不能计入（任职条件：{requirement}）：请填写已取得的最高学历；"
        "已取得学历未达到要求的，不符合任职条件。",
    ),
    Rule(
        "quality_years_format",
        "error",
        "质量工作年限无法识别",
        "质量工作年限「{value}」无法识别为年数：请填写如“5年”“3年6个月”或“2015年至今”。",
    ),
    Rule(
        "quality_years_below_min",
        "noncompliant",
        "质量工作年限不足",
        "质量工作年限「{value}」不足{min_years}年：不符合首席质量官任职条件，请更换符合条件的人选。",
    ),
    # An approximate figure ("约3年", "近3年") in [minimum, minimum + 1): it may really be below
    # the minimum. Further above it is harmless; below it is quality_years_below_min already.
    Rule(
        "quality_years_approx",
        "warning",
        "质量工作年限为约数",
        "质量工作年限「{value}」是约数，接近{min_years}年的下限，无法确认是否达到要求："
        "请填写确切年限（如“3年6个月”或“2019年3月至今”）。",
    ),
    Rule(
        "training_missing",
        "noncompliant",
        "未参加任职培训",
        "未参加或未填写任职培训情况：首席质量官须参加县质强办组织的任职培训，参训后请在该列填“是”。",
    ),
    Rule(
        "pledge_missing",
        "noncompliant",
        "未签订质量诚信承诺书",
        "未签订或未填写质量诚信承诺书：首席质量官须签订质量诚信承诺书，签订后请在该列填“是”。",
    ),
    Rule(
        "annual_report_missing",
        "noncompliant",
        "缺年度质量管理绩效报告",
        "未提交或未填写年度质量管理绩效报告（或继续教育证明）：提交后请在该列填“是”。",
    ),
    # -- duplicates ----------------------------------------------------------------------------
    Rule(
        "duplicate_in_submission",
        "error",
        "同一报送中企业重复",
        "企业「{value}」在本次报送中出现多次，且首席质量官信息不一致，无法判断哪条正确："
        "请核对后只保留一条正确记录。",
        variants={
            "identical": (
                "warning",
                "企业「{value}」在本次报送中重复填报（内容相同），已按一条登记：请删除重复行。",
            ),
        },
    ),
    Rule(
        "cqo_multiple_enterprises",
        "warning",
        "一人登记在多家企业",
        "身份证号「{value}」的首席质量官本季度登记在{count}家企业：请核实其实际任职的企业。",
        variants={
            # Found against the roster: the other enterprise registered the person earlier.
            "roster": (
                "warning",
                "身份证号「{value}」的首席质量官已是花名册中「{others}」的首席质量官：请核实其实际"
                "任职的企业；已从原企业离任的，请原企业所在单位报送离任。",
            ),
        },
    ),
    # -- roster stage --------------------------------------------------------------------------
    Rule(
        "not_in_base_list",
        "warning",
        "企业不在名录中",
        "企业「{value}」不在企业名录中{suggestion}：请核对企业名称和统一社会信用代码是否与营业执照一致；"
        "新纳入的企业请联系县质强办更新名录。",
        stage="roster",
    ),
    Rule(
        "conflicting_submissions",
        "warning",
        "多单位报送不一致",
        "该企业由多个单位报送，首席质量官信息不一致（本行为「{value}」），已采用{winner}报送的记录："
        "请相关单位核对。",
        variants={
            # the rows came from one unit (two versions of its file, or a repeated row)
            "same_unit": (
                "warning",
                "本单位报送的多行（或多个文件）中该企业的首席质量官信息不一致（本行为「{value}」），"
                "已采用文件「{winner_file}」中的记录：请核对，删除过时的行或文件后重新报送。",
            ),
        },
        stage="roster",
    ),
    Rule(
        "change_registration_late",
        "warning",
        "变更登记超期",
        "首席质量官变更后{days}天才登记，超过规定的{limit}天：今后请在任命后{limit}天内办理变更登记。",
        stage="roster",
    ),
)

RULES: dict[str, Rule] = {r.code: r for r in _RULES}

# The minimum set DESIGN.md promises; tests check it stays complete.
REQUIRED_CODES = (
    "required",
    "id_checksum",
    "id_format",
    "id_precision_lost",
    "id_birthdate_mismatch",
    "id_gender_mismatch",
    "id_old_15_digit",
    "credit_code_checksum",
    "mobile_format",
    "email_format",
    "postcode_format",
    "date_format",
    "education_unknown",
    "education_below_min",
    "quality_years_format",
    "quality_years_below_min",
    "duplicate_in_submission",
    "not_in_base_list",
    "cqo_multiple_enterprises",
    "change_registration_late",
    "conflicting_submissions",
    "unknown_unit",
)


def split_code(check: str) -> tuple[str, str | None]:
    """ "code:variant" -> (code, variant); "code" -> (code, None)."""
    code, _, variant = check.partition(":")
    return code, variant or None


def rule(check: str) -> Rule:
    """The rule of a code (a "code:variant" names its rule too); KeyError for unknown codes."""
    code, _ = split_code(check)
    try:
        return RULES[code]
    except KeyError:
        raise KeyError(f"unknown rule code: {code!r}") from None


def severity_of(check: str) -> Severity:
    """Severity of a code or "code:variant"."""
    code, variant = split_code(check)
    r = rule(code)
    return r.variants[variant][0] if variant else r.severity


def template_of(check: str) -> str:
    code, variant = split_code(check)
    r = rule(code)
    return r.variants[variant][1] if variant else r.template


def rule_label(code: str) -> str:
    """Short Chinese name of a rule (the code itself when unknown)."""
    r = RULES.get(split_code(str(code))[0])
    return r.label if r else str(code)


# How a param reads inside a message when it has a value (an empty one renders as "").
PARAM_FORMATS: dict[str, str] = {
    "suggestion": "（名录中相近的企业：「{}」）",
}


def _as_text(name: str, value: object) -> pd.Series | str:
    fmt = PARAM_FORMATS.get(name)
    if isinstance(value, pd.Series):
        text = value if value.dtype == "str" else value.astype("str")
        text = text.where(value.notna(), "")
        if fmt:
            before, _, after = fmt.partition("{}")
            text = (before + text + after).where(text != "", "")
        return text
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    text = str(value)
    return fmt.format(text) if fmt and text else text


def render(check: str, value: object = None, **params: object) -> pd.Series | str:
    """The Chinese message of a rule, for one value or for a whole Series at once.

    `value` and each param may be a scalar or a Series (Series aligned on one index); missing
    values and missing params render as empty text. Returns a str when everything is scalar,
    else a str Series on the index of the first Series.
    """
    pieces: list[pd.Series | str] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template_of(check)):
        if literal:
            pieces.append(literal)
        if name is not None:
            pieces.append(_as_text(name, value if name == "value" else params.get(name)))
    series = [p for p in pieces if isinstance(p, pd.Series)]
    if not series:
        return "".join(p for p in pieces if isinstance(p, str))
    index = series[0].index
    out = pd.Series("", index=index, dtype="str")
    for p in pieces:
        out = out + (p.reindex(index).fillna("") if isinstance(p, pd.Series) else p)
    return out


def message(check: str, value: object = None, **params: object) -> str:
    """Scalar form of `render`: the message for one value."""
    text = render(check, value, **params)
    assert isinstance(text, str)
    return text
