"""One quarter end to end, and every quarter in order: the wiring of the stages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import ingest, targets
from pipeline.config import Config
from pipeline.fsutil import atomic_path, ensure_private, first_locked, fresh_dir, promote
from pipeline.memory import release_freed_memory
from pipeline.store import Store

log = logging.getLogger(__name__)

QUARTER_DIR = re.compile(r"^\d{4}Q[1-4]$")
SUMMARY_NAME = "run_summary.json"
FEEDBACK_DIR = "退回修改"


class RunError(Exception):
    """The run cannot start (usage or input problem); nothing was written. Chinese message."""


class BusyError(RunError):
    """Another run holds the output folder's lock; nothing was written."""


class InvariantError(Exception):
    """The run's own reconciliation failed: a bug, not bad input. Nothing of the quarter was
    committed."""


class OutputError(Exception):
    """The quarter's reports could not be put in place (a file open in Excel/WPS): found
    before the store changes (nothing done), or while moving them (the quarter is stored and
    the next run writes them again). Chinese message."""


@dataclass
class Progress:
    """Callbacks the CLI passes in to show progress; the library never prints."""

    start_files: Callable[[str, int], None] = lambda quarter, n: None
    file_done: Callable[[str], None] = lambda name: None
    stage: Callable[[str], None] = lambda text: None


@dataclass
class QuarterResult:
    quarter: str
    summary: dict
    output_dir: Path
    skipped: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    # later quarters this run took out of the store (they build on this one): run them again
    dropped_later: list[str] = field(default_factory=list)


# -- discovery -----------------------------------------------------------------------------


def discover_quarters(input_dir: Path) -> list[str]:
    """Quarter folders (named like 2026Q3) under input/, in order."""
    if not input_dir.is_dir():
        raise RunError(f"找不到输入目录：{input_dir}")
    return sorted(p.name for p in input_dir.iterdir() if p.is_dir() and QUARTER_DIR.match(p.name))


_CN_QUARTER = {"一": "1", "二": "2", "三": "3", "四": "4", "1": "1", "2": "2", "3": "3", "4": "4"}
_LOOSE_QUARTER = re.compile(
    r"(20\d{2})\s*(?:年|[-_ .])?\s*(?:[Qq]\s*([1-4])|第?\s*([1-4一二三四])\s*季)"
)


def ignored_folders(input_dir: Path) -> list[tuple[str, str | None]]:
    """Sub-folders of input/ that are not quarter folders, each with the name it probably
    should have (2026年三季度 -> 2026Q3), or None: a folder named otherwise is never read."""
    if not input_dir.is_dir():
        return []
    out = []
    for p in sorted(input_dir.iterdir()):
        if not p.is_dir() or QUARTER_DIR.match(p.name) or p.name.startswith((".", "~")):
            continue
        m = _LOOSE_QUARTER.search(p.name)
        out.append((p.name, f"{m[1]}Q{_CN_QUARTER[m[2] or m[3]]}" if m else None))
    return out


def _ignored_text(input_dir: Path) -> str:
    named = [
        f"「{name}」" + (f"（应改名为 {hint}）" if hint else "")
        for name, hint in ignored_folders(input_dir)
    ]
    return f"；未读取的文件夹：{'、'.join(named)}" if named else ""


def base_list_path(config: Config, quarter: str) -> Path:
    """A quarter's own 企业名录.xlsx replaces the standing one (the 规上 list changes yearly)."""
    own = config.input_dir / quarter / ingest.BASE_LIST_NAME
    return own if own.is_file() else config.base_list_path


def input_digest(config: Config, quarter: str) -> str:
    """Fingerprint of everything a quarter's result depends on: its files, the base list, and
    the rule profile and milestones in force."""
    h = hashlib.sha256()
    files = [*ingest.submission_files(config.input_dir / quarter), base_list_path(config, quarter)]
    for path in files:
        h.update(path.name.encode())
        h.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"-")
    settings = config.model_dump(mode="json", exclude={"paths", "root", "fonts"})
    h.update(json.dumps(settings, sort_keys=True, ensure_ascii=False).encode())
    h.update(RUN_VERSION.encode())
    return h.hexdigest()


# Bump when a change of the code changes results, so stored quarters are recomputed.
RUN_VERSION = "1"


# -- the run -------------------------------------------------------------------------------


def run(
    config: Config,
    quarter: str | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> list[QuarterResult]:
    """Process every quarter under input/ in order (or one), skipping unchanged ones.

    A quarter is reprocessed when its inputs changed, when an earlier quarter was
    reprocessed in this run, or when its reports are missing.
    """
    progress = progress or Progress()
    quarters = all_quarters = discover_quarters(config.input_dir)
    if quarter is not None:
        quarter = quarter.strip().upper()
        targets.parse_quarter(quarter)  # ValueError for bad text
        if quarter not in quarters:
            have = f"（现有：{'、'.join(quarters)}）" if quarters else ""
            raise RunError(
                f"输入目录 {config.input_dir} 下没有季度文件夹 {quarter}{have}"
                + _ignored_text(config.input_dir)
            )
        quarters = [q for q in quarters if q <= quarter]
    if not quarters:
        raise RunError(
            f"输入目录 {config.input_dir} 下没有季度文件夹（应命名如 2026Q3）"
            + _ignored_text(config.input_dir)
        )
    if not config.base_list_path.is_file() and not all(
        (config.input_dir / q / ingest.BASE_LIST_NAME).is_file() for q in quarters
    ):
        raise RunError(f"找不到企业名录：{config.base_list_path}")

    from filelock import FileLock, Timeout

    config.output_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(config.output_dir / ".cqo.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise BusyError(
            f"另一个 cqo run 正在使用输出目录 {config.output_dir}，请等它结束后再运行"
        ) from exc
    try:
        results = []
        ensure_private(config.store_path)  # before SQLite creates its -wal and -shm beside it
        with Store(config.store_path) as store:
            stored = store.quarters()
            dirty = force
            for q in quarters:
                digest = input_digest(config, q)
                summary_path = config.output_dir / q / SUMMARY_NAME
                fresh = stored.get(q) == digest and _reports_complete(
                    summary_path, store.summary(q)
                )
                if fresh and not dirty:
                    results.append(
                        QuarterResult(
                            q, store.summary(q) or {}, config.output_dir / q, skipped=True
                        )
                    )
                    continue
                dirty = True
                results.append(run_quarter(config, q, store, digest, progress))
            if results and not results[-1].skipped:
                # storing a quarter drops the later ones (they build on it): say which
                results[-1].dropped_later = [
                    q for q in all_quarters if q > results[-1].quarter and q in stored
                ]
        return results
    finally:
        lock.release()


def run_quarter(
    config: Config, quarter: str, store: Store, digest: str, progress: Progress
) -> QuarterResult:
    """Read, validate, merge and report one quarter; store it in one transaction."""
    from pipeline import normalize, validate
    from pipeline.roster import build_roster, match_base_list

    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    q_end = targets.quarter_end(quarter)
    folder = config.input_dir / quarter
    files = ingest.submission_files(folder)
    progress.start_files(quarter, len(files))
    try:
        # Normalized as the files arrive: the senders' raw cells (one Python object each, a
        # gigabyte at national scale) are let go chunk by chunk instead of all being held
        # until the last file is read; the feedback workbooks reread the files.
        raw = ingest.read_quarter(
            folder,
            config,
            progress=progress.file_done,
            base_list=base_list_path(config, quarter),
            transform=functools.partial(normalize.normalize_records, quarter_end=q_end),
        )
    except ingest.IngestError as exc:  # only the base list's: a submission never raises
        raise RunError(f"企业名录无法读取：{exc}") from exc
    base = raw.base
    assert base is not None
    records = raw.records
    raw = dataclasses.replace(raw, records=records.iloc[:0])
    lap("ingest")

    progress.stage("校验")
    match = match_base_list(records, base)
    records = records.join(match)
    records["_base_scale"] = base["scale"].reindex(records["base_id"].astype("float")).values
    checked = validate.validate_records(
        records, raw.columns, config.rules, config.unit_names(), q_end
    )
    file_findings = validate.file_findings(raw)
    lap("validate")

    progress.stage("合并花名册")
    previous = _previous_roster(store, quarter)
    unit_kinds = {u.name: u.kind for u in config.units}
    file_dates = ingest.quarter_fill_dates(raw.files)
    records = checked.records
    records["problems"] = validate.problems_by_record(checked.findings, records.index)
    merged = build_roster(
        records,
        base,
        previous,
        quarter,
        unit_kinds,
        config.rules.change_registration_days,
        file_dates,
    )
    roster_findings = validate.finish_findings(merged.findings, merged.records, raw.columns)
    findings = validate.concat_findings([file_findings, checked.findings, roster_findings])
    roster = _add_roster_problems(merged.roster, roster_findings, quarter)
    lap("roster")

    progress.stage("计算聘任率")
    base_status = _base_status(base, roster)
    rates = targets.compute_rates(
        base_status,
        quarter,
        config.start,
        config.milestones,
        unit_order=[u.name for u in config.units],
    )
    summary = build_summary(
        quarter, raw, records, findings, rates, config, base, roster, merged.changes, file_dates
    )
    _check_invariants(summary, records, roster, findings)
    changes = merged.changes
    # The validated records (every column of every row read) are not needed past this point:
    # freeing them before the reports and the store lowers the run's peak memory.
    del records, checked, merged
    release_freed_memory()
    lap("rates")

    # Writing order (crash safety): every report goes to a staging folder; then the store, in
    # one transaction; then the reports move into output/<quarter>/ one rename each, and
    # run_summary.json last. Killed before the commit, the previous reports and store are
    # untouched; killed after it, the old run_summary.json no longer matches the store, so the
    # next run redoes the quarter (see _reports_complete).
    progress.stage("生成报告")
    out = config.output_dir / quarter
    staging = fresh_dir(config.output_dir / f".{quarter}.staging")
    try:
        trend = _trend(store, quarter, rates)
        previous_rates = _stored_rates(store, targets.previous_quarter(quarter))
        from pipeline.reports import build

        build.write_quarter_reports(
            config=config,
            quarter=quarter,
            out=staging,
            raw=raw,
            base=base,
            base_status=base_status,
            roster=roster,
            changes=changes,
            findings=findings,
            rates=rates,
            previous_rates=previous_rates,
            trend=trend,
            summary=summary,
            folder=folder,
        )
        _check_reports(staging, roster, findings)
        lap("reports")
        locked = first_locked(staging, out)
        if locked is not None:  # before the store changes: nothing is half done
            raise OutputError(
                f"{locked} 无法更新（可能正被 Excel/WPS 打开，或是只读文件）：请关闭该文件后"
                f"重新运行 cqo run。{quarter} 本次未作任何改动"
            )

        with store.quarter(quarter) as tx:
            tx.write("submissions", _submissions_frame(summary))
            tx.write("roster", roster)
            tx.write("changes", changes)
            tx.write("findings", findings)
            tx.write("rates", rates)
            _record_appointments(tx, changes, roster, quarter)
            _check_stored(store, quarter, summary, roster, findings, rates)
            tx.finish(digest, dt.datetime.now().isoformat(timespec="seconds"), summary)
        lap("store")
        summary["timings"] = timings
        with atomic_path(staging / SUMMARY_NAME) as tmp:
            tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
        try:
            promote(staging, out, SUMMARY_NAME, {FEEDBACK_DIR: "*.xlsx"})
        except OSError as exc:
            # os.replace names the staging file first, the report it replaces second
            where = exc.filename2 or exc.filename or exc
            raise OutputError(
                f"{quarter} 已入库，但报告无法写入 {out}（{where}；文件可能正被 Excel/WPS 打开）："
                f"{out} 中的报告现在不完整，请勿外发；关闭该文件后重新运行 cqo run"
            ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return QuarterResult(quarter, summary, out, timings=timings)


# -- helpers of run_quarter ----------------------------------------------------------------


def _previous_roster(store: Store, quarter: str) -> pd.DataFrame:
    stored = [q for q in store.quarters() if q < quarter]
    if not stored:
        return pd.DataFrame()
    # The store gives the columns back with the dtypes they were written with.
    return store.read("roster", stored[-1]).drop(columns=["quarter"], errors="ignore")


def _add_roster_problems(
    roster: pd.DataFrame, roster_findings: pd.DataFrame, quarter: str
) -> pd.DataFrame:
    """Roster-stage warnings join the 问题 text of this quarter's entries."""
    if roster_findings.empty:
        return roster
    extra = roster_findings.groupby(["_file", "_row"])["message"].agg("；".join)
    key = pd.MultiIndex.from_arrays([roster["_file"], roster["_row"]])
    add = pd.Series(extra.reindex(key).values, index=roster.index)
    this_quarter = roster["registered_quarter"].notna()  # entries carried over keep theirs
    fresh = add.notna() & this_quarter & roster["source"].notna()
    current = roster["problems"].fillna("")
    joined = (current + "；").where(current != "", "") + add.fillna("")
    roster = roster.assign(problems=roster["problems"].where(~fresh, joined))
    return roster


def _base_status(base: pd.DataFrame, roster: pd.DataFrame) -> pd.DataFrame:
    """The base list with `appointed` and `qualified` per enterprise, from the roster."""
    from pipeline.roster import ent_keys

    keys = ent_keys(base["credit_code"], base["name_key"])
    current = roster.set_index("ent_key")
    status = current["status"].reindex(keys)
    out = base.copy(deep=False)  # copy-on-write: the new columns leave `base` as it is
    out["ent_key"] = keys.values
    out["appointed"] = status.notna().values
    out["qualified"] = status.eq("合格").fillna(False).values
    out["cqo_name"] = current["cqo_name"].reindex(keys).values
    out["problems"] = current["problems"].reindex(keys).values
    return out


def _stored_rates(store: Store, quarter: str) -> pd.DataFrame:
    frame = store.read("rates", quarter)
    return frame.drop(columns=["quarter"], errors="ignore") if len(frame) else frame


def _trend(store: Store, quarter: str, rates: pd.DataFrame) -> pd.DataFrame:
    stored = store.read("rates")
    county_now = rates[rates["unit"] == targets.COUNTY].assign(quarter=quarter)
    if len(stored):
        stored = stored[(stored["unit"] == targets.COUNTY) & (stored["quarter"] < quarter)]
    trend = pd.concat([stored, county_now], ignore_index=True) if len(stored) else county_now
    keep = [
        "quarter",
        "category",
        "base",
        "appointed",
        "qualified",
        "rate",
        "target_due",
        "target_pace",
    ]
    return trend[keep].sort_values(["quarter", "category"]).reset_index(drop=True)


def _submissions_frame(summary: dict) -> pd.DataFrame:
    frame = pd.DataFrame(summary["files"])
    if frame.empty:
        return pd.DataFrame(columns=["file", "unit", "status", "error", "rows_read"])
    return frame.drop(columns=["sheets", "hidden_sheets"], errors="ignore")


def _record_appointments(tx, changes: pd.DataFrame, roster: pd.DataFrame, quarter: str) -> None:
    for kind in ("变更", "离任"):
        tx.end_appointments(changes.loc[changes["change"] == kind, "ent_key"].tolist(), kind)
    started = changes.loc[changes["change"].isin(["新增", "变更"]), "ent_key"]
    cols = ["ent_key", "enterprise_name", "cqo_name", "id_number", "status", "source"]
    tx.start_appointments(roster.loc[roster["ent_key"].isin(started).to_numpy(), cols])


def _file_timeliness(
    raw: ingest.IngestResult,
    records: pd.DataFrame,
    deadline: dt.date,
    file_dates: dict[str, dt.date],
) -> dict[str, tuple[str | None, bool, str | None]]:
    """File -> (fill date used, late?, where the date came from: "header" / "rows"). The
    title's 填报日期 first, else the latest 填写日期 of the file's rows; unknown dates are not
    judged late."""
    latest = records.groupby("_file")["fill_date_parsed"].max() if len(records) else pd.Series()
    out = {}
    for f in raw.files:
        day = file_dates.get(f.file)
        source = "header" if day else None
        if day is None and f.file in latest.index and pd.notna(latest[f.file]):
            day, source = latest[f.file].date(), "rows"
        out[f.file] = (day.isoformat() if day else None, bool(day and day > deadline), source)
    return out


def build_summary(
    quarter, raw, records, findings, rates, config, base, roster, changes, file_dates
) -> dict:
    """run_summary.json: the contract of DESIGN.md, extended with timeliness and counts."""
    rejected = records.groupby("_file")["rejected"].sum() if len(records) else pd.Series()
    deadline = targets.quarter_end(quarter) + dt.timedelta(days=config.submission_deadline_days)
    timeliness = _file_timeliness(raw, records, deadline, file_dates)
    files = []
    for f in raw.files:
        n_rej = int(rejected.get(f.file, 0))
        fill_date, late, fill_date_source = timeliness[f.file]
        files.append(
            {
                "file": f.file,
                "unit": f.unit,
                "status": f.status,
                "error": f.error,
                "rows_read": f.rows_read,
                "rows_accepted": f.rows_read - n_rej,
                "rows_rejected": n_rej,
                "sheets": [
                    {
                        "sheet": s.sheet,
                        "hidden": s.hidden,
                        "header_row": s.header_row,
                        "rows_read": s.rows_read,
                        "skipped": s.skipped,
                    }
                    for s in f.sheets
                ],
                "fill_date": fill_date,
                "fill_date_source": fill_date_source,
                "late": late,
            }
        )
    sent = {f["unit"] for f in files if f["unit"]}
    missing = [u.name for u in config.units if u.kind != "部门" and u.name not in sent]
    counts = findings["rule"].value_counts().sort_index()
    unknown = raw.unknown_headers
    return {
        "quarter": quarter,
        "files": files,
        "totals": {
            "files": len(files),
            "files_failed": sum(f["status"] == "failed" for f in files),
            "rows_read": sum(f["rows_read"] for f in files),
            "rows_accepted": sum(f["rows_accepted"] for f in files),
            "rows_rejected": sum(f["rows_rejected"] for f in files),
        },
        "issue_counts": {str(k): int(v) for k, v in counts.items()},
        "rates": [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in rates[targets.RATE_COLUMNS].to_dict("records")
        ],
        "profile": config.profile,
        "deadline": deadline.isoformat(),
        "missing_units": missing,
        "late_files": [f["file"] for f in files if f["late"]],
        "unknown_headers": unknown.drop(columns=["col"]).to_dict("records"),
        "base_enterprises": int(len(base)),
        "base_unknown_townships": _unknown_townships(base, config),
        "roster_size": int(len(roster)),
        "changes": {str(k): int(v) for k, v in changes["change"].value_counts().items()},
        "severity_counts": {str(k): int(v) for k, v in findings["severity"].value_counts().items()},
    }


def _unknown_townships(base: pd.DataFrame, config: Config) -> dict[str, int]:
    """所属乡镇 values of the base list that name no configured unit (nor an alias), with how
    many enterprises each: they count in 全县 but in no township's rate."""
    towns = base["township"].dropna().astype(str)
    towns = towns[~towns.isin(config.unit_names()) & towns.str.strip().ne("")]
    unknown = {str(k): int(v) for k, v in towns.value_counts().items()}
    if unknown:
        log.warning("base list townships not configured: %s", unknown)
    return unknown


def _check_invariants(
    summary: dict, records: pd.DataFrame, roster: pd.DataFrame, findings: pd.DataFrame
) -> None:
    """Reconciliation before anything is written, each count taken from its own source: rows
    read per file (ingest) = records of that file; rejected rows = records with an `error`
    finding, per file; read = accepted + rejected; every accepted record's enterprise is on
    the roster (or was ended by a 离任 row). Raises InvariantError."""
    problems = []
    by_file = records["_file"].value_counts(sort=False)
    is_rejected = records["rejected"].astype(bool).to_numpy()
    rejected = records.loc[is_rejected, "_file"].value_counts(sort=False)
    # (sorted distinct arrays, not Python sets: half a million records nationally)
    record_ids = pd.to_numeric(findings["record"], errors="coerce")
    error_ids = record_ids[findings["severity"].eq("error") & record_ids.ge(0)]
    if not np.array_equal(
        np.unique(error_ids.to_numpy(dtype=np.int64)),
        np.unique(records.index[is_rejected].to_numpy(dtype=np.int64)),
    ):
        problems.append("退回的行与“错误”级问题不一致")
    for f in summary["files"]:
        read = int(by_file.get(f["file"], 0))
        if f["rows_read"] != read:
            problems.append(f"{f['file']}: 读取 {f['rows_read']} 行，记录 {read} 行")
        if f["rows_rejected"] != int(rejected.get(f["file"], 0)):
            problems.append(
                f"{f['file']}: 退回 {f['rows_rejected']} 行，实有 "
                f"{int(rejected.get(f['file'], 0))} 行"
            )
        if f["rows_read"] != f["rows_accepted"] + f["rows_rejected"]:
            problems.append(f"{f['file']}: 读取 {f['rows_read']} ≠ 接收 + 退回")
    if set(by_file.index) - {f["file"] for f in summary["files"]}:
        problems.append("有记录不属于任何已读取的文件")
    t = summary["totals"]
    if t["rows_read"] != t["rows_accepted"] + t["rows_rejected"]:
        problems.append("合计：读取 ≠ 接收 + 退回")
    if t["rows_read"] != len(records):
        problems.append(f"合计读取 {t['rows_read']} ≠ 记录数 {len(records)}")
    kept = ~is_rejected & records["tenure_status"].ne("离任").to_numpy()
    keys = records.loc[kept, "ent_key"].dropna()
    missing = keys[~keys.isin(roster["ent_key"])].nunique()
    if missing:
        problems.append(f"{missing} 家企业的有效记录未进入花名册")
    if problems:
        raise InvariantError("对账失败：" + "；".join(problems))


def _check_reports(folder: Path, roster: pd.DataFrame, findings: pd.DataFrame) -> None:
    """The workbooks as written hold every roster entry and every finding (read back)."""
    problems = []
    for name, sheet, expected in (
        ("花名册.xlsx", "花名册", len(roster)),
        ("问题清单.xlsx", "问题清单", len(findings)),
    ):
        path = folder / name
        written = _data_rows(path, sheet) if path.is_file() else None
        if written != expected:
            problems.append(f"{name} 有 {written} 行，应为 {expected} 行")
    if problems:
        raise InvariantError("对账失败：" + "；".join(problems))


_READ_CHUNK = 1 << 20
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _data_rows(path: Path, sheet: str) -> int:
    """Rows under the header row of `sheet` and of its continuation parts ("花名册(2)"...),
    counted as the sheets' XML streams out of the zip. (A reader such as calamine holds the
    whole sheet in memory: ~600 MB for the 26 M cells of a national roster, at the run's
    peak.) Every row of these books, the header included, is one <row> element."""
    import posixpath
    import zipfile
    from xml.etree import ElementTree

    with zipfile.ZipFile(path) as zf:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels}
        total = 0
        for node in book.iter():
            name = node.get("name")
            if not node.tag.endswith("}sheet") or name is None:
                continue
            if name != sheet and not name.startswith(f"{sheet}("):
                continue
            target = targets.get(node.get(_REL_NS), "")
            member = target.lstrip("/") if target.startswith("/") else (
                posixpath.normpath(posixpath.join("xl", target))
            )
            rows, tail = 0, b""
            with zf.open(member) as fh:
                while chunk := fh.read(_READ_CHUNK):
                    data = tail + chunk
                    rows += data.count(b"<row ") + data.count(b"<row>")
                    # The next chunk starts after the last 4 bytes: a 5-byte tag cut by the
                    # boundary is counted there, and none fits in the 4 bytes alone.
                    tail = data[-4:]
            total += max(rows - 1, 0)
        return total


def _check_stored(
    store: Store,
    quarter: str,
    summary: dict,
    roster: pd.DataFrame,
    findings: pd.DataFrame,
    rates: pd.DataFrame,
) -> None:
    """Inside the store transaction, before the commit: what the store now holds for the
    quarter is what the reports show."""
    expected = {
        "submissions": len(summary["files"]),
        "roster": len(roster),
        "findings": len(findings),
        "rates": len(rates),
    }
    problems = []
    for table, n in expected.items():
        stored = store.count(table, quarter)
        if stored != n:
            problems.append(f"数据库 {table} 有 {stored} 行，应为 {n} 行")
    if problems:
        raise InvariantError("对账失败：" + "；".join(problems))


def _reports_complete(summary_path: Path, stored: dict | None) -> bool:
    """output/<quarter>/ was finished by the run that stored the quarter: run_summary.json
    is moved in last, so a run killed between its commit and that move leaves the previous
    summary, which differs from the stored one."""
    if stored is None or not summary_path.is_file():
        return False
    try:
        on_disk = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    on_disk.pop("timings", None)
    # Compared as JSON text: a NaN rate is equal to itself there.
    return json.dumps(on_disk, sort_keys=True) == json.dumps(stored, sort_keys=True)
