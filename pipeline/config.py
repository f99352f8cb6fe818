"""Load and check config.yaml: every bad key is reported in one Chinese message.

The people who edit config.yaml are clerks using Notepad on Windows, so every message names the
file, the line and the key, says in Chinese what is wrong and what to write instead, and never
passes on pydantic's or PyYAML's English. Common spellings are accepted where the meaning is not
in doubt: 80% for 0.80, 专科 for 大专, 2021年12月31日 for 2021-12-31, a config saved as GBK.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.fields import EDUCATION_WORDS, header_key

EDUCATION_LEVELS = ("初中", "高中", "中专", "大专", "本科", "硕士", "博士")
TITLE_LEVELS = ("初级", "中级", "副高级", "正高级")
CATEGORIES = ("规上", "重点行业中小微")
UNIT_KINDS = ("乡镇", "园区", "部门")

# Other ways of writing a level in a requirement: the words the submitted rows are read by,
# but for 大学, which a row's reading takes as 本科 and a requirement must not guess (大专?).
_EDUCATION_SYNONYMS = {
    word: EDUCATION_LEVELS[n - 1] for word, n in EDUCATION_WORDS.items() if word != "大学"
}
_EDUCATION_SUFFIX = re.compile(r"(?:学历|学位|毕业|文化程度|程度|及以上|以上)+$")
_TITLE_SYNONYMS = {"副高": "副高级", "正高": "正高级"}
_TITLE_SUFFIX = re.compile(r"(?:职称|及以上|以上)+$")
_NO_TITLE = ("无", "不认可", "否")
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


class ConfigError(Exception):
    """The configuration cannot be used; the message names every bad key."""


class _Located(ValueError):
    """A validator's findings, each with the key path it is about (for the line number)."""

    def __init__(self, items: list[tuple[tuple[str | int, ...], str]]):
        super().__init__("；".join(msg for _, msg in items))
        self.items = items


def _plain(value: str) -> str:
    """Half-width, no spaces: how a clerk's ８０％ or 「大专 」 is compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))


def _level(value: Any, levels: tuple[str, ...], synonyms: dict, suffix: re.Pattern) -> Any:
    """A written level in its canonical spelling; anything unknown is left for the error."""
    if not isinstance(value, str):
        return value
    text = _plain(value)
    text = suffix.sub("", text) or text
    text = synonyms.get(text, text)
    return text if text in levels else value


def _education(value: Any) -> Any:
    return _level(value, EDUCATION_LEVELS, _EDUCATION_SYNONYMS, _EDUCATION_SUFFIX)


def _title(value: Any) -> Any:
    if isinstance(value, str) and _plain(value) in _NO_TITLE:
        return None
    return _level(value, TITLE_LEVELS, _TITLE_SYNONYMS, _TITLE_SUFFIX)


def _rate(value: Any) -> Any:
    """80% / ８０％ → 0.8; the range is checked by the field."""
    if isinstance(value, str):
        text = _plain(value)
        if text.endswith("%"):
            try:
                return float(text[:-1] + "e-2")  # correctly rounded: "33.3%" == 0.333
            except ValueError:
                return value
    return value


def _date(value: Any) -> Any:
    """2021年12月31日, 2021/12/31, 2021.12.31, 2021-1-1, 20211231 → a date."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value).strip()
    m = _DATE_TEXT.fullmatch(text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if m is None:
        return value
    y, mo, d = (int(g) for g in m.groups())
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise ValueError(f"「{value}」这一天不存在：日期请写成 2021-12-31 这样的格式") from None


def _yes_no(value: Any) -> Any:
    if isinstance(value, str):
        return {"是": True, "否": False}.get(_plain(value), value)
    return value


def _code(value: Any) -> Any:
    """An administrative code typed without quotes arrives as a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


# Field types that accept a clerk's other spellings before checking.
Education = Annotated[Literal[EDUCATION_LEVELS], BeforeValidator(_education)]
Title = Annotated[Literal[TITLE_LEVELS] | None, BeforeValidator(_title)]
Rate = Annotated[float, BeforeValidator(_rate), Field(ge=0, le=1)]
Date = Annotated[dt.date, BeforeValidator(_date)]
Code = Annotated[str | None, BeforeValidator(_code)]
YesNo = Annotated[bool, BeforeValidator(_yes_no)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paths(_Strict):
    input: Path = Path("input")
    output: Path = Path("output")
    base_list: Path | None = None
    store: Path | None = None


class Unit(_Strict):
    name: str
    kind: Literal[UNIT_KINDS]
    code: Code = None
    aliases: tuple[str, ...] = ()


class Requirements(_Strict):
    min_quality_years: float = Field(ge=0, le=60)
    min_education: Education
    equivalent_min_title: Title = None


class Profile(Requirements):
    change_registration_days: int = Field(default=30, ge=0, le=3650)
    require_training: YesNo = False
    require_pledge: YesNo = False
    require_annual_report: YesNo = False
    small_micro: SmallMicro | None = None

    def for_small_micro(self) -> Requirements:
        """The requirements that apply to 小型/微型 enterprises."""
        if self.small_micro is None:
            return self
        base = Requirements(
            min_quality_years=self.min_quality_years,
            min_education=self.min_education,
            equivalent_min_title=self.equivalent_min_title,
        )
        return base.model_copy(update=self.small_micro.model_dump(exclude_unset=True))


class SmallMicro(_Strict):
    min_quality_years: float | None = Field(default=None, ge=0, le=60)
    min_education: Education | None = None
    equivalent_min_title: Title = None


Profile.model_rebuild()


class Milestone(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    date: Date
    above_size: Rate = Field(alias="规上")
    key_small_micro: Rate = Field(alias="重点行业中小微")

    def target(self, category: str) -> float:
        return self.above_size if category == "规上" else self.key_small_micro


class Limits(_Strict):
    max_file_mb: float = Field(default=50, gt=0)
    max_unzipped_mb: float = Field(default=500, gt=0)
    max_rows_per_sheet: int = Field(default=1_000_000, gt=0)


class Config(_Strict):
    # Required: a default county would put 崇阳县 on every other county's reports.
    county: str
    # Not read by any stage; no default of one county's code.
    county_code: Code = None
    paths: Paths = Paths()
    units: tuple[Unit, ...]
    key_industries: tuple[str, ...] = ()
    profile: str
    profiles: dict[str, Profile]
    start: Date = dt.date(2021, 1, 1)
    milestones: tuple[Milestone, ...]
    submission_deadline_days: int = Field(default=10, ge=0, le=366)
    fonts: tuple[str, ...] = ()
    limits: Limits = Limits()
    # Directory of the config file; relative paths were resolved against it.
    root: Path = Path(".")

    @field_validator("units")
    @classmethod
    def _unique_units(cls, units: tuple[Unit, ...]) -> tuple[Unit, ...]:
        """Names and aliases each lead to one unit: ingest maps any of them to its unit, so an
        alias equal to another unit's name would move that unit's files."""
        items: list[tuple[tuple[str | int, ...], str]] = []
        owner: dict[str, int] = {}  # matching form of a name -> index of its unit
        for i, u in enumerate(units):
            key = header_key(u.name)
            if key in owner:
                first = owner[key]
                items.append(
                    (
                        ("units", i, "name"),
                        f"单位名称「{u.name}」与第 {first + 1} 项「{units[first].name}」重复："
                        "每个单位只能写一次，请删去重复的一项",
                    )
                )
            else:
                owner[key] = i
        alias_owner: dict[str, int] = {}
        for i, u in enumerate(units):
            for alias in dict.fromkeys(u.aliases):
                key = header_key(alias)
                other = owner.get(key)
                if other is not None and other != i:
                    items.append(
                        (
                            ("units", i, "aliases"),
                            f"单位「{u.name}」的别名「{alias}」与单位「{units[other].name}」"
                            "重名：一个别名只能指向一个单位，请从 aliases 中删去它",
                        )
                    )
                elif other is None and alias_owner.get(key, i) != i:
                    first = units[alias_owner[key]]
                    items.append(
                        (
                            ("units", i, "aliases"),
                            f"单位「{u.name}」的别名「{alias}」也是单位「{first.name}」的别名："
                            "一个别名只能指向一个单位，请只在其中一个单位下保留它",
                        )
                    )
                else:
                    alias_owner.setdefault(key, i)
        if items:
            raise _Located(items)
        return units

    @field_validator("milestones")
    @classmethod
    def _ordered(cls, ms: tuple[Milestone, ...]) -> tuple[Milestone, ...]:
        if not ms:
            raise ValueError(
                "至少需要一个目标节点，如 - {date: 2021-12-31, 规上: 0.50, 重点行业中小微: 0.30}"
            )
        dates = [m.date for m in ms]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            now = "、".join(d.isoformat() for d in dates)
            raise ValueError(
                f"目标节点的日期必须按时间先后排列且不重复（现在依次是 {now}）："
                "请按日期从早到晚排列，删去重复的节点"
            )
        return ms

    @model_validator(mode="after")
    def _known_profile(self) -> Config:
        if self.profile not in self.profiles:
            known = "、".join(self.profiles) or "（无）"
            raise _Located(
                [
                    (
                        ("profile",),
                        f"「{self.profile}」未在 profiles 中定义：请写成已定义的一套"
                        f"（{known}），或在 profiles 下添加「{self.profile}」",
                    )
                ]
            )
        if self.start >= self.milestones[0].date:
            first = self.milestones[0].date.isoformat()
            raise _Located(
                [
                    (
                        ("start",),
                        f"{self.start.isoformat()} 不早于第一个目标节点的日期 {first}："
                        f"请把 start 改成 {first} 之前的日期",
                    )
                ]
            )
        return self

    # -- derived views ----------------------------------------------------------------------

    @property
    def rules(self) -> Profile:
        return self.profiles[self.profile]

    @property
    def input_dir(self) -> Path:
        return self.paths.input

    @property
    def output_dir(self) -> Path:
        return self.paths.output

    @property
    def store_path(self) -> Path:
        return self.paths.store or self.paths.output / "cqo.sqlite"

    @property
    def base_list_path(self) -> Path:
        return self.paths.base_list or self.paths.input / "企业名录.xlsx"

    def unit_names(self) -> list[str]:
        return [u.name for u in self.units]

    def unit_kind(self, name: str) -> str | None:
        for u in self.units:
            if u.name == name:
                return u.kind
        return None

    def with_paths(self, input: Path | None = None, output: Path | None = None) -> Config:
        """A copy with the input and/or output directory replaced (CLI options)."""
        paths = self.paths.model_copy(
            update={
                k: Path(v).resolve()
                for k, v in (("input", input), ("output", output))
                if v is not None
            }
        )
        return self.model_copy(update={"paths": paths})


# -- messages -------------------------------------------------------------------------------------

# What to write for each key, read after "请写成" (and in brackets after "缺少 <key>").
_KEY_HELP = {
    "county": "县名，如 崇阳县",
    "county_code": '行政区划代码，加英文引号，如 "421223"',
    "paths": "下一级缩进的 input: input、output: output 等",
    "input": "报送文件所在的文件夹，如 input",
    "output": "输出文件夹，如 output",
    "base_list": "企业名录文件，如 input/企业名录.xlsx；用默认的写 null",
    "store": "花名册数据库文件，如 output/cqo.sqlite；用默认的写 null",
    "units": "报送单位列表，每个单位一行，如 - {name: 天城镇, kind: 乡镇}",
    "name": "单位名称，如 天城镇",
    "kind": "乡镇、园区、部门 三者之一（乡、镇、街道都写 乡镇）",
    "code": '单位代码，加英文引号，如 "421223100"',
    "aliases": "别名列表，如 [桂花泉] 或 [工业园区, 工业园]",
    "key_industries": "行业列表，如 [制造业, 建筑业, 农业, 服务业]",
    "profile": "profiles 中定义的一套任职条件的名称，如 崇阳县2022",
    "profiles": "下一级缩进的任职条件，如 崇阳县2022: 下面再缩进写 min_quality_years 等",
    "start": "推行起点日期，如 2021-01-01",
    "milestones": "目标节点列表，如 - {date: 2021-12-31, 规上: 0.50, 重点行业中小微: 0.30}",
    "date": "日期，如 2021-12-31",
    "规上": "0～1 的小数，80% 写作 0.80",
    "重点行业中小微": "0～1 的小数，80% 写作 0.80",
    "submission_deadline_days": "0～366 的整数（季度结束后多少天内报送），如 10",
    "fonts": "字体列表，如 [Microsoft YaHei, SimHei]",
    "limits": "下一级缩进的 max_file_mb: 50 等",
    "max_file_mb": "大于 0 的数（单个报送文件大小上限，单位 MB），如 50",
    "max_unzipped_mb": "大于 0 的数（xlsx 解压后大小上限，单位 MB），如 500",
    "max_rows_per_sheet": "大于 0 的整数（一个工作表的行数上限），如 1000000",
    "min_quality_years": "0～60 的数（质量管理工作年限下限，单位 年），如 3",
    "min_education": "初中、高中、中专、大专、本科、硕士、博士 之一（专科 即 大专）",
    "equivalent_min_title": "初级、中级、副高级、正高级 之一；不认可职称代替学历时写 null",
    "change_registration_days": "0～3650 的整数（变更后须在多少天内登记），如 30",
    "require_training": "true（要求）或 false（不要求）",
    "require_pledge": "true（要求）或 false（不要求）",
    "require_annual_report": "true（要求）或 false（不要求）",
    "small_micro": "下一级缩进的放宽条件，如 min_quality_years: 2、min_education: 中专",
}

# pydantic error type -> (what is wrong, with {v} for the value; what to write when the key has
# no entry in _KEY_HELP).
_TYPE_TEXT = {
    "int_parsing": ("「{v}」不是整数", "整数，如 10"),
    "int_type": ("「{v}」不是整数", "整数，如 10"),
    "int_from_float": ("「{v}」不是整数（不能有小数）", "整数，如 10"),
    "int_parsing_size": ("「{v}」太大", "整数，如 10"),
    "float_parsing": ("「{v}」不是数字", "数字，如 3"),
    "float_type": ("「{v}」不是数字", "数字，如 3"),
    "finite_number": ("「{v}」不是有限的数", "数字，如 3"),
    "less_than_equal": ("{v} 超出范围", "不大于 {le} 的数"),
    "less_than": ("{v} 超出范围", "小于 {lt} 的数"),
    "greater_than_equal": ("{v} 超出范围", "不小于 {ge} 的数"),
    "greater_than": ("{v} 超出范围", "大于 {gt} 的数"),
    "literal_error": ("「{v}」不是可选的值", "{expected} 之一"),
    "enum": ("「{v}」不是可选的值", "{expected} 之一"),
    "date_parsing": ("「{v}」不是日期", "日期，如 2021-12-31"),
    "date_type": ("「{v}」不是日期", "日期，如 2021-12-31"),
    "date_from_datetime_parsing": ("「{v}」不是日期", "日期，如 2021-12-31"),
    "date_from_datetime_inexact": ("「{v}」不是日期", "日期，如 2021-12-31"),
    "datetime_parsing": ("「{v}」不是日期", "日期，如 2021-12-31"),
    "bool_parsing": ("「{v}」不是 true 或 false", "true（是）或 false（否）"),
    "bool_type": ("「{v}」不是 true 或 false", "true（是）或 false（否）"),
    "string_type": ("「{v}」不是文字", '文字；纯数字请加英文引号，如 "421223"'),
    "path_type": ("「{v}」不是路径", "文件或文件夹路径，如 input"),
    "list_type": ("「{v}」不是列表", "列表，如 [甲, 乙]"),
    "tuple_type": ("「{v}」不是列表", "列表，如 [甲, 乙]"),
    "set_type": ("「{v}」不是列表", "列表，如 [甲, 乙]"),
    "iterable_type": ("「{v}」不是列表", "列表，如 [甲, 乙]"),
    "dict_type": ("「{v}」不是下一级的「键: 值」", "下一级缩进的若干行「键: 值」"),
    "model_type": ("「{v}」不是下一级的「键: 值」", "下一级缩进的若干行「键: 值」"),
    "model_attributes_type": ("「{v}」不是下一级的「键: 值」", "下一级缩进的若干行「键: 值」"),
}


def _scalar(value: Any) -> str | None:
    """A value as the clerk wrote it, or None when it is not a single value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float, dt.date)):
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        return text if len(text) <= 60 else text[:60] + "…"
    return None


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model whose keys are read at loc (for suggesting a misspelt key)."""
    match loc:
        case ():
            return Config
        case ("paths",):
            return Paths
        case ("limits",):
            return Limits
        case ("units", int()):
            return Unit
        case ("milestones", int()):
            return Milestone
        case ("profiles", _):
            return Profile
        case ("profiles", _, "small_micro"):
            return SmallMicro
    return None


def _unknown_key(loc: tuple) -> str:
    key = str(loc[-1])
    msg = f"未知的配置项「{key}」（拼写错误？）"
    if "：" in key:
        return msg + f"：冒号须为半角「:」，冒号后加一个空格，如「{key.replace('：', ': ', 1)}」"
    if re.search(r":\S", key):
        fixed = re.sub(r":(?=\S)", ": ", key, count=1)
        return msg + f"：冒号后面要加一个空格，如「{fixed}」"
    model = _model_at(tuple(loc[:-1]))
    if model is None:
        return msg + "：请删去这一项"
    names = [f.alias or n for n, f in model.model_fields.items() if n != "root"]
    import difflib  # only on this error path

    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    if close:
        return msg + f"：是不是「{close[0]}」？"
    return msg + f"：这里可写的有 {'、'.join(names)}"


def _problem(e: dict) -> str:
    """One pydantic error in Chinese: what is wrong and what to write instead."""
    kind, loc, ctx = e["type"], e["loc"], e.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error") or e["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "missing":
        return ""
    field = next((str(p) for p in reversed(loc) if isinstance(p, str) and p != "[key]"), "")
    key_help = _KEY_HELP.get(field)
    if loc and loc[-1] == "[key]":  # a name in profiles
        key_help = '文字；纯数字的名称请加英文引号，如 "2022"'
    value = e.get("input")
    shown = _scalar(value)
    what, write = _TYPE_TEXT.get(kind, ("「{v}」写法不对", "正确的值"))
    if shown is None:  # a list, a mapping or nothing where one value belongs (or the reverse)
        what = {
            type(None): "这里是空的",
            list: "这里写成了列表",
            dict: "这里写成了下一级的「键: 值」",
        }.get(type(value), "这里的写法不对")
    else:
        what = what.format(v=shown)
    expected = "、".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
    write = key_help or write.format(expected=expected, **{k: ctx.get(k) for k in "le lt ge gt"})
    hint = ""
    if isinstance(value, str) and re.search(r"[［］【】，]", value):
        hint = "（括号、逗号须为半角 [ ] ,）"
    return f"{what}{hint}：{_write(write)}"


def _write(help_: str) -> str:
    return f"请写成{' ' if help_[:1].isascii() else ''}{help_}"


def _where(loc: tuple, data: Any) -> str:
    """A key path as a clerk reads it: `milestones 第 2 项的 date`, `units 第 3 项（石城镇）`."""
    out, node, after_item = "", data, False
    for seg in loc:
        if seg == "[key]":
            out += " 中的名称"
            break
        if isinstance(seg, int) and isinstance(node, list):
            out += f" 第 {seg + 1} 项"
            node = node[seg] if 0 <= seg < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                out += f"（{node['name']}）"
            after_item = True
            continue
        out = f"{out}的 {seg}" if after_item else f"{out}.{seg}" if out else str(seg)
        node = node.get(seg) if isinstance(node, dict) else None
        after_item = False
    return out


def _line_of(tree: yaml.Node | None, loc: tuple) -> int | None:
    """1-based line of the deepest node along loc that exists in the file."""
    line = None
    node = tree
    for seg in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(seg):
                    line, node = k.start_mark.line + 1, v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(seg, int):
            if not 0 <= seg < len(node.value):
                return line
            node = node.value[seg]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _validation_message(name: str, exc: ValidationError, data: dict, text: str) -> str:
    try:
        tree = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:  # it loaded a moment ago
        tree = None
    found: list[tuple[tuple, str, str]] = []  # (loc, pydantic type, message)
    for e in exc.errors():
        error = (e.get("ctx") or {}).get("error")
        if isinstance(error, _Located):
            found += [(loc, "", msg) for loc, msg in error.items]
        else:
            found.append((tuple(e["loc"]), e["type"], _problem(e)))
    lines = []
    for loc, kind, msg in found:
        line = _line_of(tree, loc)
        if kind == "missing":
            help_ = _KEY_HELP.get(str(loc[-1]), "")
            what = f"缺少 {loc[-1]}"
            what += f"：{_write(help_)}" if "（" in help_ else f"（{help_}）" if help_ else ""
        elif kind == "extra_forbidden":  # the message names the key
            what = msg
        else:
            what = f"{_where(loc, data)}：{msg}" if loc else msg
            loc = ()
        parent = _where(loc[:-1], data)
        if parent and kind == "extra_forbidden":
            what = f"{parent} 中有{what}"
        elif parent:
            what = f"{parent}{'' if parent.endswith('）') else ' '}{what}"
        lines.append(f"第 {line} 行 {what}" if line else what)
    if len(lines) == 1:
        return f"{name} {lines[0]}"
    return f"{name} 有 {len(lines)} 处需要修改：\n" + "\n".join(f"  - {x}" for x in lines)


# -- YAML syntax ----------------------------------------------------------------------------------


def _code_part(line: str) -> str:
    """A line without its comment (YAML comments start with # after a space)."""
    return re.split(r"(?:^|\s)#", line, maxsplit=1)[0]


def _line_hints(line: str, brackets: bool = True) -> list[str]:
    """What is wrong with one line of YAML, as far as one line can tell."""
    code = _code_part(line)
    hints = []
    key = re.match(r"\s*(?:-\s+)?\{?\s*([^\s:：#'\"\[\]{},]{2,})(：|:(?=\S))", code)
    if key and key.group(2) == "：":
        fixed = code.replace("：", ": ", 1).strip()
        hints.append(f"冒号须为半角「:」，冒号后加一个空格，应写成「{fixed}」")
    elif key:
        fixed = code.replace(":", ": ", 1).strip()
        hints.append(f"冒号后面要加一个空格，应写成「{fixed}」")
    if "\t" in code:
        hints.append("不能用 Tab 缩进，请用空格，并与上下同一级的行对齐")
    if "\u3000" in code:
        hints.append("含有全角空格「　」，请改成半角空格")
    pairs = (("[", "]"), ("{", "}"))
    if brackets and (
        any(code.count(a) != code.count(b) for a, b in pairs)
        or any(code.count(q) % 2 for q in "\"'")
    ):
        hints.append("括号或引号没有配对：[ ] { } 和英文引号 \" ' 都要成对出现")
    return hints


def _yaml_message(name: str, exc: yaml.YAMLError, text: str) -> str:
    lines = text.splitlines() or [""]
    if isinstance(exc, yaml.reader.ReaderError):
        bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
        at = text.count("\n", 0, bad.start()) if bad else 0
        return (
            f"{name} 第 {at + 1} 行有格式错误：含有不可见的特殊字符（可能是从网页或 Word "
            "复制来的），请删掉这一行后用键盘重新输入"
        )
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    last = min(problem.line if problem is not None else len(lines) - 1, len(lines) - 1)
    first = context.line if context is not None and context.line <= last else last
    # The cause is on the problem line or above it, down to where the open structure began.
    found = [(i, h) for i in range(max(first, 0), last + 1) if (h := _line_hints(lines[i]))]
    if not found:
        # A key with a full-width colon (or no space after the colon) is read as text and only
        # fails on a later line: the nearest such line above.
        found = [(i, h) for i in range(last, -1, -1) if (h := _line_hints(lines[i], False))][:1]
    if not found:
        generic = (
            "请检查这一行和上一行：缩进是否与同一级的行对齐（只用空格），键和值之间是否为"
            "半角冒号加空格（如 county: 崇阳县），括号和引号是否成对"
        )
        found = [(max(last, 0), [generic])]
    return "\n".join(
        f"{name} 第 {i + 1} 行有格式错误：{lines[i].strip()}\n  " + "\n  ".join(hints)
        for i, hints in found[:5]
    )


# -- reading --------------------------------------------------------------------------------------

# libyaml's loader when PyYAML has it: 10x faster on a province's unit list
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SAVE_AS_UTF8 = "请用 UTF-8 编码保存 config.yaml（记事本：另存为 → 编码选 UTF-8）"


def _decode(name: str, raw: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Notepad's "Unicode"), or GBK / GB18030
    (Notepad's "ANSI" on a Chinese Windows)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise ConfigError(f"{name} 的编码无法识别：{_SAVE_AS_UTF8}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # A UTF-8 file with a few stray bytes is not a GBK file: decoding it as GB18030 would
        # turn every unit name into different characters without an error.
        lenient = raw.decode("utf-8", errors="replace")
        wrong = lenient.count("\ufffd")
        right = sum(1 for c in lenient if c > "\x7f") - wrong
        if right > wrong:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise ConfigError(
                f"{name} 第 {line} 行有无法识别的字符（可能是从别处粘贴的）：请删掉后重新输入"
                f"这一行，{_SAVE_AS_UTF8}"
            ) from None
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise ConfigError(f"{name} 的编码无法识别：{_SAVE_AS_UTF8}") from None


def _missing_file(path: Path) -> str:
    where = path.absolute()
    if path.is_dir():
        return (
            f"「{where}」是一个文件夹，不是配置文件：请用 cqo -c {where / 'config.yaml'} 指定文件"
        )
    if not path.is_absolute() and path.parent == Path("."):
        return (
            f"在当前文件夹「{Path.cwd()}」中找不到 {path.name}：请先进入存放 {path.name} 的"
            f"工作文件夹，或用 cqo -c <路径>\\{path.name} 指定"
        )
    folder = "" if where.parent.is_dir() else f"（文件夹「{where.parent}」也不存在）"
    return f"找不到配置文件「{where}」{folder}：请检查 -c 后面的路径和文件名"


def load_config(path: str | Path = "config.yaml") -> Config:
    """Read and check the config file; raise ConfigError naming every bad key."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise ConfigError(_missing_file(path))
    try:
        raw = path.read_bytes()
    except OSError:
        raise ConfigError(
            f"无法读取「{path.absolute()}」：请确认有权限打开它，并关闭正在编辑它的其它程序"
        ) from None
    text = _decode(name, raw)
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_message(name, exc, text)) from None
    if data is None:
        raise ConfigError(f"{name} 是空的（或只有注释）：请以随程序提供的 config.yaml 为模板填写")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{name} 的写法不对：最外层应是一行一项的「键: 值」（如 county: 崇阳县），"
            "请以随程序提供的 config.yaml 为模板填写"
        )
    root = path.resolve().parent
    try:
        config = Config.model_validate({**data, "root": root})
    except ValidationError as exc:
        raise ConfigError(_validation_message(name, exc, data, text)) from None
    paths = config.paths
    resolved = {
        k: (root / v).resolve() if v is not None and not Path(v).is_absolute() else v
        for k, v in paths.model_dump().items()
    }
    return config.model_copy(update={"paths": Paths(**resolved)})
