"""The pandera schema of normalized records, built from the active rule profile.

Every rule is a check of one lazy DataFrameSchema, carrying `error="<rule code>"` (or
"code:variant", see schemas.rules). Each check sits on the column its finding points to, so a
failure is one (record, column) pair: dataframe-level checks would report every column of a
failing row (500k rows × 40 columns). Facts that several rules share (ID structure, the
requirements that apply to a row, enterprise identity) are derived once, vectorized, by
`derive_facts`; the checks read them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline.config import EDUCATION_LEVELS, TITLE_LEVELS, Profile, Requirements
from pipeline.fields import FIELDS
from pipeline.privacy import mask_id
from schemas import identifiers as ids

RELAXED_SCALES = ("小型", "微型")
ROW = "_row"  # row-level checks sit on the provenance column; their findings have no field
DATE_FIELDS = ("birth_date", "appointment_date", "fill_date")
REQUIRED_FIELDS = ("enterprise_name", "cqo_name", "id_number", "education", "quality_years")
# The CQO data compared between two rows of one enterprise in one submission.
PERSON_FIELDS = ("cqo_name", "id_number", "education", "quality_years", "mobile")
FLAG_RULES = {
    "training": ("require_training", "training_flag", "training_missing"),
    "pledge": ("require_pledge", "pledge_flag", "pledge_missing"),
    "annual_report": ("require_annual_report", "annual_report_flag", "annual_report_missing"),
}
# Level attained by someone studying for a level ("在读"): a 硕士 student holds a 本科, a 博士
# student a 硕士; below that the previous degree is not implied (专升本 or 自考 from 高中).
ATTAINED_WHILE_STUDYING = {1: 0, 2: 1, 3: 1, 4: 2, 5: 2, 6: 5, 7: 6}
MIN_AGE, MAX_AGE = 18, 80

# Derived columns of docs/frames.md §2 and the value a record lacking one gets.
DERIVED_DEFAULTS: dict[str, tuple[str, object]] = {
    "id_numeric": ("bool", False),
    "birth_date_parsed": ("datetime64[ns]", pd.NaT),
    "appointment_date_parsed": ("datetime64[ns]", pd.NaT),
    "fill_date_parsed": ("datetime64[ns]", pd.NaT),
    "birth_date_month_only": ("bool", False),
    "education_level": ("Int8", pd.NA),
    "education_in_progress": ("bool", False),
    "title_level": ("Int8", pd.NA),
    "quality_years_value": ("float64", np.nan),
    "quality_years_approx": ("bool", False),
    "training_flag": ("boolean", pd.NA),
    "pledge_flag": ("boolean", pd.NA),
    "annual_report_flag": ("boolean", pd.NA),
}


@dataclass(frozen=True)
class RuleCheck:
    """One rule on one column: `ok(facts)` is True where the record passes."""

    check: str  # rule code, or "code:variant"
    column: str  # field the finding points to, or ROW
    ok: Callable[[pd.DataFrame], pd.Series]
    params: dict[str, str] = field(default_factory=dict)  # message param -> facts column
    value: str | None = None  # facts column shown as the value (default: the cell itself)


# -- facts -------------------------------------------------------------------------------------


def _present(s: pd.Series) -> pd.Series:
    """Non-missing and not "" (a bool Series)."""
    if s.dtype == "str":
        # On the object array behind the str column (NaN when missing, a view): two numpy
        # comparisons cost ~8 ms at 500k rows, pandas' notna() & ne("") ~26 ms. NaN is the
        # only value not equal to itself.
        values = s.to_numpy(dtype=object)
        return pd.Series((values != "") & (values == values), index=s.index, copy=False)
    return s.notna() & s.ne("")


def _as_str(s: pd.Series) -> pd.Series:
    return s if s.dtype == "str" else s.astype("str").where(s.notna())


def conform(records: pd.DataFrame) -> pd.DataFrame:
    """A copy with every FIELDS column as `str` and every derived column present and typed
    (defaults for missing ones), so that the schema's dtypes hold."""
    out = records.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    for name in FIELDS:
        out[name] = (
            _as_str(out[name]) if name in out else pd.Series(pd.NA, index=out.index, dtype="str")
        )
    for name, (dtype, default) in DERIVED_DEFAULTS.items():
        if name not in out:
            out[name] = pd.Series(default, index=out.index, dtype=dtype)
        elif dtype in ("bool",):
            out[name] = out[name].astype("boolean").fillna(False).astype(bool)
        elif str(out[name].dtype) != dtype:
            out[name] = out[name].astype(dtype)
    if "name_key" not in out:
        out["name_key"] = out["enterprise_name"]
    for name in ("_file", "_sheet", "_unit"):
        if name not in out:
            out[name] = pd.Series(pd.NA, index=out.index, dtype="str")
    return out


def requirements(records: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Per record: the requirements that apply (the relaxed set for 小型/微型 enterprises).

    The record's own `scale` decides; when it is empty, the base list's (`_base_scale`).
    Columns: relaxed, min_quality_years, min_education_level, equivalent_title_level, requirement
    (Chinese, for messages).
    """
    scale = records["scale"] if "scale" in records else pd.Series(pd.NA, index=records.index)
    relaxed = scale.isin(RELAXED_SCALES)
    if "_base_scale" in records:
        relaxed |= scale.isna() & records["_base_scale"].isin(RELAXED_SCALES)
    relaxed = relaxed.fillna(False).astype(bool)
    normal, small = profile, profile.for_small_micro()

    def pick(fn: Callable[[Requirements], float], dtype: str) -> pd.Series:
        a, b = fn(normal), fn(small)
        return pd.Series(np.where(relaxed, b, a), index=records.index).astype(dtype)

    return pd.DataFrame(
        {
            "relaxed": relaxed,
            "min_quality_years": pick(lambda r: r.min_quality_years, "float64"),
            "min_education_level": pick(lambda r: _edu_level(r.min_education), "Int8"),
            "equivalent_title_level": pick(lambda r: _title_level(r.equivalent_min_title), "Int8"),
            "requirement": _pick_text(relaxed, _requirement_text(normal), _requirement_text(small)),
        },
        index=records.index,
    )


def _pick_text(relaxed: pd.Series, normal: str, small: str) -> pd.Series:
    """Categorical text (two values at most: cheap over 500k rows)."""
    categories = [normal] if normal == small else [normal, small]
    codes = (
        relaxed.to_numpy(dtype=np.int8)
        if len(categories) == 2
        else np.zeros(len(relaxed), dtype=np.int8)
    )
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=relaxed.index)


def _edu_level(name: str) -> int:
    return EDUCATION_LEVELS.index(name) + 1


def _title_level(name: str | None) -> float:
    return TITLE_LEVELS.index(name) + 1 if name else np.nan


def _requirement_text(r: Requirements) -> str:
    text = f"{r.min_education}及以上学历"
    if r.equivalent_min_title:
        text += f"，或{r.equivalent_min_title}及以上职称"
    return text


def _components(index: pd.Index, keys: list[pd.Series]) -> np.ndarray:
    """Label of the connected component of each row, two rows being linked when they share a
    non-missing value of any key (the same name, or the same credit code).

    Labels are row positions: each row takes the smallest label of its groups, then labels
    jump to their own label (pointer jumping) until nothing changes.
    """
    n = len(index)
    label = np.arange(n, dtype=np.int64)
    groups = []
    for key in keys:
        codes, uniques = pd.factorize(key)
        has = codes >= 0
        groups.append((codes[has], has, len(uniques)))
    while True:
        before = label
        for codes, has, size in groups:
            smallest = np.full(size, n, dtype=np.int64)
            np.minimum.at(smallest, codes, label[has])
            label = label.copy()
            label[has] = smallest[codes]
        while not np.array_equal(jumped := label[label], label):
            label = jumped
        if np.array_equal(label, before):
            return label


def derive_facts(
    records: pd.DataFrame, profile: Profile, unit_names: list[str], quarter_end: dt.date
) -> pd.DataFrame:
    """The conformed records plus the derived columns the checks read (all vectorized).

    Adds `_has_<field>` (non-empty), `_active` (not 离任), the ID facts (`_id_lost`,
    `_id_bad_format`, `_id_bad_checksum`, `_id_old15`, `_id_valid`, `_id18` the 18-digit form,
    ...), the requirements that apply (`_min_years`, `_min_education`, `_equiv_title`,
    `_requirement`), `_ent` (enterprise identity), and one `_bad`-style mask per rule.
    """
    facts = conform(records)
    idx = facts.index
    new: dict[str, pd.Series] = {}

    def has(name: str) -> pd.Series:
        key = f"_has_{name}"
        if key not in new:
            new[key] = _present(facts[name])
        return new[key]

    for name in (*REQUIRED_FIELDS, "mobile", "phone"):
        has(name)
    active = facts["tenure_status"].ne("离任").fillna(True).astype(bool)
    new["_active"] = active
    unit_known = facts["_unit"].isin(unit_names).fillna(False).astype(bool)
    unit_text = facts["unit"].where(has("unit"), facts["_unit"])
    new["_unit_text"] = unit_text
    new["_unit_unnamed"] = ~unit_known & ~_present(unit_text)
    new["_unit_unknown"] = ~unit_known & _present(unit_text)

    # Formats of single cells.
    code_ok = ids.uscc_check(facts["credit_code"])
    new["_credit_bad"] = has("credit_code") & ~(code_ok["format_ok"] & code_ok["checksum_ok"])
    for name, test in (
        ("mobile", ids.is_mobile),
        ("phone", ids.is_phone),
        ("email", ids.is_email),
        ("postcode", ids.is_postcode),
    ):
        new[f"_{name}_bad"] = has(name) & ~test(facts[name])
    for name in DATE_FIELDS:
        new[f"_{name}_bad"] = has(name) & facts[f"{name}_parsed"].isna()

    # Resident ID.
    idn = facts["id_number"]
    check = ids.id_check(idn, today=quarter_end)
    given = has("id_number")
    lost = given & facts["id_numeric"] & ~check["is_15"]
    shaped = check["province_ok"] & check["birth_ok"]
    old15 = given & ~lost & check["is_15"] & shaped
    valid = given & ~lost & check["valid"]
    new["_id_lost"] = lost
    new["_id_bad_format"] = given & ~lost & ~((check["format_ok"] | check["is_15"]) & shaped)
    new["_id_bad_checksum"] = given & ~lost & check["format_ok"] & shaped & ~check["checksum_ok"]
    new["_id_old15"] = old15
    new["_id_valid"] = valid
    id18 = idn.copy()
    if old15.any():
        id18[old15] = ids.convert_15_to_18(idn[old15])
    new["_id18"] = id18
    new["_id18_masked"] = mask_id(id18[old15]).reindex(idx)
    new["_id_region_unknown"] = valid & ~check["region_known"]
    id_birth = check["birth"].where(valid)
    new["_id_birth"] = id_birth

    parsed = facts["birth_date_parsed"]
    month_only = facts["birth_date_month_only"]
    same_day = parsed.dt.normalize() == id_birth
    same_month = (parsed.dt.year * 12 + parsed.dt.month) == (
        id_birth.dt.year * 12 + id_birth.dt.month
    )
    new["_birth_mismatch"] = (
        valid & parsed.notna() & ~same_day.where(~month_only, same_month).fillna(False)
    ).astype(bool)

    gender = facts["gender"]
    known_gender = gender.isin(["男", "女"]).fillna(False).astype(bool)
    id_male = check["male"].fillna(False).astype(bool)
    new["_gender_mismatch"] = valid & known_gender & (gender.eq("男").fillna(False) != id_male)
    new["_id_gender"] = pd.Series(np.where(id_male, "男", "女"), index=idx, dtype="str")

    # Age at the quarter's end, from the ID when it is valid, else from the birth date cell.
    birth = id_birth.where(valid, parsed)
    qe = pd.Timestamp(quarter_end)
    before_birthday = (birth.dt.month > qe.month) | (
        (birth.dt.month == qe.month) & (birth.dt.day > qe.day)
    )
    age = (qe.year - birth.dt.year - before_birthday.astype("int64")).astype("Int64")
    implausible = active & birth.notna() & ((age < MIN_AGE) | (age > MAX_AGE)).fillna(False)
    new["_implausible_on_id"] = (implausible & valid).astype(bool)
    new["_implausible_on_birth"] = (implausible & ~valid).astype(bool)
    new["_age"] = age
    new["_birth"] = birth

    # The profile's requirements that apply to each record.
    req = requirements(facts, profile)
    new["_min_years"] = req["min_quality_years"]
    new["_min_education"] = req["min_education_level"]
    new["_equiv_title"] = req["equivalent_title_level"]
    new["_requirement"] = req["requirement"]
    level = facts["education_level"].astype("Int64")
    title = facts["title_level"].astype("Int64")
    by_title = (title >= req["equivalent_title_level"]).fillna(False).astype(bool)
    studying = facts["education_in_progress"]
    table = np.array([ATTAINED_WHILE_STUDYING.get(k, k) for k in range(8)], dtype=np.int64)
    attained = pd.Series(
        table[level.fillna(0).clip(0, 7).to_numpy(dtype=np.int64)], index=idx
    ).where(level.notna())
    minimum = req["min_education_level"]
    new["_edu_unknown"] = active & has("education") & level.isna()
    new["_edu_in_progress"] = (
        active & level.notna() & studying & ~by_title & (attained < minimum).fillna(True)
    ).astype(bool)
    new["_edu_below"] = (
        active & level.notna() & ~studying & ~by_title & (level < minimum).fillna(False)
    ).astype(bool)
    years, min_years = facts["quality_years_value"], req["min_quality_years"]
    new["_years_unparsed"] = active & has("quality_years") & years.isna()
    new["_years_below"] = active & (years < min_years).fillna(False)
    new["_years_approx"] = (
        active & facts["quality_years_approx"] & (years >= min_years) & (years < min_years + 1)
    )
    flags = {
        flag: active & ~facts[flag].eq(True).fillna(False).astype(bool)
        for _, flag, _ in FLAG_RULES.values()
    }
    new.update({f"_{flag}_missing": mask for flag, mask in flags.items()})

    # Enterprise identity: the same name, or the same valid credit code.
    valid_code = facts["credit_code"].where(code_ok["checksum_ok"])
    name_key = facts["name_key"].where(_present(facts["name_key"]))
    has_ent = (name_key.notna() | valid_code.notna()).to_numpy()
    ent = _components(idx, [name_key, valid_code])
    new["_ent"] = pd.Series(np.where(has_ent, ent, -1), index=idx)
    facts = pd.concat([facts, pd.DataFrame(new, index=idx)], axis=1)
    _duplicates(facts, has_ent)
    _multiple_enterprises(facts)
    return facts


def _group_codes(*keys: np.ndarray) -> np.ndarray:
    """One dense int code per distinct combination of the (int) keys."""
    code = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:
        key_codes = pd.factorize(key)[0].astype(np.int64)
        code = pd.factorize(code * (key_codes.max(initial=0) + 2) + key_codes + 1)[0].astype(
            np.int64
        )
    return code


def _distinct_per_group(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Per row: how many distinct `value`s its `group` holds."""
    pairs = np.sort(group * (value.max(initial=0) + 1) + value)
    # distinct by sort, not np.unique: numpy 2.4's hash-based unique is ~50x slower here
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] if len(pairs) else pairs
    per_group = np.bincount(pairs // (value.max(initial=0) + 1), minlength=group.max() + 1)
    return per_group[group]


def _duplicates(facts: pd.DataFrame, has_ent: np.ndarray) -> None:
    """Within one file, active rows of one enterprise: identical CQO data → the repeats are
    flagged (`_dup_repeat`); different data → every copy (`_dup_conflict`)."""
    n = len(facts)
    conflict = np.zeros(n, dtype=bool)
    repeat = np.zeros(n, dtype=bool)
    pos = np.flatnonzero(facts["_active"].to_numpy() & has_ent)
    if len(pos):
        file_codes = pd.factorize(facts["_file"].to_numpy()[pos])[0]
        group = _group_codes(file_codes, facts["_ent"].to_numpy()[pos])
        size = np.bincount(group)[group]
        many = np.flatnonzero(size > 1)  # the person data is compared within these rows only
        if len(many):
            needed = ["cqo_name", "_id18", *PERSON_FIELDS[2:], "_sheet", "_row"]
            rows = facts[needed].iloc[pos[many]]  # not all ~100 columns of facts
            person = _group_codes(
                *(
                    pd.factorize(rows[name].to_numpy())[0]
                    for name in ("cqo_name", "_id18", *PERSON_FIELDS[2:])
                )
            )
            sub = pd.factorize(group[many])[0].astype(np.int64)
            kinds = _distinct_per_group(sub, person)
            sheet = pd.factorize(rows["_sheet"].to_numpy())[0]
            order = np.lexsort((rows["_row"].to_numpy(), sheet, sub))
            later = np.empty(len(many), dtype=bool)
            later[order] = pd.Series(sub[order]).duplicated().to_numpy()
            conflict[pos[many]] = kinds > 1
            repeat[pos[many]] = (kinds == 1) & later
    facts["_dup_conflict"] = conflict
    facts["_dup_repeat"] = repeat


def _multiple_enterprises(facts: pd.DataFrame) -> None:
    """The same valid ID at more than one enterprise among this quarter's active rows."""
    n = len(facts)
    count = np.zeros(n, dtype=np.int64)
    ent = facts["_ent"].to_numpy()
    pos = np.flatnonzero(facts["_active"].to_numpy() & facts["_id_valid"].to_numpy() & (ent >= 0))
    if len(pos):
        person = pd.factorize(facts["_id18"].to_numpy()[pos])[0].astype(np.int64)
        count[pos] = _distinct_per_group(person, ent[pos].astype(np.int64))
    facts["_multi"] = count > 1
    facts["_multi_count"] = pd.Series(count, index=facts.index).where(count > 1).astype("Int64")


# -- the checks --------------------------------------------------------------------------------


def _not(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda f: ~f[column]


def _required_when_active(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda f: ~f["_active"] | f[f"_has_{name}"]


def rule_checks(profile: Profile) -> list[RuleCheck]:
    """Every record-level rule of the profile, in reporting order."""
    checks: list[RuleCheck] = [
        # on the 填报单位 column (its header is named; a unit taken from the file name has
        # no column, and the finding then names none)
        RuleCheck("unknown_unit", "unit", _not("_unit_unknown"), value="_unit_text"),
        RuleCheck("unknown_unit:missing", ROW, _not("_unit_unnamed")),
    ]
    checks.append(RuleCheck("required", "enterprise_name", lambda f: f["_has_enterprise_name"]))
    for name in REQUIRED_FIELDS[1:]:
        checks.append(RuleCheck("required", name, _required_when_active(name)))
    checks += [
        RuleCheck(
            "required:contact",
            "mobile",
            lambda f: ~f["_active"] | f["_has_mobile"] | f["_has_phone"],
        ),
        RuleCheck(
            "required:departure",
            "cqo_name",
            lambda f: f["_active"] | f["_has_cqo_name"] | f["_has_id_number"],
        ),
        RuleCheck("id_precision_lost", "id_number", _not("_id_lost")),
        RuleCheck("id_format", "id_number", _not("_id_bad_format")),
        RuleCheck("id_checksum", "id_number", _not("_id_bad_checksum")),
        RuleCheck(
            "id_old_15_digit", "id_number", _not("_id_old15"), params={"converted": "_id18_masked"}
        ),
        RuleCheck(
            "id_birthdate_mismatch",
            "birth_date",
            _not("_birth_mismatch"),
            params={"id_birth": "_id_birth"},
        ),
        RuleCheck(
            "id_gender_mismatch",
            "gender",
            _not("_gender_mismatch"),
            params={"id_gender": "_id_gender"},
        ),
        RuleCheck("id_region_unknown", "id_number", _not("_id_region_unknown")),
        RuleCheck(
            "birth_date_implausible",
            "id_number",
            _not("_implausible_on_id"),
            params={"birth": "_birth", "age": "_age"},
        ),
        RuleCheck(
            "birth_date_implausible",
            "birth_date",
            _not("_implausible_on_birth"),
            params={"birth": "_birth", "age": "_age"},
        ),
        RuleCheck("credit_code_checksum", "credit_code", _not("_credit_bad")),
        RuleCheck("mobile_format", "mobile", _not("_mobile_bad")),
        RuleCheck("phone_format", "phone", _not("_phone_bad")),
        RuleCheck("email_format", "email", _not("_email_bad")),
        RuleCheck("postcode_format", "postcode", _not("_postcode_bad")),
    ]
    checks += [RuleCheck("date_format", name, _not(f"_{name}_bad")) for name in DATE_FIELDS]
    checks += [
        RuleCheck("education_unknown", "education", _not("_edu_unknown")),
        RuleCheck(
            "education_in_progress",
            "education",
            _not("_edu_in_progress"),
            params={"requirement": "_requirement"},
        ),
        RuleCheck(
            "education_below_min",
            "education",
            _not("_edu_below"),
            params={"requirement": "_requirement"},
        ),
        RuleCheck("quality_years_format", "quality_years", _not("_years_unparsed")),
        RuleCheck(
            "quality_years_below_min",
            "quality_years",
            _not("_years_below"),
            params={"min_years": "_min_years"},
        ),
        RuleCheck(
            "quality_years_approx",
            "quality_years",
            _not("_years_approx"),
            params={"min_years": "_min_years"},
        ),
    ]
    checks += [
        RuleCheck(code, name, _not(f"_{flag}_missing"))
        for name, (switch, flag, code) in FLAG_RULES.items()
        if getattr(profile, switch)
    ]
    checks += [
        RuleCheck("duplicate_in_submission", "enterprise_name", _not("_dup_conflict")),
        RuleCheck("duplicate_in_submission:identical", "enterprise_name", _not("_dup_repeat")),
        RuleCheck(
            "cqo_multiple_enterprises",
            "id_number",
            _not("_multi"),
            params={"count": "_multi_count"},
        ),
    ]
    return checks


def build_schema(profile: Profile, facts: pd.DataFrame) -> pa.DataFrameSchema:
    """One lazy schema over the conformed records: every FIELDS column `str` (nullable), each
    rule check on the column its finding points to, `error=` its code.

    The checks read `facts` (from `derive_facts` on the same records): the facts are computed
    once for all rules rather than once per check.
    """
    by_column: dict[str, list[pa.Check]] = {}
    for rc in rule_checks(profile):
        by_column.setdefault(rc.column, []).append(
            pa.Check(
                lambda s, rc=rc: rc.ok(facts).reindex(s.index).astype(bool),
                error=rc.check,
                ignore_na=False,
            )
        )
    columns = {
        name: pa.Column(str, nullable=True, checks=by_column.get(name, [])) for name in FIELDS
    }
    columns[ROW] = pa.Column(nullable=True, checks=by_column.get(ROW, []))
    return pa.DataFrameSchema(columns, strict=False, name=f"records[{profile_name(profile)}]")


def profile_name(profile: Profile) -> str:
    return (
        f"{profile.min_education}/{profile.min_quality_years:g}年"
        f"/{profile.equivalent_min_title or '-'}"
    )


def failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """Run the schema lazily; return its failures as (check, column, record).

    A failure that is not a rule check (a dtype, a missing column) breaks the frame contract
    and raises ValueError with a short summary (SchemaErrors' own text holds every case).
    """
    empty = pd.DataFrame(
        {
            "check": pd.Series(dtype="str"),
            "column": pd.Series(dtype="str"),
            "record": pd.Series(dtype="int64"),
        }
    )
    try:
        # inplace: the schema coerces nothing, and `frame` is the caller's selection; a copy
        # of its 36 str columns costs ~0.1 s at 500k rows.
        schema.validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return empty
    from schemas.rules import RULES, split_code

    crashed = cases["index"].isna()
    if crashed.any():  # a check raised: pandera reports the exception as a failure case
        first = cases.loc[crashed].iloc[0]
        raise RuntimeError(
            f"check {first['check']} on {first['column']} failed to run: "
            f"{str(first['failure_case'])[:300]}"
        )
    checks = cases["check"].astype("str")
    codes = {c for c in checks.unique() if split_code(c)[0] in RULES}
    known = checks.isin(codes)
    if not known.all():
        broken = cases.loc[~known, ["column", "check"]].drop_duplicates().head(5)
        listed = "; ".join(f"{c}: {k}" for c, k in broken.itertuples(index=False))
        raise ValueError(f"records do not match the normalized frame contract: {listed}")
    out = pd.DataFrame(
        {
            "check": checks,
            "column": cases["column"].astype("str"),
            "record": cases["index"],
        }
    ).drop_duplicates()
    return out.reset_index(drop=True)
