"""End-to-end fuzz: a quarter folder of messy but plausible township submissions, run the way
the office runs it, and the run_summary.json contract, the findings' provenance, the privacy
of every outgoing file and the readability of every workbook checked for each example.

Bounded for the suite (CQO_FUZZ_EXAMPLES examples, default 20, derandomized so CI is
reproducible); hunt bugs with e.g. `CQO_FUZZ_EXAMPLES=300 pytest tests/test_fuzz_submissions.py`.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import xlsxwriter
import xlwt
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pipeline.run import run
from pipeline.store import Store
from tests.helpers import BASE, county, make_id, make_uscc

QUARTER = "2026Q1"
EXAMPLES = int(os.environ.get("CQO_FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("CQO_FUZZ_RANDOM"),  # CI: the same examples every run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # Shrinking a whole quarter folder takes minutes; each failure prints its folder instead.
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
)

# -- vocabulary ------------------------------------------------------------------------------

HEADERS: dict[str, list[str]] = {  # spellings met in the wild (pipeline/fields.py SYNONYMS)
    "enterprise_name": [
        "企业名称",
        "单位名称",
        "企业全称",
        "企业（单位）名称",
        "企业 名称",
        "*企业名称",
    ],
    "credit_code": ["统一社会信用代码", "信用代码", "社会信用代码", "统一代码"],
    "cqo_name": ["首席质量官姓名", "首席质量官", "质量官姓名", "姓名"],
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "身份证号（18位）", "证件号码"],
    "education": ["学历", "文化程度", "最高学历", "学历（学位）"],
    "quality_years": ["质量工作年限", "从事质量工作年限", "质量工作年限（年）", "工作年限"],
    "mobile": ["手机", "手机号码", "联系手机", "移动电话"],
    "appointment_date": ["任命日期", "聘任日期", "任职日期", "聘任时间"],
    "fill_date": ["填写日期", "填表日期", "登记日期"],
    "birth_date": ["出生日期", "出生年月"],
    "title": ["职称", "技术职称"],
    "position": ["现任职务", "职务"],
    "phone": ["联系电话", "办公电话"],
    "remarks": ["备注", "说明"],
    "unit": ["填报单位", "报送单位"],
    "training": ["参加任职培训", "是否参加培训"],
    "tenure_status": ["任职状态", "状态"],
}
WRAPPED = {  # header text wrapped inside its cell (Alt+Enter)
    "id_number": "身份证\n号码",
    "quality_years": "质量工作\n年限（年）",
    "mobile": "手机\n号码",
    "cqo_name": "首席质量\n官姓名",
}
# Sub-headers under a merged 首席质量官 group (姓名 alone would be ambiguous elsewhere).
CQO_SUB = {
    "cqo_name": ["姓名"],
    "id_number": ["身份证号码", "身份证号"],
    "education": ["学历", "文化程度"],
    "quality_years": ["质量工作年限", "从事质量工作年限"],
    "mobile": ["手机", "手机号码"],
    "appointment_date": ["任命日期"],
    "birth_date": ["出生日期"],
    "title": ["职称"],
    "position": ["职务"],
}
ENTERPRISE_FIELDS = ["enterprise_name", "credit_code", "unit"]
REQUIRED = ["enterprise_name", "cqo_name", "id_number", "education", "quality_years", "mobile"]
OPTIONAL = [
    "credit_code",
    "appointment_date",
    "fill_date",
    "birth_date",
    "title",
    "position",
    "phone",
    "remarks",
    "training",
    "tenure_status",
]
UNKNOWN_HEADERS = ["联系人微信", "企业人数", "是否规上", "2025年产值（万元）", "Unnamed: 9"]

UNITS = {  # file-name stem -> unit the file name names (None: no unit in the name)
    "天城镇": "天城镇",
    "沙坪镇报送": "沙坪镇",
    "县经信局": "县经信局",
    "工业园区首席质量官": "崇阳县工业园区",
    "桂花泉": "桂花泉镇",
    "报送表": None,
}
EDUCATION = [
    "本科", "大学本科", "大专及以上", "大专", "专科", "高中", "初中", "中专", "硕士研究生",
    "研究生", "在读本科", "社会大学", "本科（函授）", " 本 科 ", "BACHELOR", "博士",
]  # fmt: skip
YEARS = [
    5, 5.0, 3, 2.5, 0, -1, 60, "5年", "五年", "5+", "约8年", "3年6个月", "10年以上", "近5年",
    "十五年", "2年", "两年半", "5 年", "５年", "abc",
]  # fmt: skip
NAMES = ["张伟", "李娜", " 王 芳 ", "刘\n洋", "陈静", "欧阳明月", "Zhang Wei", "赵六"]
NASTY = [
    "",
    "   ",
    "\u3000",
    "\n",
    "=1+1",
    "+86",
    "-5",
    "@SUM(A1)",
    '=HYPERLINK("http://example.invalid","x")',
    "第一行\n第二行",
    "长" * 3000,
    "\t=2+3",
]
TITLES = ["工程师", "高级工程师", "助理工程师", "中级", "无", "技术员"]
POSITIONS = ["质量部经理", "副总经理", "总经理", "质检员"]

SEPARATORS = r"[\s\-\u2014_.·/,]*"  # as a clerk may split a number (after NFKC)


# -- people, values and how they are typed ---------------------------------------------------


@dataclass
class Person:
    name: str
    region: str
    birth: dt.date
    seq: int
    mobile: str

    @property
    def id18(self) -> str:
        return make_id(self.region, self.birth.strftime("%Y%m%d"), self.seq)

    @property
    def id15(self) -> str:
        return self.region + self.birth.strftime("%y%m%d") + f"{self.seq:03d}"


@st.composite
def people(draw) -> Person:
    return Person(
        name=draw(st.sampled_from(NAMES)),
        region=draw(st.sampled_from(["421223", "422325", "420102"])),
        birth=draw(st.dates(dt.date(1955, 1, 1), dt.date(1999, 12, 31))),
        seq=draw(st.integers(0, 999)),
        mobile="1" + draw(st.sampled_from("3456789")) + f"{draw(st.integers(0, 10**9 - 1)):09d}",
    )


_WIDE = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789Xx"})


def typed_id(draw, p: Person) -> object:
    n = p.id18
    kind = draw(
        st.sampled_from(
            [
                "text",
                "text",
                "spaces",
                "dashes",
                "wide",
                "lower",
                "checksum",
                "float",
                "id15",
                "id15num",
                "apostrophe",
                "short",
                "empty",
                "blank",
            ]
        )  # fmt: skip
    )
    if kind == "spaces":
        return f"{n[:6]} {n[6:14]} {n[14:]}"
    if kind == "dashes":
        return f"{n[:6]}-{n[6:14]}-{n[14:]}"
    if kind == "wide":
        return n.translate(_WIDE)
    if kind == "lower":
        return n.lower()
    if kind == "checksum":
        return n[:17] + ("0" if n[17] != "0" else "1")
    if kind == "float" and n[-1] != "X":  # Excel kept 15 significant digits
        return float(f"{int(n):.14e}")
    if kind == "id15":
        return p.id15
    if kind == "id15num":
        return int(p.id15)
    if kind == "apostrophe":
        return "'" + n
    if kind == "short":
        return n[:-1]
    if kind == "empty":
        return None
    if kind == "blank":
        return " "
    return n


def typed_mobile(draw, p: Person) -> object:
    m = p.mobile
    kind = draw(
        st.sampled_from(
            [
                "text",
                "int",
                "plus86",
                "spaces",
                "dashes",
                "ten",
                "wide",
                "float",
                "0086",
                "two",
                "empty",
            ]
        )  # fmt: skip
    )
    return {
        "text": m,
        "int": int(m),
        "plus86": f"+86 {m}",
        "spaces": f"{m[:3]} {m[3:7]} {m[7:]}",
        "dashes": f"{m[:3]}-{m[3:7]}-{m[7:]}",
        "ten": m[:10],
        "wide": m.translate(_WIDE),
        "float": float(m),
        "0086": "0086" + m,
        "two": f"{m}/{m[:3]}{m[7:]}{m[3:7]}",  # two numbers in one cell
        "empty": None,
    }[kind]


def typed_date(draw) -> object:
    d = draw(st.dates(dt.date(2019, 1, 1), dt.date(2026, 3, 31)))
    kind = draw(
        st.sampled_from(
            [
                "date",
                "date",
                "dots",
                "cn",
                "compact",
                "serial",
                "serialtext",
                "slash",
                "iso",
                "month",
                "empty",
                "junk",
                "datetime_text",
            ]
        )  # fmt: skip
    )
    serial = (d - dt.date(1899, 12, 30)).days
    return {
        "date": dt.datetime(d.year, d.month, d.day),
        "dots": f"{d.year}.{d.month}.{d.day}",
        "cn": f"{d.year}年{d.month}月{d.day}日",
        "compact": d.strftime("%Y%m%d"),
        "serial": serial,
        "serialtext": str(serial),
        "slash": f"{d.year}/{d.month}/{d.day}",
        "iso": d.isoformat(),
        "month": f"{d.year}.{d.month:02d}",
        "empty": None,
        "junk": "不详",
        "datetime_text": f"{d.isoformat()} 00:00:00",
    }[kind]


def typed_code(draw, code: str) -> object:
    kind = draw(st.sampled_from(["text", "text", "lower", "spaces", "empty", "wrong"]))
    if kind == "lower":
        return code.lower()
    if kind == "spaces":
        return f"{code[:8]} {code[8:]}"
    if kind == "empty":
        return None
    if kind == "wrong":
        return code[:-1] + ("0" if code[-1] != "0" else "1")
    return code


def maybe_nasty(draw, value: object, p: float = 0.15) -> object:
    if draw(st.floats(0, 1)) < p:
        return draw(st.sampled_from(NASTY))
    return value


PREFILLED = {"unit", "enterprise_name", "credit_code", "township", "scale", "industry"}


def _typed_ids(value: object) -> set[str]:
    """An ID cell as written, when it is a whole number (15 digits, or 18 with a wrong check
    character): still somebody's ID, never to leave the office unmasked."""
    text = unicodedata.normalize("NFKC", str(value)).upper() if isinstance(value, str | int) else ""
    digits = re.sub(r"[^0-9X]", "", text)
    return {digits} if len(digits) in (15, 18) else set()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# -- one submission ------------------------------------------------------------------------


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]  # 0-based grid, None = empty cell
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1
    hidden: bool = False


@dataclass
class Submission:
    file: str
    fmt: str  # openpyxl | xlsxwriter | xlwt | utf-8-sig | gb18030
    sheets: list[Sheet]
    secrets: set[str]  # every full ID and mobile number written into the file
    layout: dict
    records: dict[str, set[int]] = field(default_factory=dict)  # sheet -> Excel rows of records
    offset: int = 0  # blank columns left of the table (it starts in column B)
    ragged: bool = False  # CSV rows lose their trailing empty fields


EXTENSION = {"openpyxl": "xlsx", "xlsxwriter": "xlsx", "xlwt": "xls"}


@st.composite
def record_values(draw, enterprise: int | None, p: Person, fields: list[str], unit: str | None):
    if enterprise is None:
        ent_name, code = "崇阳县某某新材料有限公司", make_uscc("MA4999999")
    else:
        ent_name, code = BASE[enterprise][0], BASE[enterprise][1]
    values = {
        "enterprise_name": draw(
            st.sampled_from([ent_name, ent_name, f" {ent_name}", ent_name + "\n"])
        ),
        "credit_code": typed_code(draw, code),
        "cqo_name": maybe_nasty(draw, p.name),
        "id_number": typed_id(draw, p),
        "education": maybe_nasty(draw, draw(st.sampled_from(EDUCATION))),
        "quality_years": maybe_nasty(draw, draw(st.sampled_from(YEARS))),
        "mobile": typed_mobile(draw, p),
        "appointment_date": typed_date(draw),
        "fill_date": typed_date(draw),
        "birth_date": draw(
            st.sampled_from(
                [
                    dt.datetime.combine(p.birth, dt.time()),
                    p.birth.strftime("%Y.%m"),
                    p.birth.strftime("%Y年%m月"),
                    None,
                    "1900-01-01",
                ]
            )  # fmt: skip
        ),
        "title": draw(st.sampled_from([*TITLES, None])),
        "position": maybe_nasty(draw, draw(st.sampled_from(POSITIONS))),
        "phone": draw(st.sampled_from(["0715-3312345", None, p.mobile, "3312345"])),
        "remarks": maybe_nasty(
            draw,
            draw(
                st.sampled_from(
                    [
                        None,
                        "新任",
                        "变更",
                        "离任",
                        f"身份证{p.id18[:6]} {p.id18[6:]}",
                        f"原联系人手机：{p.mobile}",
                        f"电话{p.mobile[:3]}-{p.mobile[3:]}",
                    ]
                )  # fmt: skip
            ),
            0.4,
        ),
        "unit": unit,
        "training": draw(st.sampled_from(["是", "否", True, 1, "√", None])),
        "tenure_status": draw(st.sampled_from(["在任", "离任", None, "在职", "已离任"])),
    }
    return [values[f] for f in fields]


@st.composite
def submissions(draw, index: int) -> Submission:
    stem = draw(st.sampled_from(list(UNITS)))
    unit = UNITS[stem]
    fmt = draw(st.sampled_from(["openpyxl", "xlsxwriter", "xlwt", "utf-8-sig", "gb18030"]))
    ext = EXTENSION.get(fmt, "csv")
    file = f"{stem}{'' if index == 0 else f'（{index + 1}）'}.{ext}"
    csv_file = ext == "csv"

    # Columns: every required field, some optional ones, maybe unknown ones.
    optional = draw(st.lists(st.sampled_from(OPTIONAL), unique=True, max_size=len(OPTIONAL)))
    with_unit = draw(st.booleans())
    unit_cell = (
        unit if unit is not None else draw(st.sampled_from(["某某镇", None, "天城", "经信局"]))
    )
    fields = REQUIRED + optional + (["unit"] if with_unit else [])
    two_row = draw(st.booleans())
    unknown = draw(st.lists(st.sampled_from(UNKNOWN_HEADERS), unique=True, max_size=2))
    if two_row:  # 序号 | 企业信息 over … | 首席质量官 over … | the rest, each group shuffled
        ent = [f for f in fields if f in ENTERPRISE_FIELDS]
        cqo = [f for f in fields if f in CQO_SUB]
        rest = [f for f in fields if f not in ent and f not in cqo]
        ent = draw(st.permutations(ent))
        cqo = draw(st.permutations(cqo))
        rest = draw(st.permutations(rest))
        ordered = list(ent) + list(cqo) + list(rest)
        upper = ["序号"] + ["企业信息"] * len(ent) + ["首席质量官"] * len(cqo) + [None] * len(rest)
        lower = [None]
        lower += [draw(st.sampled_from(HEADERS[f])).lstrip("*") for f in ent]
        lower += [draw(st.sampled_from(CQO_SUB[f])) for f in cqo]
        lower += [draw(st.sampled_from(HEADERS[f])) for f in rest]
        upper += list(unknown)  # merged over both rows
        lower += [None] * len(unknown)
        head = draw(st.booleans())  # 单位负责人 over 姓名 | 手机: not the CQO's
        if head:
            upper += ["单位负责人", "单位负责人"]
            lower += ["姓名", "手机"]
        header_rows = [upper, lower]
    else:
        ordered = list(draw(st.permutations(fields)))
        header = [
            draw(st.sampled_from(HEADERS[f] + [WRAPPED.get(f, HEADERS[f][0])])) for f in ordered
        ]
        if "cqo_name" in ordered and header[ordered.index("cqo_name")] == "姓名":
            header[ordered.index("cqo_name")] = "首席质量官姓名"  # 姓名 alone: whose?
        lead = ["序号"] if draw(st.booleans()) else []
        header_rows = [lead + header + list(unknown)]
        head = False
    lead_cols = 1 if header_rows[0][:1] == ["序号"] else 0
    width = lead_cols + len(ordered) + len(unknown) + 2 * head

    # Title rows.
    titles: list[list[object]] = []
    for _ in range(draw(st.integers(0, 2))):
        text = draw(
            st.sampled_from(
                [
                    "崇阳县企业首席质量官登记表",
                    f"填报单位：{unit or '某单位'}（盖章）   填报日期：2026年4月5日",
                    "2026年第一季度",
                    f"填报单位：{unit or ''}",
                ]
            )  # fmt: skip
        )
        titles.append([text] + [None] * (width - 1))

    # Records.
    secrets: set[str] = set()
    body: list[list[object]] = []
    n = draw(st.integers(1, 5))
    ents: list = []  # per body line: its BASE index (None: not in the base list), "-" blank
    for i in range(n):
        enterprise = draw(st.sampled_from([0, 1, 2, 3, None]))
        p = draw(people())
        secrets |= {p.id18, p.mobile}
        values = draw(record_values(enterprise, p, ordered, unit_cell))
        secrets |= _typed_ids(values[ordered.index("id_number")])
        extra = [draw(st.sampled_from([None, "12", "有", "wx_123", " "])) for _ in unknown]
        boss = draw(people())
        if head:
            secrets.add(boss.mobile)
        row = (
            ([i + 1] if lead_cols else [])
            + values
            + extra
            + ([boss.name, boss.mobile] if head else [])
        )
        body.append(row)
        shape = draw(st.sampled_from(["", "", "", "blank", "dup", "same_ent"]))
        ents.append(enterprise)
        if shape == "blank":
            body.append([None] * width)
            ents.append("-")
        elif shape == "dup":
            body.append(list(row))
            ents.append(enterprise)
        elif shape == "same_ent" and enterprise is not None:  # same enterprise, other CQO
            ents.append(enterprise)
            q = draw(people())
            secrets |= {q.id18, q.mobile}
            values = draw(record_values(enterprise, q, ordered, unit_cell))
            secrets |= _typed_ids(values[ordered.index("id_number")])
            body.append(
                ([i + 1] if lead_cols else []) + values + [None] * (len(unknown) + 2 * head)
            )

    # Note rows under the table.
    clerk = draw(people())
    notes = draw(
        st.lists(
            st.sampled_from(
                [
                    ["填表人：王会计", None, f"联系电话：{clerk.mobile}"],
                    ["注：学历填最高学历"],
                    ["审核人：", None, "填报日期：2026.4.5"],
                    [f"填表人：李四 {clerk.mobile}"],
                    ["以下空白"],
                    [None],
                    ["合计", 3],
                ]
            ),  # fmt: skip
            max_size=3,
        )
    )
    if any(clerk.mobile in str(c) for r in notes for c in r):
        secrets.add(clerk.mobile)
    note_rows = [(r + [None] * width)[:width] for r in notes]

    rows = titles + header_rows + body + note_rows
    merges = []
    if not csv_file:
        for r in range(len(titles)):
            if width > 1 and draw(st.booleans()):
                merges.append((r, 0, r, width - 1))
        if two_row:
            h = len(titles)
            upper = header_rows[0]
            c = 0
            while c < width:  # merge runs of one group label, and lone labels down
                label = upper[c]
                end = c
                while end + 1 < width and upper[end + 1] == label and label is not None:
                    end += 1
                if label is not None and end > c:
                    merges.append((h, c, h, end))
                    for k in range(c + 1, end + 1):
                        upper[k] = None
                elif label is not None and header_rows[1][c] is None:
                    merges.append((h, c, h + 1, c))
                c = end + 1

    own = [lead_cols + j for j, f in enumerate(ordered) if f not in PREFILLED]
    if head:  # head_name is a field of its own
        own.append(width - 2)

    def record_rows(first: int, lines: list[list[object]]) -> set[int]:
        """Excel rows (1-based) of the lines that are records: a filled cell outside the
        enterprise identity a template pre-fills."""
        return {first + i for i, r in enumerate(lines) if any(not _blank(r[c]) for c in own)}

    main = (
        "Sheet1"
        if csv_file
        else draw(st.sampled_from(["Sheet1", "登记表", "2026Q1", "首席质量官"]))
    )
    sheets = [Sheet(main, rows, merges)]
    records = {main: record_rows(len(titles) + len(header_rows) + 1, body)}
    layout = {"titles": len(titles), "two_row": two_row, "notes": len(notes), "head": head}
    if not csv_file and draw(st.booleans()):
        extra_kind = draw(st.sampled_from(["hidden", "summary", "instructions"]))
        layout["extra"] = extra_kind
        if extra_kind == "hidden":  # last quarter's table left in the workbook
            old = header_rows + body[:2]
            sheets.append(Sheet("上季度", [list(r) for r in old], [], hidden=True))
            records["上季度"] = record_rows(len(header_rows) + 1, body[:2])
        elif extra_kind == "summary":
            sheets.append(
                Sheet(
                    "汇总", [["单位", "企业数", "已聘任"], [unit or "合计", n, n], ["合计", n, n]]
                )
            )
        else:
            sheets.append(
                Sheet("填表说明", [["填表说明"], ["1. 身份证号填18位"], ["2. 学历填最高学历"]])
            )
    offset = draw(st.sampled_from([0, 0, 0, 1]))
    ragged = csv_file and draw(st.booleans())
    layout.update(offset=offset, ragged=ragged)
    return Submission(file, fmt, sheets, secrets, layout, records, offset, ragged)


# -- writers -------------------------------------------------------------------------------


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y/%m/%d")
    if isinstance(value, float):
        return f"{value:.6g}".replace("e+", "E+") if abs(value) >= 1e11 else repr(value)
    return str(value)


def write_submission(folder: Path, sub: Submission) -> Path:
    path = folder / sub.file
    if sub.offset and not sub.fmt.startswith(("utf", "gb")):
        shift = sub.offset
        sub = dataclasses.replace(
            sub,
            offset=0,
            sheets=[
                dataclasses.replace(
                    sh,
                    rows=[[None] * shift + list(r) for r in sh.rows],
                    merges=[(r0, c0 + shift, r1, c1 + shift) for r0, c0, r1, c1 in sh.merges],
                )
                for sh in sub.sheets
            ],
        )
    if sub.fmt in ("utf-8-sig", "gb18030"):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        for row in sub.sheets[0].rows:
            cells = [""] * sub.offset + [_csv_text(v) for v in row]
            while sub.ragged and cells and cells[-1] == "":
                cells.pop()
            writer.writerow(cells)
        path.write_bytes(buf.getvalue().encode(sub.fmt))
    elif sub.fmt == "openpyxl":
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for sh in sub.sheets:
            ws = wb.create_sheet(sh.name)
            for r, row in enumerate(sh.rows, start=1):
                for c, v in enumerate(row, start=1):
                    if v is None:
                        continue
                    cell = ws.cell(r, c, v)
                    if isinstance(v, str):
                        cell.data_type = "s"  # "=1+1" stays text, as typed with a '
                    elif isinstance(v, dt.datetime):
                        cell.number_format = "yyyy-mm-dd"
            for r0, c0, r1, c1 in sh.merges:
                ws.merge_cells(
                    start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1
                )
            if sh.hidden:
                ws.sheet_state = "hidden"
        wb.save(path)
    elif sub.fmt == "xlsxwriter":
        wb = xlsxwriter.Workbook(
            str(path), {"strings_to_numbers": False, "strings_to_formulas": False}
        )
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        for sh in sub.sheets:
            ws = wb.add_worksheet(sh.name)
            merged = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in sh.merges}
            for r, row in enumerate(sh.rows):
                for c, v in enumerate(row):
                    if (r, c) in merged:
                        r1, c1 = merged[(r, c)]
                        ws.merge_range(r, c, r1, c1, "" if v is None else v)
                    elif v is None:
                        continue
                    elif isinstance(v, dt.datetime):
                        ws.write_datetime(r, c, v, date)
                    elif isinstance(v, str):
                        ws.write_string(r, c, v)
                    elif isinstance(v, bool):
                        ws.write_boolean(r, c, v)
                    else:
                        ws.write_number(r, c, v)
            if sh.hidden:
                ws.hide()
        wb.close()
    else:  # xlwt, .xls
        wb = xlwt.Workbook(encoding="utf-8")
        date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
        for sh in sub.sheets:
            ws = wb.add_sheet(sh.name, cell_overwrite_ok=True)
            merged = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in sh.merges}
            for r, row in enumerate(sh.rows):
                for c, v in enumerate(row):
                    if (r, c) in merged:
                        r1, c1 = merged[(r, c)]
                        ws.write_merge(r, r1, c, c1, "" if v is None else v)
                    elif v is None:
                        continue
                    elif isinstance(v, dt.datetime):
                        ws.write(r, c, v, date)
                    else:
                        ws.write(r, c, v)
            if sh.hidden:
                ws.visibility = 1
        wb.save(str(path))
    return path


# -- checks --------------------------------------------------------------------------------


def _secret_pattern(secrets: set[str]) -> re.Pattern[str]:
    """Any of the numbers, written with or without separators between the characters."""
    alts = [SEPARATORS.join(re.escape(ch) for ch in s) for s in sorted(secrets)]
    return re.compile(r"(?<![0-9])(?:" + "|".join(alts) + r")(?![0-9])", re.I)


def _texts(path: Path) -> list[tuple[str, str]]:
    """(part name, text) of an output file: every part of a zip, the bytes of anything else."""
    if path.suffix.lower() == ".png":
        return []
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(path) as zf:
            return [(n, zf.read(n).decode("utf-8", "replace")) for n in zf.namelist()]
    return [("", data.decode("utf-8", "replace"))]


def unit_named_nowhere(findings: pd.DataFrame) -> pd.Series:
    """A unit named nowhere (no 填报单位 column, and a file name naming no unit): the finding
    has no column to name (test_unknown_unit_in_a_unit_column_names_that_column: a unit
    written in a 填报单位 column names that column)."""
    return findings["rule"].eq("unknown_unit") & findings["field"].isna()


def check_quarter(config, subs: list[Submission]) -> None:
    out = config.output_dir / QUARTER
    summary = json.loads((out / "run_summary.json").read_text("utf-8"))

    # rows_read = rows_accepted + rows_rejected, per file and in total.
    files = summary["files"]
    assert sorted(f["file"] for f in files) == sorted(s.file for s in subs)
    by_name = {s.file: s for s in subs}
    for f in files:  # nothing here is broken: every file is read, every record counted
        assert f["status"] == "ok", f
        expected = sum(len(rows) for rows in by_name[f["file"]].records.values())
        assert f["rows_read"] == expected, (f, by_name[f["file"]].records)
        assert f["rows_read"] == f["rows_accepted"] + f["rows_rejected"], f
        assert min(f["rows_read"], f["rows_accepted"], f["rows_rejected"]) >= 0, f
    totals = summary["totals"]
    for key in ("rows_read", "rows_accepted", "rows_rejected"):
        assert totals[key] == sum(f[key] for f in files), key
    assert totals["rows_read"] == totals["rows_accepted"] + totals["rows_rejected"]
    assert totals["files"] == len(files)
    assert totals["files_failed"] == sum(f["status"] == "failed" for f in files)

    # Every finding about a record names file, sheet, Excel row and the sender's header.
    with Store(config.store_path) as store:
        findings = store.read("findings", QUARTER)
        roster_rows = store.read("roster", QUARTER)
    on_records = findings[findings["record"] >= 0]
    on_records = on_records[~unit_named_nowhere(on_records)]
    bad = on_records[
        on_records["_file"].isna()
        | on_records["_sheet"].isna()
        | ~(pd.to_numeric(on_records["_row"]).fillna(0) > 0)
        | on_records["column"].isna()
        | on_records["column"].fillna("").astype(str).str.strip().eq("")
    ]
    assert bad.empty, bad[["rule", "field", "_file", "_sheet", "_row", "column"]].to_string()
    for file, sheet, row, rule in zip(
        on_records["_file"],
        on_records["_sheet"],
        on_records["_row"],
        on_records["rule"],
        strict=True,
    ):  # the row a finding names is one of the records written there
        assert int(row) in by_name[file].records.get(sheet, set()), (rule, file, sheet, row)

    # No full ID or mobile number leaves the office (the roster book is internal).
    secrets = set().union(*(s.secrets for s in subs))
    pattern = _secret_pattern(secrets)
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.name == "花名册.xlsx":
            continue
        for part, text in _texts(path):
            hit = pattern.search(unicodedata.normalize("NFKC", text))
            assert hit is None, (path.relative_to(out).as_posix(), part, hit and hit.group(0))

    if len(roster_rows):  # the search sees them where they belong (else it proves nothing)
        roster = " ".join(t for _, t in _texts(out / "花名册.xlsx"))
        assert pattern.search(unicodedata.normalize("NFKC", roster)), "no ID or mobile in 花名册"

    # Every workbook the run wrote opens again, and holds no formula ("=1+1" stays text).
    for path in sorted(out.rglob("*.xlsx")):
        openpyxl.load_workbook(path).close()
        for part, text in _texts(path):
            if part.startswith("xl/worksheets/"):
                assert not re.search(r"<f[ >]", text), (path.relative_to(out).as_posix(), part)


def describe(subs: list[Submission]) -> str:
    lines = []
    for s in subs:
        lines.append(f"{s.file} [{s.fmt}] {s.layout}")
        for sh in s.sheets:
            lines.append(f"  sheet {sh.name!r} hidden={sh.hidden} merges={sh.merges}")
            for row in sh.rows:
                lines.append(
                    "    "
                    + repr(
                        [
                            v if not isinstance(v, str) or len(v) < 60 else v[:20] + f"…({len(v)})"
                            for v in row
                        ]
                    )
                )
    return "\n".join(lines)


@st.composite
def quarters(draw) -> list[Submission]:
    n = draw(st.integers(1, 4))
    subs = [draw(submissions(i)) for i in range(n)]
    if draw(st.integers(0, 5)) == 0:  # the same file sent twice: 天城镇 - 副本.xlsx
        first = subs[0]
        stem, ext = first.file.rsplit(".", 1)
        subs.append(dataclasses.replace(first, file=f"{stem} - 副本.{ext}"))
    return subs


@FUZZ
@given(quarters())
def test_messy_quarter_keeps_the_contract(subs):
    with tempfile.TemporaryDirectory() as tmp:
        config = county(Path(tmp))
        folder = config.input_dir / QUARTER
        folder.mkdir(parents=True)
        for sub in subs:
            write_submission(folder, sub)
        try:
            run(config)
            check_quarter(config, subs)
        except BaseException as exc:
            exc.add_note(describe(subs))
            keep = os.environ.get("CQO_FUZZ_KEEP")  # a folder to copy the failing example to
            if keep:
                shutil.copytree(tmp, Path(keep) / Path(tmp).name)
                exc.add_note(f"copied to {Path(keep) / Path(tmp).name}")
            raise


# -- narrow cases of bugs the fuzz found ---------------------------------------------------


def _one_sheet_quarter(tmp_path: Path, file: str, rows: list[list[object]]):
    config = county(tmp_path)
    sub = Submission(file, "openpyxl", [Sheet("Sheet1", rows)], set(), {})
    (config.input_dir / QUARTER).mkdir(parents=True)
    write_submission(config.input_dir / QUARTER, sub)
    run(config)
    with Store(config.store_path) as store:
        return store.read("findings", QUARTER)


_HEADER = ["企业名称", "首席质量官姓名", "身份证号", "学历", "质量工作年限", "手机"]


def test_unknown_unit_in_a_unit_column_names_that_column(tmp_path):
    row = [BASE[0][0], "张伟", make_id(seq=101), "本科", 5, "13812345678", "某某镇"]
    findings = _one_sheet_quarter(tmp_path, "天城镇.xlsx", [[*_HEADER, "填报单位"], row])
    unit = findings[findings["rule"].eq("unknown_unit")]
    assert len(unit) == 1
    assert unit["column"].iloc[0] == "填报单位"


def test_leaving_row_listed_first_does_not_abort_the_run(tmp_path):
    """A 离任 row (张伟) above the new CQO's 在任 row (李娜), undated: a change, not a conflict.
    The run used to abort (the 离任 row won the tie by row order and the 在任 record was left
    off the roster)."""
    header = [*_HEADER, "任职状态"]
    old = [BASE[0][0], "张伟", make_id(seq=101), "本科", 5, "13812345678", "离任"]
    new = [BASE[0][0], "李娜", make_id(seq=202), "本科", 5, "13812345679", "在任"]
    findings = _one_sheet_quarter(tmp_path, "天城镇.xlsx", [header, old, new])
    with Store(county(tmp_path).store_path) as store:
        roster = store.read("roster", QUARTER)
    assert roster["cqo_name"].tolist() == ["李娜"]
    assert "conflicting_submissions" not in set(findings["rule"])
