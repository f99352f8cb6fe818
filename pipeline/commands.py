"""The library side of the smaller commands: self-check, templates, roster lookups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import ingest, targets
from pipeline.config import Config
from pipeline.fields import SEVERITY_LABELS

SEVERITY_ORDER = {"error": 0, "noncompliant": 1, "warning": 2}


@dataclass
class CheckResult:
    findings: pd.DataFrame
    files: list[ingest.FileReport]
    feedback: dict[str, Path]

    @property
    def has_errors(self) -> bool:
        failed = any(f.status == "failed" for f in self.files)
        return failed or bool((self.findings["severity"] == "error").any())


def current_quarter(today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def check_files(config: Config, files: list[Path], out: Path, quarter: str | None) -> CheckResult:
    """`cqo validate`: the run's checks on files a unit wants to check before sending.

    Nothing is stored; the feedback workbooks go to `out`.
    """
    from pipeline import normalize, validate
    from pipeline.reports import feedback
    from pipeline.roster import match_base_list

    quarter = quarter or current_quarter()
    q_end = targets.quarter_end(quarter)
    raw = ingest.read_quarter(Path("."), config, files=[Path(f) for f in files])
    records = normalize.normalize_records(raw.records, q_end)
    base = _base_or_none(config, quarter)
    if base is not None and len(records):
        match = match_base_list(records, base)
        records = records.join(match)
        records["_base_scale"] = base["scale"].reindex(match["base_id"].astype("float")).values
    checked = validate.validate_records(
        records, raw.columns, config.rules, config.unit_names(), q_end
    )
    findings = validate.concat_findings([validate.file_findings(raw), checked.findings])
    sources: dict[str, dict[str, Path]] = {}
    for f, path in zip(raw.files, files, strict=True):
        if f.status != "ok":
            continue
        sources.setdefault(f.unit or "", {})[f.file] = Path(path)
    written = feedback.write_all_feedback(
        out, findings, sources, raw.header_rows(), config.limits, personal=raw.personal_columns()
    )
    return CheckResult(findings=findings, files=raw.files, feedback=written)


def _base_or_none(config: Config, quarter: str) -> pd.DataFrame | None:
    from pipeline.run import base_list_path

    path = base_list_path(config, quarter)
    if not path.is_file():
        return None
    try:
        return ingest.read_base_list(path, config)
    except ingest.IngestError:
        return None


def print_findings(console, result: CheckResult) -> None:
    from rich.table import Table

    for f in result.files:
        if f.status == "failed":
            console.print(f"[red]无法读取[/red] {f.file}：{f.error}")
        else:
            console.print(f"{f.file}：填报单位 {f.unit or '未知'}，读取 {f.rows_read} 行")
    found = result.findings
    if found.empty:
        console.print("[green]未发现问题。[/green]")
        return
    order = found["severity"].map(SEVERITY_ORDER)
    found = found.assign(_o=order).sort_values(["_o", "_file", "_row"], kind="stable")
    table = Table(title=f"发现 {len(found)} 个问题", title_justify="left")
    for col in ("严重程度", "文件", "行", "列", "问题说明"):
        table.add_column(col)
    for row in found.head(200).to_dict("records"):
        table.add_row(
            SEVERITY_LABELS.get(row["severity"], row["severity"]),
            str(row["_file"]),
            "" if pd.isna(row["_row"]) else str(int(row["_row"])),
            "" if pd.isna(row["column"]) else str(row["column"]),
            str(row["message"]),
        )
    console.print(table)
    if len(found) > 200:
        console.print(f"（仅显示前 200 条，共 {len(found)} 条；完整清单见退回修改表）")
    for unit, path in result.feedback.items():
        console.print(f"退回修改表（{unit}）：{path}")


def write_unit_templates(
    config: Config, out: Path, units: list[str] | None, quarter: str | None
) -> dict[str, Path]:
    """`cqo template`: one pre-filled blank workbook per unit."""
    from pipeline.reports.templates import write_templates
    from pipeline.run import base_list_path

    path = base_list_path(config, quarter) if quarter else config.base_list_path
    if not path.is_file():
        raise ValueError(f"找不到企业名录：{path}")
    try:
        base = ingest.read_base_list(path, config)
    except ingest.IngestError as exc:
        raise ValueError(str(exc)) from exc
    chosen = list(config.units)
    if units:
        unknown = [u for u in units if u not in config.unit_names()]
        if unknown:
            raise ValueError(f"未配置的单位：{'、'.join(unknown)}")
        chosen = [u for u in config.units if u.name in units]
    return write_templates(
        out,
        base,
        chosen,
        config.profile,
        quarter,
        rules=config.rules,
        deadline_days=config.submission_deadline_days,
        county=config.county,
    )


def roster_lookup(
    console, config: Config, enterprise: str | None, unit: str | None, quarter: str | None
) -> bool:
    """`cqo roster`: an enterprise's CQO history, or a unit's roster of one quarter."""
    from rich.table import Table

    from pipeline.store import Store

    with Store(config.store_path) as store:
        quarters = list(store.quarters())
        if not quarters:
            console.print("数据库中还没有已处理的季度，请先运行 cqo run")
            return False
        if quarter is not None and quarter not in quarters:
            raise ValueError(f"季度 {quarter} 尚未处理（已处理：{'、'.join(quarters)}）")
        q = quarter or quarters[-1]
        roster = store.read("roster", q)
        if enterprise:
            text = enterprise.strip().upper()
            hit = roster[
                roster["credit_code"].fillna("").eq(text)
                | roster["enterprise_name"].fillna("").str.contains(enterprise.strip(), regex=False)
            ]
            history = store.appointments(hit["ent_key"].tolist())
            if hit.empty and history.empty:
                console.print(f"{q} 花名册中没有「{enterprise}」的首席质量官记录")
                return False
            for row in hit.itertuples():
                console.print(
                    f"[bold]{row.enterprise_name}[/bold]（{row.credit_code or '无信用代码'}）"
                    f"：{q} 首席质量官 {row.cqo_name}，资格状态 {row.status}"
                    + (
                        f"，问题：{row.problems}"
                        if isinstance(row.problems, str) and row.problems
                        else ""
                    )
                )
            table = Table(title="聘任历史", title_justify="left")
            for col in ("企业", "首席质量官", "资格状态", "起始季度", "结束季度", "来源"):
                table.add_column(col)
            for h in history.itertuples():
                table.add_row(
                    str(h.enterprise_name),
                    str(h.cqo_name),
                    str(h.status),
                    str(h.from_quarter),
                    str(h.to_quarter or "在任"),
                    str(h.source),
                )
            console.print(table)
            return True
        part = roster[(roster["_unit"] == unit) | (roster["township"] == unit)]
        if part.empty:
            console.print(f"{q} 花名册中没有单位「{unit}」的记录")
            return False
        table = Table(title=f"{unit} {q} 首席质量官名单（{len(part)} 家）", title_justify="left")
        for col in ("企业名称", "首席质量官", "学历", "年限", "资格状态", "登记季度"):
            table.add_column(col)
        for row in part.itertuples():
            table.add_row(
                str(row.enterprise_name),
                str(row.cqo_name),
                str(row.education),
                str(row.quality_years),
                str(row.status),
                str(row.registered_quarter),
            )
        console.print(table)
        return True
