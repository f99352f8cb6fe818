"""config.yaml errors as a clerk reads them: Chinese, with the file, line and key, and what to
write instead; the spellings that are accepted; GBK files; aliases that lead to two units."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import ConfigError, load_config
from tests.helpers import ROOT

# A small config of our own (the shipped config.yaml may change under other sessions).
BASE = """\
# 测试用配置
county: 崇阳县
county_code: "421223"
units:
  - {name: 天城镇, kind: 乡镇, code: "421223100"}
  - {name: 桂花泉镇, kind: 乡镇, aliases: [桂花泉]}
  - {name: 县经信局, kind: 部门, aliases: [经信局]}
profile: 崇阳县2022
profiles:
  崇阳县2022:
    min_quality_years: 3
    min_education: 大专
    equivalent_min_title: 中级
    small_micro:
      min_education: 中专
start: 2021-01-01
milestones:
  - {date: 2021-12-31, 规上: 0.50, 重点行业中小微: 0.30}
  - {date: 2023-12-31, 规上: 0.80, 重点行业中小微: 0.50}
submission_deadline_days: 10
"""

# Phrases of pydantic's, PyYAML's and Python's English that must never reach a clerk.
ENGLISH = (
    "Input should",
    "Value error",
    "while parsing",
    "while scanning",
    "did not find",
    "expected",
    "found character",
    "codec",
    "PosixPath",
    "WindowsPath",
    "{'",
)


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "config.yaml"
    path.write_bytes(text.encode(encoding))
    return path


def _edit(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def _line(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def _error(tmp_path: Path, text: str, encoding: str = "utf-8") -> str:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text, encoding))
    msg = str(info.value)
    for phrase in ENGLISH:
        assert phrase not in msg, msg
    assert not re.search(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b", msg), msg  # English prose
    return msg


def test_base_config_loads(tmp_path):
    config = load_config(_write(tmp_path, BASE))
    assert config.county == "崇阳县" and config.rules.min_education == "大专"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "submission_deadline_days: 10",
            "submission_deadline_days: 十天",
            ["submission_deadline_days：「十天」不是整数", "0～366 的整数", "如 10"],
        ),
        (
            "规上: 0.80",
            "规上: 80",
            ["milestones 第 2 项的 规上：80 超出范围", "请写成 0～1 的小数，80% 写作 0.80"],
        ),
        (
            "min_education: 大专",
            "min_education: 大学",
            [
                "profiles.崇阳县2022.min_education",
                "「大学」",
                "初中、高中、中专、大专、本科、硕士、博士",
            ],
        ),
        (
            "{name: 天城镇, kind: 乡镇",
            "{name: 天城镇, kind: 镇",
            ["units 第 1 项（天城镇）的 kind：「镇」不是可选的值", "乡镇、园区、部门"],
        ),
        (
            "date: 2023-12-31",
            "date: 去年年底",
            ["milestones 第 2 项的 date：「去年年底」不是日期", "2021-12-31"],
        ),
        (
            "date: 2023-12-31",
            "date: 2023年2月30日",
            ["milestones 第 2 项的 date：「2023年2月30日」这一天不存在", "2021-12-31"],
        ),
        (
            "min_quality_years: 3",
            "min_quality_years: 100",
            ["min_quality_years：100 超出范围", "0～60"],
        ),
        (
            "    equivalent_min_title: 中级",
            "    equivalent_min_title: 高级",
            ["「高级」不是可选的值", "初级、中级、副高级、正高级", "null"],
        ),
        (
            "    min_quality_years: 3\n",
            "    min_quality_years: 3\n    require_training: 不要\n",
            ["require_training：「不要」不是 true 或 false", "true（要求）或 false（不要求）"],
        ),
        (
            "aliases: [桂花泉]",
            "aliases: ［桂花泉］",
            ["的 aliases：「［桂花泉］」不是列表", "半角", "[桂花泉]"],
        ),
        (
            "county: 崇阳县",
            "county:",
            ["county：这里是空的：请写成县名，如 崇阳县"],
        ),
        (
            "submission_deadline_days: 10",
            "submission_deadlne_days: 10",
            ["未知的配置项「submission_deadlne_days」", "是不是「submission_deadline_days」"],
        ),
    ],
)
def test_value_errors_in_chinese_with_line_and_key(tmp_path, old, new, expected):
    text = _edit(old, new)
    msg = _error(tmp_path, text)
    line = _line(text, new.strip().splitlines()[-1])
    assert msg.startswith(f"{tmp_path / 'config.yaml'} 第 {line} 行 "), msg
    for part in expected:
        assert part in msg, msg


def test_every_error_is_listed_once_with_its_own_line(tmp_path):
    text = _edit("submission_deadline_days: 10", "submission_deadline_days: 十天")
    text = text.replace("规上: 0.80", "规上: 80").replace("kind: 部门", "kind: 局")
    msg = _error(tmp_path, text)
    assert "有 3 处需要修改" in msg
    assert f"第 {_line(text, '规上: 80')} 行 milestones 第 2 项的 规上" in msg
    assert f"第 {_line(text, 'kind: 局')} 行 units 第 3 项（县经信局）的 kind" in msg
    assert f"第 {_line(text, '十天')} 行 submission_deadline_days" in msg


def test_missing_county_is_required(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, _edit("county: 崇阳县\n", ""))
    with pytest.raises(ConfigError) as info:
        load_config("config.yaml")
    assert str(info.value) == "config.yaml 缺少 county（县名，如 崇阳县）"


def test_shipped_config_sets_county():
    assert load_config(ROOT / "config.yaml").county


def test_county_code_is_optional_and_may_be_unquoted(tmp_path):
    assert load_config(_write(tmp_path, _edit('county_code: "421223"\n', ""))).county_code is None
    config = load_config(_write(tmp_path, _edit('"421223100"', "421223100")))
    assert config.units[0].code == "421223100"


def test_missing_key_in_an_item_names_the_item_and_its_line(tmp_path):
    text = _edit("{name: 天城镇, kind: 乡镇, ", "{name: 天城镇, ")
    msg = _error(tmp_path, text)
    assert f"第 {_line(text, '{name: 天城镇')} 行 units 第 1 项（天城镇）缺少 kind" in msg


def test_no_whole_config_is_printed(tmp_path):
    msg = _error(tmp_path, "county: 崇阳县\nunits: 1\nbogus: true\n")
    assert "缺少 profile" in msg and "缺少 milestones" in msg and "「bogus」" in msg
    assert "'root'" not in msg and "当前值" not in msg
    msg = _error(tmp_path, _edit("profile: 崇阳县2022", "profile: 崇阳县2023"))
    assert "「崇阳县2023」未在 profiles 中定义" in msg and "崇阳县2022" in msg
    assert "county" not in msg


def test_empty_and_non_mapping_files(tmp_path):
    assert "是空的" in _error(tmp_path, "")
    assert "是空的" in _error(tmp_path, "# 只有注释\n")
    assert "最外层应是一行一项的「键: 值」" in _error(tmp_path, "- 天城镇\n")


def test_start_after_first_milestone(tmp_path):
    msg = _error(tmp_path, _edit("start: 2021-01-01", "start: 2022-01-01"))
    assert "start：2022-01-01 不早于第一个目标节点的日期 2021-12-31" in msg


# -- accepted spellings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"), [("80%", 0.8), ("100%", 1.0), ("８０％", 0.8), ("33.3%", 0.333)]
)
def test_percent_targets_are_accepted(tmp_path, written, value):
    config = load_config(_write(tmp_path, _edit("规上: 0.80", f"规上: {written}")))
    assert config.milestones[1].above_size == value


def test_percent_over_100_is_still_out_of_range(tmp_path):
    assert "0～1 的小数" in _error(tmp_path, _edit("规上: 0.80", "规上: 120%"))


@pytest.mark.parametrize(
    ("written", "level"),
    [("专科", "大专"), ("本科学历", "本科"), ("大专及以上", "大专"), ("硕士研究生", "硕士")],
)
def test_education_synonyms(tmp_path, written, level):
    text = _edit("    min_education: 大专", f"    min_education: {written}")
    text = text.replace("      min_education: 中专", f"      min_education: {written}")
    config = load_config(_write(tmp_path, text))
    assert config.rules.min_education == level
    assert config.rules.for_small_micro().min_education == level


@pytest.mark.parametrize(
    ("written", "title"), [("副高", "副高级"), ("中级职称", "中级"), ("不认可", None)]
)
def test_title_synonyms(tmp_path, written, title):
    config = load_config(_write(tmp_path, _edit("title: 中级", f"title: {written}")))
    assert config.rules.equivalent_min_title == title


@pytest.mark.parametrize("written", ["2021年12月31日", "2021/12/31", "2021.12.31", "20211231"])
def test_chinese_and_slashed_dates(tmp_path, written):
    config = load_config(_write(tmp_path, _edit("date: 2021-12-31", f"date: {written}")))
    assert config.milestones[0].date == dt.date(2021, 12, 31)
    config = load_config(_write(tmp_path, _edit("start: 2021-01-01", "start: 2021年1月1日")))
    assert config.start == dt.date(2021, 1, 1)


# -- YAML syntax ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        ("county: 崇阳县", "county: [崇阳县", "括号或引号没有配对"),
        ("county: 崇阳县", "county：崇阳县", "冒号须为半角「:」"),
        ("    min_quality_years: 3", "    min_quality_years：3", "冒号须为半角「:」"),
        ("county: 崇阳县", "county:崇阳县", "冒号后面要加一个空格"),
        ("    min_education: 大专", "\tmin_education: 大专", "不能用 Tab 缩进，请用空格"),
        ('county_code: "421223"', 'county_code: "421223', "括号或引号没有配对"),
        (
            '{name: 天城镇, kind: 乡镇, code: "421223100"}',
            "{name: 天城镇, kind: 乡镇",
            "括号或引号",
        ),
    ],
)
def test_yaml_syntax_errors_quote_the_line(tmp_path, old, new, hint):
    text = _edit(old, new)
    msg = _error(tmp_path, text)
    line = _line(text, new)
    assert f"config.yaml 第 {line} 行有格式错误：" in msg and new.strip() in msg, msg
    assert hint in msg, msg


def test_full_width_colon_gives_the_corrected_line(tmp_path):
    msg = _error(tmp_path, _edit("county: 崇阳县", "county：崇阳县"))
    assert "应写成「county: 崇阳县」" in msg


def test_yaml_error_without_a_known_cause_still_names_the_line(tmp_path):
    text = _edit("    min_education: 大专", "     min_education: 大专")
    msg = _error(tmp_path, text)
    assert re.search(r"config\.yaml 第 \d+ 行有格式错误", msg) and "缩进" in msg


def test_invisible_character(tmp_path):
    msg = _error(tmp_path, _edit("county: 崇阳县", "county: 崇\x07阳县"))
    assert f"第 {_line(BASE, 'county:')} 行有格式错误：含有不可见的特殊字符" in msg


# -- encodings ------------------------------------------------------------------------------------


def test_gbk_config_is_read(tmp_path):
    config = load_config(_write(tmp_path, BASE, "gbk"))
    assert config.county == "崇阳县"
    assert config.unit_names() == ["天城镇", "桂花泉镇", "县经信局"]
    assert config.rules.min_education == "大专"


def test_utf8_bom_and_utf16_are_read(tmp_path):
    assert load_config(_write(tmp_path, BASE.replace("\n", "\r\n"), "utf-8-sig")).county == "崇阳县"
    assert load_config(_write(tmp_path, BASE, "utf-16")).county == "崇阳县"


def test_undecodable_file_asks_for_utf8(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"county: \xff\xfe\xff\x80\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "请用 UTF-8 编码保存 config.yaml（记事本：另存为 → 编码选 UTF-8）" in str(info.value)


def test_utf8_file_with_a_pasted_gbk_line_is_not_misread(tmp_path):
    """Decoding a mostly-UTF-8 file as GB18030 would garble every unit name without an error."""
    raw = BASE.encode("utf-8").replace("经信局]".encode(), "经信局]".encode("gbk"))
    path = tmp_path / "config.yaml"
    path.write_bytes(raw)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    msg = str(info.value)
    assert f"第 {_line(BASE, '经信局]')} 行有无法识别的字符" in msg and "UTF-8" in msg


# -- units and aliases ----------------------------------------------------------------------------


def test_alias_equal_to_another_units_name(tmp_path):
    text = _edit("aliases: [桂花泉]", "aliases: [桂花泉, 天城镇]")
    msg = _error(tmp_path, text)
    assert "单位「桂花泉镇」的别名「天城镇」与单位「天城镇」重名：一个别名只能指向一个单位" in msg
    assert f"第 {_line(text, '天城镇]')} 行 units 第 2 项（桂花泉镇）的 aliases" in msg


def test_alias_shared_by_two_units(tmp_path):
    msg = _error(tmp_path, _edit("aliases: [经信局]", "aliases: [经信局, 桂花泉]"))
    assert "单位「县经信局」的别名「桂花泉」也是单位「桂花泉镇」的别名" in msg


def test_alias_equal_to_its_own_name_and_repeated_alias_are_harmless(tmp_path):
    text = _edit("aliases: [桂花泉]", "aliases: [桂花泉, 桂花泉镇, 桂花泉]")
    assert load_config(_write(tmp_path, text)).units[1].aliases == ("桂花泉", "桂花泉镇", "桂花泉")


def test_duplicate_unit_name(tmp_path):
    text = _edit("{name: 县经信局", "{name: 天城镇")
    msg = _error(tmp_path, text)
    assert "单位名称「天城镇」与第 1 项「天城镇」重复" in msg


# -- the file itself ------------------------------------------------------------------------------


def test_no_config_in_current_folder_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config()
    assert str(info.value) == (
        f"在当前文件夹「{Path.cwd()}」中找不到 config.yaml：请先进入存放 config.yaml 的工作文件夹，"
        "或用 cqo -c <路径>\\config.yaml 指定"
    )


def test_missing_explicit_path_and_folder(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    assert f"找不到配置文件「{tmp_path / 'nope.yaml'}」" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "是一个文件夹，不是配置文件" in str(info.value)


def test_config_import_stays_light():
    """A config error is reported in well under 0.3 s: no pandas behind pipeline.config."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys, pipeline.config; print('pandas' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.stdout.strip() == "False", done.stderr
