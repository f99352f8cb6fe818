"""Load and check config.yaml: every bad key is reported in one Chinese message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

EDUCATION_LEVELS = ("初中", "高中", "中专", "大专", "本科", "硕士", "博士")
TITLE_LEVELS = ("初级", "中级", "副高级", "正高级")
CATEGORIES = ("规上", "重点行业中小微")


class ConfigError(Exception):
    """The configuration cannot be used; the message names every bad key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Paths(_Strict):
    input: Path = Path("input")
    output: Path = Path("output")
    base_list: Path | None = None
    store: Path | None = None


class Unit(_Strict):
    name: str
    kind: Literal["乡镇", "园区", "部门"]
    code: str | None = None
    aliases: tuple[str, ...] = ()


class Requirements(_Strict):
    min_quality_years: float = Field(ge=0, le=60)
    min_education: Literal["初中", "高中", "中专", "大专", "本科", "硕士", "博士"]
    equivalent_min_title: Literal["初级", "中级", "副高级", "正高级"] | None = None


class Profile(Requirements):
    change_registration_days: int = Field(default=30, ge=0, le=3650)
    require_training: bool = False
    require_pledge: bool = False
    require_annual_report: bool = False
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
    min_education: Literal["初中", "高中", "中专", "大专", "本科", "硕士", "博士"] | None = None
    equivalent_min_title: Literal["初级", "中级", "副高级", "正高级"] | None = None


Profile.model_rebuild()


class Milestone(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    date: dt.date
    above_size: float = Field(alias="规上", ge=0, le=1)
    key_small_micro: float = Field(alias="重点行业中小微", ge=0, le=1)

    def target(self, category: str) -> float:
        return self.above_size if category == "规上" else self.key_small_micro


class Limits(_Strict):
    max_file_mb: float = Field(default=50, gt=0)
    max_unzipped_mb: float = Field(default=500, gt=0)
    max_rows_per_sheet: int = Field(default=1_000_000, gt=0)


class Config(_Strict):
    county: str = "崇阳县"
    county_code: str = "421223"
    paths: Paths = Paths()
    units: tuple[Unit, ...]
    key_industries: tuple[str, ...] = ()
    profile: str
    profiles: dict[str, Profile]
    start: dt.date = dt.date(2021, 1, 1)
    milestones: tuple[Milestone, ...]
    submission_deadline_days: int = Field(default=10, ge=0, le=366)
    fonts: tuple[str, ...] = ()
    limits: Limits = Limits()
    # Directory of the config file; relative paths were resolved against it.
    root: Path = Path(".")

    @field_validator("units")
    @classmethod
    def _unique_units(cls, units: tuple[Unit, ...]) -> tuple[Unit, ...]:
        seen: set[str] = set()
        dupes = sorted({u.name for u in units if u.name in seen or seen.add(u.name)})
        if dupes:
            raise ValueError(f"单位名称重复：{'、'.join(dupes)}")
        return units

    @field_validator("milestones")
    @classmethod
    def _ordered(cls, ms: tuple[Milestone, ...]) -> tuple[Milestone, ...]:
        if not ms:
            raise ValueError("至少需要一个目标节点")
        dates = [m.date for m in ms]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("目标节点的日期必须按时间先后排列且不重复")
        return ms

    @model_validator(mode="after")
    def _known_profile(self) -> Config:
        if self.profile not in self.profiles:
            known = "、".join(self.profiles) or "（无）"
            raise ValueError(f"profile「{self.profile}」未在 profiles 中定义（已定义：{known}）")
        if self.start >= self.milestones[0].date:
            raise ValueError("start 必须早于第一个目标节点")
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


def _format_errors(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(根)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "未知的配置项（拼写错误？）"
        elif e["type"] == "missing":
            msg = "缺少必填的配置项"
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        lines.append(f"  - {loc}: {msg}（当前值：{e.get('input')!r}）"[:300])
    return "\n".join(lines)


def load_config(path: str | Path = "config.yaml") -> Config:
    """Read and check the config file; raise ConfigError naming every bad key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"找不到配置文件：{path}")
    try:
        # libyaml's loader when PyYAML has it: 10x faster on a province's unit list
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"配置文件 {path} 不是有效的 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"配置文件 {path} 的顶层必须是键值对")
    root = path.resolve().parent
    try:
        config = Config.model_validate({**data, "root": root})
    except ValidationError as exc:
        raise ConfigError(f"配置文件 {path} 有误：\n{_format_errors(exc)}") from exc
    paths = config.paths
    resolved = {
        k: (root / v).resolve() if v is not None and not Path(v).is_absolute() else v
        for k, v in paths.model_dump().items()
    }
    return config.model_copy(update={"paths": Paths(**resolved)})
