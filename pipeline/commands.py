"""The library side of the smaller commands: self-check, templates, roster lookups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline import ingest, targets
from pipeline.config import Config
from pipeline.fields import SEVERITY_LABELS

SEVERITY_ORDER = {"error": 0, "noncompliant": 1, "warning": 2}


MAX_ROWS_SHOWN = 200  # findings printed by `cqo validate` (all of them are in the workbooks)
MAX_HITS_SHOWN = 20  # enterprises printed by `cqo roster --enterprise`
MAX_UNITS_LISTED = 30  # configured units named in an "unknown unit" message
EMPTY_FILE = "没有读到任何首席质量官记录（只有表头或预填的企业名单）——请填写后再自查"


@dataclass
class CheckResult:
    findings: pd.DataFrame
    files: list[ingest.FileReport]
    feedback: dict[str, Path]
    notes: list[str] = field(default_factory=list)  # Chinese notices printed before the table

    @property
    def has_errors(self) -> bool:
        failed = any(f.status == "failed" for f in self.files)
        return failed or bool((self.findings["severity"] == "error").any())

    @property
    def empty_files(self) -> list[str]:
        """Files read without a single record (an unfilled template): nothing was checked."""
        return [f.file for f in self.files if f.status == "ok" and f.rows_read == 0]


def suggest(text: str, choices, limit: int = 5, cutoff: float = 60) -> list[str]:
    """Names among `choices` that look like `text` (a typo, a short form), best first."""
    from rapidfuzz import fuzz, process

    names = list(dict.fromkeys(c for c in choices if isinstance(c, str) and c))
    found = process.extract(text, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=cutoff)
    return [name for name, _, _ in found]


def resolve_unit(config: Config, text: str) -> str:
    """The configured unit that `text` names (name or alias, spaces ignored); ValueError with
    the configured units and the closest match when there is none."""
    name = ingest.UnitResolver(config.units).resolve(text.strip())
    if name is not None:
        return name
    names = config.unit_names()
    listed = "、".join(names[:MAX_UNITS_LISTED])
    if len(names) > MAX_UNITS_LISTED:
        listed += f" 等 {len(names)} 个"
    message = f"未配置的单位「{text.strip()}」；可用单位：{listed}"
    aliases = {a: u.name for u in config.units for a in (u.name, *u.aliases)}
    close = list(dict.fromkeys(aliases[a] for a in suggest(text.strip(), aliases, limit=3)))
    if close:
        message += f"；您是否要找：{'、'.join(close)}"
    raise ValueError(message)


def current_quarter(today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def expand_inputs(items: list[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """`cqo validate`'s arguments as files: a folder gives its Excel/CSV files (not lock files
    ~$*, not 企业名录.xlsx), a pattern with * or ? is expanded here (cmd.exe passes it as
    written). Returns the files, in order and once each, and (argument, Chinese reason) for
    each argument that gave none."""
    import glob

    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for item in items:
        text = item.strip().strip('"')
        if "*" in text or "?" in text:
            found = [
                Path(m)
                for m in sorted(glob.glob(text))
                if Path(m).is_file()
                and Path(m).suffix.lower() in ingest.SUFFIXES
                and not Path(m).name.startswith(("~$", ".~"))
            ]
            if not found:
                missing.append((text, "没有与之匹配的 Excel/CSV 文件"))
        elif Path(text).is_dir():
            found = ingest.submission_files(Path(text))
            if not found:
                missing.append((text, "文件夹中没有 Excel/CSV 报送文件"))
        elif Path(text).is_file():
            found = [Path(text)]
        else:
            found = []
            missing.append((text, "找不到文件"))
        files.extend(found)
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, missing


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
    base, note = _base_or_none(config, quarter)
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
        out,
        findings,
        sources,
        raw.header_rows(),
        config.limits,
        personal=raw.personal_columns(),
        self_check=True,
    )
    notes = [note] if note else []
    # The office judges lateness by the title's 填报日期, else the rows' latest 填写日期.
    dated = (
        set(records.loc[records["fill_date_parsed"].notna(), "_file"]) if len(records) else set()
    )
    for f in raw.files:
        if f.status == "ok" and f.rows_read and not f.title_date and f.file not in dated:
            notes.append(
                f"{f.file} 没有填写填报日期（表头“填报日期：”或各行“填写日期”）："
                "报送前请填写，县质强办据此判断是否按时报送"
            )
    return CheckResult(findings=findings, files=raw.files, feedback=written, notes=notes)


_NO_BASE = "本次自查未核对企业是否在名录中；企业规模未填的按一般企业的任职条件检查"


def _base_or_none(config: Config, quarter: str) -> tuple[pd.DataFrame | None, str | None]:
    """The base list in force for `quarter`, or None and a notice saying what was not checked."""
    from pipeline.run import base_list_path

    path = base_list_path(config, quarter)
    if not path.is_file():
        return None, f"未找到企业名录（{path}）：{_NO_BASE}"
    try:
        return ingest.read_base_list(path, config), None
    except ingest.IngestError as exc:
        return None, f"企业名录无法读取（{exc}）：{_NO_BASE}"


def print_findings(console, result: CheckResult) -> None:
    """What `cqo validate` prints: per file a line, the findings (at most MAX_ROWS_SHOWN), the
    feedback workbooks. Long messages and paths fold instead of being cut off."""
    from rich.markup import escape
    from rich.table import Table

    for note in result.notes:
        console.print(f"[yellow]注意[/yellow]：{escape(note)}", soft_wrap=True)
    for f in result.files:
        if f.status == "failed":
            console.print(
                f"[red]无法读取[/red] {escape(f.file)}：{escape(str(f.error))}", soft_wrap=True
            )
        elif f.rows_read == 0:
            console.print(f"[red]{escape(f.file)}：{EMPTY_FILE}[/red]", soft_wrap=True)
        else:
            console.print(
                f"{escape(f.file)}：填报单位 {escape(f.unit or '未知')}，读取 {f.rows_read} 行",
                soft_wrap=True,
            )
    found = result.findings
    if found.empty:
        read = [f for f in result.files if f.status == "ok" and f.rows_read]
        if read and not result.has_errors:
            others = "已填写的文件" if result.empty_files else ""
            console.print(f"[green]{others}未发现问题。[/green]")
        return
    order = found["severity"].map(SEVERITY_ORDER)
    found = found.assign(_o=order).sort_values(["_o", "_file", "_row"], kind="stable")
    shown = found.head(MAX_ROWS_SHOWN)
    with_file = shown["_file"].nunique() > 1
    table = Table(title=f"发现 {len(found)} 个问题", title_justify="left")
    table.add_column("严重程度", no_wrap=True)
    if with_file:
        table.add_column("文件", overflow="fold", max_width=24)
    table.add_column("行", justify="right", no_wrap=True)
    table.add_column("列", overflow="fold", max_width=12)
    table.add_column("问题说明", overflow="fold", ratio=1)
    for row in shown.to_dict("records"):
        cells = [
            SEVERITY_LABELS.get(row["severity"], row["severity"]),
            str(row["_file"]),
            "" if pd.isna(row["_row"]) else str(int(row["_row"])),
            "" if pd.isna(row["column"]) else str(row["column"]),
            str(row["message"]),
        ]
        if not with_file:
            del cells[1]
        table.add_row(*(escape(c) for c in cells))
    if not with_file and len(result.files) > 1:
        console.print(f"以下问题均在 {escape(str(shown['_file'].iloc[0]))} 中：", soft_wrap=True)
    console.print(table)
    if len(found) > MAX_ROWS_SHOWN:
        console.print(f"（仅显示前 {MAX_ROWS_SHOWN} 条，共 {len(found)} 条；完整清单见退回修改表）")
    for unit, path in result.feedback.items():
        console.print(f"退回修改表（{escape(unit)}）：{escape(str(path))}", soft_wrap=True)


def write_unit_templates(
    config: Config, out: Path, units: list[str] | None, quarter: str | None
) -> dict[str, Path]:
    """`cqo template`: one pre-filled blank workbook per unit."""
    from pipeline.reports.templates import write_templates
    from pipeline.run import base_list_path

    chosen = list(config.units)
    if units:
        # names or aliases, spaces ignored; an unknown one stops before anything is read
        wanted = {resolve_unit(config, u) for u in units}
        chosen = [u for u in config.units if u.name in wanted]
    path = base_list_path(config, quarter) if quarter else config.base_list_path
    if not path.is_file():
        raise ValueError(f"找不到企业名录：{path}")
    try:
        base = ingest.read_base_list(path, config)
    except ingest.IngestError as exc:
        raise ValueError(str(exc)) from exc
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
    from pipeline.store import Store

    if unit:
        unit = resolve_unit(config, unit)  # ValueError: not a configured unit
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
            return _enterprise_lookup(console, config, store, roster, q, enterprise.strip())
    return _unit_lookup(console, roster, q, unit or "")


def _enterprise_lookup(console, config: Config, store, roster: pd.DataFrame, q: str, text: str):
    from rich.markup import escape

    code = text.upper()
    hit = roster[
        roster["credit_code"].fillna("").eq(code)
        | roster["enterprise_name"].fillna("").str.contains(text, regex=False)
    ]
    if hit.empty:
        return _not_on_roster(console, config, store, roster, q, text)
    shown = hit.head(MAX_HITS_SHOWN)
    history = store.appointments(shown["ent_key"].tolist())
    for row in shown.itertuples():
        problems = _text(row.problems)
        console.print(
            f"[bold]{escape(str(row.enterprise_name))}[/bold]"
            f"（{escape(_text(row.credit_code) or '无信用代码')}）"
            f"：{q} 首席质量官 {escape(str(row.cqo_name))}，资格状态 {escape(str(row.status))}"
            + (f"，问题：{escape(problems)}" if problems else ""),
            soft_wrap=True,
        )
    _print_history(console, history)
    if len(hit) > len(shown):
        console.print(
            f"共找到 {len(hit)} 家，以上为前 {len(shown)} 家；另有 {len(hit) - len(shown)} 家，"
            "请输入更完整的企业名称"
        )
    return True


def _not_on_roster(console, config: Config, store, roster: pd.DataFrame, q: str, text: str):
    """No current CQO: an enterprise of the base list (perhaps with a former CQO), or a
    name the roster and base list do not know (with the closest names)."""
    from rich.markup import escape

    from pipeline.roster import ent_keys
    from pipeline.run import base_list_path

    base, _ = _base_or_none(config, q)
    names = list(roster["enterprise_name"].dropna())
    if base is not None:
        in_base = base[
            base["credit_code"].fillna("").eq(text.upper())
            | base["enterprise_name"].fillna("").str.contains(text, regex=False)
        ]
        if not in_base.empty:
            shown = in_base.head(MAX_HITS_SHOWN)
            keys = ent_keys(shown["credit_code"], shown["name_key"])
            history = store.appointments(keys.dropna().tolist())
            former = set(history["ent_key"])
            for row, key in zip(shown.itertuples(), keys, strict=True):
                where = "，".join(
                    str(v) for v in (row.township, row.category) if isinstance(v, str) and v
                )
                state = "尚未聘任首席质量官"
                if key in former:
                    state = "目前没有在任的首席质量官（曾聘任，见下表）"
                console.print(
                    f"「{escape(str(row.enterprise_name))}」在企业名录中（{escape(where)}），"
                    f"{q} {state}",
                    soft_wrap=True,
                )
            _print_history(console, history)
            if len(in_base) > len(shown):
                console.print(f"另有 {len(in_base) - len(shown)} 家，请输入更完整的企业名称")
            return True
        names += list(base["enterprise_name"].dropna())
        where = "花名册和企业名录中都没有这家企业"
    else:
        path = escape(str(base_list_path(config, q)))
        where = f"花名册中没有这家企业（企业名录 {path} 未找到或无法读取，未查）"
    message = f"没有找到「{escape(text)}」：{q} {where}"
    close = suggest(text, names)
    if close:
        message += f"；您是否要找：{escape('、'.join(close))}"
    console.print(message, soft_wrap=True)
    return False


def _print_history(console, history: pd.DataFrame) -> None:
    from rich.markup import escape
    from rich.table import Table

    if history.empty:
        return
    one = history["ent_key"].nunique() == 1  # its name is on the line above: no 企业 column
    title = "聘任历史" + (f"：{_text(history['enterprise_name'].iloc[-1])}" if one else "")
    table = Table(title=escape(title), title_justify="left")
    for col in ("首席质量官", "资格状态") if one else ("企业", "首席质量官", "资格状态"):
        table.add_column(col, overflow="fold")
    for col in ("起始季度", "结束季度"):
        table.add_column(col, no_wrap=True)
    table.add_column("来源", overflow="fold")
    for h in history.itertuples():
        ended = _text(h.to_quarter) or "在任"  # NaN (a current appointment) is truthy
        cells = [h.enterprise_name, h.cqo_name, h.status, h.from_quarter, ended, h.source]
        table.add_row(*(escape(_text(c)) for c in cells[one:]))
    console.print(table)


def _unit_lookup(console, roster: pd.DataFrame, q: str, unit: str) -> bool:
    from rich.markup import escape
    from rich.table import Table

    part = roster[(roster["_unit"] == unit) | (roster["township"] == unit)]
    if part.empty:
        console.print(f"{q} 花名册中没有单位「{escape(unit)}」的首席质量官记录")
        return False
    table = Table(title=f"{unit} {q} 首席质量官名单（{len(part)} 家）", title_justify="left")
    for col in ("企业名称", "首席质量官", "学历"):
        table.add_column(col, overflow="fold")
    table.add_column("年限", no_wrap=True)
    table.add_column("资格状态", overflow="fold")
    table.add_column("登记季度", no_wrap=True)
    for row in part.itertuples():
        cells = [
            row.enterprise_name,
            row.cqo_name,
            row.education,
            row.quality_years,
            row.status,
            row.registered_quarter,
        ]
        table.add_row(*(escape(_text(c)) for c in cells))
    console.print(table)
    return True


def _text(value: object) -> str:
    """A stored cell as text: "" for None / NaN / NA."""
    return "" if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else str(value)
