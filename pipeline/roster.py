"""The master roster: match records to the base list, merge units, apply the quarter's
accepted rows to the previous roster, and detect changes (新增 / 变更 / 离任)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.fields import FIELDS

# Canonical and derived columns kept for each roster entry (docs/frames.md §5).
ROSTER_COLUMNS = [
    "ent_key",
    *FIELDS,
    "id_number_raw",
    "education_level",
    "title_level",
    "quality_years_value",
    "birth_date_parsed",
    "appointment_date_parsed",
    "fill_date_parsed",
    "name_key",
    "base_name",
    "category",
    "department",
    "in_base",
    "status",
    "problems",
    "source",
    "registered_quarter",
    "_unit",
    "_file",
    "_sheet",
    "_row",
]
CHANGE_COLUMNS = [
    "ent_key",
    "enterprise_name",
    "change",
    "old_cqo",
    "new_cqo",
    "unit",
    "source",
    "appointment_date",
    "fill_date",
    "days_to_register",
]
# Fields that tell whether two rows describe the same appointment. Contact details are left
# out: a department's list with a 手机 column and a township's with only 联系方式 still agree.
_SIGNATURE = ["cqo_name", "id_number", "education_level", "quality_years_value", "tenure_status"]
# What build_roster reads of a record (besides `rejected` and `suggestion`).
_ROSTER_INPUT = {
    *ROSTER_COLUMNS,
    *_SIGNATURE,
    "base_id",
    "qualified",
    "appointment_date_parsed",
    "fill_date_parsed",
    "appointment_date",
    "fill_date",
}


@dataclass(frozen=True)
class RosterResult:
    roster: pd.DataFrame  # one row per enterprise with a current CQO, as of the quarter
    changes: pd.DataFrame  # CHANGE_COLUMNS
    findings: pd.DataFrame  # raw findings: record, rule, field, value, params (dict)
    records: pd.DataFrame  # input records + ent_key, base_id, winner


# -- matching ------------------------------------------------------------------------------


def match_base_list(records: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """base_id, ent_key and a near-miss suggestion for every record.

    Credit code first (an exact code of the base list), then the normalized name. A name that
    matches nothing but resembles a base enterprise names it in `suggestion` (rapidfuzz).
    """
    out = pd.DataFrame(index=records.index)
    by_code = _lookup(base["credit_code"], records["credit_code"])
    by_name = _lookup(base["name_key"], records["name_key"])
    ids = np.where(by_code >= 0, by_code, by_name)
    out["base_id"] = pd.arrays.IntegerArray(ids, ids < 0)
    matched = out["base_id"].notna()
    base_key = ent_keys(base["credit_code"], base["name_key"])
    own_key = ent_keys(
        records["credit_code"].where(records["credit_code"].str.len() == 18), records["name_key"]
    )
    out["ent_key"] = own_key
    out.loc[matched, "ent_key"] = base_key.reindex(out.loc[matched, "base_id"].astype(int)).values
    out["suggestion"] = pd.Series(pd.NA, index=records.index, dtype="str")
    unmatched = ~matched & records["name_key"].notna()
    if unmatched.any() and len(base):
        out.loc[unmatched, "suggestion"] = _suggestions(records.loc[unmatched], base)
    return out


def _suggestions(unmatched: pd.DataFrame, base: pd.DataFrame) -> pd.Series:
    """For each unmatched record, the base enterprise whose name resembles its name (fuzz.ratio
    ≥ 80), else NA. The sender's own township is searched first: a township reports its own
    enterprises, and a near name elsewhere in a province's list is rarely the one it meant
    (and a few hundred names are scored instead of half a million). Names with no near miss
    there (and a department's, which has no township) are scored against the whole list."""
    from rapidfuzz import fuzz, process

    keys = base["name_key"].to_numpy(dtype=object)
    names = base["enterprise_name"].to_numpy(dtype=object)
    found: dict[tuple[object, str], str] = {}
    if "_unit" in unmatched and "township" in base:
        towns = pd.Series(np.arange(len(base)), index=base["township"].to_numpy(dtype=object))
        towns = towns[towns.index.notna()].groupby(level=0).agg(list).to_dict()
        pairs = unmatched[["_unit", "name_key"]].drop_duplicates()
        for unit, name in zip(pairs["_unit"].tolist(), pairs["name_key"].tolist(), strict=True):
            local = towns.get(unit)
            if not local:
                continue
            choices = [k if isinstance(k, str) else "" for k in keys[local]]
            hit = process.extractOne(name, choices, scorer=fuzz.ratio, score_cutoff=80)
            if hit is not None:
                found[(unit, name)] = names[local[hit[2]]]
    units = (
        unmatched["_unit"].tolist() if "_unit" in unmatched else [None] * len(unmatched)
    )
    pair_keys = list(zip(units, unmatched["name_key"].tolist(), strict=True))
    rest = list(dict.fromkeys(n for u, n in pair_keys if (u, n) not in found))
    choices = base["name_key"].tolist()
    best: dict[str, str] = {}
    if len(rest) * len(choices) <= _BRUTE_FORCE_PAIRS:
        for name in rest:  # unique unmatched names only: few, and rapidfuzz is C code
            hit = process.extractOne(name, choices, scorer=fuzz.ratio, score_cutoff=80)
            if hit is not None:
                best[name] = names[hit[2]]
    else:  # a national base list: score only the names that can reach the cutoff
        for name, pos in _near_misses(rest, choices).items():
            best[name] = names[pos]
    values = [found.get((u, n), best.get(n)) for u, n in pair_keys]
    return pd.Series(values, index=unmatched.index, dtype="str")


# Below this many (name, base name) pairs every base name is scored (a county: instant).
_BRUTE_FORCE_PAIRS = 2_000_000
# Index lists up to this long are cheap to merge when looking for candidates (see _near_misses).
_CHEAP_POSTING = 100_000


def _near_misses(names: Iterable[str], choices: list[object], cutoff: float = 80) -> dict[str, int]:
    """For each name, the position in `choices` of its best fuzz.ratio match scoring at least
    `cutoff`: what process.extractOne over all the choices returns (same score, and the same
    first position on a tie), found without scoring every choice.

    fuzz.ratio is 200·LCS/(L1+L2) and the longest common subsequence is at most the number of
    characters the two strings share, S. A score of 80 needs LCS ≥ 0.4·(L1+L2) and LCS ≤ L2,
    so L2 within [2/3, 3/2]·L1 and S ≥ t = ⌈2·L1/3⌉. Order the name's L1 characters by how
    many choices hold them (rarest first) and take the first L1 - t + k: a choice holding
    fewer than k of them shares at most t - 1 characters. Only choices holding k of them, of a
    fitting length, are scored. (The bounds are exact: a float score that passes 80 is a
    fraction 200·LCS/(L1+L2) of small terms, so it is truly ≥ 80.)
    """
    from rapidfuzz import fuzz, process

    positions = np.array([i for i, c in enumerate(choices) if isinstance(c, str) and c], np.int64)
    texts = [choices[i] for i in positions]
    lengths = np.zeros(len(choices), dtype=np.int64)
    lengths[positions] = [len(t) for t in texts]
    # (character, choice) pairs, each once, grouped by character: an inverted index
    chars = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    owner = np.repeat(positions, lengths[positions])
    pairs = np.sort(chars.astype(np.int64) * len(choices) + owner)
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]  # np.unique: slow here
    pair_char = pairs // len(choices)
    cuts = np.flatnonzero(np.diff(pair_char)) + 1
    starts = np.concatenate(([0], cuts))
    stops = np.concatenate((cuts, [len(pairs)]))
    owners = pairs % len(choices)
    index = {int(pair_char[a]): owners[a:b] for a, b in zip(starts, stops, strict=True)}
    empty = np.zeros(0, dtype=np.int64)
    texts_by_pos = np.array(choices, dtype=object)

    held = np.zeros(len(choices), dtype=np.uint8)  # per choice: how many chosen lists hold it
    found: dict[str, int] = {}
    for name in names:
        n = len(name)
        if not n:
            continue
        need = -(-2 * n // 3)  # t
        lists = sorted((index.get(ord(ch), empty) for ch in name), key=len)
        first = n - need + 1  # k = 1: a choice must hold one of these
        take = first
        while take < min(n, 255) and len(lists[take]) <= _CHEAP_POSTING:
            take += 1  # with more lists, a choice must hold k = take - first + 1 of them
        if take == first:
            every = np.sort(np.concatenate(lists[:take]))
            cand = every[np.concatenate(([True], every[1:] != every[:-1]))] if len(every) else every
        else:
            for ids in lists[:take]:
                held[ids] += 1  # a list holds each choice once: no repeated index
            cand = np.flatnonzero(held >= take - first + 1)
            # with its own length: shared ≤ held + (n - take) must reach 0.4·(n + L2)
            shared = held[cand].astype(np.int64) + (n - take)
            held[:] = 0
            cand = cand[5 * shared >= 2 * (n + lengths[cand])]
        size = lengths[cand]
        cand = cand[(3 * size >= 2 * n) & (2 * size <= 3 * n)]
        if not len(cand):
            continue
        hit = process.extractOne(
            name, texts_by_pos[cand].tolist(), scorer=fuzz.ratio, score_cutoff=cutoff
        )
        if hit is not None:
            found[name] = int(cand[hit[2]])
    return found


def _lookup(keys: pd.Series, wanted: pd.Series) -> np.ndarray:
    """For each wanted value, the index label of its first occurrence in `keys`, or -1 (also
    for a missing value). One hash lookup per value in C (Index.get_indexer), where a dict
    and Series.map would build Python objects for every key."""
    valid = keys.dropna()
    valid = valid[~valid.duplicated()]
    pos = pd.Index(valid.to_numpy(dtype=object)).get_indexer(wanted.to_numpy(dtype=object))
    labels = valid.index.to_numpy(dtype=np.int64)
    found = pos >= 0
    pos[~found] = 0
    out = labels[pos] if len(labels) else np.zeros(len(pos), dtype=np.int64)
    out[~found | pd.isna(wanted.to_numpy(dtype=object))] = -1
    return out


def ent_keys(codes: pd.Series, names: pd.Series) -> pd.Series:
    """Stable enterprise key: the credit code when known, else the normalized name."""
    return ("U:" + codes).where(codes.notna(), "N:" + names)


# -- merging -------------------------------------------------------------------------------


def build_roster(
    records: pd.DataFrame,
    base: pd.DataFrame,
    previous: pd.DataFrame,
    quarter: str,
    unit_kinds: dict[str, str],
    change_days: int,
    file_dates: dict[str, dt.date] | None = None,
) -> RosterResult:
    """Apply one quarter's validated records to the previous roster.

    `records`: validated records (docs/frames.md §2 plus `rejected`, `qualified`, `problems`,
    and the columns of match_base_list when already matched).
    Rejected rows change nothing. Emits `not_in_base_list`, `conflicting_submissions`,
    `change_registration_late` (warnings).
    """
    recs = records if "ent_key" in records else records.join(match_base_list(records, base))
    findings: list[pd.DataFrame] = []

    not_in_base = recs["base_id"].isna() & recs["enterprise_name"].notna()
    if not_in_base.any():
        findings.append(
            _raw_findings(
                recs[not_in_base],
                "not_in_base_list",
                "enterprise_name",
                recs.loc[not_in_base, "enterprise_name"],
                suggestion=recs.loc[not_in_base, "suggestion"],
            )
        )

    # Only the columns the roster and its checks use: a national quarter's records have some
    # ninety, and every filtered copy of them is 8 bytes a cell.
    accepted = recs.loc[~recs["rejected"].to_numpy(), [c for c in recs if c in _ROSTER_INPUT]]
    departments = [u for u, kind in unit_kinds.items() if kind == "部门"]
    accepted["_kind_rank"] = accepted["_unit"].isin(departments).to_numpy().astype(np.int8)
    winners, conflict_rows = _pick_winners(accepted)
    if len(conflict_rows):
        conflicted = accepted.loc[conflict_rows]
        by_key = winners.set_index("ent_key")
        winner_unit = conflicted["ent_key"].map(by_key["_unit"])
        same_unit = (winner_unit == conflicted["_unit"]).fillna(False).to_numpy(dtype=bool)
        findings.append(
            _raw_findings(
                conflicted,
                np.where(
                    same_unit, "conflicting_submissions:same_unit", "conflicting_submissions"
                ),
                "cqo_name",
                conflicted["cqo_name"],
                winner=winner_unit,
                winner_file=conflicted["ent_key"].map(by_key["_file"]),
            )
        )

    del accepted  # every accepted row's columns: the largest frame here
    previous = previous if len(previous) else pd.DataFrame(columns=ROSTER_COLUMNS)
    prev = previous.set_index("ent_key", drop=False)
    leaving = winners["tenure_status"].eq("离任")
    staying = winners[~leaving] if leaving.any() else winners
    left = winners[leaving & winners["ent_key"].isin(prev.index)]
    winner_keys, winner_rows = winners["ent_key"], winners.index
    del winners

    was = prev.reindex(staying["ent_key"])
    new_person = _person(staying).values != _person(was).values
    is_new = ~staying["ent_key"].isin(prev.index).values
    is_change = new_person & ~is_new

    fill = staying["fill_date_parsed"]
    if file_dates:
        title = pd.to_datetime(staying["_file"].map(file_dates))
        fill = fill.where(fill.notna(), title)
    days = (fill - staying["appointment_date_parsed"]).dt.days
    late = is_change & (days > change_days).fillna(False).values
    if late.any():
        late_rows = staying[late]
        findings.append(
            _raw_findings(
                late_rows,
                "change_registration_late",
                "fill_date",
                days[late].astype("Int64").astype("str"),
                days=days[late].astype("Int64"),
                limit=change_days,
            )
        )

    entries = _entries(staying, base, quarter)
    entries["registered_quarter"] = quarter
    keep_quarter = ~new_person & ~is_new
    entries.loc[keep_quarter, "registered_quarter"] = was["registered_quarter"].values[keep_quarter]
    untouched = prev[~prev.index.isin(winner_keys)]
    roster = entries.reindex(columns=ROSTER_COLUMNS)
    if len(untouched):  # (concat with an empty object frame would turn dates into objects)
        roster = pd.concat([untouched.reset_index(drop=True), roster], ignore_index=True)
    roster = roster.take(_sort_order(roster["_unit"], roster["enterprise_name"]))
    roster = roster.reset_index(drop=True)

    findings.append(_held_elsewhere(staying, untouched))
    changes = _changes(staying, was, is_new, is_change, days, left, prev)
    raw = (
        pd.concat(findings, ignore_index=True)
        if findings
        else _raw_findings(recs.iloc[:0], "", "", recs["enterprise_name"].iloc[:0])
    )
    recs["winner"] = recs.index.isin(winner_rows)
    return RosterResult(roster=roster, changes=changes, findings=raw, records=recs)


def _held_elsewhere(staying: pd.DataFrame, untouched: pd.DataFrame) -> pd.DataFrame:
    """cqo_multiple_enterprises against the roster: this quarter's CQO is still the current
    CQO of another enterprise registered in an earlier quarter (the validator only sees the
    quarter's own rows)."""
    ids = untouched["id_number"].dropna()
    held = untouched.loc[ids.index].groupby("id_number")["enterprise_name"].agg("、".join)
    hit = staying["id_number"].isin(held.index)
    rows = staying[hit]
    return _raw_findings(
        rows,
        "cqo_multiple_enterprises:roster",
        "id_number",
        rows["id_number"],
        others=rows["id_number"].map(held),
    )


def _pick_winners(accepted: pd.DataFrame) -> tuple[pd.DataFrame, pd.Index]:
    """One row per enterprise. A row in office (在任) wins over a 离任 row of the same
    enterprise: "张伟 离任, 李娜 在任" is how a clerk writes a change, in either order and
    whatever the dates. Among the rest, the later appointment when every copy is dated and
    they differ, else the township's (or park's) row, else the first; identical copies merge
    silently. Copies in office that differ are a conflict (a 离任 row beside them is not)."""
    if accepted.empty:
        return accepted, accepted.index
    same = accepted[_SIGNATURE].assign(
        tenure_status=accepted["tenure_status"].fillna("在任")  # empty means 在任
    )
    leaving = same["tenure_status"].eq("离任").to_numpy(dtype=bool)
    sig = _row_codes(same.astype("str").fillna("")).to_numpy()
    # Integer group codes (sorted like the keys): grouping and sorting on the key strings
    # themselves sorts half a million texts several times over at national scale.
    group = pd.factorize(accepted["ent_key"].to_numpy(), sort=True)[0]
    active_sig = pd.Series(np.where(leaving, np.nan, sig.astype(np.float64)))
    n_sigs = active_sig.groupby(group).transform("nunique").to_numpy()
    conflict = accepted.index[(n_sigs > 1) & ~leaving]
    dated = accepted["appointment_date_parsed"].notna().to_numpy()
    # (a 离任 row never competes with a row in office: its date does not count)
    all_dated = pd.Series(dated | leaving).groupby(group).transform("all").to_numpy()
    sort_date = accepted["appointment_date_parsed"].where(all_dated)
    # newest first; undated last: the day number negated, NaT as +inf
    newest = -sort_date.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
    newest[np.isnat(sort_date.to_numpy(dtype="datetime64[ns]"))] = np.inf
    # last key first: enterprise, then in office before 离任, then newest, then township
    order = np.lexsort((accepted["_kind_rank"].to_numpy(), newest, leaving, group))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    winners = accepted.iloc[order[first]]
    return winners, conflict


def _sort_order(*keys: pd.Series) -> np.ndarray:
    """Positions that sort the rows by the keys (text, missing last), stable: each key is
    factorized once with its distinct values sorted, then the integer codes are sorted."""
    codes = []
    for key in reversed(keys):  # np.lexsort: the last key is the primary one
        c = pd.factorize(key.to_numpy(), sort=True)[0].astype(np.int64)
        c[c < 0] = np.iinfo(np.int64).max  # missing last, as sort_values puts NaN
        codes.append(c)
    return np.lexsort(codes) if codes else np.arange(0)


def _row_codes(frame: pd.DataFrame) -> pd.Series:
    """One int per row, equal exactly when the rows' values are equal column by column (the
    vectorized form of joining each row's texts into one key)."""
    code = np.zeros(len(frame), dtype=np.int64)
    for name in frame.columns:
        values = pd.factorize(frame[name].to_numpy())[0].astype(np.int64)
        code = pd.factorize(code * (values.max(initial=0) + 2) + values + 1)[0].astype(np.int64)
    return pd.Series(code, index=frame.index)


def _person(frame: pd.DataFrame) -> pd.Series:
    """Who the CQO is: the ID number when known, else the name."""
    ids = frame["id_number"].astype("str")
    return ids.where(ids.notna(), "name:" + frame["cqo_name"].astype("str")).fillna("")


def _entries(winners: pd.DataFrame, base: pd.DataFrame, quarter: str) -> pd.DataFrame:
    entries = winners  # copy-on-write: assigning below leaves `winners` as it is
    in_base = entries["base_id"].notna()
    ids = entries.loc[in_base, "base_id"].astype(int)
    entries["in_base"] = in_base
    for col, src in (
        ("base_name", "enterprise_name"),
        ("category", "category"),
        ("department", "department"),
        ("township", "township"),
    ):
        values = pd.Series(pd.NA, index=entries.index, dtype="object")
        values.loc[in_base] = base[src].reindex(ids).values
        if col == "township":
            values = values.where(in_base, entries["township"])
        entries[col] = values
    entries["status"] = entries["qualified"].map({True: "合格", False: "不合格"})
    entries["source"] = entries["_unit"].fillna("未知单位") + " · " + entries["_file"]
    entries["quarter"] = quarter
    return entries


def _changes(staying, was, is_new, is_change, days, left, prev) -> pd.DataFrame:
    rows = []
    for mask, label in ((is_new, "新增"), (is_change, "变更")):
        part = staying[mask]
        rows.append(
            pd.DataFrame(
                {
                    "ent_key": part["ent_key"].values,
                    "enterprise_name": part["enterprise_name"].values,
                    "change": label,
                    "old_cqo": was["cqo_name"].values[mask] if label == "变更" else pd.NA,
                    "new_cqo": part["cqo_name"].values,
                    "unit": part["_unit"].values,
                    "source": part["_file"].values,
                    "appointment_date": part["appointment_date"].values,
                    "fill_date": part["fill_date"].values,
                    "days_to_register": days[mask].astype("Int64").values,
                }
            )
        )
    if len(left):
        rows.append(
            pd.DataFrame(
                {
                    "ent_key": left["ent_key"].values,
                    "enterprise_name": left["enterprise_name"].values,
                    "change": "离任",
                    "old_cqo": prev.loc[left["ent_key"], "cqo_name"].values,
                    "new_cqo": pd.NA,
                    "unit": left["_unit"].values,
                    "source": left["_file"].values,
                    "appointment_date": left["appointment_date"].values,
                    "fill_date": left["fill_date"].values,
                    "days_to_register": pd.NA,
                }
            )
        )
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=CHANGE_COLUMNS)
    return out.reindex(columns=CHANGE_COLUMNS)


def _raw_findings(
    rows: pd.DataFrame, rule: str, field: str, value: pd.Series, **params
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"record": rows.index, "rule": rule, "field": field, "value": value.values},
    )
    for name, series in params.items():
        frame[name] = series.values if hasattr(series, "values") else series
    return frame
