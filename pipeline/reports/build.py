"""Write every document of one quarter into output/<quarter>/ from the stages' frames."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pandas as pd

from pipeline import targets
from pipeline.memory import release_freed_memory
from pipeline.privacy import mask_id, mask_mobile
from pipeline.reports.context import ReportContext

log = logging.getLogger(__name__)


def lagging_enterprises(base_status: pd.DataFrame, roster: pd.DataFrame) -> pd.DataFrame:
    """Base enterprises without a qualified CQO, with the reason in Chinese (masked data)."""
    lag = base_status[~base_status["qualified"]].copy()
    current = roster.set_index("ent_key")
    reason = pd.Series("未报送首席质量官", index=lag.index, dtype="str")
    appointed = lag["appointed"]
    problems = lag["problems"].fillna("").astype("str")
    reason[appointed] = ("不合格：" + problems[appointed]).str.rstrip("：")
    lag["reason"] = reason
    lag["id_number"] = mask_id(current["id_number"].reindex(lag["ent_key"])).values
    lag["mobile"] = mask_mobile(current["mobile"].reindex(lag["ent_key"])).values
    cols = [
        "enterprise_name",
        "credit_code",
        "township",
        "department",
        "category",
        "reason",
        "cqo_name",
        "id_number",
        "mobile",
    ]
    return lag[cols].sort_values(["category", "township", "enterprise_name"]).reset_index(drop=True)


def with_credit_codes(
    changes: pd.DataFrame, roster: pd.DataFrame, base_status: pd.DataFrame
) -> pd.DataFrame:
    """The change list with each enterprise's credit code: the base list's, else the one its
    unit reported (an enterprise that left the roster is still in the base list)."""
    if changes is None or "ent_key" not in changes.columns:
        return changes
    codes = pd.Series(None, index=changes.index, dtype="object")
    keys = changes["ent_key"].to_numpy(dtype=object)
    for frame in (base_status, roster):
        if frame is None or not {"ent_key", "credit_code"} <= set(frame.columns):
            continue
        known = frame.loc[frame["credit_code"].notna(), ["ent_key", "credit_code"]]
        known = known.drop_duplicates("ent_key", keep="last")
        if known.empty:
            continue
        # a hash lookup in C per key (a national change list is half a million rows)
        pos = pd.Index(known["ent_key"].to_numpy(dtype=object)).get_indexer(keys)
        found = known["credit_code"].to_numpy(dtype=object)[pos]
        found[pos < 0] = None
        codes = codes.fillna(pd.Series(found, index=changes.index, dtype="object"))
    return changes.assign(credit_code=codes)


def issue_summary(findings: pd.DataFrame) -> pd.DataFrame:
    from schemas.rules import rule_label

    if findings.empty:
        return pd.DataFrame(columns=["rule", "severity", "count", "message"])
    counts = (
        findings.groupby(["rule", "severity"])
        .size()
        .rename("count")
        .reset_index()
        .sort_values("count", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    counts["message"] = counts["rule"].map(rule_label)
    return counts


SUBMISSION_COLUMNS = ["unit", "file", "status", "rows_read", "rows_accepted", "rows_rejected",
                      "fill_date", "fill_date_source", "late"]


def submissions_frame(summary: dict) -> pd.DataFrame:
    files = pd.DataFrame(summary["files"])
    if files.empty:
        return pd.DataFrame(columns=SUBMISSION_COLUMNS)
    files["fill_date"] = pd.to_datetime(files["fill_date"], errors="coerce")
    return files.reindex(columns=SUBMISSION_COLUMNS)  # (a summary stored before a column)


def write_quarter_reports(
    *,
    config,
    quarter,
    out: Path,
    raw,
    base,
    base_status,
    roster,
    changes,
    findings,
    rates,
    previous_rates,
    trend,
    summary,
    folder: Path,
) -> dict:
    """Write 花名册, 问题清单, charts, 目标差距报告, 督查报告 and 退回修改/<unit>.xlsx."""
    from pipeline.reports import feedback

    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    # Feedback first: with many units it is written by worker processes while this process
    # writes the other documents (it is most of the work at a province's scale).
    sources: dict[str, dict[str, Path]] = {}
    for f in raw.files:
        if f.status != "ok":
            continue
        sources.setdefault(f.unit or "", {})[f.file] = folder / f.file
    feedback_dir = out / "退回修改"
    _clear_stale(feedback_dir)
    pending = feedback.start_all_feedback(
        feedback_dir, findings, sources, raw.header_rows(), config.limits,
        personal=raw.personal_columns(),
    )  # fmt: skip
    try:
        _write_documents(written, config, quarter, out, base_status, roster, changes, findings,
                         rates, previous_rates, trend, summary)
    except BaseException:
        pending.cancel()
        raise
    written.update({f"feedback:{u}": p for u, p in pending.result().items()})
    return written


def _write_documents(written, config, quarter, out, base_status, roster, changes, findings,
                     rates, previous_rates, trend, summary) -> None:
    """花名册, 问题清单, charts, 目标差距报告 and 督查报告 (into `written`)."""
    from pipeline.reports import charts, docx, excel, roster_book

    without = base_status[~base_status["appointed"]][
        ["enterprise_name", "credit_code", "township", "department", "category"]
    ]
    written["roster"] = roster_book.write_roster(
        out / "花名册.xlsx", roster, with_credit_codes(changes, roster, base_status), without
    )
    written["issues"] = roster_book.write_issues(out / "问题清单.xlsx", findings)
    release_freed_memory()  # the books' cell lists (a national roster: ~200 MB)

    charts.setup_fonts(config.fonts)
    figs = charts.build_charts(rates, trend, quarter)
    saved = charts.save_figures(figs, out / "charts")
    chart_paths = {_chart_key(name): path for name, path in saved.items()}

    q_end = targets.quarter_end(quarter)
    ctx = ReportContext(
        county=config.county,
        quarter=quarter,
        quarter_end=q_end,
        deadline=q_end + dt.timedelta(days=config.submission_deadline_days),
        generated=dt.date.today(),
        profile_name=config.profile,
        rates=rates,
        previous_rates=previous_rates,
        trend=trend,
        lagging=lagging_enterprises(base_status, roster),
        submissions=submissions_frame(summary),
        missing_units=summary["missing_units"],
        issue_counts=summary["issue_counts"],
        issue_summary=issue_summary(findings),
        chart_paths=chart_paths,
    )
    written["gap"] = excel.write_gap_report(out / "目标差距报告.xlsx", ctx)
    written["docx"] = docx.write_supervision_report(out / "督查报告.docx", ctx)


def _chart_key(stem: str) -> str:
    """File stems (聘任率_规上, 差距_规上, 聘任率趋势) to the report's keys (rate_规上, ...)."""
    if stem == "聘任率趋势":
        return "trend"
    kind, _, category = stem.partition("_")
    return {"聘任率": "rate", "差距": "gap"}.get(kind, kind) + "_" + category


def _clear_stale(folder: Path) -> None:
    """Feedback of an earlier run of this quarter for a unit that now has no findings."""
    if folder.is_dir():
        for old in folder.glob("*.xlsx"):
            old.unlink()
