"""The embedded demo: a synthetic 崇阳县 base list and three quarters of messy submissions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.fsutil import atomic_path

# -- constants ----------------------------------------------------------------------------------

DEFAULT_SEED = 20261126
# Document created-time written into every workbook, so a seed always gives the same bytes.
CREATED = dt.datetime(2026, 11, 26, 9, 0, 0)
BASE_LIST_NAME = "企业名录.xlsx"
BASE_SHEET = "企业名录"
BASE_HEADERS = ("企业名称", "统一社会信用代码", "所属乡镇", "所属行业", "企业类别", "主管部门",
                "企业规模")

QUARTERS = ("2026Q1", "2026Q2", "2026Q3")
QUARTER_START = {q: dt.date(2026, 3 * i + 1, 1) for i, q in enumerate(QUARTERS)}
QUARTER_END = {"2026Q1": dt.date(2026, 3, 31), "2026Q2": dt.date(2026, 6, 30),
               "2026Q3": dt.date(2026, 9, 30)}
QUARTER_CN = {"2026Q1": "第一季度", "2026Q2": "第二季度", "2026Q3": "第三季度"}
QUARTER_SHORT = {"2026Q1": "一季度", "2026Q2": "二季度", "2026Q3": "三季度"}
DEADLINE_DAYS = 10  # config submission_deadline_days
CHANGE_DAYS = 30  # config change_registration_days

PARK = "崇阳县工业园区"
TOWNSHIPS = ("天城镇", "沙坪镇", "石城镇", "桂花泉镇", "白霓镇", "路口镇", "金塘镇", "青山镇",
             "肖岭乡", "铜钟乡", "港口乡", "高枧乡", PARK)
DEPARTMENTS = ("县经信局", "县住建局")
# Share of the county's enterprises by township: the park and the county seat hold most factories.
TOWNSHIP_WEIGHT = {"天城镇": 16, "沙坪镇": 7, "石城镇": 6, "桂花泉镇": 7, "白霓镇": 8, "路口镇": 7,
                   "金塘镇": 6, "青山镇": 6, "肖岭乡": 4, "铜钟乡": 3, "港口乡": 4, "高枧乡": 4,
                   PARK: 22}
MISSING_UNITS = {"2026Q1": ("铜钟乡", "港口乡")}  # sent nothing that quarter
LATE_UNITS = {"2026Q2": {"港口乡": dt.date(2026, 7, 16)}}  # 填报日期 after quarter end + 10 days

CATEGORIES = ("规上", "重点行业中小微")
ENTERPRISE_COUNT = {"规上": 150, "重点行业中小微": 200}
# Enterprises whose CQO is reported for the first time in Q1, Q2, Q3 (coverage grows).
FIRST_REPORTED = {"规上": (94, 8, 20), "重点行业中小微": (72, 24, 28)}
NONCOMPLIANT_SHARE = {"规上": 0.06, "重点行业中小微": 0.10}
INDUSTRY_WEIGHT = {"规上": {"制造业": 78, "建筑业": 10, "农业": 5, "服务业": 7},
                   "重点行业中小微": {"制造业": 55, "建筑业": 15, "农业": 15, "服务业": 15}}
INDUSTRY_DEPARTMENT = {"制造业": "县经信局", "建筑业": "县住建局", "农业": "县农业农村局",
                       "服务业": "县商务局"}
SCALE_WEIGHT = {"规上": {"大型": 3, "中型": 35, "小型": 62},
                "重点行业中小微": {"小型": 45, "微型": 55}}
SMALL_SCALES = ("小型", "微型")

INDUSTRY_WORDS = {
    "制造业": ("纺织", "服饰", "机械", "电子", "电机", "新材料", "建材", "钒业", "化工", "包装",
               "食品", "竹木制品", "铸造", "医药", "塑业", "五金", "光电", "汽车零部件", "陶瓷",
               "茶叶加工"),
    "建筑业": ("建筑工程", "建设工程", "路桥工程", "装饰工程", "市政工程", "水利水电工程"),
    "农业": ("农业开发", "生态农业", "茶业", "林业", "畜牧", "果业", "中药材种植"),
    "服务业": ("物流", "商贸", "旅游开发", "电子商务", "检测服务", "供应链管理"),
}
BRAND_WORDS = ("隽水", "天城", "鑫达", "宏运", "恒通", "华丰", "金塘", "青山", "白霓", "龙泉",
               "瑞祥", "永盛", "兴旺", "富康", "正阳", "德润", "博源", "绿源", "长林", "汇丰",
               "嘉禾", "锦程", "众诚", "中天", "华盛", "宏图", "新港", "金桥", "顺达", "安达",
               "联创", "盛华", "恒瑞", "天成", "泰和", "隽秀", "鄂南", "幕阜", "陆水", "九龙",
               "楚天", "金鼎", "福康", "兴华", "鸿泰", "宝丰", "裕丰", "荣昌", "新世纪", "东方")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
REGION_OLD = "422325"  # 咸宁地区崇阳县, before 1998
REGION_NEW = "421223"  # 咸宁市崇阳县, since 1998
REGION_OTHER = ("420111", "421202", "421281", "420106", "421221")  # 洪山, 咸安, 赤壁, 武昌, 嘉鱼

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
            "杜叶程魏吕丁沈姚卢汪金廖夏付方邹熊邱江尹雷龚万饶庞")
GIVEN_MALE = "伟强军勇杰涛明超华建国平志刚斌磊鹏辉文俊峰波林浩宇亮成龙飞"
GIVEN_FEMALE = "芳娟敏静丽艳霞琴燕萍红玲慧婷雪莉媛丹倩兰"
GIVEN_ANY = "春海晓新永德金玉清佳"
MOBILE_PREFIXES = ("133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157",
                   "158", "159", "177", "180", "181", "182", "183", "186", "187", "188", "189",
                   "191", "199")

EDUCATION_ORDER = ("初中", "高中", "中专", "大专", "本科", "硕士", "博士")
# How clerks write each level (DOMAIN.md vocabulary); weights favour the plain word.
EDUCATION_WORDS = {
    "初中": (("初中", 1),),
    "高中": (("高中", 1),),
    "中专": (("中专", 5), ("中等专业学校", 1)),
    "大专": (("大专", 8), ("专科", 3), ("高职", 2), ("大学专科", 1), ("成人大专", 1),
             ("电大专科", 1)),
    "本科": (("本科", 8), ("大学本科", 4), ("函授本科", 1), ("自考本科", 1), ("学士", 1)),
    "硕士": (("硕士", 3), ("研究生", 3), ("硕士研究生", 1), ("MBA", 1)),
    "博士": (("博士研究生", 1),),
}
SCHOOLS = {
    "高": ("武汉大学", "华中科技大学", "武汉理工大学", "中国地质大学（武汉）", "华中农业大学"),
    "本科": ("湖北工业大学", "武汉纺织大学", "湖北科技学院", "长江大学", "武汉工程大学", "湖北大学",
             "三峡大学", "江汉大学"),
    "大专": ("咸宁职业技术学院", "湖北职业技术学院", "武汉职业技术学院", "湖北城市建设职业技术学院",
             "武汉船舶职业技术学院", "湖北生态工程职业技术学院"),
    "中专": ("崇阳县职业教育中心", "咸宁市工业学校", "湖北省轻工业学校"),
    "低": ("崇阳县第一中学", "崇阳县第二中学", "白霓高中"),
}
MAJORS = {
    "制造业": ("机械设计制造及其自动化", "纺织工程", "材料科学与工程", "化学工程与工艺",
               "电气工程及其自动化", "食品科学与工程", "质量管理工程", "工业工程"),
    "建筑业": ("土木工程", "工程管理", "建筑工程技术", "工程造价"),
    "农业": ("园艺", "茶学", "农学", "动物科学"),
    "服务业": ("工商管理", "物流管理", "市场营销", "会计"),
}
POSITIONS = {
    "制造业": ("质量部经理", "品质部部长", "质量总监", "副总经理", "总工程师", "质量负责人",
               "生产副总", "技术部经理", "厂长", "质检科科长"),
    "建筑业": ("项目经理", "技术负责人", "总工程师", "质量安全部部长"),
    "农业": ("生产基地负责人", "副总经理", "质量负责人"),
    "服务业": ("副总经理", "运营总监", "质量负责人"),
}
TITLES_OK = (("", 30), ("助理工程师", 15), ("工程师", 25), ("质量工程师", 8), ("高级工程师", 10),
             ("经济师", 4), ("技术员", 5), ("高级技师", 3))
TITLES_LOW = (("", 5), ("助理工程师", 2), ("技术员", 2))  # below 中级: no "equivalent" education
MIDDLE_TITLES = ("工程师", "质量工程师", "经济师", "高级工程师")

TITLE_TEXT = "崇阳县企业首席质量官登记汇总表"
INSTRUCTIONS = (
    "填报说明",
    "1. 本表按季度报送，每季度结束后10日内报县质强办。",
    "2. 身份证号码请按文本格式填写18位，勿以数字格式录入。",
    "3. 学历填写最高学历：博士、硕士、本科、大专、中专、高中、初中。",
    "4. 质量工作年限填写从事质量管理工作的年数。",
    "5. 首席质量官变更的，应在聘用后一个月内报送变更登记表。",
    "6. 带*号的栏目为必填项。",
)
NOTE_SUMMARY = "注：本表由各乡镇汇总后报县质强办"
FORMAT_LABELS = {"xlsx": "xlsx", "xls": "xls（Excel 97-2003）", "csv-gb18030": "CSV，GB18030 编码",
                 "csv-utf-8-sig": "CSV，UTF-8 带 BOM"}

# Deliberate defects: kind -> (rule code the pipeline should report, expected severity).
# Severity "none" = cosmetic (the reader must cope, no finding); "info" = a fact worth knowing.
# The severities marked in UNCERTAIN_SEVERITY are our reading of DESIGN.md, not a contract.
DEFECTS: dict[str, tuple[str | None, str]] = {
    "id_fullwidth": (None, "none"),
    "id_spaces": (None, "none"),
    "id_lower_x": (None, "none"),
    "id_float": ("id_precision_lost", "error"),
    "id_15_digit": ("id_old_15_digit", "warning"),
    "id_checksum": ("id_checksum", "error"),
    "birth_mismatch": ("id_birthdate_mismatch", "warning"),
    "gender_mismatch": ("id_gender_mismatch", "warning"),
    "missing_id": ("required", "error"),
    "missing_education": ("required", "error"),
    "missing_years": ("required", "error"),
    "missing_contact": ("required", "error"),
    "education_unknown": ("education_unknown", "noncompliant"),
    "education_in_progress": ("education_in_progress", "noncompliant"),
    "education_code": (None, "none"),
    "years_format": ("quality_years_format", "error"),
    "date_garbage": ("date_format", "error"),
    "date_text_mixed": (None, "none"),
    "mobile_bad": ("mobile_format", "warning"),
    "mobile_spaces": (None, "none"),
    "mobile_plus86": (None, "none"),
    "mobile_number_cell": (None, "none"),
    "formula_remark": (None, "none"),
    "credit_code_bad": ("credit_code_checksum", "warning"),
    "name_bracket": (None, "none"),
    "name_no_youxian": (None, "none"),
    "duplicate_identical": ("duplicate_in_submission", "warning"),
    "hidden_copy": ("duplicate_in_submission", "warning"),  # hidden sheet repeats visible rows
    "duplicate_conflict": ("duplicate_in_submission", "error"),
    "not_in_base": ("not_in_base_list", "warning"),
    "cqo_shared": ("cqo_multiple_enterprises", "warning"),
    "conflict_department": ("conflicting_submissions", "warning"),
    "change": (None, "info"),
    "change_late": ("change_registration_late", "warning"),
    "resigned": (None, "info"),
    "below_min_education": ("education_below_min", "noncompliant"),
    "below_min_years": ("quality_years_below_min", "noncompliant"),
    "title_equivalence": (None, "info"),
    "small_micro_relaxed": (None, "info"),
}
UNCERTAIN_SEVERITY = ("birth_mismatch", "gender_mismatch", "education_unknown",
                      "education_in_progress", "years_format")
SEVERITY_ORDER = ("none", "info", "warning", "noncompliant", "error")
MANIFEST_ASSUMPTIONS = (
    "expected_rates follow DESIGN.md: a row with an error changes nothing (the enterprise keeps "
    "its earlier CQO); the later appointment_date wins between units, the township on a tie; "
    "a 离任 row ends the appointment",
    "中专 at a 小型/微型 enterprise (small_micro_relaxed) qualifies under the profile's "
    "small_micro rule, the scale taken from the base list when the file has no 企业规模 column",
    "高中 with a 中级 title (title_equivalence) qualifies through equivalent_min_title",
    "the severities of " + ", ".join(UNCERTAIN_SEVERITY) + " are our reading of DESIGN.md; "
    "expected_rates_if_uncertain_are_errors treats them as errors (all are in 2026Q1, on "
    "enterprises without an earlier CQO)",
    "rows of a hidden sheet repeat visible rows of the same file (hidden_copy)",
)

# Cell-level defects placed at random on township rows, per quarter (messiness fades).
DEFECT_PLAN: dict[str, dict[str, int]] = {
    "2026Q1": {"id_fullwidth": 3, "id_spaces": 3, "id_lower_x": 2, "id_float": 5, "id_15_digit": 3,
               "id_checksum": 3, "birth_mismatch": 2, "gender_mismatch": 2, "missing_id": 1,
               "missing_education": 1, "missing_years": 1, "missing_contact": 1,
               "education_unknown": 1, "education_in_progress": 1, "education_code": 2,
               "years_format": 1, "date_garbage": 1, "date_text_mixed": 4, "mobile_bad": 1,
               "mobile_spaces": 3, "mobile_plus86": 2, "mobile_number_cell": 2,
               "formula_remark": 1, "credit_code_bad": 1},
    "2026Q2": {"id_fullwidth": 1, "id_spaces": 1, "id_float": 2, "id_15_digit": 1, "id_checksum": 1,
               "missing_years": 1, "mobile_spaces": 1, "mobile_bad": 1, "date_text_mixed": 1},
    "2026Q3": {"id_spaces": 1, "id_float": 1, "mobile_bad": 1},
}
# Row-level defects placed in a given unit's file (None = any township).
STRUCTURAL_PLAN: dict[str, tuple[tuple[str, str | None], ...]] = {
    "2026Q1": (("duplicate_identical", "天城镇"), ("duplicate_conflict", "白霓镇"),
               ("name_bracket", None), ("name_no_youxian", None)),
    "2026Q2": (("duplicate_identical", "青山镇"), ("name_bracket", None)),
    "2026Q3": (),
}
# Kinds whose rendering needs a typed cell (not possible in CSV).
TYPED_CELL_KINDS = ("id_float", "mobile_number_cell")
# Kinds a unit repeats on the same enterprise next quarter (a habit, not a new mistake).
PERSISTENT_KINDS = ("id_15_digit", "name_bracket")

# -- identifiers --------------------------------------------------------------------------------


def id_check_char(first17: str) -> str:
    """GB 11643 check character of the first 17 digits of a resident ID number."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def make_id_number(region: str, birth: dt.date, sequence: int) -> str:
    """An 18-character ID number with a valid check character (odd sequence = male)."""
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + id_check_char(body)


def to_15_digit(id_number: str) -> str:
    """The first-generation 15-digit form: 2-digit year, no check character."""
    return id_number[:6] + id_number[8:17]


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    values = [int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in first8]
    check = 11 - sum(v * w for v, w in zip(values, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character of the first 17 characters of a credit code."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def make_credit_code(rng: random.Random, prefix: str = "91421223") -> str:
    """A credit code: prefix + organisation code (with its GB 11714 check) + GB 32100 check."""
    letters = [c for c in USCC_ALPHABET if c.isalpha()]
    if rng.random() < 0.6:  # enterprises registered since 2015 carry "MA..." codes
        org8 = "MA4" + "".join(rng.choice(USCC_ALPHABET[:10] + "".join(letters)) for _ in range(5))
    else:
        org8 = "".join(rng.choice("0123456789") for _ in range(8))
    body = prefix + org8 + org_code_check_char(org8)
    return body + uscc_check_char(body)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _wrong_check(id_number: str) -> str:
    right = id_number[17]
    wrong = next(c for c in "3719258460" if c != right)
    return id_number[:17] + wrong


def _wrong_uscc(code: str) -> str:
    wrong = next(c for c in "7K3A" if c != code[17])
    return code[:17] + wrong


# -- the synthetic county -----------------------------------------------------------------------


@dataclass(frozen=True)
class Enterprise:
    key: str
    name: str
    credit_code: str
    township: str
    industry: str
    category: str
    scale: str

    @property
    def department(self) -> str:
        return INDUSTRY_DEPARTMENT[self.industry]

    @property
    def small(self) -> bool:
        return self.scale in SMALL_SCALES


@dataclass(frozen=True)
class Person:
    name: str
    gender: str
    birth: dt.date
    id_number: str
    education: str  # level, one of EDUCATION_ORDER
    education_text: str  # as the clerk writes it
    school: str
    major: str
    years: float
    years_text: object  # number or text, as written
    position: str
    title: str
    mobile: str
    landline: str
    email: str
    training: str
    pledge: str


@dataclass(frozen=True)
class Appointment:
    person: Person
    date: dt.date  # 任命日期
    fill: dt.date  # 填写日期 of the registration form


@dataclass(frozen=True)
class Report:
    appointment: Appointment
    tenure: str = "在任"
    remark: str | None = None


@dataclass
class Row:
    """One enterprise line in one unit's submission, with the defects it was given."""

    enterprise: Enterprise
    report: Report
    unit: str
    in_base: bool = True
    overrides: dict[str, object] = field(default_factory=dict)
    defects: list[str] = field(default_factory=list)

    @property
    def person(self) -> Person:
        return self.report.appointment.person

    @property
    def severity(self) -> str:
        levels = [DEFECTS[d][1] for d in self.defects] or ["none"]
        return max(levels, key=SEVERITY_ORDER.index)


def _rng(seed: int, label: str) -> random.Random:
    return random.Random(f"{seed}:{label}")


def _weighted(rng: random.Random, weights: dict[str, int] | tuple[tuple[str, int], ...]) -> str:
    pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _enterprise_name(rng: random.Random, industry: str, category: str, used: set[str]) -> str:
    while True:
        brand, word = rng.choice(BRAND_WORDS), rng.choice(INDUSTRY_WORDS[industry])
        pattern = rng.random()
        if pattern < 0.55:
            name = f"崇阳县{brand}{word}有限公司"
        elif pattern < 0.70 and industry == "制造业" and category == "规上":
            name = f"湖北{brand}{word}科技股份有限公司"
        elif pattern < 0.80:
            name = f"湖北{brand}{word}有限公司"
        elif pattern < 0.90:
            name = f"{brand}（崇阳）{word}有限公司"
        else:
            name = f"崇阳{brand}{word}有限责任公司"
        if name not in used:
            used.add(name)
            return name


def _township_for(rng: random.Random, industry: str) -> str:
    weights = dict(TOWNSHIP_WEIGHT)
    if industry == "制造业":
        weights[PARK] = int(weights[PARK] * 1.6)
    elif industry == "农业":
        weights[PARK], weights["天城镇"] = 0, 2
    return _weighted(rng, weights)


def generate_enterprises(seed: int = DEFAULT_SEED) -> tuple[list[Enterprise], list[Enterprise]]:
    """The base list (sorted by township and category) and two enterprises outside it.

    The extras are a new enterprise reported by the park before it enters the base list, and
    an enterprise newly above size in the 2026Q3 base list.
    """
    rng = _rng(seed, "enterprises")
    used: set[str] = set()
    codes: set[str] = set()

    def one(category: str, township: str | None = None, industry: str | None = None,
            scale: str | None = None) -> Enterprise:
        industry = industry or _weighted(rng, INDUSTRY_WEIGHT[category])
        code = make_credit_code(rng, "91421223" if rng.random() < 0.95 else "91421200")
        while code in codes:
            code = make_credit_code(rng)
        codes.add(code)
        return Enterprise(
            key="",
            name=_enterprise_name(rng, industry, category, used),
            credit_code=code,
            township=township or _township_for(rng, industry),
            industry=industry,
            category=category,
            scale=scale or _weighted(rng, SCALE_WEIGHT[category]),
        )

    drafts = [one(cat) for cat in CATEGORIES for _ in range(ENTERPRISE_COUNT[cat])]
    drafts.sort(key=lambda e: (TOWNSHIPS.index(e.township), CATEGORIES.index(e.category), e.name))
    base = [replace(e, key=f"E{i:03d}") for i, e in enumerate(drafts, start=1)]
    newcomer = replace(one("重点行业中小微", PARK, "制造业", "小型"), key="N001")
    upgraded = replace(one("规上", PARK, "制造业", "中型"), key="N002")
    return base, [newcomer, upgraded]


class _People:
    """Makes CQOs: unique ID numbers and mobiles, qualification chosen by the caller."""

    def __init__(self, seed: int) -> None:
        self.rng = _rng(seed, "people")
        self.ids: set[str] = set()
        self.mobiles: set[str] = set()

    def new(self, quality: str, enterprise: Enterprise, appointed: dt.date) -> Person:
        """quality: ok | edu_low | years_low | title_equivalence."""
        rng = self.rng
        gender = "男" if rng.random() < 0.72 else "女"
        age = rng.randint(25, 56)
        birth = _random_date(rng, dt.date(appointed.year - age, 1, 1),
                             dt.date(appointed.year - age, 12, 28))
        given = GIVEN_MALE if gender == "男" else GIVEN_FEMALE
        name = rng.choice(SURNAMES) + "".join(
            rng.choice(given + GIVEN_ANY) for _ in range(rng.choice((1, 2, 2)))
        )
        education = self._education(quality, enterprise)
        years = self._years(quality, age)
        title = _weighted(rng, TITLES_LOW if education in ("初中", "高中") else TITLES_OK)
        if quality == "title_equivalence":
            title = "工程师"
        return Person(
            name=name,
            gender=gender,
            birth=birth,
            id_number=self._id_number(birth, gender),
            education=education,
            education_text=_weighted(rng, EDUCATION_WORDS[education]),
            school=self._school(education),
            major=rng.choice(MAJORS[enterprise.industry]) if education not in ("初中", "高中")
            else "",
            years=years,
            years_text=self._years_text(years),
            position=rng.choice(POSITIONS[enterprise.industry]),
            title=title,
            mobile=self._mobile(),
            landline=f"0715-{rng.choice('368')}{rng.randint(0, 999999):06d}"
            if rng.random() < 0.35 else "",
            email=self._email(),
            training="是" if rng.random() < 0.85 else "否",
            pledge="是" if rng.random() < 0.8 else "否",
        )

    def _education(self, quality: str, enterprise: Enterprise) -> str:
        if quality in ("edu_low", "title_equivalence"):
            return "初中" if quality == "edu_low" and self.rng.random() < 0.2 else "高中"
        weights = {"大专": 42, "本科": 45, "硕士": 11, "博士": 2}
        if enterprise.category == "重点行业中小微" and enterprise.small:
            weights = {"中专": 22, "大专": 45, "本科": 30, "硕士": 3}
        return _weighted(self.rng, weights)

    def _years(self, quality: str, age: int) -> float:
        if quality == "years_low":
            return self.rng.choice((1.0, 1.5))
        years = float(min(self.rng.randint(3, 22), age - 20))
        return years + (0.5 if self.rng.random() < 0.12 else 0.0)

    def _years_text(self, years: float) -> object:
        rng, whole = self.rng, int(years)
        if years != whole:
            return rng.choice((f"{whole}年6个月", f"{whole}年半"))
        if whole < 3:
            return rng.choice((whole, f"{whole}年", f"{_cn_number(whole)}年"))
        styles = {"number": 30, "年": 25, "cn": 10}
        if whole >= 5:  # lower bounds, approximations and start dates stay above 3 years
            styles.update({"over": 5, "approx": 5, "since": 8, "since_month": 5})
        style = _weighted(rng, styles)
        start = 2026 - whole
        return {
            "number": whole,
            "年": f"{whole}年",
            "cn": f"{_cn_number(whole)}年",
            "over": f"{whole // 5 * 5}年以上",
            "approx": f"{rng.choice('近约')}{whole}年",
            "since": f"{start}年至今",
            "since_month": f"{start}.{rng.randint(1, 3):02d}-至今",
        }[style]

    def _school(self, education: str) -> str:
        group = {"硕士": "高", "博士": "高", "本科": "本科", "大专": "大专", "中专": "中专"}
        return self.rng.choice(SCHOOLS[group.get(education, "低")])

    def _id_number(self, birth: dt.date, gender: str) -> str:
        rng = self.rng
        if rng.random() < 0.82:
            region = REGION_OLD if birth.year < 1998 else REGION_NEW
        else:
            region = rng.choice(REGION_OTHER)
        while True:
            sequence = rng.randint(0, 499) * 2 + 1 if gender == "男" else rng.randint(1, 499) * 2
            number = make_id_number(region, birth, sequence)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def _mobile(self) -> str:
        while True:
            mobile = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"
            if mobile not in self.mobiles:
                self.mobiles.add(mobile)
                return mobile

    def _email(self) -> str:
        roll = self.rng.random()
        if roll < 0.25:
            return f"{self.rng.randint(10**7, 10**10)}@qq.com"
        if roll < 0.4:
            return f"cy{self.rng.randint(100000, 999999)}@163.com"
        return ""


def _cn_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return "两" if n == 2 else digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def qualifies(person: Person, enterprise: Enterprise) -> bool:
    """The 崇阳县2022 profile: 3 years and 大专 (中级 title as equivalent); 2 years and 中专
    for 小型/微型 enterprises."""
    small = enterprise.small
    level = EDUCATION_ORDER.index(person.education)
    education_ok = (level >= EDUCATION_ORDER.index("中专" if small else "大专")
                    or person.title in MIDDLE_TITLES)
    return education_ok and person.years >= (2 if small else 3)


# -- who reports what, quarter by quarter -------------------------------------------------------


@dataclass
class Plan:
    """The truth behind the files: per enterprise key, what its township reports each quarter."""

    reports: dict[str, list[Report | None]]
    changes: dict[str, dict[str, bool]]  # quarter -> {key: late}
    resigned: dict[str, list[str]]  # quarter -> keys reported 离任
    shared: tuple[str, str]  # two enterprises with the same CQO
    department_conflicts: dict[str, dict[str, tuple[Appointment, str]]]  # q -> key -> (appt, why)
    department_share: dict[str, float]  # key -> draw deciding whether departments list it
    reserved: set[str]  # keys with a planned role: no random defect on them
    removed_q3: tuple[str, str]  # base enterprises dropped from the 2026Q3 base list
    people: _People  # makes further CQOs (e.g. the second person of a conflicting duplicate)


def _submission_date(seed: int, quarter: str, unit: str) -> dt.date:
    late = LATE_UNITS.get(quarter, {}).get(unit)
    if late:
        return late
    return QUARTER_END[quarter] + dt.timedelta(days=_rng(seed, f"submit:{quarter}:{unit}")
                                               .randint(1, DEADLINE_DAYS - 1))


def _appointment(rng: random.Random, people: _People, enterprise: Enterprise, quality: str,
                 start: dt.date, end: dt.date, late: bool = False) -> Appointment:
    """An appointment between start and end; its form is filled within the month (the rule),
    or 38–50 days later when `late` (a late change registration)."""
    date = _random_date(rng, start, end)
    if late:
        fill = date + dt.timedelta(days=rng.randint(CHANGE_DAYS + 8, CHANGE_DAYS + 20))
    else:
        fill = date + dt.timedelta(days=rng.randint(2, 25))
        if date.year == 2026:  # a form is filled in the quarter of the appointment
            fill = min(fill, min(e for e in QUARTER_END.values() if e >= date))
    return Appointment(people.new(quality, enterprise, date), date, fill)


class _Planner:
    """Draws the truth quarter by quarter; each method plans one kind of event."""

    def __init__(self, base: list[Enterprise], extras: list[Enterprise], seed: int) -> None:
        self.base, self.extras = base, extras
        self.rng = _rng(seed, "plan")
        self.people = _People(seed)
        self.by_key = {e.key: e for e in base + extras}
        self.reports: dict[str, list[Report | None]] = {k: [None, None, None] for k in self.by_key}
        self.first: dict[str, int | None] = {}
        self.reserved: set[str] = set()

    def q1(self, key: str) -> Appointment:
        """The appointment reported in Q1 (callers only ask for enterprises reported then)."""
        report = self.reports[key][0]
        assert report is not None
        return report.appointment

    def set_from(self, key: str, q: int, report: Report) -> None:
        for i in range(q, len(QUARTERS)):
            self.reports[key][i] = report

    def appoint(self, key: str, start: dt.date, end: dt.date, quality: str = "ok",
                late: bool = False) -> Appointment:
        return _appointment(self.rng, self.people, self.by_key[key], quality, start, end, late)

    def pick(self, pred, n: int = 1) -> list[str]:
        """n base enterprises matching pred, not yet given a role."""
        keys = [e.key for e in self.base if e.key not in self.reserved and pred(e)]
        chosen = sorted(self.rng.sample(keys, n))
        self.reserved.update(chosen)
        return chosen

    def old_ok(self, e: Enterprise) -> bool:
        """Reported since Q1 by a unit that did submit in Q1, with a qualified CQO."""
        report = self.reports[e.key][0]
        return (self.first[e.key] == 0 and e.township not in MISSING_UNITS["2026Q1"]
                and report is not None and qualifies(report.appointment.person, e))

    def first_reports(self) -> None:
        """Which quarter each enterprise's CQO is first reported, and who it is."""
        rng = self.rng
        for category in CATEGORIES:
            members = [e for e in self.base if e.category == category]
            rng.shuffle(members)
            n1, n2, n3 = FIRST_REPORTED[category]
            for i, e in enumerate(members):
                self.first[e.key] = (0 if i < n1 else 1 if i < n1 + n2
                                     else 2 if i < n1 + n2 + n3 else None)
        self.first.update({self.extras[0].key: 0, self.extras[1].key: 2})
        for key, q in self.first.items():
            if q is None:
                continue
            e = self.by_key[key]
            quality = "ok"
            if rng.random() < NONCOMPLIANT_SHARE[e.category] and e not in self.extras:
                quality = rng.choice(("edu_low", "years_low"))
            if q == 0:
                start, end = dt.date(2022, 3, 1), dt.date(2026, 3, 15)
            else:
                start, end = QUARTER_START[QUARTERS[q]], QUARTER_END[QUARTERS[q]] - dt.timedelta(10)
            self.set_from(key, q, Report(self.appoint(key, start, end, quality)))

    def title_equivalence(self) -> None:
        """A 规上 enterprise whose CQO has 高中 but a 中级 title (education "equivalent")."""
        [key] = self.pick(lambda e: self.old_ok(e) and e.category == "规上" and not e.small)
        old = self.q1(key)
        person = self.people.new("title_equivalence", self.by_key[key], old.date)
        self.set_from(key, 0, Report(replace(old, person=person)))

    def shared_cqo(self) -> tuple[str, str]:
        """Two park factories of one group sharing their CQO."""
        first, second = self.pick(lambda e: self.old_ok(e) and e.township == PARK
                                  and e.industry == "制造业" and e.category == "规上", 2)
        person = self.q1(first).person
        old = self.q1(second)
        self.set_from(second, 0, Report(replace(old, person=person)))
        return first, second

    def changes_and_departures(self) -> tuple[dict[str, dict[str, bool]], dict[str, list[str]]]:
        """Q2: six changes (two replace a noncompliant CQO, two registered late) and two 离任;
        Q3: the park's 离任 gets a successor, three more changes (one late)."""
        q2, q3 = QUARTER_START["2026Q2"], QUARTER_START["2026Q3"]
        changes: dict[str, dict[str, bool]] = {q: {} for q in QUARTERS}
        noncompliant = self.pick(lambda e: self.first[e.key] == 0
                                 and not qualifies(self.q1(e.key).person, e), 2)
        for i, key in enumerate(noncompliant + self.pick(self.old_ok, 4)):
            late = i >= 4
            end = dt.date(2026, 5, 10) if late else dt.date(2026, 6, 10)
            appt = self.appoint(key, q2 + dt.timedelta(3), end, late=late)
            self.set_from(key, 1, Report(appt, remark="首席质量官变更"))
            changes["2026Q2"][key] = late
        resigned: dict[str, list[str]] = {"2026Q2": [], "2026Q3": []}
        for unit in ("路口镇", PARK):
            [key] = self.pick(lambda e, u=unit: self.old_ok(e) and e.township == u)
            self.set_from(key, 1, Report(self.q1(key), "离任", "原首席质量官已离职"))
            resigned["2026Q2"].append(key)
            if unit == "路口镇":
                resigned["2026Q3"].append(key)
            else:
                appt = self.appoint(key, q3 + dt.timedelta(3), dt.date(2026, 9, 10))
                self.set_from(key, 2, Report(appt, remark="新任首席质量官"))
                changes["2026Q3"][key] = False
        for i, key in enumerate(self.pick(lambda e: self.old_ok(e) or self.first[e.key] == 1, 3)):
            late = i == 0
            end = dt.date(2026, 8, 10) if late else dt.date(2026, 9, 10)
            appt = self.appoint(key, q3 + dt.timedelta(3), end, late=late)
            self.set_from(key, 2, Report(appt, remark="首席质量官变更"))
            changes["2026Q3"][key] = late
        return changes, resigned

    def department_conflicts(self) -> dict[str, dict[str, tuple[Appointment, str]]]:
        """Departments disagreeing with the township: a stale list (an older CQO: the township
        wins) or a newer appointment the township has not reported yet (the department wins,
        the township catches up next quarter)."""
        conflicts: dict[str, dict[str, tuple[Appointment, str]]] = {q: {} for q in QUARTERS}

        def stale(key: str) -> tuple[Appointment, str]:
            current = next(r for r in self.reports[key] if r is not None).appointment
            end = current.date - dt.timedelta(days=200)
            return self.appoint(key, end - dt.timedelta(days=400), end), "stale"

        def factory(e: Enterprise) -> bool:
            return self.old_ok(e) and e.category == "规上" and e.industry == "制造业"

        [key] = self.pick(factory)
        conflicts["2026Q1"][key] = stale(key)
        [key] = self.pick(lambda e: self.old_ok(e) and e.industry == "建筑业"
                          and self.q1(e.key).date < dt.date(2025, 1, 1))
        newer = self.appoint(key, dt.date(2026, 1, 10), dt.date(2026, 3, 10))
        conflicts["2026Q1"][key] = (newer, "newer")
        self.set_from(key, 1, Report(newer))
        [key] = self.pick(factory)
        conflicts["2026Q2"][key] = stale(key)
        [key] = self.pick(lambda e: self.old_ok(e) and e.industry == "建筑业")
        conflicts["2026Q3"][key] = stale(key)
        return conflicts

    def removed_from_base(self) -> tuple[str, str]:
        """One enterprise of each category, never reported, that leaves the 2026Q3 base list."""
        return (self.pick(lambda e: self.first[e.key] is None and e.category == "规上")[0],
                self.pick(lambda e: self.first[e.key] is None
                          and e.category == "重点行业中小微")[0])


def plan_reports(base: list[Enterprise], extras: list[Enterprise], seed: int) -> Plan:
    """Decide, for every enterprise, which CQO its township reports in each quarter."""
    planner = _Planner(base, extras, seed)
    planner.first_reports()
    planner.title_equivalence()
    shared = planner.shared_cqo()
    changes, resigned = planner.changes_and_departures()
    conflicts = planner.department_conflicts()
    removed = planner.removed_from_base()
    share = {key: planner.rng.random() for key in planner.by_key}
    return Plan(planner.reports, changes, resigned, shared, conflicts, share, planner.reserved,
                removed, planner.people)


def base_for(quarter: str | None, base: list[Enterprise], extras: list[Enterprise],
             plan: Plan) -> list[Enterprise]:
    """The base list in force: the 2026Q3 list drops two enterprises and adds the extras."""
    if quarter != "2026Q3":
        return list(base)
    kept = [e for e in base if e.key not in plan.removed_q3]
    return sorted(kept + extras, key=lambda e: (TOWNSHIPS.index(e.township),
                                                CATEGORIES.index(e.category), e.name))


# -- submission layouts -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str  # canonical field, or "seq" for 序号
    header: str  # as the clerk wrote it
    group: str | None = None  # merged group header above (two-row headers)


@dataclass(frozen=True)
class Template:
    filename: str  # "{qcn}" → 第一季度, "{qs}" → 一季度, "{q}" → 2026Q1
    fmt: str  # xlsx | xls | csv-gb18030 | csv-utf-8-sig
    columns: tuple[Column, ...]
    sheet: str = "Sheet1"
    title: bool = True
    unit_text: str | None = None  # 填报单位 as written (a typo) when it differs from the unit
    date_style: str = "excel"
    birth_style: str = "excel"
    notes: bool = False
    instructions: str | None = None  # "first" | "last"
    hidden_leftover: bool = False
    empty_sheet: bool = False
    features: tuple[str, ...] = ()

    def has(self, name: str) -> bool:
        return any(c.field == name for c in self.columns)


def _cols(*specs: tuple[str, str] | tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


STANDARD_COLUMNS = _cols(
    ("seq", "序号"), ("unit", "填报单位"), ("enterprise_name", "企业名称"),
    ("credit_code", "统一社会信用代码"), ("industry", "所属行业"), ("cqo_name", "首席质量官姓名"),
    ("gender", "性别"), ("birth_date", "出生日期"), ("id_number", "身份证号码"),
    ("education", "学历"), ("school", "毕业院校"), ("quality_years", "质量工作年限"),
    ("position", "现任职务"), ("title", "职称"), ("mobile", "手机"),
    ("appointment_date", "任命日期"), ("fill_date", "填写日期"), ("remarks", "备注"),
)
E, C = "企业信息", "首席质量官"
TEMPLATES: dict[str, Template] = {
    "天城镇": Template(
        "天城镇2026年{qs}首席质量官报送表.xlsx", "xlsx", _cols(
            ("seq", "序号"), ("unit", "填报单位"), ("enterprise_name", "企业名称", E),
            ("credit_code", "统一社会信用代码", E), ("industry", "所属行业", E),
            ("scale", "企业规模", E), ("cqo_name", "姓名", C), ("id_number", "身份证号码", C),
            ("gender", "性别", C), ("birth_date", "出生年月", C), ("education", "学历", C),
            ("quality_years", "质量工作年限", C), ("mobile", "手机", C),
            ("position", "现任职务"), ("title", "职称"), ("appointment_date", "任命日期"),
            ("fill_date", "填写日期"), ("remarks", "备注")),
        sheet="汇总表", birth_style="month_dot", notes=True, instructions="last",
        features=("两行合并表头（企业信息/首席质量官）", "标题行", "表尾填表人/注",
                  "填报说明工作表")),
    PARK: Template(
        "崇阳县工业园区首席质量官汇总表（{q}）.xlsx", "xlsx", _cols(
            ("seq", "序号"), ("enterprise_name", "*单位名称"), ("credit_code", "统一社会信用代码"),
            ("unit", "填报单位"), ("industry", "所属行业"), ("scale", "企业规模"),
            ("cqo_name", "*首席质量官姓名"), ("gender", "性别"), ("birth_date", "出生日期"),
            ("id_number", "*公民身份号码"), ("education", "*文化程度"), ("school", "毕业院校"),
            ("major", "专业"), ("quality_years", "*从事质量工作年限"), ("position", "现任职务"),
            ("title", "职称"), ("mobile", "*手机号码"), ("email", "电子邮箱"),
            ("appointment_date", "任命日期"), ("fill_date", "填写日期"),
            ("training", "参加任职培训"), ("pledge", "签订质量诚信承诺书"), ("remarks", "备注")),
        sheet="首席质量官", features=("表头同义词与*必填标记", "标题行")),
    "沙坪镇": Template(
        "沙坪镇2026年{qcn}首席质量官报送表.xlsx", "xlsx", _cols(
            ("enterprise_name", "企业名称"), ("credit_code", "统一社会信用代码"),
            ("industry", "所属行业"), ("cqo_name", "首席质量官姓名"), ("gender", "性别"),
            ("id_number", "身份证号"), ("education", "学历"), ("quality_years", "质量工作年限"),
            ("position", "职务"), ("mobile", "手机"), ("phone", "联系电话"),
            ("appointment_date", "任命日期"), ("fill_date", "填写日期")),
        title=False, features=("无填报单位列、无标题：单位取自文件名", "表头在第1行")),
    "石城镇": Template(
        "石城镇.xls", "xls", _cols(
            ("seq", "序号"), ("unit", "填报单位"), ("enterprise_name", "企业名称"),
            ("credit_code", "统一社会信用代码\n（18位）"), ("cqo_name", "首席质量官\n姓名"),
            ("gender", "性别"), ("birth_date", "出生日期\n（年月日）"), ("id_number", "身份证号码"),
            ("education", "学历"), ("school", "毕业院校"), ("major", "专业"),
            ("quality_years", "质量工作\n年限（年）"), ("position", "现任\n职务"),
            ("title", "职称"),
            ("mobile", "手机"), ("appointment_date", "任命日期"), ("fill_date", "填写日期"),
            ("remarks", "备注")),
        birth_style="cn", notes=True,
        features=("表头单元格内换行、全角括号", "标题行", "表尾注")),
    "桂花泉镇": Template(
        "桂花泉镇首席质量官报送表.csv", "csv-gb18030", _cols(
            ("seq", "序号"), ("unit", "填报单位"), ("enterprise_name", "企业名称"),
            ("credit_code", "统一社会信用代码"), ("industry", "所属行业"), ("scale", "企业规模"),
            ("cqo_name", "首席质量官姓名"), ("gender", "性别"), ("birth_date", "出生日期"),
            ("id_number", "身份证号码"), ("education", "学历"), ("quality_years", "质量工作年限"),
            ("position", "现任职务"), ("title", "职称"), ("mobile", "手机"),
            ("phone", "联系电话"), ("appointment_date", "任命日期"), ("fill_date", "填写日期"),
            ("remarks", "备注")),
        date_style="slash", birth_style="slash", notes=True,
        features=("标题行", "表尾注")),
    "白霓镇": Template(
        "白霓镇首席质量官名单.csv", "csv-utf-8-sig", _cols(
            ("unit", "填报单位"), ("enterprise_name", "企业名称"),
            ("credit_code", "统一社会信用代码"), ("cqo_name", "首席质量官姓名"),
            ("id_number", "身份证号"), ("gender", "性别"), ("birth_date", "出生年月"),
            ("education", "最高学历"), ("quality_years", "质量管理工作年限"), ("position", "职务"),
            ("mobile", "手机号"), ("appointment_date", "任命时间"), ("fill_date", "填表日期")),
        title=False, date_style="iso", birth_style="month_cn",
        features=("表头同义词",)),
    "路口镇": Template(
        "路口镇.xlsx", "xlsx", _cols(
            ("seq", "序号"), ("unit", "填报单位"), ("enterprise_name", "企业名称"),
            ("credit_code", "统一社会信用代码"), ("cqo_name", "首席质量官"),
            ("id_number", "身份证号码"), ("gender", "性别"), ("birth_date", "出生日期"),
            ("education", "学历"), ("major", "专业"), ("quality_years", "质量工作年限"),
            ("position", "现任职务"), ("title", "职称"), ("mobile", "手机"),
            ("phone", "联系电话"), ("appointment_date", "任命日期"), ("fill_date", "填写日期"),
            ("tenure_status", "任职状态"), ("remarks", "备注")),
        date_style="cn", notes=True,
        features=("任职状态列", "日期为文本“2022年2月22日”", "标题行", "表尾注")),
    "金塘镇": Template(
        "金塘镇2026年{qs}首席质量官.xlsx", "xlsx", _cols(
            ("seq", "序号"), ("unit", "填报单位"), ("enterprise_name", "企业名称", E),
            ("credit_code", "社会信用代码", E), ("scale", "企业规模", E),
            ("cqo_name", "姓名", C), ("gender", "性别", C), ("birth_date", "出生年月", C),
            ("id_number", "身份证号码", C), ("education", "学历", C),
            ("quality_years", "质量工作年限", C), ("mobile", "手机", C), ("title", "职称"),
            ("appointment_date", "聘任日期"), ("fill_date", "填写日期")),
        date_style="dot", birth_style="month_dot", notes=True, instructions="first",
        features=("两行合并表头", "填报说明为第一个工作表", "日期为文本“2022.2.22”", "表尾注")),
    "青山镇": Template(
        "青山镇.xlsx", "xlsx", _cols(
            ("unit", "填报单位"), ("enterprise_name", "企业名称"),
            ("credit_code", "统一社会信用代码"), ("cqo_name", "首席质量官姓名"), ("gender", "性别"),
            ("birth_date", "出生日期"), ("id_number", "身份证号码"), ("education", "学历"),
            ("quality_years", "质量工作年限"), ("position", "现任职务"), ("phone", "联系方式"),
            ("appointment_date", "任命日期"), ("fill_date", "填写日期"), ("remarks", "备注")),
        notes=True, features=("联系方式列（手机号写在联系电话里）", "标题行", "表尾注")),
    "肖岭乡": Template(
        "肖岭乡.xls", "xls", _cols(
            ("seq", "序号"), ("unit", "填报单位"), ("enterprise_name", "企业名称", E),
            ("credit_code", "统一社会信用代码", E), ("cqo_name", "姓名", C),
            ("id_number", "身份证号码", C), ("gender", "性别", C), ("birth_date", "出生年月", C),
            ("education", "学历", C), ("quality_years", "从事质量工作年限", C),
            ("mobile", "手机", C), ("appointment_date", "任命日期"), ("fill_date", "填写日期")),
        birth_style="month_dot", features=("两行合并表头", "标题行")),
    "高枧乡": Template(
        "高视乡首席质量官登记汇总.xlsx", "xlsx", _cols(
            ("unit", "填报单位"), ("enterprise_name", "企业名称"),
            ("credit_code", "统一社会信用代码"), ("cqo_name", "首席质量官姓名"),
            ("id_number", "身份证号码"), ("gender", "性别"), ("birth_date", "出生日期"),
            ("education", "学历"), ("quality_years", "质量工作年限"), ("title", "职称"),
            ("mobile", "手机"), ("appointment_date", "任命日期"), ("fill_date", "填写日期")),
        unit_text="高视乡", date_style="slash",
        features=("填报单位写作错别字“高视乡”（配置别名）", "标题行")),
    "铜钟乡": Template("铜钟乡.xlsx", "xlsx", STANDARD_COLUMNS, features=("标题行",)),
    "港口乡": Template("港口乡2026年{qs}首席质量官报送表.xlsx", "xlsx", STANDARD_COLUMNS,
                       features=("标题行",)),
    "县经信局": Template(
        "县经信局规上工业企业首席质量官名单.xlsx", "xlsx", _cols(
            ("seq", "序号"), ("unit", "填报单位"), ("enterprise_name", "企业名称"),
            ("credit_code", "统一社会信用代码"), ("township", "所属乡镇"), ("industry", "所属行业"),
            ("cqo_name", "首席质量官姓名"), ("id_number", "身份证号码"), ("gender", "性别"),
            ("education", "学历"), ("quality_years", "质量工作年限"), ("title", "职称"),
            ("mobile", "手机"), ("appointment_date", "任命日期"), ("fill_date", "填写日期")),
        features=("部门报送：与乡镇重复的企业", "标题行")),
    "县住建局": Template(
        "县住建局建筑业企业首席质量官名单.xlsx", "xlsx", _cols(
            ("seq", "序号"), ("unit", "填报单位"), ("enterprise_name", "企业名称"),
            ("credit_code", "统一社会信用代码"), ("township", "所在乡镇"),
            ("cqo_name", "首席质量官姓名"), ("id_number", "身份证号码"), ("gender", "性别"),
            ("education", "学历"), ("quality_years", "质量工作年限"), ("mobile", "手机"),
            ("phone", "联系电话"), ("appointment_date", "任命日期"), ("fill_date", "填写日期")),
        date_style="iso",
        features=("部门报送：与乡镇重复的企业", "日期为文本 2022-02-22", "标题行")),
}


def template_for(unit: str, quarter: str) -> Template:
    """The unit's layout in a quarter: units keep their habits; some change format later."""
    tpl = TEMPLATES[unit]
    if unit == PARK:
        columns = tpl.columns
        if quarter != "2026Q1":  # the park adds 任职状态 when a CQO leaves
            columns = columns[:-1] + (Column("tenure_status", "任职状态"), columns[-1])
        tpl = replace(tpl, columns=columns, hidden_leftover=quarter == "2026Q1",
                      empty_sheet=quarter == "2026Q1", instructions="last")
    if unit == "石城镇" and quarter == "2026Q3":
        tpl = replace(tpl, filename="石城镇.xlsx", fmt="xlsx")
    if unit == "桂花泉镇" and quarter == "2026Q3":
        tpl = replace(tpl, filename="桂花泉镇首席质量官报送表.xlsx", fmt="xlsx")
    if unit == "白霓镇" and quarter != "2026Q1":
        tpl = replace(tpl, filename="白霓镇首席质量官名单.xlsx", fmt="xlsx")
    name = tpl.filename.format(q=quarter, qcn=QUARTER_CN[quarter], qs=QUARTER_SHORT[quarter])
    return replace(tpl, filename=name)


# -- rows of one quarter ------------------------------------------------------------------------


def _township_rows(quarter: str, base: list[Enterprise], extras: list[Enterprise],
                   plan: Plan) -> dict[str, list[Row]]:
    qi = QUARTERS.index(quarter)
    base_keys = {e.key for e in base_for(quarter, base, extras, plan)}
    rows: dict[str, list[Row]] = {}
    for unit in TOWNSHIPS:
        if unit in MISSING_UNITS.get(quarter, ()):
            continue
        rows[unit] = []
        for e in base + extras:
            report = plan.reports[e.key][qi]
            if e.township != unit or report is None:
                continue
            row = Row(e, report, unit, in_base=e.key in base_keys)
            if not row.in_base:
                row.defects.append("not_in_base")
            rows[unit].append(row)
    return rows


def _truth_defects(rows: dict[str, list[Row]], quarter: str, plan: Plan) -> None:
    """Findings that follow from the data itself (qualification, changes, shared CQO)."""
    for row in (r for unit_rows in rows.values() for r in unit_rows):
        e, p, key = row.enterprise, row.person, row.enterprise.key
        if row.report.tenure == "离任":
            row.defects.append("resigned")
            continue
        if not qualifies(p, e):
            level_ok = EDUCATION_ORDER.index(p.education) >= EDUCATION_ORDER.index(
                "中专" if e.small else "大专")
            row.defects.append("below_min_years" if level_ok else "below_min_education")
        elif p.education in ("初中", "高中"):
            row.defects.append("title_equivalence")
        elif p.education == "中专":
            row.defects.append("small_micro_relaxed")
        if key in plan.shared:
            row.defects.append("cqo_shared")
        if key in plan.changes[quarter]:
            row.defects.append("change_late" if plan.changes[quarter][key] else "change")


def _date_text(d: dt.date, style: str) -> object:
    return {
        "excel": d,
        "cn": f"{d.year}年{d.month}月{d.day}日",
        "dot": f"{d.year}.{d.month}.{d.day}",
        "slash": f"{d.year}/{d.month}/{d.day}",
        "iso": d.isoformat(),
        "month_dot": f"{d.year}.{d.month:02d}",
        "month_cn": f"{d.year}年{d.month}月",
    }[style]


def _contact_field(tpl: Template) -> str | None:
    return "mobile" if tpl.has("mobile") else "phone" if tpl.has("phone") else None


def _defect_cells(kind: str, row: Row, tpl: Template) -> dict[str, object]:
    """The cells a defect rewrites, as the clerk would have typed them."""
    p, e, appt = row.person, row.enterprise, row.report.appointment
    pid, mobile = p.id_number, p.mobile
    contact = _contact_field(tpl) or "mobile"
    match kind:
        case "id_fullwidth":
            return {"id_number": _fullwidth(pid)}
        case "id_spaces":
            return {"id_number": f"{pid[:6]} {pid[6:14]} {pid[14:]}"}
        case "id_lower_x":
            return {"id_number": pid.lower()}
        case "id_float":  # Excel keeps 15 significant digits of a number typed in
            return {"id_number": float(pid[:15] + "000")}
        case "id_15_digit":
            return {"id_number": to_15_digit(pid)}
        case "id_checksum":
            return {"id_number": _wrong_check(pid)}
        case "birth_mismatch":
            return {"birth_date": _date_text(p.birth.replace(year=p.birth.year - 1),
                                             tpl.birth_style)}
        case "gender_mismatch":
            return {"gender": "女" if p.gender == "男" else "男"}
        case "missing_id":
            return {"id_number": None}
        case "missing_education":
            return {"education": None}
        case "missing_years":
            return {"quality_years": None}
        case "missing_contact":
            return {f: None for f in ("mobile", "phone") if tpl.has(f)}
        case "education_unknown":
            return {"education": "社会大学"}
        case "education_in_progress":
            return {"education": "本科在读"}
        case "education_code":
            return {"education": 31}  # GB/T 4658 专科, typed as a number
        case "years_format":
            return {"quality_years": "较长"}
        case "date_garbage":
            return {"appointment_date": f"{appt.date.year}.02.30"}
        case "date_text_mixed":
            style = next(s for s in ("cn", "dot", "slash") if s != tpl.date_style)
            return {"appointment_date": _date_text(appt.date, style)}
        case "mobile_bad":
            return {contact: mobile[:10]}
        case "mobile_spaces":
            return {contact: f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"}
        case "mobile_plus86":
            return {contact: f"+86 {mobile}"}
        case "mobile_number_cell":
            return {"mobile": int(mobile)}
        case "formula_remark":
            return {"remarks": "=SUM(A1:A3)"}
        case "credit_code_bad":
            return {"credit_code": _wrong_uscc(e.credit_code)}
        case "name_bracket":
            return {"enterprise_name": e.name.replace("（", "(").replace("）", ")"),
                    "credit_code": None}
        case "name_no_youxian":
            return {"enterprise_name": e.name.replace("有限公司", "公司")}
    raise ValueError(f"unknown defect kind {kind!r}")


def _eligible(kind: str, row: Row, tpl: Template) -> bool:
    """Can this clean township row carry the defect, given its person and its file's layout?"""
    p = row.person
    if set(row.defects) - {"small_micro_relaxed"} or row.report.tenure != "在任" or not row.in_base:
        return False
    if kind in TYPED_CELL_KINDS and tpl.fmt.startswith("csv"):
        return False
    if kind.startswith("mobile") and _contact_field(tpl) is None:
        return False
    if kind == "id_float" and p.id_number.endswith("X"):
        return False
    if kind not in ("duplicate_identical", "duplicate_conflict"):
        cells = _defect_cells(kind, row, tpl)
        if not cells or not all(tpl.has(f) for f in cells):
            return False
    person_fits = {
        "id_lower_x": p.id_number.endswith("X"),
        "id_15_digit": p.birth.year < 1980,
        "education_code": p.education == "大专",
        "education_in_progress": p.education in ("大专", "本科") and not row.enterprise.small,
        "name_bracket": "（崇阳）" in row.enterprise.name,
        "name_no_youxian": row.enterprise.name.endswith("有限公司")
        and not row.enterprise.name.endswith(("股份有限公司", "责任公司")),
    }
    return person_fits.get(kind, True)


def _apply(kind: str, row: Row, tpl: Template) -> None:
    row.overrides.update(_defect_cells(kind, row, tpl))
    row.defects.append(kind)


def _place_defects(quarter: str, rows: dict[str, list[Row]], plan: Plan, seed: int,
                   memory: dict[str, list[str]]) -> None:
    """Put the quarter's planned cell defects on random eligible township rows.

    Defects of uncertain severity are planned in Q1 only, where no row has an earlier CQO to
    fall back on, so the expected qualified counts do not depend on that severity.
    """
    rng = _rng(seed, f"defects:{quarter}")
    templates = {u: template_for(u, quarter) for u in rows}
    flat = [r for u in rows for r in rows[u] if r.enterprise.key not in plan.reserved]
    for kind, count in DEFECT_PLAN[quarter].items():
        candidates = [r for r in flat if _eligible(kind, r, templates[r.unit])]
        if kind in PERSISTENT_KINDS and kind in memory:  # the same clerk, the same habit
            candidates = [r for r in candidates if r.enterprise.key in memory[kind]]
        for row in rng.sample(candidates, min(count, len(candidates))):
            _apply(kind, row, templates[row.unit])
            memory.setdefault(kind, []).append(row.enterprise.key)
    for kind, unit in STRUCTURAL_PLAN[quarter]:
        _place_structural(kind, unit, rows, templates, plan, rng, memory)


def _place_structural(kind: str, unit: str | None, rows: dict[str, list[Row]],
                      templates: dict[str, Template], plan: Plan, rng: random.Random,
                      memory: dict[str, list[str]]) -> None:
    """Row-level defects: duplicates, and enterprise names written differently."""
    remembered = memory.get(kind, []) if kind in PERSISTENT_KINDS else []
    pool = [r for u in ([unit] if unit else rows) for r in rows[u]
            if (r.enterprise.key not in plan.reserved or r.enterprise.key in remembered)
            and _eligible(kind, r, templates[r.unit])]
    if remembered:
        pool = [r for r in pool if r.enterprise.key in memory[kind]]
    if not pool:
        return
    row = rng.choice(pool)
    plan.reserved.add(row.enterprise.key)
    memory.setdefault(kind, []).append(row.enterprise.key)
    unit_rows = rows[row.unit]
    if kind == "duplicate_identical":
        copy = replace(row, overrides=dict(row.overrides), defects=["duplicate_identical"])
        unit_rows.insert(unit_rows.index(row) + 1, copy)
    elif kind == "duplicate_conflict":
        appt = row.report.appointment
        other = replace(appt, person=plan.people.new("ok", row.enterprise, appt.date))
        row.defects.append("duplicate_conflict")
        unit_rows.append(Row(row.enterprise, Report(other), row.unit,
                             defects=["duplicate_conflict"]))
    else:
        _apply(kind, row, templates[row.unit])


def _department_rows(quarter: str, rows: dict[str, list[Row]], plan: Plan) -> dict[str, list[Row]]:
    """The departments list part of their industry, copied from clean township data."""
    departments: dict[str, list[Row]] = {d: [] for d in DEPARTMENTS}
    conflicts = plan.department_conflicts[quarter]
    for unit in rows:
        for row in rows[unit]:
            e = row.enterprise
            if e.department not in departments or not row.in_base or row.report.tenure != "在任":
                continue
            if e.department == "县经信局" and e.category != "规上":
                continue
            if e.key in conflicts:
                appt, _ = conflicts[e.key]
                departments[e.department].append(
                    Row(e, Report(appt), e.department, defects=["conflict_department"]))
                continue
            listed = plan.department_share[e.key] < (0.35 if e.department == "县经信局" else 0.6)
            clean = all(DEFECTS[d][1] == "info" for d in row.defects)
            if listed and clean and e.key not in plan.reserved:
                departments[e.department].append(Row(e, row.report, e.department))
    return departments


# -- sheets and files ---------------------------------------------------------------------------


@dataclass
class Sheet:
    name: str
    cells: list[list[object]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    title_rows: int = 0
    header_rows: tuple[int, ...] = ()
    data_rows: range = range(0)
    text_cols: tuple[int, ...] = ()
    widths: tuple[int, ...] = ()
    hidden: bool = False


@dataclass
class DemoFile:
    """One file to write: where, in which format, its sheets, and which row sits where."""

    relpath: str
    fmt: str
    sheets: list[Sheet]
    quarter: str | None = None
    unit: str | None = None
    features: tuple[str, ...] = ()
    main_sheet: str = ""
    placements: list[tuple[Row, str, int]] = field(default_factory=list)  # row, sheet, Excel row


def _cell(row: Row, column: Column, tpl: Template, seq: int, unit_text: str) -> object:
    if column.field in row.overrides:
        return row.overrides[column.field]
    e, p, report = row.enterprise, row.person, row.report
    appt = report.appointment
    phone = p.landline if tpl.has("mobile") else p.mobile
    values = {
        "seq": seq,
        "unit": unit_text,
        "enterprise_name": e.name,
        "credit_code": e.credit_code,
        "township": e.township,
        "industry": e.industry,
        "scale": e.scale,
        "cqo_name": p.name,
        "id_number": p.id_number,
        "gender": p.gender,
        "birth_date": _date_text(p.birth, tpl.birth_style),
        "education": p.education_text,
        "school": p.school,
        "major": p.major,
        "quality_years": p.years_text,
        "position": p.position,
        "title": p.title,
        "mobile": p.mobile,
        "phone": phone,
        "email": p.email,
        "appointment_date": _date_text(appt.date, tpl.date_style),
        "fill_date": _date_text(appt.fill, tpl.date_style),
        "training": p.training,
        "pledge": p.pledge,
        "tenure_status": report.tenure,
        "remarks": report.remark,
    }
    value = values[column.field]
    return None if value == "" else value


def _header_cells(tpl: Template, top: int) -> tuple[list[list[object]], list[tuple[int, ...]]]:
    columns = tpl.columns
    if not any(c.group for c in columns):
        return [[c.header for c in columns]], []
    upper: list[object] = []
    lower: list[object] = []
    merges: list[tuple[int, ...]] = []
    for i, c in enumerate(columns):
        if c.group is None:
            upper.append(c.header)
            lower.append(None)
            merges.append((top, i, top + 1, i))
        elif i == 0 or columns[i - 1].group != c.group:
            last = max(j for j in range(i, len(columns))
                       if all(columns[k].group == c.group for k in range(i, j + 1)))
            upper.append(c.group)
            lower.append(c.header)
            merges.append((top, i, top, last))
        else:
            upper.append(None)
            lower.append(c.header)
    return [upper, lower], merges


def _table_sheet(name: str, tpl: Template, rows: list[Row], unit: str, title_lines: list[str],
                 notes: list[str]) -> Sheet:
    width = len(tpl.columns)
    sheet = Sheet(name)
    for line in title_lines:
        sheet.merges.append((len(sheet.cells), 0, len(sheet.cells), width - 1))
        sheet.cells.append([line] + [None] * (width - 1))
    sheet.title_rows = len(title_lines)
    header, merges = _header_cells(tpl, len(sheet.cells))
    sheet.header_rows = tuple(range(len(sheet.cells), len(sheet.cells) + len(header)))
    sheet.merges.extend(merges)  # type: ignore[arg-type]
    sheet.cells.extend(header)
    first = len(sheet.cells)
    unit_text = tpl.unit_text or unit
    for seq, row in enumerate(rows, start=1):
        sheet.cells.append([_cell(row, c, tpl, seq, unit_text) for c in tpl.columns])
    sheet.data_rows = range(first, len(sheet.cells))
    if notes:
        sheet.cells.append([None] * width)
        for i, line in enumerate(notes):
            if i == 0:  # the signature line spans the table, as clerks merge it
                sheet.merges.append((len(sheet.cells), 0, len(sheet.cells), min(width, 8) - 1))
            sheet.cells.append([line] + [None] * (width - 1))
    sheet.text_cols = tuple(i for i, c in enumerate(tpl.columns)
                            if c.field in ("id_number", "credit_code", "mobile"))
    sheet.widths = tuple(_width(c) for c in tpl.columns)
    return sheet


def _width(column: Column) -> int:
    return {"id_number": 22, "credit_code": 22, "enterprise_name": 30, "seq": 6}.get(
        column.field, 12)


def _note_lines(seed: int, quarter: str, unit: str) -> list[str]:
    rng = _rng(seed, f"notes:{quarter}:{unit}")
    names = [rng.choice(SURNAMES) + rng.choice(GIVEN_MALE + GIVEN_FEMALE) + rng.choice(GIVEN_ANY)
             for _ in range(2)]
    phone = f"0715-{rng.choice('368')}{rng.randint(0, 999999):06d}"
    return [f"填表人：{names[0]}    审核人：{names[1]}    联系电话：{phone}", NOTE_SUMMARY]


def _date_cn(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def build_submission(quarter: str, unit: str, rows: list[Row], seed: int) -> DemoFile:
    """Lay one unit's rows out in its template: titles, headers, notes, extra sheets."""
    tpl = template_for(unit, quarter)
    submitted = _submission_date(seed, quarter, unit)
    titles = []
    if tpl.title:
        titles = [f"{TITLE_TEXT}（2026年{QUARTER_CN[quarter]}）",
                  f"填报单位：{tpl.unit_text or unit}（盖章）    填报日期：{_date_cn(submitted)}"]
    notes = _note_lines(seed, quarter, unit) if tpl.notes else []
    main = _table_sheet(tpl.sheet, tpl, rows, unit, titles, notes)
    sheets = [main]
    features = (FORMAT_LABELS[tpl.fmt], *tpl.features)
    demo = DemoFile(f"{quarter}/{tpl.filename}", tpl.fmt, sheets, quarter, unit, features,
                    main.name)
    for offset, row in enumerate(rows):
        demo.placements.append((row, main.name, main.data_rows.start + offset + 1))
    if tpl.hidden_leftover:
        leftover = [r for r in rows if not r.defects
                    and r.report.appointment.date < QUARTER_START[quarter]][:6]
        old = _table_sheet("2025年四季度", tpl, leftover, unit,
                           [f"{TITLE_TEXT}（2025年第四季度）"], [])
        old.hidden = True
        sheets.append(old)
        for offset, row in enumerate(leftover):
            demo.placements.append((row, old.name, old.data_rows.start + offset + 1))
        demo.features += ("隐藏工作表“2025年四季度”（上季度遗留数据，与本表部分行相同）",)
    if tpl.empty_sheet:
        sheets.append(Sheet("Sheet3"))
        demo.features += ("空工作表 Sheet3",)
    if tpl.instructions:
        guide = Sheet("填报说明", cells=[[line] for line in INSTRUCTIONS], widths=(70,))
        sheets.insert(0 if tpl.instructions == "first" else len(sheets), guide)
    if unit in LATE_UNITS.get(quarter, {}):
        demo.features += (f"迟报：填报日期 {_date_cn(submitted)}",)
    return demo


def build_base_list(enterprises: list[Enterprise], relpath: str) -> DemoFile:
    cells: list[list[object]] = [list(BASE_HEADERS)]
    for e in enterprises:
        cells.append([e.name, e.credit_code, e.township, e.industry, e.category, e.department,
                      e.scale])
    sheet = Sheet(BASE_SHEET, cells, header_rows=(0,), data_rows=range(1, len(cells)),
                  text_cols=(1,), widths=(36, 22, 14, 10, 14, 12, 10))
    return DemoFile(relpath, "xlsx", [sheet], features=("企业名录",))


# -- writers ------------------------------------------------------------------------------------


def _write_xlsx(path: Path, demo: DemoFile) -> None:
    import xlsxwriter

    options = {"strings_to_formulas": False, "strings_to_urls": False,
               "strings_to_numbers": False}
    workbook = xlsxwriter.Workbook(str(path), options)
    workbook.set_properties({"created": CREATED,
                             "comments": "cqo 演示数据（虚构，不含真实个人信息）"})
    border = {"border": 1, "valign": "vcenter"}
    fmt = {
        "title": workbook.add_format({"bold": True, "font_size": 14, "align": "center"}),
        "header": workbook.add_format({**border, "bold": True, "text_wrap": True,
                                       "align": "center", "bg_color": "#DDEBF7"}),
        "cell": workbook.add_format(border),
        "text": workbook.add_format({**border, "num_format": "@"}),
        "date": workbook.add_format({**border, "num_format": "yyyy-mm-dd"}),
        "number": workbook.add_format({**border, "num_format": "0"}),
        "plain": workbook.add_format({"valign": "vcenter"}),
    }
    for sheet in demo.sheets:
        ws = workbook.add_worksheet(sheet.name)
        for col, width in enumerate(sheet.widths):
            ws.set_column(col, col, width)
        covered: set[tuple[int, int]] = set()
        for r1, c1, r2, c2 in sheet.merges:
            style = fmt[_style(sheet, r1, c1, sheet.cells[r1][c1])]
            ws.merge_range(r1, c1, r2, c2, None, style)
            covered.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
            _xlsx_cell(ws, r1, c1, sheet.cells[r1][c1], style)
        for r, values in enumerate(sheet.cells):
            for c, value in enumerate(values):
                if (r, c) not in covered:
                    _xlsx_cell(ws, r, c, value, fmt[_style(sheet, r, c, value)])
        if sheet.hidden:
            ws.hide()
    workbook.close()


def _style(sheet: Sheet, r: int, c: int, value: object) -> str:
    if r < sheet.title_rows:
        return "title"
    if r in sheet.header_rows:
        return "header"
    if r not in sheet.data_rows:
        return "plain"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, int | float) and c in sheet.text_cols:
        return "number"
    return "text" if c in sheet.text_cols else "cell"


def _xlsx_cell(ws, r: int, c: int, value: object, style) -> None:
    if value is None:
        ws.write_blank(r, c, None, style)
    elif isinstance(value, str):
        ws.write_string(r, c, value, style)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), style)
    else:
        ws.write_number(r, c, value, style)


def _write_xls(path: Path, demo: DemoFile) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    edge = "borders: left thin, right thin, top thin, bottom thin"
    styles = {
        "title": xlwt.easyxf("font: bold on, height 280; align: horiz center"),
        "header": xlwt.easyxf(f"font: bold on; align: wrap on, horiz center, vert center; {edge}"),
        "cell": xlwt.easyxf(edge),
        "text": xlwt.easyxf(edge, num_format_str="@"),
        "date": xlwt.easyxf(edge, num_format_str="YYYY-MM-DD"),
        "number": xlwt.easyxf(edge, num_format_str="0"),
        "plain": xlwt.easyxf(""),
    }
    for sheet in demo.sheets:
        ws = book.add_sheet(sheet.name, cell_overwrite_ok=True)
        for col, width in enumerate(sheet.widths):
            ws.col(col).width = 256 * width
        covered: set[tuple[int, int]] = set()
        for r1, c1, r2, c2 in sheet.merges:
            value = sheet.cells[r1][c1]
            ws.write_merge(r1, r2, c1, c2, "" if value is None else value,
                           styles[_style(sheet, r1, c1, value)])
            covered.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
        for r, values in enumerate(sheet.cells):
            for c, value in enumerate(values):
                if (r, c) not in covered and value is not None:
                    ws.write(r, c, value, styles[_style(sheet, r, c, value)])
    book.save(str(path))


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value.year}/{value.month}/{value.day}"
    return str(value)


def _write_csv(path: Path, demo: DemoFile) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for values in demo.sheets[0].cells:
        writer.writerow([_csv_text(v) for v in values])
    encoding = demo.fmt.removeprefix("csv-")
    path.write_bytes(buffer.getvalue().encode(encoding))


WRITERS = {"xlsx": _write_xlsx, "xls": _write_xls, "csv-gb18030": _write_csv,
           "csv-utf-8-sig": _write_csv}


# -- the whole demo -----------------------------------------------------------------------------


@dataclass
class Demo:
    seed: int
    files: list[DemoFile]
    manifest: dict


def build_demo(seed: int = DEFAULT_SEED) -> Demo:
    """Everything `write_demo` writes, in memory, with the manifest of deliberate defects."""
    base, extras = generate_enterprises(seed)
    plan = plan_reports(base, extras, seed)
    files = [build_base_list(base, BASE_LIST_NAME)]
    memory: dict[str, list[str]] = {}
    quarter_rows: dict[str, dict[str, list[Row]]] = {}
    for quarter in QUARTERS:
        rows = _township_rows(quarter, base, extras, plan)
        _truth_defects(rows, quarter, plan)
        _place_defects(quarter, rows, plan, seed, memory)
        departments = {d: r for d, r in _department_rows(quarter, rows, plan).items() if r}
        _truth_defects(departments, quarter, plan)
        rows.update(departments)
        quarter_rows[quarter] = rows
        files.extend(build_submission(quarter, unit, unit_rows, seed)
                     for unit, unit_rows in rows.items())
        if quarter == "2026Q3":
            files.append(build_base_list(base_for(quarter, base, extras, plan),
                                         f"{quarter}/{BASE_LIST_NAME}"))
    manifest = build_manifest(seed, files, quarter_rows, base, extras, plan)
    return Demo(seed, files, manifest)


class DemoRefused(Exception):
    """`target` holds files that are not the demo's: writing would overwrite real input."""


def write_demo(target: Path, seed: int = DEFAULT_SEED, force: bool = False) -> list[Path]:
    """Write the demo input (base list + quarter folders) into `target`; same bytes per seed.

    Only the demo's own files are (over)written; other files in `target` are left alone. Unless
    `force`, refuses (DemoRefused, a Chinese message) when that would replace a file that is
    not the demo's own (a real 企业名录.xlsx) or put demo submissions beside real ones in a
    quarter folder: rewriting a demo input is fine, clobbering the county's is not.
    """
    import tempfile

    target = Path(target)
    demo = build_demo(seed)
    with tempfile.TemporaryDirectory() as staging:
        made = []
        for demo_file in demo.files:
            path = Path(staging) / demo_file.relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            WRITERS[demo_file.fmt](path, demo_file)
            made.append((demo_file.relpath, path.read_bytes()))
        if not force:
            _refuse_foreign(target, made)
        written = []
        for relpath, data in made:
            path = target / relpath
            with atomic_path(path) as tmp:
                tmp.write_bytes(data)
            written.append(path)
    return written


def _refuse_foreign(target: Path, made: list[tuple[str, bytes]]) -> None:
    ours = {Path(rel).as_posix(): data for rel, data in made}
    foreign = []
    for rel, data in ours.items():
        path = target / rel
        if path.is_file() and path.read_bytes() != data:
            foreign.append(rel)
    for folder in sorted({Path(rel).parent for rel in ours if Path(rel).parent != Path(".")}):
        if (target / folder).is_dir():
            foreign += sorted(
                (folder / p.name).as_posix()
                for p in (target / folder).iterdir()
                if p.is_file() and (folder / p.name).as_posix() not in ours
                and not p.name.startswith(("~$", ".~"))
            )  # fmt: skip
    if foreign:
        shown = "、".join(dict.fromkeys(foreign[:5])) + ("等" if len(foreign) > 5 else "")
        raise DemoRefused(
            f"「{target}」中已有不是演示数据的文件（{shown}）：写入演示数据会覆盖或混入真实数据，"
            "已停止，未写入任何文件。请指定一个空文件夹：cqo demo <文件夹>；"
            "确需覆盖请加 --force。"
        )


# -- manifest: what the pipeline should find ----------------------------------------------------


def _expected_rates(quarter_rows: dict[str, dict[str, list[Row]]], base: list[Enterprise],
                    extras: list[Enterprise], plan: Plan, strict: bool) -> dict[str, dict]:
    """Simulate DESIGN.md's roster rules over the quarters: base, appointed, qualified.

    strict=True treats the defects of uncertain severity as errors (row rejected).
    """
    current: dict[str, Row | None] = {}
    result: dict[str, dict] = {}

    def severity(row: Row) -> str:
        if strict and any(d in UNCERTAIN_SEVERITY for d in row.defects):
            return "error"
        return row.severity

    for quarter, rows in quarter_rows.items():
        visible = [r for unit_rows in rows.values() for r in unit_rows]
        by_key: dict[str, list[Row]] = {}
        for row in visible:
            if severity(row) != "error":
                by_key.setdefault(row.enterprise.key, []).append(row)
        for key, candidates in by_key.items():
            # later appointment wins; on a tie the township's row (listed first) wins
            winner = max(candidates, key=lambda r: (r.report.appointment.date,
                                                    r.unit in TOWNSHIPS))
            current[key] = None if winner.report.tenure == "离任" else winner
        counts = {}
        for category in CATEGORIES:
            members = [e for e in base_for(quarter, base, extras, plan) if e.category == category]
            appointed = [r for r in (current.get(e.key) for e in members) if r is not None]
            qualified = [r for r in appointed if severity(r) != "noncompliant"]
            counts[category] = {"base": len(members), "appointed": len(appointed),
                                "qualified": len(qualified),
                                "rate": round(len(qualified) / len(members), 4)}
        result[quarter] = counts
    return result


def build_manifest(seed: int, files: list[DemoFile], quarter_rows: dict[str, dict[str, list[Row]]],
                   base: list[Enterprise], extras: list[Enterprise], plan: Plan) -> dict:
    """Per quarter: files, missing/late units, every deliberate defect with its position,
    counts by kind and by rule, and the rates the pipeline should compute."""
    manifest: dict = {"seed": seed, "assumptions": list(MANIFEST_ASSUMPTIONS), "base_list": {},
                      "quarters": {}}
    for quarter in (None, "2026Q3"):
        members = base_for(quarter, base, extras, plan)
        manifest["base_list"][quarter or "default"] = dict(Counter(e.category for e in members))
    manifest["base_list"]["2026Q3_changes"] = {
        "removed": [e.name for e in base if e.key in plan.removed_q3],
        "added": [e.name for e in extras],
    }
    lenient = _expected_rates(quarter_rows, base, extras, plan, strict=False)
    strict = _expected_rates(quarter_rows, base, extras, plan, strict=True)
    for quarter in QUARTERS:
        quarter_files = [f for f in files if f.quarter == quarter]
        defects = []
        for demo_file in quarter_files:
            hidden = {s.name for s in demo_file.sheets if s.hidden}
            for row, sheet, excel_row in demo_file.placements:
                for kind in ["hidden_copy"] if sheet in hidden else row.defects:
                    rule, severity = DEFECTS[kind]
                    defects.append({
                        "kind": kind, "rule": rule, "severity": severity,
                        "severity_uncertain": kind in UNCERTAIN_SEVERITY,
                        "file": Path(demo_file.relpath).name, "unit": demo_file.unit,
                        "sheet": sheet, "row": excel_row, "enterprise": row.enterprise.name,
                    })
        manifest["quarters"][quarter] = {
            "files": [{"file": Path(f.relpath).name, "unit": f.unit, "format": f.fmt,
                       "rows": sum(1 for _, s, _ in f.placements if s == f.main_sheet),
                       "sheets": [s.name for s in f.sheets],
                       "hidden_sheets": [s.name for s in f.sheets if s.hidden],
                       "features": list(f.features)} for f in quarter_files],
            "missing_units": list(MISSING_UNITS.get(quarter, ())),
            "late_units": {u: d.isoformat() for u, d in LATE_UNITS.get(quarter, {}).items()},
            "defects": defects,
            "defect_counts": dict(Counter(d["kind"] for d in defects)),
            "rule_counts": dict(Counter(d["rule"] for d in defects if d["rule"])),
            "expected_rates": lenient[quarter],
            "expected_rates_if_uncertain_are_errors": strict[quarter],
        }
    return manifest

