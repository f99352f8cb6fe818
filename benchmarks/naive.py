"""The naive baseline: the script a competent analyst writes first for the same job.

    python benchmarks/naive.py benchmarks/data/province/input --out /tmp/naive

pandas.read_excel per file (openpyxl for .xlsx, xlrd for .xls, read_csv for .csv), find the
header row by looking for 企业名称, rename the usual header variants, then a Python loop over
the rows checking each one with python-stdnum (ID number, credit code), the education word, the
years and the mobile number; concat, groupby township for the rates against the base list, and
to_excel of the roster, the issues and the rates. No feedback workbooks, no Word report, no
charts: it does less than cqo, and that is the point of the comparison.

Prints one JSON line: files, rows, seconds.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
from stdnum.cn import ric, uscc

warnings.filterwarnings("ignore")  # xlrd deprecation notes, once per .xls file

RENAME = {
    "单位名称": "企业名称", "企业全称": "企业名称", "公司名称": "企业名称",
    "社会信用代码": "统一社会信用代码", "信用代码": "统一社会信用代码",
    "统一社会信用代码证号": "统一社会信用代码",
    "乡镇": "所属乡镇", "所在乡镇": "所属乡镇",
    "首席质量官": "首席质量官姓名", "姓名": "首席质量官姓名", "质量官姓名": "首席质量官姓名",
    "身份证号码": "身份证号", "公民身份号码": "身份证号", "身份证号（18位）": "身份证号",
    "文化程度": "学历", "最高学历": "学历", "学历（学位）": "学历",
    "从事质量工作年限": "质量工作年限", "质量管理工作年限": "质量工作年限",
    "质量工作年限（年）": "质量工作年限",
    "手机号码": "手机", "联系手机": "手机",
}
EDUCATION = {"初中": 1, "高中": 2, "职高": 2, "中专": 3, "大专": 4, "专科": 4, "大学专科": 4,
             "本科": 5, "大学本科": 5, "学士": 5, "硕士": 6, "研究生": 6, "硕士研究生": 6,
             "博士": 7, "博士研究生": 7}
MOBILE = re.compile(r"^1[3-9]\d{9}$")


def read_any(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        try:
            raw = pd.read_csv(path, header=None, names=range(64), dtype=str, encoding="utf-8-sig")
        except UnicodeDecodeError:
            raw = pd.read_csv(path, header=None, names=range(64), dtype=str, encoding="gb18030")
        raw = raw.dropna(axis=1, how="all")  # names=range(64): title rows have fewer fields
    elif path.suffix == ".xls":
        raw = pd.read_excel(path, header=None, dtype=str, engine="xlrd")
    else:
        raw = pd.read_excel(path, header=None, dtype=str, engine="openpyxl")
    for i in range(min(len(raw), 10)):  # the header is the row that says 企业名称
        values = [str(v).strip() for v in raw.iloc[i].tolist()]
        if any(v in ("企业名称", "单位名称", "企业全称", "公司名称") for v in values):
            df = raw.iloc[i + 1:].copy()
            df.columns = [RENAME.get(v, v) for v in values]
            df = df.loc[:, ~df.columns.duplicated()]
            return df[df["企业名称"].notna()]
    return pd.DataFrame()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("input", type=Path)
    p.add_argument("--quarter", default="2026Q3")
    p.add_argument("--out", type=Path, default=Path("naive_out"))
    args = p.parse_args(argv)
    started = time.perf_counter()

    base = pd.read_excel(args.input / "企业名录.xlsx", dtype=str, engine="openpyxl")
    frames = []
    files = sorted(f for f in (args.input / args.quarter).iterdir()
                   if f.suffix in (".xlsx", ".xls", ".csv") and f.name != "企业名录.xlsx")
    for f in files:
        df = read_any(f)
        df["文件"] = f.name
        frames.append(df)
    data = pd.concat(frames, ignore_index=True)

    issues = []
    status = []
    for i, row in data.iterrows():
        problems = []
        for col in ("企业名称", "首席质量官姓名", "身份证号", "学历", "质量工作年限"):
            if pd.isna(row.get(col)) or str(row.get(col)).strip() == "":
                problems.append(f"{col}为空")
        id_number = str(row.get("身份证号", "")).strip().lstrip("'")
        if id_number and id_number != "nan" and not ric.is_valid(id_number):
            problems.append("身份证号无效")
        code = row.get("统一社会信用代码")
        if isinstance(code, str) and code.strip() and not uscc.is_valid(code.strip()):
            issues.append((row["文件"], i, "统一社会信用代码校验位错误"))
        education = str(row.get("学历", "")).strip()
        level = EDUCATION.get(education, 0)
        if education and education != "nan" and level == 0:
            problems.append("学历无法识别")
        try:
            years = float(re.sub(r"[年以上]", "", str(row.get("质量工作年限", ""))))
        except ValueError:
            years = None
        mobile = str(row.get("手机", "")).replace(" ", "")
        if not MOBILE.match(mobile):
            issues.append((row["文件"], i, "手机号码格式不正确"))
        for text in problems:
            issues.append((row["文件"], i, text))
        if problems:
            status.append("退回")
        elif level < 4 or years is None or years < 3:
            status.append("不合格")
        else:
            status.append("合格")
    data["状态"] = status

    accepted = data[data["状态"] != "退回"].drop_duplicates("企业名称")
    merged = base.merge(accepted[["企业名称", "状态"]], on="企业名称", how="left")
    merged["合格"] = merged["状态"] == "合格"
    rates = merged.groupby(["所属乡镇", "企业类别"]).agg(
        基数=("企业名称", "count"), 合格=("合格", "sum")
    ).reset_index()
    rates["合格率"] = rates["合格"] / rates["基数"]

    args.out.mkdir(parents=True, exist_ok=True)
    data.to_excel(args.out / "花名册.xlsx", index=False)
    pd.DataFrame(issues, columns=["文件", "行", "问题"]).to_excel(args.out / "问题清单.xlsx",
                                                               index=False)
    rates.to_excel(args.out / "聘任率.xlsx", index=False)
    print(json.dumps({"files": len(files), "rows": len(data),
                      "seconds": round(time.perf_counter() - started, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
