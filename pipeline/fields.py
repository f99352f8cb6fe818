"""Canonical fields: English names for code, Chinese labels for people, header synonyms."""

from __future__ import annotations

import re

# How each severity is named to people (findings lists, comments, messages). One table: a
# clerk filters 问题清单 by these words.
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "noncompliant": "不合格", "warning": "提醒"}

# Order follows the seed's registration form (附件: 崇阳县企业首席质量官登记表).
FIELDS: dict[str, str] = {
    "enterprise_name": "企业名称",
    "credit_code": "统一社会信用代码",
    "township": "所属乡镇",
    "unit": "填报单位",
    "address": "企业住所",
    "industry": "所属行业",
    "ownership": "企业性质",
    "scale": "企业规模",
    "products": "主导产品及经营项目",
    "cqo_name": "首席质量官姓名",
    "id_number": "身份证号",
    "gender": "性别",
    "birth_date": "出生日期",
    "education": "学历",
    "school": "毕业院校",
    "major": "专业",
    "quality_years": "质量工作年限",
    "position": "现任职务",
    "title": "职称",
    "phone": "联系电话",
    "mobile": "手机",
    "fax": "传真",
    "email": "Email",
    "mail_address": "通讯地址",
    "postcode": "邮编",
    "head_name": "单位负责人",
    "quality_head_name": "单位质量负责人",
    "resume": "首席质量官工作简历",
    "appointment_date": "任命日期",
    "fill_date": "填写日期",
    "training": "参加任职培训",
    "pledge": "签订质量诚信承诺书",
    "annual_report": "年度质量管理绩效报告",
    "tenure_status": "任职状态",
    "remarks": "备注",
}

LABELS = FIELDS
FIELD_BY_LABEL = {label: name for name, label in FIELDS.items()}

# Base list (企业名录) fields: the denominators of the rates.
BASE_FIELDS: dict[str, str] = {
    "enterprise_name": "企业名称",
    "credit_code": "统一社会信用代码",
    "township": "所属乡镇",
    "industry": "所属行业",
    "category": "企业类别",
    "department": "主管部门",
    "scale": "企业规模",
}

CATEGORIES = ("规上", "重点行业中小微")

# Header variants met in the wild, already in matching form (see normalize.header_key):
# half-width, no spaces, no "*" marks, no brackets' content such as units "(年)".
# The canonical Chinese label always matches too.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "enterprise_name": ("单位名称", "企业全称", "企业名称全称", "公司名称", "企业(单位)名称"),
    "credit_code": (
        "社会信用代码",
        "信用代码",
        "统一代码",
        "统一社会信用代码证号",
        "组织机构代码/统一社会信用代码",
        "企业统一社会信用代码",
    ),
    "township": ("乡镇", "所在乡镇", "所属乡镇(园区)", "乡镇(园区)", "所在地"),
    "unit": ("报送单位", "填报乡镇", "上报单位"),
    "address": ("企业地址", "住所", "地址", "企业住址", "注册地址"),
    "industry": ("行业", "行业类别", "所属行业类别"),
    "ownership": ("企业类型", "经济类型", "登记注册类型"),
    "scale": ("规模", "企业规模(大中小微)"),
    "products": ("主导产品", "主要产品", "主导产品及经营范围", "经营项目", "主营产品"),
    "cqo_name": ("首席质量官", "姓名", "首席质量官姓名", "质量官姓名", "cqo姓名"),
    "id_number": (
        "身份证号码",
        "公民身份号码",
        "身份证",
        "身份证件号码",
        "身份证号(18位)",
        "证件号码",
    ),
    "gender": ("性别",),
    "birth_date": ("出生年月", "出生日期", "出生年月日"),
    "education": ("文化程度", "最高学历", "学历(学位)", "学历学位"),
    "school": ("毕业学校", "毕业院校及专业"),
    "major": ("所学专业", "专业"),
    "quality_years": (
        "从事质量工作年限",
        "质量管理工作年限",
        "从事质量管理工作年限",
        "质量工作年限(年)",
        "从事质量工作时间",
        "工作年限",
    ),
    "position": ("职务", "现任职务", "现职务"),
    "title": ("职称", "技术职称", "专业技术职称"),
    "phone": ("电话", "办公电话", "固定电话", "联系方式"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "联系手机"),
    "fax": ("传真", "传真号码"),
    "email": ("电子邮箱", "邮箱", "e-mail", "email", "电子邮件"),
    "mail_address": ("通讯地址", "通信地址", "联系地址"),
    "postcode": ("邮编", "邮政编码"),
    "head_name": ("法定代表人", "企业负责人", "单位负责人", "法人代表"),
    "quality_head_name": ("质量负责人", "单位质量负责人"),
    "resume": ("工作简历", "简历", "首席质量官工作简历"),
    "appointment_date": ("任命日期", "聘任日期", "任命时间", "聘任时间", "任职日期"),
    "fill_date": ("填写日期", "填表日期", "登记日期"),
    "training": ("参加任职培训", "是否参加培训", "任职培训", "培训情况"),
    "pledge": ("签订质量诚信承诺书", "诚信承诺书", "是否签订承诺书", "质量诚信承诺"),
    "annual_report": ("年度质量管理绩效报告", "年度报告", "绩效报告", "继续教育证明"),
    "tenure_status": ("任职状态", "状态", "在任/离任", "是否在任"),
    "remarks": ("备注", "说明"),
}

# Headers that are not data and are dropped without comment.
IGNORED_HEADERS: tuple[str, ...] = ("序号", "编号", "no", "no.", "序")

# Fields a group header (merged cell over sub-columns) qualifies:
# "首席质量官" over 姓名 / 身份证号码.
GROUP_PREFIXES: dict[str, str] = {"首席质量官": "cqo", "企业": "enterprise", "单位": "enterprise"}

# Provenance columns every record carries from the first read.
PROVENANCE = ("_file", "_sheet", "_row", "_unit")


# -- matching form of headers and names ----------------------------------------------------------
# Here (no pandas) so that config.yaml's checks compare unit names exactly as ingest does.

# Full-width ASCII U+FF01..FF5E (which includes （）) and the ideographic space U+3000.
_HALFWIDTH = {0x3000: 0x20, **{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}}
# Zero-width characters pasted from web pages and chat apps: invisible, so deleted.
_ZERO_WIDTH = (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)
_CLEAN_TABLE = {**_HALFWIDTH, **dict.fromkeys(_ZERO_WIDTH)}
# A-Z only: str.lower() also changes letters beyond ASCII, which header keys keep
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_HEADER_HINT_RE = re.compile(r"(?:\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】)$")


def header_key(text: str) -> str:
    """A header cell in matching form (see fields.SYNONYMS): half-width, no spaces, no */★
    marks or colons, no trailing "(年)"-like hint, ASCII lower-cased."""
    key = str(text).translate(_CLEAN_TABLE)
    key = re.sub(r"[\s*★☆:]+", "", key)
    while True:
        stripped = _HEADER_HINT_RE.sub("", key)
        if stripped == key or not stripped:
            break
        key = stripped
    return key.translate(_ASCII_LOWER)


# Ways of writing an education level (the highest attained), by level 1 (初中) .. 7 (博士).
EDUCATION_WORDS: dict[str, int] = {
    "初中": 1,
    "初级中学": 1,
    "高中": 2,
    "普高": 2,
    "普通高中": 2,
    "高级中学": 2,
    "职高": 2,
    "技校": 2,
    "中专": 3,
    "中技": 3,
    "中职": 3,
    "中师": 3,
    "中等专业学校": 3,
    "中等专科": 3,
    "中等职业": 3,
    "职业高中": 3,
    "技工学校": 3,
    "大专": 4,
    "专科": 4,
    "高职": 4,
    "高专": 4,
    "大学专科": 4,
    "本科": 5,
    "大学本科": 5,
    "大学": 5,
    "大本": 5,
    "学士": 5,
    "专升本": 5,
    "硕士": 6,
    "研究生": 6,
    "硕士研究生": 6,
    "在职研究生": 6,
    "MBA": 6,
    "EMBA": 6,
    "MPA": 6,
    "博士": 7,
    "博士研究生": 7,
}
