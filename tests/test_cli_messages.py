"""What a clerk reads: every message of `cqo` in Chinese, saying what to do, with the exit code
of the contract (0 done, 1 failure or errors found, 2 usage or config error)."""

from __future__ import annotations

import contextlib
import errno
import io

import pytest
import yaml

from pipeline.cli import main
from tests.helpers import BASE, ROOT, cqo_row, make_id, make_uscc, write_base, write_xlsx

P1 = make_id(seq=101)
# 21 more 天城镇 enterprises, all appointed: with 甲机械, 22 match "有限公司" (20 are printed)
EXTRA = [
    (f"崇阳县第{i}电子有限公司", make_uscc(f"MA49001{i:02d}"), "天城镇", "规上", "县经信局", "中型")
    for i in range(21)
]


def _config(tmp_path, base=True, aliases=None) -> str:
    data = yaml.safe_load((ROOT / "config.yaml").read_text("utf-8"))
    data["paths"] = {"input": "input", "output": "output"}
    for unit in data["units"]:
        unit["aliases"] = list(unit.get("aliases", [])) + (aliases or {}).get(unit["name"], [])
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    if base:
        write_base(tmp_path / "input" / "企业名录.xlsx")
    return str(cfg)


@pytest.fixture
def cfg(tmp_path):
    return _config(tmp_path)


@pytest.fixture
def wide(monkeypatch):
    """The width of a cmd.exe window."""
    monkeypatch.setenv("COLUMNS", "80")


def _main(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """One processed quarter: 22 enterprises of 天城镇 appointed, 乙纺织 not; 沙坪镇 sent a row
    with a wrong ID number. The first two runs' output is kept."""
    root = tmp_path_factory.mktemp("county")
    cfg = _config(root, base=False, aliases={"天城镇": ["城关镇"]})
    write_base(root / "input" / "企业名录.xlsx", BASE + EXTRA)
    q = root / "input" / "2026Q1"
    rows = [cqo_row(0, "张伟", P1)]
    for i, (name, code, *_) in enumerate(EXTRA):
        rows.append(
            cqo_row(0, f"李{i}", make_id(seq=200 + i), 企业名称=name, 统一社会信用代码=code)
        )
    write_xlsx(q / "天城镇.xlsx", rows)
    write_xlsx(q / "沙坪镇.xlsx", [cqo_row(2, "周芳", P1[:-1] + "0")])
    first = _main(["-c", cfg, "run", "--quarter", " 2026q1 "])
    second = _main(["run", "-c", cfg])
    return root, cfg, first, second


# -- 8: a folder that cannot be written ----------------------------------------------------


def test_permission_error_says_where_and_what_to_do(cfg, tmp_path, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(tmp_path / "报告"))

    monkeypatch.setattr("pipeline.run.run", refuse)
    assert main(["-c", cfg, "run"]) == 1
    err = capsys.readouterr().err
    assert f"没有权限在「{tmp_path / '报告'}」创建文件夹或写入文件" in err
    assert "请换一个输出目录" in err and "正被其他程序占用" in err
    assert "运行出错" not in err and "Errno" not in err


def test_output_folder_that_cannot_be_created(cfg, tmp_path, capsys):
    (tmp_path / "input" / "2026Q1").mkdir()
    blocker = tmp_path / "一个文件"
    blocker.write_text("x")
    assert main(["-c", cfg, "run", "--output", str(blocker / "报告")]) == 1
    err = capsys.readouterr().err
    assert "创建文件夹或写入文件" in err and "请换一个输出目录" in err
    assert str(blocker) in err and "运行出错" not in err and "Not a directory" not in err


# -- 11: folders, wildcards, missing files ---------------------------------------------------


def test_validate_folder_and_wildcard_skip_lock_files(cfg, tmp_path, capsys):
    folder = tmp_path / "报送 文件"
    write_xlsx(folder / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    (folder / "~$天城镇.xlsx").write_bytes(b"lock file of Excel")
    (folder / "说明.txt").write_text("not a submission", "utf-8")
    fb = str(tmp_path / "fb")
    assert main(["-c", cfg, "validate", str(folder), "--output", fb]) == 0
    out = capsys.readouterr().out
    assert "天城镇.xlsx：填报单位 天城镇，读取 1 行" in out
    assert "~$" not in out and "说明.txt" not in out and "未发现问题" in out
    # cmd.exe passes *.xlsx as written: cqo expands it
    assert main(["-c", cfg, "validate", str(folder / "*.xlsx"), "--output", fb]) == 0
    out = capsys.readouterr().out
    assert "读取 1 行" in out and "~$" not in out


def test_validate_missing_file_among_several(cfg, tmp_path, capsys):
    good = write_xlsx(tmp_path / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    fb = str(tmp_path / "fb")
    args = ["-c", cfg, "validate", str(tmp_path / "没有这个.xlsx"), str(good), "--output", fb]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "读取 1 行" in out and "未检查" in out and "找不到文件：" in out
    assert "没有这个.xlsx" in out
    pattern = str(tmp_path / "无此目录" / "*.xlsx")
    assert main(["-c", cfg, "validate", str(tmp_path / "没有这个.xlsx"), pattern]) == 2
    err = capsys.readouterr().err
    assert "找不到文件：" in err and "没有与之匹配的 Excel/CSV 文件" in err
    assert "没有可检查的文件" in err


# -- 16: options after the command, argparse in Chinese ------------------------------------


def test_config_and_verbose_after_the_command(cfg, tmp_path, capsys):
    out = str(tmp_path / "t")
    assert main(["template", "--unit", "天城镇", "-c", cfg, "-v", "--output", out]) == 0
    assert "已生成 1 份报送模板" in capsys.readouterr().out
    # given before the command only: not overwritten by the command's own (absent) option
    assert main(["-c", cfg, "template", "--unit", "天城镇", "--output", out]) == 0
    # given after: wins (the file does not exist)
    assert main(["-c", cfg, "template", "-c", str(tmp_path / "无.yaml")]) == 2
    assert "找不到配置文件" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["rn"], "没有「rn」这个命令（可用命令：run、validate、template、demo、roster）"),
        (["run", "--bogus"], "无法识别的参数：--bogus；运行 cqo run --help 查看用法"),
        (["validate"], "缺少必需的参数：文件；运行 cqo validate --help 查看用法"),
        (["run", "--quarter"], "参数 --quarter：后面需要跟一个值"),
    ],
)
def test_usage_errors_in_chinese(argv, said, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and "用法错误：" in err and "用法：cqo" in err
    for english in ("usage:", "error:", "invalid choice", "unrecognized", "required", "expected"):
        assert english not in err


def test_help_in_chinese(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "用法：cqo" in out and "选项：" in out and "显示本帮助并退出" in out
    assert main(["validate", "-h"]) == 0
    out = capsys.readouterr().out
    assert "参数：" in out and "通配符" in out
    for english in ("usage:", "options:", "positional arguments", "show this help"):
        assert english not in out


# -- 19: tables fit an 80-column window without cutting text ---------------------------------


def test_findings_fold_instead_of_ellipsis(cfg, tmp_path, wide, capsys):
    bad = write_xlsx(
        tmp_path / "沙坪镇 报送表.xlsx",
        [cqo_row(2, "周芳", P1[:-1] + "0"), cqo_row(3, "王五", "4223251990" + "0101123")],
    )
    fb = tmp_path / "退回 修改" / "自查 结果"
    assert main(["-c", cfg, "validate", str(bad), "--output", str(fb)]) == 1
    out = capsys.readouterr().out
    assert "…" not in out
    header = next(line for line in out.splitlines() if "问题说明" in line)
    assert "文件" not in header  # one file: no 文件 column
    assert "身份证号「421223********1010」" in out.replace("\n", "").replace("│", "").replace(
        " ", ""
    )
    assert f"退回修改表（沙坪镇）：{fb / '沙坪镇.xlsx'}" in out  # the path is not broken


# -- 20: roster lookups ----------------------------------------------------------------------


def test_roster_current_appointment_is_in_office(county, wide):
    root, cfg, *_ = county
    code, out, _ = _main(["-c", cfg, "roster", "--enterprise", "甲机械"])
    assert code == 0
    assert "张伟" in out and "在任" in out and "nan" not in out and "…" not in out


def test_roster_enterprise_in_base_list_without_cqo(county):
    root, cfg, *_ = county
    code, out, _ = _main(["-c", cfg, "roster", "--enterprise", "乙纺织"])
    assert code == 0
    assert "「崇阳县乙纺织有限公司」在企业名录中（天城镇，规上），2026Q1 尚未聘任首席质量官" in out


def test_roster_no_hit_suggests_close_names(county):
    root, cfg, *_ = county
    code, out, _ = _main(["-c", cfg, "roster", "--enterprise", "甲机戒"])
    assert code == 1
    assert "没有找到「甲机戒」" in out and "您是否要找：崇阳县甲机械有限公司" in out


def test_roster_unit_alias_and_quarter_case(county):
    root, cfg, *_ = county
    code, out, _ = _main(["-c", cfg, "roster", "--unit", " 城关镇 ", "--quarter", "2026q1"])
    assert code == 0
    assert "天城镇 2026Q1 首席质量官名单（22 家）" in out and BASE[0][0] in out
    code, _, err = _main(["-c", cfg, "roster", "--unit", "天成镇"])
    assert code == 2
    assert "未配置的单位「天成镇」" in err and "您是否要找：天城镇" in err


def test_roster_many_hits_are_capped(county):
    root, cfg, *_ = county
    code, out, _ = _main(["-c", cfg, "roster", "--enterprise", "有限公司"])
    assert code == 0
    assert out.count("：2026Q1 首席质量官") == 20
    assert "另有 2 家，请输入更完整的企业名称" in out


# -- 21: template units ----------------------------------------------------------------------


def test_template_resolves_aliases_and_spaces(cfg, tmp_path, capsys):
    out = tmp_path / "t"
    for text in ("经信局", "桂花泉", "天城镇 "):
        assert main(["-c", cfg, "template", "--unit", text, "--output", str(out)]) == 0
    names = sorted(p.name.split("_")[0] for p in out.glob("*.xlsx"))
    assert names == ["县经信局", "天城镇", "桂花泉镇"]
    capsys.readouterr()
    assert main(["-c", cfg, "template", "--unit", "天成镇", "--output", str(tmp_path / "u")]) == 2
    err = capsys.readouterr().err
    assert "未配置的单位「天成镇」；可用单位：天城镇、沙坪镇" in err
    assert "您是否要找：天城镇" in err
    assert not (tmp_path / "u").exists()


# -- 22, 24: run --quarter, what a run says at the end ---------------------------------------


def test_run_names_units_to_send_back(county):
    root, cfg, (code, out, err), _ = county
    assert code == 0, err
    assert "2026Q1" in out and "已处理" in out  # --quarter " 2026q1 " was understood
    feedback = root / "output" / "2026Q1" / "退回修改"
    assert "需退回修改（有错误行）：沙坪镇 1 行" in out
    assert f"退回修改表共 1 份，请发回各单位：{feedback}" in out.replace("\n", "")
    assert "报告已写入" in out


def test_unchanged_run_says_nothing_was_regenerated(county):
    root, cfg, _, (code, out, err) = county
    assert code == 0, err
    assert "输入文件均未改变，未重新生成报告" in out and str(root / "output" / "2026Q1") in out
    assert "报告已写入" not in out
    assert "需退回修改（有错误行）：沙坪镇 1 行" in out  # a reminder of the latest quarter


# -- 25: Ctrl-C ------------------------------------------------------------------------------


def test_interrupted_run(cfg, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("pipeline.run.run", interrupted)
    assert main(["-c", cfg, "run"]) == 1
    err = capsys.readouterr().err
    assert "已中断：已完成的季度已保存；再次运行 cqo run 会自动重做未完成的季度。" in err


# -- 10, 4: what validate did not check ------------------------------------------------------


def test_validate_without_base_list_says_what_was_not_checked(tmp_path, capsys):
    cfg = _config(tmp_path, base=False)
    good = write_xlsx(tmp_path / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    assert main(["-c", cfg, "validate", str(good), "--output", str(tmp_path / "fb")]) == 0
    out = capsys.readouterr().out
    expected = tmp_path / "input" / "企业名录.xlsx"
    assert f"未找到企业名录（{expected}）：本次自查未核对企业是否在名录中" in out
    assert "企业规模未填的按一般企业的任职条件检查" in out


def test_validate_unfilled_template_is_not_a_pass(cfg, tmp_path, capsys):
    assert main(["-c", cfg, "template", "--unit", "天城镇", "--output", str(tmp_path / "t")]) == 0
    path = next((tmp_path / "t").glob("天城镇*.xlsx"))
    capsys.readouterr()
    assert main(["-c", cfg, "validate", str(path), "--output", str(tmp_path / "fb")]) == 1
    out = capsys.readouterr().out
    assert (
        f"{path.name}：没有读到任何首席质量官记录（只有表头或预填的企业名单）——请填写后再自查"
        in out
    )
    assert "未发现问题" not in out and "读取 0 行" not in out


def test_demo_refuses_to_overwrite_real_input(tmp_path, cfg):
    target = tmp_path / "input"  # holds the county's own base list (the cfg fixture)
    own = (target / "企业名录.xlsx").read_bytes()
    code, _, err = _main(["-c", cfg, "demo"])
    assert code == 2
    assert "未写入演示数据" in err and "企业名录.xlsx" in err and "--force" in err
    assert (target / "企业名录.xlsx").read_bytes() == own
    assert _main(["-c", cfg, "demo", "--force"])[0] == 0
    assert (target / "企业名录.xlsx").read_bytes() != own


def test_run_names_misnamed_folders_and_units_with_several_files(tmp_path, cfg, wide):
    q1 = tmp_path / "input" / "2026Q1"
    write_xlsx(q1 / "天城镇.xlsx", [cqo_row(1, "张伟", P1)])
    write_xlsx(q1 / "天城镇（更正）.xlsx", [cqo_row(1, "张伟", P1)])
    write_xlsx(tmp_path / "input" / "2026年二季度" / "天城镇.xlsx", [cqo_row(1, "张伟", P1)])
    code, out, _ = _main(["-c", cfg, "run"])
    assert code == 0
    flat = out.replace("\n", "")
    assert "未读取的文件夹「2026年二季度」，季度文件夹须命名为 2026Q2" in flat
    assert "同一单位有多个文件（都已读取）：天城镇（天城镇.xlsx、天城镇（更正）.xlsx）" in flat


def test_run_names_files_without_records_or_unit(tmp_path, cfg, wide):
    q1 = tmp_path / "input" / "2026Q1"
    write_xlsx(q1 / "天城镇.xlsx", [cqo_row(1, "张伟", P1)])
    write_xlsx(q1 / "沙坪镇.xlsx", [{"企业名称": None, "首席质量官姓名": None}])
    write_xlsx(q1 / "首席质量官报送表（最终版）.xlsx", [cqo_row(2, "李娜", make_id(seq=202))])
    code, out, _ = _main(["-c", cfg, "run"])
    assert code == 0
    flat = out.replace("\n", "")
    assert "没有读到任何记录的文件：沙坪镇.xlsx" in flat
    assert "认不出填报单位的文件：首席质量官报送表（最终版）.xlsx" in flat


def test_validate_says_when_no_fill_date_was_written(tmp_path, cfg, wide):
    bare = write_xlsx(tmp_path / "天城镇.xlsx", [cqo_row(1, "张伟", P1)])
    dated = write_xlsx(
        tmp_path / "沙坪镇.xlsx", [cqo_row(2, "李娜", make_id(seq=202))],
        title="填报单位：沙坪镇 填报日期：2026-10-08",
    )  # fmt: skip
    code, out, _ = _main(["-c", cfg, "validate", str(bare), str(dated)])
    flat = out.replace("\n", "")
    assert "天城镇.xlsx 没有填写填报日期" in flat
    assert "沙坪镇.xlsx 没有填写填报日期" not in flat
