"""Shared builders for tests: synthetic IDs, workbooks written from dicts, a small county."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import openpyxl

from pipeline.config import load_config

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def make_id(region: str = "421223", birth: str = "19900101", seq: int = 123) -> str:
    """A synthetic ID number with a valid GB 11643 check character (belongs to nobody)."""
    body = f"{region}{birth}{seq:03d}"
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def make_uscc(org: str) -> str:
    """A credit code 91421223 + 9-char org code with a valid GB 32100 check character."""
    body = ("91421223" + org)[:17]
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


def write_xlsx(path: Path, rows: Iterable[dict], title: str | None = None) -> Path:
    """A submission workbook: optional title row, then a header row from the dicts' keys."""
    rows = list(rows)
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    headers = list(dict.fromkeys(k for r in rows for k in r))
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


BASE = [
    # name, credit code, township, category, department, scale
    ("崇阳县甲机械有限公司", make_uscc("MA4900001"), "天城镇", "规上", "县经信局", "中型"),
    ("崇阳县乙纺织有限公司", make_uscc("MA4900002"), "天城镇", "规上", "县经信局", "小型"),
    ("崇阳县丙建材有限公司", make_uscc("MA4900003"), "沙坪镇", "规上", "县住建局", "中型"),
    (
        "崇阳县丁茶业有限公司",
        make_uscc("MA4900004"),
        "沙坪镇",
        "重点行业中小微",
        "县农业农村局",
        "微型",
    ),
]


def write_base(path: Path, rows=BASE) -> Path:
    return write_xlsx(
        path,
        [
            {
                "企业名称": n,
                "统一社会信用代码": c,
                "所属乡镇": t,
                "所属行业": "制造业",
                "企业类别": k,
                "主管部门": d,
                "企业规模": s,
            }
            for n, c, t, k, d, s in rows
        ],
    )


def cqo_row(enterprise: int, name: str, id_number: str, **extra) -> dict:
    """One qualified CQO row for BASE[enterprise]."""
    row = {
        "企业名称": BASE[enterprise][0],
        "统一社会信用代码": BASE[enterprise][1],
        "首席质量官姓名": name,
        "身份证号": id_number,
        "学历": "本科",
        "质量工作年限": 5,
        "手机": "13812345678",
    }
    row.update(extra)
    return row


def county(tmp_path: Path):
    """A config whose input/output live under tmp_path, with the small BASE list."""
    config = load_config(ROOT / "config.yaml").with_paths(tmp_path / "input", tmp_path / "output")
    write_base(tmp_path / "input" / "企业名录.xlsx")
    return config


def day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
