"""Check normalized records against the rule profile; turn failures into one findings table."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.config import Profile
from pipeline.fields import FIELDS
from pipeline.privacy import mask_id, mask_mobile
from schemas import models
from schemas.rules import SEVERITIES, render, severity_of, split_code

log = logging.getLogger(__name__)

FINDING_COLUMNS = (
    "rule",
    "severity",
    "field",
    "message",
    "value",
    "record",
    "_file",
    "_sheet",
    "_row",
    "_unit",
    "column",
    "col",
)
_TEXT_COLUMNS = (
    "rule",
    "severity",
    "field",
    "message",
    "value",
    "_file",
    "_sheet",
    "_unit",
    "column",
)


def _mask_mobiles_in(values: pd.Series) -> pd.Series:
    """A 联系电话 cell keeps its office number; a mobile number in it is masked."""
    return values.str.replace(r"(1[3-9]\d)\d{4}(\d{4})", r"\1****\2", regex=True)


# Personal values are masked in findings (they leave the office in feedback workbooks).
_MASKS = {"id_number": mask_id, "mobile": mask_mobile, "phone": _mask_mobiles_in}
_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_SORT = ["_unit", "_file", "_sheet", "_row", "col"]


@dataclass
class Validation:
    """Records with `id_number` (15-digit IDs as 18), `id_number_raw`, `rejected` and
    `qualified` added; and their findings (docs/frames.md §4)."""

    records: pd.DataFrame
    findings: pd.DataFrame


def validate_records(
    records: pd.DataFrame,
    columns: pd.DataFrame,
    profile: Profile,
    unit_names: list[str],
    quarter_end: dt.date,
) -> Validation:
    """Run every record rule of `profile` (one lazy pandera schema) over normalized records.

    `columns` (ingest: _file, _sheet, field, col, header) places each finding in the sender's
    column. Emits: required, unknown_unit, id_format, id_checksum, id_precision_lost,
    id_old_15_digit, id_birthdate_mismatch, id_gender_mismatch, id_region_unknown,
    birth_date_implausible, credit_code_checksum, mobile_format, phone_format, email_format,
    postcode_format, date_format, education_unknown, education_in_progress, education_below_min,
    quality_years_format, quality_years_below_min, quality_years_approx, training_missing,
    pledge_missing, annual_report_missing (when the profile requires them),
    duplicate_in_submission, cqo_multiple_enterprises.
    """
    facts = models.derive_facts(records, profile, unit_names, quarter_end)
    schema = models.build_schema(profile, facts)
    failed = models.failures(schema, facts[[*FIELDS, models.ROW]])
    checks = {(rc.check, rc.column): rc for rc in models.rule_checks(profile)}

    parts = []
    for (check, column), group in failed.groupby(["check", "column"], sort=False):
        rc = checks[(check, column)]
        rows = pd.Index(group["record"].unique())
        field = None if column == models.ROW else column
        source = rc.value or field
        value = (
            _text(facts.loc[rows, source]) if source else pd.Series(pd.NA, index=rows, dtype="str")
        )
        params = {name: _text(facts.loc[rows, col]) for name, col in rc.params.items()}
        shown = _MASKS[field](value) if field in _MASKS else value
        parts.append(
            pd.DataFrame(
                {
                    "rule": split_code(check)[0],
                    "severity": severity_of(check),
                    "field": field,
                    "message": render(check, shown, label=FIELDS.get(field or ""), **params),
                    "value": shown,
                    "record": rows,
                },
                index=rows,
            )
        )
    findings = _place(_concat(parts), facts, columns)

    out = records.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    out["id_number_raw"] = facts["id_number"]
    out["id_number"] = facts["_id18"]
    errors = findings.loc[findings["severity"].eq("error"), "record"]
    failing = findings.loc[findings["severity"].isin(["error", "noncompliant"]), "record"]
    out["rejected"] = out.index.isin(errors)
    out["qualified"] = ~out.index.isin(failing)
    log.info(
        "validated %d records: %d findings, %d rejected",
        len(out),
        len(findings),
        int(out["rejected"].sum()),
    )
    return Validation(records=out, findings=findings)


# -- findings of other stages ----------------------------------------------------------------


def finish_findings(
    raw: pd.DataFrame, records: pd.DataFrame, columns: pd.DataFrame
) -> pd.DataFrame:
    """Complete findings of a later stage (roster): `raw` has record, rule ("code" or
    "code:variant"), field, value, and one column per message parameter. Adds severity and
    message, masks personal values, adds provenance from `records` and the sender's column."""
    if raw is None or raw.empty:
        return empty_findings()
    parts = []
    params = [c for c in raw.columns if c not in ("record", "rule", "field", "value")]
    for (check, field), group in raw.groupby(["rule", "field"], sort=False, dropna=False):
        field = None if pd.isna(field) or field == "" else str(field)
        value = _text(group["value"])
        shown = _MASKS[field](value) if field in _MASKS else value
        texts = {p: _text(group[p]) for p in params}
        parts.append(
            pd.DataFrame(
                {
                    "rule": split_code(str(check))[0],
                    "severity": severity_of(str(check)),
                    "field": field,
                    "message": render(str(check), shown, label=FIELDS.get(field or ""), **texts),
                    "value": shown,
                    "record": group["record"].astype("int64"),
                }
            )
        )
    return _place(_concat(parts), records, columns)


_REREAD_ADVICE = "确认文件未加密、未损坏，用 Excel 或 WPS 另存为 .xlsx 后重新报送"


def file_findings(raw) -> pd.DataFrame:
    """File-level findings of an ingest result (`pipeline.ingest.IngestResult`):
    file_unreadable (a failed file), header_not_found (a sheet with content but no header:
    an error when no sheet of the file was read, else a warning), unknown_header,
    hidden_sheet_read (a hidden sheet's rows were read: say so, they may be stale)."""
    rows: list[dict] = []
    for report in getattr(raw, "files", []):
        if report.status == "failed":
            # most reasons already say what to do ("…；请取消密码后重新报送"): said once
            reason, _, advice = (report.error or "").rstrip("。；;. ").partition("；请")
            advice = advice or _REREAD_ADVICE
            rows.append(
                _file_row(
                    "file_unreadable", report.file, report.unit, value=reason, advice=advice
                )
            )
            continue
        read_any = any(s.header_row is not None for s in report.sheets)
        for sheet in report.sheets:
            if sheet.hidden and sheet.rows_read:
                rows.append(
                    _file_row("hidden_sheet_read", report.file, report.unit, sheet=sheet.sheet,
                              value=sheet.sheet, rows=str(sheet.rows_read))
                )
            if sheet.skipped == "未找到表头":
                check = "header_not_found:extra_sheet" if read_any else "header_not_found"
                rows.append(
                    _file_row(check, report.file, report.unit, sheet=sheet.sheet, value=sheet.sheet)
                )
    # One unit, several files with rows (a corrected copy beside the original, "- 副本"):
    # every file is read, so say so on each.
    by_unit: dict[str, list[str]] = {}
    for report in getattr(raw, "files", []):
        if report.status != "failed" and report.unit and report.rows_read:
            by_unit.setdefault(report.unit, []).append(report.file)
    for unit, files in by_unit.items():
        if len(files) > 1:
            for file in files:
                rows.append(
                    _file_row("unit_multiple_files", file, unit, value=file,
                              count=str(len(files)), files="、".join(files))
                )  # fmt: skip
    units = {r.file: r.unit for r in getattr(raw, "files", [])}
    unknown = getattr(raw, "unknown_headers", None)
    if unknown is not None:
        for file, sheet, col, header in zip(
            unknown["_file"], unknown["_sheet"], unknown["col"], unknown["header"], strict=True
        ):
            rows.append(
                _file_row(
                    "unknown_header",
                    file,
                    units.get(file),
                    sheet=sheet,
                    value=str(header),
                    column=str(header),
                    col=int(col),
                )
            )
    if not rows:
        return empty_findings()
    return _conform(pd.DataFrame(rows))


def _file_row(
    check: str,
    file: str,
    unit: str | None,
    *,
    sheet: str | None = None,
    value: str | None = None,
    column: str | None = None,
    col: int | None = None,
    **params: str,
) -> dict:
    return {
        "rule": split_code(check)[0],
        "severity": severity_of(check),
        "field": None,
        "message": render(check, value, **params),
        "value": value,
        "record": -1,
        "_file": file,
        "_sheet": sheet,
        "_row": pd.NA,
        "_unit": unit,
        "column": column,
        "col": pd.NA if col is None else col,
    }


def concat_findings(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """One findings table from several, sorted by unit, file, sheet, row and column."""
    return _sorted(_conform(_concat([_conform(f) for f in frames if f is not None and len(f)])))


def problems_by_record(findings: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Per record of `index`: its findings' messages, worst first, joined by "；" (NaN: none)."""
    mine = findings[findings["record"].isin(index)]
    if mine.empty:
        return pd.Series(pd.NA, index=index, dtype="str", name="problems")
    rank = mine["severity"].map(_SEVERITY_RANK)
    ordered = mine.assign(_rank=rank).sort_values(["record", "_rank", "col"], kind="stable")
    # One join per record over plain lists: groupby().agg(str.join) slices a Series per
    # group, tens of thousands of times at national scale.
    records = ordered["record"].to_numpy()
    messages = ordered["message"].astype("str").fillna("").tolist()
    starts = np.flatnonzero(np.r_[True, records[1:] != records[:-1]])
    stops = [*starts[1:].tolist(), len(records)]
    joined = pd.Series(
        ["；".join(messages[a:b]) for a, b in zip(starts.tolist(), stops, strict=True)],
        index=records[starts],
        dtype="str",
    )
    return joined.reindex(index).astype("str").rename("problems")


def empty_findings() -> pd.DataFrame:
    return _conform(pd.DataFrame(columns=list(FINDING_COLUMNS)))


# -- helpers ---------------------------------------------------------------------------------


def _text(values: pd.Series) -> pd.Series:
    """Display text of a column: dates as YYYY-MM-DD, whole floats without ".0"."""
    if values.dtype == "str":
        return values
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype("object").astype("str").where(values.notna())
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").astype("str")
    if pd.api.types.is_float_dtype(values):
        return values.map("{:g}".format, na_action="ignore").astype("str")
    return values.astype("str").where(values.notna())


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["rule", "severity", "field", "message", "value", "record"])
    return pd.concat(parts, ignore_index=True)


def _place(found: pd.DataFrame, records: pd.DataFrame, columns: pd.DataFrame) -> pd.DataFrame:
    """Add provenance (from the records) and the sender's column header and index."""
    if found.empty:
        return empty_findings()
    record = found["record"].to_numpy()
    for name in ("_file", "_sheet", "_row", "_unit"):
        source = records[name] if name in records else pd.Series(pd.NA, index=records.index)
        found[name] = source.reindex(record).to_numpy()
    header, col = _lookup_columns(found, columns, found["field"])
    contact = found["rule"].eq("required") & found["field"].eq("mobile") & col.isna()
    if contact.any():  # no 手机 column: point at 联系电话
        alt_header, alt_col = _lookup_columns(found, columns, found["field"].mask(contact, "phone"))
        header = header.mask(contact, alt_header)
        col = col.mask(contact, alt_col)
    found["column"] = header.to_numpy()
    found["col"] = col.to_numpy()
    return _sorted(_conform(found))


def _lookup_columns(
    found: pd.DataFrame, columns: pd.DataFrame, field: pd.Series
) -> tuple[pd.Series, pd.Series]:
    keys = ["_file", "_sheet", "field"]
    if columns is None or columns.empty:
        missing = pd.Series(pd.NA, index=found.index)
        return missing.astype("str"), missing.astype("Int64")
    table = columns.drop_duplicates(keys).set_index(keys)
    where = pd.MultiIndex.from_arrays(
        [found["_file"].to_numpy(), found["_sheet"].to_numpy(), field.to_numpy()]
    )
    header = pd.Series(table["header"].reindex(where).to_numpy(), index=found.index)
    col = pd.Series(table["col"].reindex(where).to_numpy(), index=found.index)
    return header.astype("str").where(header.notna()), col.astype("Int64")


def _conform(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reindex(columns=list(FINDING_COLUMNS))
    for name in _TEXT_COLUMNS:
        values = out[name]
        out[name] = values.astype("str").where(values.notna()) if values.dtype != "str" else values
    out["record"] = pd.to_numeric(out["record"]).fillna(-1).astype("int64")
    out["_row"] = pd.to_numeric(out["_row"]).astype("Int64")
    out["col"] = pd.to_numeric(out["col"]).astype("Int64")
    return out


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame.reset_index(drop=True)
    rank = frame["severity"].map(_SEVERITY_RANK).fillna(len(SEVERITIES))
    ordered = frame.assign(_rank=rank.to_numpy(np.int64)).sort_values(
        [*_SORT, "_rank", "rule"], kind="stable", na_position="last"
    )
    return ordered.drop(columns="_rank").reset_index(drop=True)
