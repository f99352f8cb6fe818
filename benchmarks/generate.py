"""Seeded synthetic quarters for the scale benchmark: county, province and national inputs.

    python benchmarks/generate.py county province national      # or: all, fit
    python benchmarks/generate.py national --seed 7 --jobs 2

Each scale goes to benchmarks/data/<scale>/ (git-ignored):

    config.yaml              the county's rule profile and milestones, generated units
    input/企业名录.xlsx       the base list (every enterprise, reported or not)
    input/2026Q3/*           one quarter of submissions: .xlsx / .xls / .csv, messy
    manifest.json            what was generated (files, rows, planted defects by kind)

The data is synthetic: generated names, ID numbers and credit codes with valid GB 11643 /
GB 32100 check characters that belong to nobody. About 3% of the rows carry an error (bad
checksum, ID typed as a number, missing required field, unknown education word), more carry
warnings or fail the rule profile; files mix formats, title rows, note lines, header synonyms
and two-row merged headers, as township clerks send them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from pipeline.demo import (  # noqa: E402  (the demo's GB 11643 / GB 32100 generators)
    BRAND_WORDS,
    GIVEN_ANY,
    GIVEN_FEMALE,
    GIVEN_MALE,
    INDUSTRY_WORDS,
    MOBILE_PREFIXES,
    SURNAMES,
    make_credit_code,
    make_id_number,
)

DATA = Path(__file__).resolve().parent / "data"
QUARTER = "2026Q3"
QUARTER_END = dt.date(2026, 9, 30)
DEFAULT_SEED = 20261126
# Files with more rows than this are written row by row with xlsxwriter's constant_memory
# (no vertical merges there: a merged header would need an earlier row after a later one).
CONSTANT_MEMORY_ROWS = 2000
XLS_MAX_ROWS = 5000  # .xls (xlwt) only for the small files a township really sends as .xls


@dataclass(frozen=True)
class Scale:
    files: int  # submission workbooks (townships + departments)
    rows: int  # data rows over all submissions, about
    departments: int  # of the files, those sent by departments (duplicating township rows)
    skew: float = 1.0  # sigma of the lognormal rows-per-file distribution


SCALES: dict[str, Scale] = {
    "county": Scale(files=13, rows=350, departments=2, skew=0.5),
    "province": Scale(files=1300, rows=20_000, departments=26, skew=0.8),
    "national": Scale(files=3000, rows=500_000, departments=60),
    # the cost-exponent series: same rows per file (~167) as national
    "rows-1k": Scale(files=6, rows=1_000, departments=0),
    "rows-10k": Scale(files=60, rows=10_000, departments=1),
    "rows-100k": Scale(files=600, rows=100_000, departments=12),
}
GROUPS = {"all": ("county", "province", "national"),
          "fit": ("rows-1k", "rows-10k", "rows-100k", "national")}

# -- names ----------------------------------------------------------------------------------

# Characters of township names (place-name-like, none of them a unit suffix).
_PLACE_CHARS = (
    "天沙石桂白路金青肖铜港高龙凤云东西南北长安平和兴福华新宁清河江湖山水林泉溪峰岭坪塘"
    "桥城庄店集岗湾洲口头坝田园阳明光德仁义礼智信春秋夏冬梅兰竹松柏杨柳桃李红黄绿紫蓝"
)
_DEPARTMENT_WORDS = ("经信局", "住建局", "农业农村局", "商务局", "市场监管局")
_INDUSTRY_DEPARTMENT = {"制造业": "经信局", "建筑业": "住建局", "农业": "农业农村局",
                        "服务业": "商务局"}
_INDUSTRY_WEIGHT = {"规上": (("制造业", 78), ("建筑业", 10), ("农业", 5), ("服务业", 7)),
                    "重点行业中小微": (("制造业", 55), ("建筑业", 15), ("农业", 15),
                                       ("服务业", 15))}
_SCALE_WEIGHT = {"规上": (("大型", 3), ("中型", 35), ("小型", 62)),
                 "重点行业中小微": (("小型", 45), ("微型", 55))}
# Characters of generated brand words (字号): the 3,755 common characters of GB 2312 level 1.
# Real names draw on thousands of characters; a national base list of half a million names
# must not share a few dozen brands (nor a few hundred characters).
_BRAND_CHARS = "".join(
    bytes((hi, lo)).decode("gb2312") for hi in range(0xB0, 0xD8) for lo in range(0xA1, 0xFF)
    if not (hi == 0xD7 and lo > 0xF9)
)
_ENTERPRISE_FORMS = ("有限公司", "有限责任公司", "股份有限公司", "有限公司", "有限公司")


def township_names(n: int, rng: random.Random) -> list[str]:
    """n distinct township names: a two-character stem + 镇 / 乡 / 街道. Stems are distinct
    too, so no unit's name is a part of another's (file names are matched by containment)."""
    stems: set[str] = set()
    out = []
    chars = _PLACE_CHARS
    while len(out) < n:
        stem = rng.choice(chars) + rng.choice(chars)
        if stem[0] == stem[1] or stem in stems:
            continue
        stems.add(stem)
        suffix = rng.choices(("镇", "乡", "街道"), (6, 3, 1))[0]
        out.append(stem + suffix)
    return out


def department_names(n: int, rng: random.Random, taken: set[str]) -> list[str]:
    """n distinct department units: "<district stem>区<office>" (e.g. 青阳区经信局)."""
    out: list[str] = []
    while len(out) < n:
        stem = rng.choice(_PLACE_CHARS) + rng.choice(_PLACE_CHARS)
        name = f"{stem}区{_DEPARTMENT_WORDS[len(out) % len(_DEPARTMENT_WORDS)]}"
        if name in taken or stem[0] == stem[1]:
            continue
        taken.add(name)
        out.append(name)
    return out


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


# -- the synthetic population ---------------------------------------------------------------


@dataclass(frozen=True)
class Ent:
    idx: int
    name: str
    code: str
    township: str
    industry: str
    category: str
    department: str
    scale: str
    in_base: bool


def _rows_per_file(n: int, total: int, sigma: float, rng: random.Random) -> list[int]:
    weights = [rng.lognormvariate(0, sigma) for _ in range(n)]
    s = sum(weights)
    counts = [max(1, round(total * w / s)) for w in weights]
    return [min(c, 60_000) for c in counts]


def build_population(
    scale: Scale, seed: int
) -> tuple[list[str], list[str], list[Ent], list[list[int]], list[list[int]]]:
    """Units, enterprises, and which enterprises each township / department file reports."""
    rng = random.Random(seed)
    n_town = scale.files - scale.departments
    towns = township_names(n_town, rng)
    depts = department_names(scale.departments, rng, set(towns))
    dept_share = 0.04 if scale.departments else 0.0
    town_rows = round(scale.rows * (1 - dept_share))
    per_town = _rows_per_file(n_town, town_rows, scale.skew, rng)
    used_names: set[str] = set()
    ents: list[Ent] = []
    reported: list[list[int]] = []
    for town, n_rows in zip(towns, per_town, strict=True):
        # 85% of a township's base enterprises have reported a CQO; 1% of the reported
        # enterprises are not in the base list (a new factory the list does not know yet).
        n_extra = round(n_rows * 0.01)
        n_base = max(n_rows, round(n_rows / 0.85))
        base_ids, extra_ids = [], []
        for k in range(n_base + n_extra):
            category = "规上" if rng.random() < 0.4 else "重点行业中小微"
            industry = _weighted(rng, _INDUSTRY_WEIGHT[category])
            name = ""
            while not name or name in used_names:
                brand = (rng.choice(BRAND_WORDS) if rng.random() < 0.2
                         else rng.choice(_BRAND_CHARS) + rng.choice(_BRAND_CHARS))
                word = rng.choice(INDUSTRY_WORDS[industry])
                form = _ENTERPRISE_FORMS[rng.randrange(len(_ENTERPRISE_FORMS))]
                name = f"{town[:2]}{brand}{word}{form}"
                if name in used_names:  # large townships: number the branches
                    name = f"{town[:2]}{brand}{word}第{rng.randrange(1, 9999)}分厂{form}"
            used_names.add(name)
            in_base = k < n_base
            choices = [d for d in depts if d.endswith(_INDUSTRY_DEPARTMENT[industry])] or depts
            ent = Ent(len(ents), name, make_credit_code(rng, f"91{rng.randrange(110000, 660000)}"),
                      town, industry, category, rng.choice(choices) if choices else "",
                      _weighted(rng, _SCALE_WEIGHT[category]), in_base)
            ents.append(ent)
            (base_ids if in_base else extra_ids).append(ent.idx)
        chosen = rng.sample(base_ids, n_rows - n_extra) if n_rows > n_extra else []
        reported.append(sorted(chosen + extra_ids))
    # Departments re-send some of their enterprises' township rows (~4% of all rows).
    dept_reported: list[list[int]] = [[] for _ in depts]
    if depts:
        index = {d: i for i, d in enumerate(depts)}
        for rows in reported:
            for e in rows:
                if rng.random() < dept_share and ents[e].department:
                    dept_reported[index[ents[e].department]].append(e)
    return towns, depts, ents, reported, dept_reported


# -- people ---------------------------------------------------------------------------------

_REGIONS: list[str] = []


def _regions() -> list[str]:
    if not _REGIONS:
        from schemas.identifiers import known_regions

        _REGIONS.extend(str(c) for c in sorted(known_regions()) if c % 100 and c < 700000)
    return _REGIONS


_EDU_OK = (("大专", 20), ("专科", 5), ("大学专科", 2), ("本科", 30), ("大学本科", 6),
           ("学士", 2), ("硕士", 5), ("研究生", 4), ("硕士研究生", 1), ("博士研究生", 1),
           ("中专", 4))
_EDU_LOW = (("高中", 3), ("初中", 1), ("职高", 1))
_EDU_UNKNOWN = ("党校", "函授", "自学", "夜校", "进修")
_TITLES = (("", 30), ("助理工程师", 15), ("工程师", 25), ("质量工程师", 8), ("高级工程师", 10),
           ("经济师", 4), ("技术员", 5), ("高级技师", 3))
_POSITIONS = ("质量部经理", "品质部部长", "质量总监", "副总经理", "总工程师", "质量负责人",
              "生产副总", "技术部经理", "厂长", "质检科科长")
_CN = "零一二三四五六七八九十"


def person(seed: int, ent: Ent) -> dict:
    """The true CQO of an enterprise (the same wherever it is reported)."""
    rng = random.Random(seed * 1_000_003 + ent.idx)
    male = rng.random() < 0.7
    given = GIVEN_MALE if male else GIVEN_FEMALE
    name = rng.choice(SURNAMES) + "".join(
        rng.choice(given + GIVEN_ANY) for _ in range(rng.choice((1, 2, 2)))
    )
    birth = dt.date(1962, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 38))
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    id_number = make_id_number(rng.choice(_regions()), birth, seq)
    low = rng.random() < 0.06
    education = _weighted(rng, _EDU_LOW if low else _EDU_OK)
    years = rng.choice((1, 2)) if rng.random() < 0.03 else rng.randint(3, 25)
    appointed = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 7 + 200))
    return {
        "cqo_name": name,
        "id_number": id_number,
        "gender": "男" if male else "女",
        "birth_date": birth,
        "education": education,
        "quality_years": years,
        "position": rng.choice(_POSITIONS),
        "title": _weighted(rng, _TITLES),
        "mobile": rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}",
        "phone": f"0{rng.randrange(10, 999)}-{rng.randrange(2_000_000, 8_999_999)}",
        "appointment_date": min(appointed, QUARTER_END),
    }


# -- file layouts ---------------------------------------------------------------------------

# field -> header spellings met in the wild (canonical first)
HEADERS: dict[str, tuple[str, ...]] = {
    "enterprise_name": ("企业名称", "单位名称", "企业全称", "公司名称"),
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "统一社会信用代码证号"),
    "township": ("所属乡镇", "乡镇", "所在乡镇"),
    "unit": ("填报单位", "报送单位"),
    "scale": ("企业规模", "规模"),
    "cqo_name": ("首席质量官姓名", "首席质量官", "质量官姓名"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证号（18位）"),
    "gender": ("性别",),
    "birth_date": ("出生年月", "出生日期"),
    "education": ("学历", "文化程度", "最高学历", "学历（学位）"),
    "quality_years": ("质量工作年限", "从事质量工作年限", "质量管理工作年限", "质量工作年限（年）"),
    "position": ("现任职务", "职务"),
    "title": ("职称", "技术职称"),
    "phone": ("联系电话", "办公电话"),
    "mobile": ("手机", "手机号码", "联系手机"),
    "appointment_date": ("任命日期", "聘任日期", "任职日期"),
    "fill_date": ("填写日期", "填表日期"),
    "remarks": ("备注",),
}
# Sub-headers under a merged 首席质量官 / 企业信息 group row.
_SUB = {"cqo_name": "姓名", "id_number": "身份证号码", "gender": "性别", "birth_date": "出生年月",
        "education": "学历", "quality_years": "从事质量工作年限", "position": "职务",
        "title": "职称", "mobile": "手机", "enterprise_name": "企业名称",
        "credit_code": "统一社会信用代码", "township": "所属乡镇", "scale": "企业规模"}
_ENTERPRISE_GROUP = ("enterprise_name", "credit_code", "township", "scale")
_PERSON_GROUP = ("cqo_name", "id_number", "gender", "birth_date", "education", "quality_years",
                 "position", "title", "mobile")
_REQUIRED = ("enterprise_name", "cqo_name", "id_number", "education", "quality_years", "mobile")
_OPTIONAL = ("credit_code", "township", "unit", "scale", "gender", "birth_date", "position",
             "title", "phone", "appointment_date", "fill_date", "remarks")


@dataclass
class Layout:
    fmt: str  # xlsx | xls | csv-utf8 | csv-gb18030
    fields: list[str]
    headers: list[str]
    two_row: bool
    title: str | None
    unit_line: str | None
    notes: bool
    instructions: bool
    sheet: str


def choose_layout(rng: random.Random, unit: str, n_rows: int, department: bool) -> Layout:
    r = rng.random()
    fmt = "xlsx"
    if n_rows <= XLS_MAX_ROWS and r < 0.10:
        fmt = "xls"
    elif r < 0.20:
        fmt = "csv-utf8" if rng.random() < 0.5 else "csv-gb18030"
    optional = [f for f in _OPTIONAL if rng.random() < 0.6]
    if department and "unit" not in optional:
        optional.append("unit")
    fields = ["enterprise_name"] + [f for f in ("credit_code", "township", "unit", "scale")
                                    if f in optional]
    fields += ["cqo_name", "id_number"] + [f for f in ("gender", "birth_date") if f in optional]
    fields += ["education", "quality_years"] + [f for f in ("position", "title", "phone")
                                                if f in optional]
    fields += ["mobile"] + [f for f in ("appointment_date", "fill_date", "remarks")
                            if f in optional]
    synonyms = rng.random() < 0.5
    headers = [rng.choice(HEADERS[f]) if synonyms else HEADERS[f][0] for f in fields]
    two_row = fmt in ("xlsx", "xls") and n_rows <= CONSTANT_MEMORY_ROWS and rng.random() < 0.15
    title = None
    unit_line = None
    if rng.random() < 0.6:
        title = f"{unit}企业首席质量官登记汇总表（2026年第三季度）"
        if rng.random() < 0.5:
            day = QUARTER_END + dt.timedelta(days=rng.randrange(1, 9))
            unit_line = (f"填报单位：{unit}（盖章）    "
                         f"填报日期：{day.year}年{day.month}月{day.day}日")
    return Layout(
        fmt=fmt, fields=fields, headers=headers, two_row=two_row, title=title,
        unit_line=unit_line, notes=rng.random() < 0.4,
        instructions=fmt == "xlsx" and rng.random() < 0.1,
        sheet=rng.choice(("Sheet1", "首席质量官", "汇总表")),
    )


# -- rows -----------------------------------------------------------------------------------

_FULLWIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789"}


class _Counter(dict):
    def add(self, kind: str) -> None:
        self[kind] = self.get(kind, 0) + 1


def _date_value(rng: random.Random, d: dt.date, csv_file: bool) -> object:
    style = rng.random()
    if style < 0.55 and not csv_file:
        return dt.datetime(d.year, d.month, d.day)
    if style < 0.75:
        return f"{d.year}年{d.month}月{d.day}日"
    if style < 0.9:
        return f"{d.year}.{d.month}.{d.day}"
    return d.isoformat()


def _years_value(rng: random.Random, years: int) -> object:
    r = rng.random()
    if r < 0.6:
        return float(years)
    if r < 0.85:
        return f"{years}年"
    if r < 0.93 and years <= 10:
        return f"{_CN[years]}年"
    if r < 0.97:
        return f"{years}年{rng.randint(1, 11)}个月"
    return f"{years}年以上"


def make_row(rng: random.Random, ent: Ent, p: dict, unit: str, csv_file: bool,
             defects: _Counter, clean: bool = False) -> dict:
    """One submission row of enterprise `ent` with CQO `p`, with realistic mess."""
    row: dict[str, object] = {
        "enterprise_name": ent.name,
        "credit_code": ent.code if rng.random() < 0.92 else None,
        "township": ent.township,
        "unit": unit,
        "scale": ent.scale,
        "cqo_name": p["cqo_name"],
        "id_number": p["id_number"],
        "gender": p["gender"],
        "education": p["education"],
        "quality_years": _years_value(rng, p["quality_years"]),
        "position": p["position"],
        "title": p["title"] or None,
        "phone": p["phone"] if rng.random() < 0.5 else None,
        "mobile": p["mobile"],
        "remarks": None,
    }
    b = p["birth_date"]
    row["birth_date"] = (f"{b.year}.{b.month:02d}" if rng.random() < 0.3
                         else _date_value(rng, b, csv_file))
    row["appointment_date"] = _date_value(rng, p["appointment_date"], csv_file)
    fill = QUARTER_END + dt.timedelta(days=rng.randrange(1, 9))
    row["fill_date"] = _date_value(rng, fill, csv_file)
    if clean:
        return row
    # cosmetic variation, no finding expected
    r = rng.random()
    if r < 0.02:
        row["mobile"] = f"{p['mobile'][:3]} {p['mobile'][3:7]} {p['mobile'][7:]}"
    elif r < 0.03:
        row["mobile"] = p["mobile"].translate(_FULLWIDTH)
    elif r < 0.05 and not csv_file:
        row["mobile"] = float(p["mobile"])  # typed as a number: harmless for a mobile
    if rng.random() < 0.01:
        row["enterprise_name"] = " " + ent.name.replace("有限", "有限 ", 1)
    if rng.random() < 0.02:
        row["id_number"] = "'" + p["id_number"]
    # errors: about 3% of the rows
    r = rng.random()
    if r < 0.010:
        right = p["id_number"][17]
        row["id_number"] = p["id_number"][:17] + next(c for c in "3719258460" if c != right)
        defects.add("id_checksum")
    elif r < 0.015:
        row["id_number"] = "4.21223E+17" if csv_file else float(p["id_number"][:17] + "0")
        defects.add("id_precision_lost")
    elif r < 0.025:
        missing = rng.choice(("cqo_name", "id_number", "education", "quality_years"))
        row[missing] = None
        defects.add(f"required:{missing}")
    elif r < 0.030:
        row["education"] = rng.choice(_EDU_UNKNOWN)
        defects.add("education_unknown")
    # warnings
    r = rng.random()
    if r < 0.005 and row.get("credit_code"):
        code = str(row["credit_code"])
        row["credit_code"] = code[:17] + next(c for c in "7K3A" if c != code[17])
        defects.add("credit_code_checksum")
    elif r < 0.010 and isinstance(row["mobile"], str):
        row["mobile"] = p["mobile"][:10]
        defects.add("mobile_format")
    if not ent.in_base:
        defects.add("not_in_base_list")
    return row


def file_rows(seed: int, file_no: int, ents: list[Ent], unit: str, csv_file: bool,
              department: bool) -> tuple[list[dict], dict]:
    rng = random.Random(seed * 7919 + file_no)
    defects = _Counter()
    rows = []
    for ent in ents:
        p = person(seed, ent)
        if department:
            row = make_row(rng, ent, p, unit, csv_file, defects, clean=True)
            if rng.random() < 0.1:  # the department has an older mobile number
                row["mobile"] = p["mobile"][:3] + f"{rng.randrange(10**8):08d}"
                defects.add("conflicting_submissions")
        else:
            row = make_row(rng, ent, p, unit, csv_file, defects)
        rows.append(row)
        if rng.random() < 0.003:
            rows.append(dict(row))
            defects.add("duplicate_in_submission")
    return rows, dict(defects)


# -- writers --------------------------------------------------------------------------------

_NOTES = ("填表人：{a}    审核人：{b}    联系电话：0715-3012345", "注：本表由各乡镇汇总后报送。")


def _table_rows(layout: Layout, rows: list[dict]) -> list[list[object]]:
    out = []
    for i, row in enumerate(rows, start=1):
        out.append([i, *(row.get(f) for f in layout.fields)])
    return out


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def write_csv(path: Path, layout: Layout, rows: list[dict], rng: random.Random) -> None:
    encoding = "utf-8-sig" if layout.fmt == "csv-utf8" else "gb18030"
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        if layout.title:
            w.writerow([layout.title])
        if layout.unit_line:
            w.writerow([layout.unit_line])
        w.writerow(["序号", *layout.headers])
        for r in _table_rows(layout, rows):
            w.writerow([_cell_text(v) for v in r])
        if layout.notes:
            w.writerow([])
            w.writerow([_NOTES[0].format(a="张敏", b="李强")])


def write_xlsx(path: Path, layout: Layout, rows: list[dict], rng: random.Random) -> None:
    import xlsxwriter

    big = len(rows) > CONSTANT_MEMORY_ROWS
    wb = xlsxwriter.Workbook(str(path), {
        "constant_memory": big, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False,
    })
    wb.set_properties({"created": dt.datetime(2026, 10, 5, 9, 0, 0)})
    if layout.instructions:
        help_ws = wb.add_worksheet("填表说明")
        help_ws.write(0, 0, "填表说明：每个企业一行；身份证号请以文本格式填写。")
    ws = wb.add_worksheet(layout.sheet)
    bold = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1})
    title_fmt = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ncols = len(layout.fields) + 1
    r = 0
    if layout.title:
        ws.merge_range(r, 0, r, ncols - 1, layout.title, title_fmt)
        r += 1
    if layout.unit_line:
        ws.write_string(r, 0, layout.unit_line)
        r += 1
    if layout.two_row:
        r = _two_row_header_xlsx(ws, r, layout, bold)
    else:
        ws.write_row(r, 0, ["序号", *layout.headers], bold)
        r += 1
    ws.set_column(0, ncols - 1, 14)
    for values in _table_rows(layout, rows):
        for c, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, str):
                ws.write_string(r, c, v)
            elif isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, date_fmt)
            else:
                ws.write_number(r, c, v)
        r += 1
    if layout.notes:
        ws.write_string(r + 1, 0, _NOTES[0].format(a="张敏", b="李强"))
    wb.close()


def _groups(layout: Layout) -> list[tuple[str | None, list[int]]]:
    """Column runs under one group header (None: a column merged over both header rows)."""
    runs: list[tuple[str | None, list[int]]] = [(None, [0])]
    for c, f in enumerate(layout.fields, start=1):
        group = ("企业信息" if f in _ENTERPRISE_GROUP else "首席质量官" if f in _PERSON_GROUP
                 else None)
        if group and runs[-1][0] == group:
            runs[-1][1].append(c)
        else:
            runs.append((group, [c]))
    return runs


def _sub_header(layout: Layout, c: int) -> str:
    f = layout.fields[c - 1]
    return _SUB.get(f, layout.headers[c - 1])


def _two_row_header_xlsx(ws, r: int, layout: Layout, fmt) -> int:
    for group, cols in _groups(layout):
        if group is None:
            for c in cols:
                label = "序号" if c == 0 else layout.headers[c - 1]
                ws.merge_range(r, c, r + 1, c, label, fmt)
        elif len(cols) == 1:
            ws.write_string(r, cols[0], group, fmt)
        else:
            ws.merge_range(r, cols[0], r, cols[-1], group, fmt)
    for group, cols in _groups(layout):
        if group is not None:
            for c in cols:
                ws.write_string(r + 1, c, _sub_header(layout, c), fmt)
    return r + 2


def write_xls(path: Path, layout: Layout, rows: list[dict], rng: random.Random) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(layout.sheet)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    bold = xlwt.easyxf("font: bold on; align: horiz center")
    ncols = len(layout.fields) + 1
    r = 0
    if layout.title:
        ws.write_merge(r, r, 0, ncols - 1, layout.title, bold)
        r += 1
    if layout.unit_line:
        ws.write(r, 0, layout.unit_line)
        r += 1
    if layout.two_row:
        for group, cols in _groups(layout):
            if group is None:
                for c in cols:
                    label = "序号" if c == 0 else layout.headers[c - 1]
                    ws.write_merge(r, r + 1, c, c, label, bold)
            else:
                ws.write_merge(r, r, cols[0], cols[-1], group, bold)
                for c in cols:
                    ws.write(r + 1, c, _sub_header(layout, c), bold)
        r += 2
    else:
        for c, h in enumerate(["序号", *layout.headers]):
            ws.write(r, c, h, bold)
        r += 1
    for values in _table_rows(layout, rows):
        for c, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                ws.write(r, c, v, date_style)
            else:
                ws.write(r, c, v)
        r += 1
    if layout.notes:
        ws.write(r + 1, 0, _NOTES[1])
    wb.save(str(path))


def write_base_list(path: Path, ents: list[Ent]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": dt.datetime(2026, 1, 5, 9, 0, 0)})
    ws = wb.add_worksheet("企业名录")
    ws.write_row(0, 0, ("企业名称", "统一社会信用代码", "所属乡镇", "所属行业", "企业类别",
                        "主管部门", "企业规模"))
    r = 1
    for e in ents:
        if e.in_base:
            ws.write_row(r, 0, (e.name, e.code, e.township, e.industry, e.category,
                                e.department, e.scale))
            r += 1
    wb.close()


# -- jobs -----------------------------------------------------------------------------------


def _file_job(job: dict) -> dict:
    """Write one submission file (runs in a worker process)."""
    rng = random.Random(job["seed"] * 31 + job["file_no"])
    ents = [Ent(*e) for e in job["ents"]]
    layout = choose_layout(rng, job["unit"], len(ents), job["department"])
    csv_file = layout.fmt.startswith("csv")
    rows, defects = file_rows(job["seed"], job["file_no"], ents, job["unit"], csv_file,
                              job["department"])
    ext = {"xlsx": ".xlsx", "xls": ".xls"}.get(layout.fmt, ".csv")
    stem = job["unit"] + rng.choice(("首席质量官报送表", "2026年三季度首席质量官登记汇总表", "",
                                     "首席质量官名单"))
    path = Path(job["folder"]) / f"{stem}{ext}"
    if layout.fmt == "xlsx":
        write_xlsx(path, layout, rows, rng)
    elif layout.fmt == "xls":
        write_xls(path, layout, rows, rng)
    else:
        write_csv(path, layout, rows, rng)
    return {"file": path.name, "unit": job["unit"], "format": layout.fmt, "rows": len(rows),
            "two_row_header": layout.two_row, "title": bool(layout.title),
            "defects": defects}


def _base_job(job: dict) -> dict:
    write_base_list(Path(job["path"]), [Ent(*e) for e in job["ents"]])
    return {"file": Path(job["path"]).name, "rows": sum(1 for e in job["ents"] if e[8])}


def _run_job(job: dict) -> dict:
    return _base_job(job) if job["kind"] == "base" else _file_job(job)


def write_config(target: Path, towns: list[str], depts: list[str], scale_name: str) -> None:
    """config.yaml for the scale: generated units; the county's rule profile and milestones."""
    import yaml

    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["county"] = f"合成{scale_name}"
    config["paths"] = {"input": "input", "output": "output", "base_list": None, "store": None}
    config["units"] = [{"name": t, "kind": "乡镇"} for t in towns] + [
        {"name": d, "kind": "部门"} for d in depts
    ]
    header = (f"# Synthetic benchmark scale '{scale_name}' written by benchmarks/generate.py.\n"
              "# Rule profile and milestones copied from /config.yaml; units generated.\n")
    target.write_text(header + yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                      encoding="utf-8")


def generate(scale_name: str, seed: int = DEFAULT_SEED, jobs: int | None = None,
             out: Path = DATA) -> dict:
    scale = SCALES[scale_name]
    started = time.perf_counter()
    towns, depts, ents, reported, dept_reported = build_population(scale, seed)
    target = out / scale_name
    if target.exists():
        shutil.rmtree(target)
    folder = target / "input" / QUARTER
    folder.mkdir(parents=True)
    write_config(target / "config.yaml", towns, depts, scale_name)

    def pack(ids: list[int]) -> list[tuple]:
        return [tuple(asdict(ents[i]).values()) for i in ids]

    work: list[dict] = [{"kind": "base", "path": str(target / "input" / "企业名录.xlsx"),
                         "ents": [tuple(asdict(e).values()) for e in ents]}]
    for i, (unit, ids) in enumerate(zip(towns, reported, strict=True)):
        work.append({"kind": "file", "seed": seed, "file_no": i, "unit": unit, "ents": pack(ids),
                     "department": False, "folder": str(folder)})
    for j, (unit, ids) in enumerate(zip(depts, dept_reported, strict=True)):
        work.append({"kind": "file", "seed": seed, "file_no": len(towns) + j, "unit": unit,
                     "ents": pack(ids), "department": True, "folder": str(folder)})
    # biggest first, so the two workers finish together
    work.sort(key=lambda j: -len(j["ents"]) * (2 if j["kind"] == "base" else 1))
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and len(work) > 4:
        with ProcessPoolExecutor(jobs) as pool:
            done = list(pool.map(_run_job, work, chunksize=max(1, len(work) // (jobs * 16))))
    else:
        done = [_run_job(j) for j in work]
    files = sorted((d for d in done if "unit" in d), key=lambda d: d["file"])
    defects: dict[str, int] = {}
    for d in files:
        for k, v in d["defects"].items():
            defects[k] = defects.get(k, 0) + v
    rows = sum(d["rows"] for d in files)
    errors = sum(v for k, v in defects.items()
                 if k.split(":")[0] in ("id_checksum", "id_precision_lost", "required",
                                        "education_unknown"))
    manifest = {
        "scale": scale_name,
        "seed": seed,
        "quarter": QUARTER,
        "units": len(towns) + len(depts),
        "townships": len(towns),
        "departments": len(depts),
        "files": len(files),
        "rows": rows,
        "base_enterprises": sum(e.in_base for e in ents),
        "formats": {f: sum(d["format"] == f for d in files)
                    for f in ("xlsx", "xls", "csv-utf8", "csv-gb18030")},
        "two_row_headers": sum(d["two_row_header"] for d in files),
        "title_rows": sum(d["title"] for d in files),
        "planted": dict(sorted(defects.items())),
        "planted_error_share": round(errors / rows, 4) if rows else 0,
        "seconds": round(time.perf_counter() - started, 1),
        "bytes": sum(p.stat().st_size for p in target.rglob("*") if p.is_file()),
    }
    (target / "manifest.json").write_text(
        json.dumps({**manifest, "file_list": files}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scales", nargs="*", default=["county"],
                   help=f"{', '.join(SCALES)}, or a group: {', '.join(GROUPS)}")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    p.add_argument("--out", type=Path, default=DATA)
    args = p.parse_args(argv)
    names: list[str] = []
    for s in args.scales:
        names += GROUPS.get(s, (s,))
    for name in dict.fromkeys(names):
        if name not in SCALES:
            p.error(f"unknown scale {name!r}")
        m = generate(name, args.seed, args.jobs, args.out)
        print(f"{name}: {m['files']} files, {m['rows']} rows, {m['base_enterprises']} base "
              f"enterprises, {m['units']} units, planted errors {m['planted_error_share']:.1%}, "
              f"{m['bytes'] / 1e6:.1f} MB in {m['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
