"""The command line end to end on tmp_path: exit codes, messages, what gets written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml

from pipeline.cli import main
from tests.helpers import BASE, ROOT, cqo_row, make_id, write_base, write_xlsx

P1 = make_id(seq=101)


@pytest.fixture
def project(tmp_path):
    """A config file of our own under tmp_path, pointing at a small county."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text("utf-8"))
    data["paths"] = {"input": "input", "output": "output"}
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    write_base(tmp_path / "input" / "企业名录.xlsx")
    return tmp_path


def test_config_error_names_the_key_and_writes_nothing(tmp_path, capsys):
    data = yaml.safe_load((ROOT / "config.yaml").read_text("utf-8"))
    data["profiles"]["崇阳县2022"]["min_educaton"] = "大专"
    data["profile"] = "不存在"
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    assert main(["-c", str(cfg), "run", "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "min_educaton" in err and "未知的配置项" in err
    assert not (tmp_path / "out").exists()


def test_missing_config_and_bad_quarter(project, capsys):
    assert main(["-c", str(project / "nope.yaml"), "run"]) == 2
    assert "找不到配置文件" in capsys.readouterr().err
    (project / "input" / "2026Q1").mkdir()
    assert main(["-c", str(project / "config.yaml"), "run", "--quarter", "2026Q9"]) == 2
    assert "季度" in capsys.readouterr().err


def test_run_writes_every_output_and_prints_a_summary(project, capsys):
    write_xlsx(project / "input" / "2026Q1" / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    (project / "input" / "2026Q1" / "沙坪镇.xlsx").write_bytes(b"not a workbook at all")
    assert main(["-c", str(project / "config.yaml"), "run"]) == 0
    out = capsys.readouterr().out
    assert "2026Q1" in out and "读取失败" in out and "沙坪镇.xlsx" in out
    q = project / "output" / "2026Q1"
    for name in (
        "run_summary.json",
        "花名册.xlsx",
        "目标差距报告.xlsx",
        "督查报告.docx",
        "问题清单.xlsx",
        "退回修改/沙坪镇.xlsx",
    ):
        assert (q / name).is_file(), name
    assert sorted(p.name for p in (q / "charts").glob("*.png"))


def test_validate_self_check_exit_codes(project, capsys, tmp_path):
    good = write_xlsx(tmp_path / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    cfg = str(project / "config.yaml")
    assert main(["-c", cfg, "validate", str(good), "--output", str(tmp_path / "fb")]) == 0
    assert "未发现问题" in capsys.readouterr().out

    bad = write_xlsx(tmp_path / "沙坪镇.xlsx", [cqo_row(2, "周芳", P1[:-1] + "0", 学历="初中")])
    assert main(["-c", cfg, "validate", str(bad), "--output", str(tmp_path / "fb")]) == 1
    out = capsys.readouterr().out
    assert "身份证" in out and "错误" in out
    wb = openpyxl.load_workbook(tmp_path / "fb" / "沙坪镇.xlsx")
    assert wb.sheetnames[0] == "问题说明"
    assert not (project / "output" / "cqo.sqlite").exists()  # nothing stored


def test_template_round_trip_has_no_findings(project, tmp_path, capsys):
    cfg = str(project / "config.yaml")
    assert main(["-c", cfg, "template", "--unit", "天城镇", "--output", str(tmp_path / "t")]) == 0
    path = next((tmp_path / "t").glob("天城镇*.xlsx"))
    wb = openpyxl.load_workbook(path)
    ws = wb["报送表"]
    header_row = next(
        r for r in range(1, 10) if ws.cell(r, 2).value and "企业名称" in str(ws.cell(r, 2).value)
    )
    headers = {str(c.value).lstrip("*"): c.column for c in ws[header_row] if c.value}
    row = next(
        r
        for r in range(header_row + 1, header_row + 5)
        if ws.cell(r, headers["企业名称"]).value == BASE[0][0]
    )
    for label, value in {
        "首席质量官姓名": "张伟",
        "身份证号": P1,
        "性别": "男",
        "出生日期": "1990-01-01",
        "学历": "本科",
        "质量工作年限": "5",
        "手机": "13812345678",
    }.items():
        ws.cell(row, headers[label]).value = value
    wb.save(path)
    capsys.readouterr()
    assert main(["-c", cfg, "validate", str(path), "--output", str(tmp_path / "fb")]) == 0
    out = capsys.readouterr().out
    assert "读取 1 行" in out and "未发现问题" in out


def test_roster_lookup(project, capsys):
    write_xlsx(project / "input" / "2026Q1" / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    cfg = str(project / "config.yaml")
    assert main(["-c", cfg, "roster", "--enterprise", "甲机械"]) == 2  # nothing processed yet
    assert main(["-c", cfg, "run"]) == 0
    capsys.readouterr()
    assert main(["-c", cfg, "roster", "--enterprise", BASE[0][1]]) == 0
    out = capsys.readouterr().out
    assert "张伟" in out and "2026Q1" in out
    assert main(["-c", cfg, "roster", "--unit", "天城镇"]) == 0
    assert BASE[0][0] in capsys.readouterr().out
    assert main(["-c", cfg, "roster", "--enterprise", "不存在的公司"]) == 1


def test_installed_command_smoke(project):
    exe = shutil.which("cqo")
    if exe is None:
        pytest.skip("cqo is not installed in this environment")
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "validate" in done.stdout
    done = subprocess.run(
        [exe, "-c", str(project / "nope.yaml"), "run"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "找不到配置文件" in done.stderr


def test_module_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(ROOT),
    )
    assert done.returncode == 0 and "template" in done.stdout
