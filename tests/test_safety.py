"""Survives attack and accident: formula injection, kill -9, concurrent runs, personal data
leaks, and its own bugs (the run reconciles itself and fails loudly, nothing half-written)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from pipeline.cli import main as cli_main
from pipeline.run import run
from pipeline.store import Store
from tests.helpers import (
    BASE,
    ROOT,
    county,
    cqo_row,
    make_id,
    make_uscc,
    write_base,
    write_xlsx,
)

POSIX = sys.platform != "win32"
P1, P2, P3, P4 = (make_id(seq=s) for s in (101, 203, 305, 407))
P5 = make_id(region="422325", birth="19850315", seq=512)


# -- helpers ---------------------------------------------------------------------------------


def _files(folder: Path) -> dict[str, str]:
    """Every output file (not the lock, the store, or a killed run's staging scratch, which
    the next run removes) -> sha256 of its bytes."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.relative_to(folder).parts[0].endswith(".staging"):
            continue
        if p.is_file() and p.name != ".cqo.lock" and not p.name.startswith("cqo.sqlite"):
            out[p.relative_to(folder).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


_JSON = {"orient": "split", "force_ascii": False, "date_format": "iso"}


def _store_state(config) -> dict:
    with Store(config.store_path) as store:
        quarters = store.quarters()
        state = {"quarters": quarters}
        for table in ("roster", "findings", "submissions", "rates", "changes"):
            state[table] = store.read(table).to_json(**_JSON)
        state["appointments"] = store.appointments().to_json(**_JSON)
    return state


def _integrity(config) -> str:
    conn = sqlite3.connect(config.store_path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _results(config) -> dict:
    """What a finished output holds, minus what legitimately differs between two runs (timings,
    file timestamps): summaries, roster rows as written, the stored roster and findings."""
    out: dict = {"files": sorted(_files(config.output_dir))}
    for summary in sorted(config.output_dir.glob("*/run_summary.json")):
        data = json.loads(summary.read_text("utf-8"))
        data.pop("timings", None)
        out[summary.parent.name] = data
        with (summary.parent / "花名册.xlsx").open("rb") as fh:
            book = CalamineWorkbook.from_filelike(fh)
            out[summary.parent.name + "/花名册"] = book.get_sheet_by_name("花名册").to_python()
    with Store(config.store_path) as store:
        for table in ("roster", "findings", "rates"):
            out["store:" + table] = store.read(table).to_json(**_JSON)
    return out


def _write_inputs(config, version: str) -> None:
    """2026Q1 (written once: a rewrite changes the bytes, hence the quarter) and 2026Q2."""
    q1, q2 = config.input_dir / "2026Q1", config.input_dir / "2026Q2"
    if not q1.is_dir():
        write_xlsx(
            q1 / "天城镇.xlsx", [cqo_row(0, "张伟", P1), cqo_row(1, "李娜", P2, 学历="初中")]
        )
        write_xlsx(q1 / "沙坪镇.xlsx", [cqo_row(2, "周芳", P3), cqo_row(3, "王五", P4[:-1])])
    if version == "A":
        write_xlsx(q2 / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    else:  # a change of CQO, a rejected row, and a new file
        write_xlsx(q2 / "天城镇.xlsx", [cqo_row(0, "陈静", P5), cqo_row(1, "李娜", "123")])
        write_xlsx(q2 / "县经信局.xlsx", [cqo_row(2, "周芳", P3, 备注="复核")])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """An uninterrupted run on version B of the inputs: what every recovery must equal."""
    tmp = tmp_path_factory.mktemp("reference")
    config = county(tmp)
    _write_inputs(config, "B")
    run(config)
    return _results(config)


# -- 1. formula injection: every workbook the tool writes ------------------------------------

PAYLOADS = [
    "=1+1",
    "+2+3",
    "-4+5",
    "@SUM(6,7)",
    "\t=8+9",
    "\r=10+11",
    '=HYPERLINK("http://example.invalid","点这里")',
    "=cmd|' /C calc'!A0",
]
_CORE = [p.strip("\t\r") for p in PAYLOADS]  # what remains after trimming (normalize trims)


def _write_text_cells(path: Path, rows: list[dict], sheet: str = "Sheet") -> Path:
    """Like helpers.write_xlsx, but "=..." stays text (openpyxl would store a formula)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    headers = list(dict.fromkeys(k for r in rows for k in r))
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _injection_scenario(tmp_path):
    config = county(tmp_path)
    extra = [
        (f"{p}有限公司", make_uscc(f"MA49100{i:02d}"), "天城镇", "规上", "县经信局", "小型")
        for i, p in enumerate(PAYLOADS)
    ]
    _write_text_cells(
        config.input_dir / "企业名录.xlsx",
        [
            {
                "企业名称": n,
                "统一社会信用代码": c,
                "所属乡镇": t,
                "所属行业": "制造业",
                "企业类别": k,
                "主管部门": d,
                "企业规模": sc,
            }
            for n, c, t, k, d, sc in [*BASE, *extra]
        ],
    )
    rows = []
    for i, p in enumerate(PAYLOADS):  # every other CQO is 不合格: listed in the gap report
        rows.append(
            {
                "企业名称": extra[i][0],
                "统一社会信用代码": extra[i][1],
                "首席质量官姓名": p,
                "身份证号": make_id(seq=300 + i),
                "学历": "初中" if i % 2 else "本科",
                "质量工作年限": 5,
                "手机": "13812345678",
                "备注": p,
            }
        )
    rows.append(cqo_row(0, "赵六", "12345"))  # an error: the unit gets a feedback workbook
    for r in rows:
        r["=SUM(A1:A9)"] = "未知列"  # a header nobody understands: reported in 问题清单
    source = config.input_dir / "2026Q1" / "=HYPERLINK(1)天城镇.xlsx"
    _write_text_cells(source, rows, sheet="=SUM(1,2)")
    return config, source


def _check_workbook(path: Path, tool_formulas: bool = False) -> list[str]:
    """Formula-like texts found in `path` (= + - @ first); fails if any is a formula."""
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
                xml = zf.read(name).decode("utf-8")
                formulas = re.findall(r"<f(?:\s[^>]*)?>(.*?)</f>", xml, re.S)
                if not tool_formulas:
                    assert not formulas and "<f " not in xml and "<f>" not in xml, (path, name)
                for f in formulas:  # the template's own formulas never carry sender text
                    assert not any(c.strip("=") in f for c in _CORE if len(c) > 4), f
    found = []
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str):
                    continue
                head = cell.value.lstrip("\t\r\n ")[:1]
                if head in "=+-@" and head:
                    if not (tool_formulas and cell.data_type == "f"):
                        assert cell.data_type == "s", (path.name, ws.title, cell.coordinate)
                    found.append(cell.value)
    return found


def test_formula_like_text_is_text_in_every_workbook(tmp_path):
    from pipeline import commands

    config, source = _injection_scenario(tmp_path)
    summary = run(config)[0].summary
    assert summary["totals"]["rows_read"] == len(PAYLOADS) + 1
    out = config.output_dir / "2026Q1"
    templates = commands.write_unit_templates(config, tmp_path / "templates", ["天城镇"], None)
    selfcheck = commands.check_files(config, [source], tmp_path / "自查", "2026Q1").feedback

    books = {
        "花名册": out / "花名册.xlsx",
        "问题清单": out / "问题清单.xlsx",
        "目标差距报告": out / "目标差距报告.xlsx",
        "退回修改": out / "退回修改" / "天城镇.xlsx",
        "自查": selfcheck["天城镇"],
    }
    assert sorted(p.name for p in out.rglob("*.xlsx")) == sorted(
        {p.name for k, p in books.items() if k != "自查"}
    )  # no workbook left unchecked
    for kind, path in books.items():
        found = _check_workbook(path)
        assert found, f"{kind}: no payload written at all (the test would prove nothing)"
    (template,) = templates.values()
    assert _check_workbook(template, tool_formulas=True)

    # The supervision report: payloads are plain text, never a field code.
    with zipfile.ZipFile(out / "督查报告.docx") as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    assert "=cmd|" in xml  # the lagging enterprise is named
    assert "instrText" not in xml and "fldSimple" not in xml


# -- 2. crash safety: kill -9 at several points ----------------------------------------------

_CHILD = r"""
import os, sys, time, pathlib
sys.path.insert(0, {root!r})
flag, go = pathlib.Path({flag!r}), pathlib.Path({go!r})

def stall():
    flag.write_text("here")
    while not go.exists():  # the test kills us here, or lets us go on
        time.sleep(0.05)

{patch}

from pipeline.config import load_config
from pipeline.run import run
config = load_config({root!r} + "/config.yaml").with_paths(
    pathlib.Path({inp!r}), pathlib.Path({out!r}))
run(config)
"""

PATCHES = {
    # During ingest: the second file of 2026Q2 is being read.
    "ingest": """
from pipeline import ingest
_read_file, _calls = ingest.read_file, []
def read_file(path, *a, **k):
    _calls.append(path)
    if path.parent.name == "2026Q2" and len([p for p in _calls if p.parent.name == "2026Q2"]) == 2:
        stall()
    return _read_file(path, *a, **k)
ingest.read_file = read_file
""",
    # During report writing: 花名册, 问题清单 and the charts are written, the Word report not.
    "reports": """
from pipeline.reports import docx
_write = docx.write_supervision_report
def write_supervision_report(path, ctx):
    if ctx.quarter == "2026Q2":
        stall()
    return _write(path, ctx)
docx.write_supervision_report = write_supervision_report
""",
    # During the store transaction: roster and changes written, findings not yet.
    "store": """
from pipeline import store
_write = store._QuarterWriter.write
def write(self, table, frame):
    if self.quarter == "2026Q2" and table == "findings":
        stall()
    return _write(self, table, frame)
store._QuarterWriter.write = write
""",
    # After the commit, while the reports move into place: two files moved, the rest not.
    "promote": """
from pipeline import fsutil, run as run_module
_promote = run_module.promote
def promote(staging, target, last, replaced):
    real, moved = os.replace, []
    def replace(src, dst):
        moved.append(dst)
        if len(moved) == 3:
            stall()
        return real(src, dst)
    os.replace = replace
    try:
        return _promote(staging, target, last, replaced)
    finally:
        os.replace = real
run_module.promote = promote
""",
}


def _start_child(tmp_path, config, point: str) -> tuple[subprocess.Popen, Path, Path]:
    flag, go = tmp_path / "flag", tmp_path / "go"
    for p in (flag, go):
        p.unlink(missing_ok=True)
    script = _CHILD.format(
        root=str(ROOT),
        flag=str(flag),
        go=str(go),
        patch=PATCHES[point],
        inp=str(config.input_dir),
        out=str(config.output_dir),
    )
    log_path = tmp_path / f"child-{point}.log"
    with log_path.open("wb") as log:  # a file, not a pipe: a chatty child never blocks
        child = subprocess.Popen([sys.executable, "-c", script], stderr=log, stdout=log)
    deadline = time.time() + 180
    while not flag.exists() and time.time() < deadline and child.poll() is None:
        time.sleep(0.05)
    if not flag.exists():
        child.kill()
        child.wait()
        pytest.fail(f"the child never reached {point}: {log_path.read_text()[-2000:]}")
    return child, flag, go


@pytest.mark.skipif(not POSIX, reason="SIGKILL")
@pytest.mark.parametrize("point", list(PATCHES))
def test_kill_9_keeps_previous_state_and_next_run_recovers(tmp_path, reference, point):
    config = county(tmp_path)
    _write_inputs(config, "A")
    run(config)
    outputs, stored = _files(config.output_dir), _store_state(config)

    _write_inputs(config, "B")
    child, _, _ = _start_child(tmp_path, config, point)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    assert _integrity(config) == "ok"
    if point == "promote":  # committed: the store is new; old run_summary.json says "redo"
        assert _store_state(config) != stored
    else:
        assert _files(config.output_dir) == outputs  # byte for byte, nothing half-written
        assert _store_state(config) == stored
    if POSIX:  # a killed run leaves its -wal behind: it holds personal data too
        for p in config.output_dir.glob("cqo.sqlite*"):
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p

    results = run(config)
    assert not any(r.skipped for r in results if r.quarter == "2026Q2")
    assert _results(config) == reference
    leftovers = [
        p
        for p in config.output_dir.rglob("*")
        if p.name.startswith((".~", ".2026")) or p.name.endswith(".staging")
    ]
    assert not leftovers


# -- 3. concurrency ----------------------------------------------------------------------------


def _cli(config, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "-c",
            str(ROOT / "config.yaml"),
            "run",
            "--input",
            str(config.input_dir),
            "--output",
            str(config.output_dir),
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(not POSIX, reason="uses the reports stall of the kill tests")
def test_second_run_while_one_is_writing_refuses_and_the_first_completes(tmp_path, reference):
    config = county(tmp_path)
    _write_inputs(config, "B")
    first, _, go = _start_child(tmp_path, config, "reports")

    second = _cli(config)
    out, err = second.communicate(timeout=180)
    assert second.returncode == 1  # not a usage error: the run could not take the lock
    assert "另一个 cqo run 正在使用输出目录" in err

    go.write_text("go")
    assert first.wait(timeout=180) == 0
    assert _integrity(config) == "ok"
    assert _results(config) == reference


def test_two_runs_started_together_one_wins_the_store_stays_whole(tmp_path, reference):
    config = county(tmp_path)
    _write_inputs(config, "B")
    runs = [_cli(config), _cli(config)]
    outcomes = [(p.wait(timeout=300), p.communicate()[1]) for p in runs]
    codes = sorted(code for code, _ in outcomes)
    assert codes in ([0, 0], [0, 1]), outcomes  # [0, 0]: the second started after the first
    for code, err in outcomes:
        if code == 1:
            assert "另一个 cqo run 正在使用输出目录" in err
    assert _integrity(config) == "ok"
    assert _results(config) == reference


# -- 4. personal data --------------------------------------------------------------------------

MOBILES = ["13812340001", "13912340002", "15012340003"]


def _personal_scenario(tmp_path):
    config = county(tmp_path)
    q = config.input_dir / "2026Q1"
    rows = [
        cqo_row(0, "张伟", P1, 手机=MOBILES[0], 备注=f"身份证{P2}，电话{MOBILES[1]}"),
        cqo_row(1, "李娜", P3, 手机="139-1234-0002", 学历="初中"),  # noncompliant: reports
        cqo_row(2, "周芳", P4[:-1], 手机=MOBILES[2]),  # 17 digits: rejected, value echoed
        cqo_row(3, "王五", int(P5[:15] + "000"), 手机=int(MOBILES[0])),  # typed as numbers
    ]
    write_xlsx(q / "天城镇.xlsx", rows)
    return config


def _texts(path: Path) -> str:
    if path.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(path) as zf:
            return "\n".join(
                zf.read(n).decode("utf-8", "replace")
                for n in zf.namelist()
                if n.endswith((".xml", ".rels", ".vml"))
            )
    return path.read_text("utf-8", errors="replace")


def test_full_ids_and_mobiles_only_in_roster_and_store(tmp_path, caplog, capsys):
    config = _personal_scenario(tmp_path)
    caplog.set_level(logging.DEBUG)
    code = cli_main(
        [
            "-v",
            "-c",
            str(ROOT / "config.yaml"),
            "run",
            "--input",
            str(config.input_dir),
            "--output",
            str(config.output_dir),
        ]
    )
    assert code == 0
    secrets = [P1, P2, P3, P4[:-1], P5[:15], *MOBILES]

    roster_text = _texts(config.output_dir / "2026Q1" / "花名册.xlsx")
    assert P1 in roster_text and MOBILES[0] in roster_text  # the internal roster has them
    scanned = []
    for path in sorted(config.output_dir.rglob("*")):
        if (
            not path.is_file()
            or path.name in ("花名册.xlsx", ".cqo.lock")
            or path.name.startswith("cqo.sqlite")
            or path.suffix == ".png"
        ):
            continue
        text = _texts(path)
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{path.relative_to(config.output_dir)} shows {leaked}"
        scanned.append(path.name)
    assert {
        "问题清单.xlsx",
        "目标差距报告.xlsx",
        "督查报告.docx",
        "run_summary.json",
        "天城镇.xlsx",
    } <= set(scanned)

    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    printed = "".join(capsys.readouterr())
    for s in secrets:
        assert s not in logged
        assert s not in printed


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
def test_roster_and_store_are_owner_only(tmp_path, monkeypatch):
    from pipeline import run as run_module

    config = _personal_scenario(tmp_path)
    seen: dict[str, int] = {}
    check = run_module._check_stored

    def spy(store, *a):  # inside the first run's transaction: SQLite's -wal and -shm exist
        for p in config.store_path.parent.glob(config.store_path.name + "*"):
            seen[p.name] = stat.S_IMODE(p.stat().st_mode)
        return check(store, *a)

    monkeypatch.setattr(run_module, "_check_stored", spy)
    previous = os.umask(0o022)
    try:
        run(config)
    finally:
        os.umask(previous)
    assert set(seen) == {"cqo.sqlite", "cqo.sqlite-wal", "cqo.sqlite-shm"}
    assert set(seen.values()) == {0o600}, seen
    for path in (config.output_dir / "2026Q1" / "花名册.xlsx", config.store_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((config.output_dir / "2026Q1" / "问题清单.xlsx").stat().st_mode) == 0o644


# -- 5. reconciliation: the run checks itself and fails loudly --------------------------------


def _drop_a_record(monkeypatch):
    from pipeline import ingest

    real = ingest.read_quarter

    def read_quarter(*a, **k):
        result = real(*a, **k)
        result.records = result.records.iloc[:-1]  # the file report still counts the row
        return result

    monkeypatch.setattr(ingest, "read_quarter", read_quarter)


def _drop_a_roster_entry(monkeypatch):
    import dataclasses

    from pipeline import roster

    real = roster.build_roster

    def build_roster(*a, **k):
        merged = real(*a, **k)
        return dataclasses.replace(merged, roster=merged.roster.iloc[1:])

    monkeypatch.setattr(roster, "build_roster", build_roster)


def _unmark_a_rejection(monkeypatch):
    from pipeline import validate

    real = validate.validate_records

    def validate_records(*a, **k):
        checked = real(*a, **k)
        first = checked.records.index[checked.records["rejected"]][0]
        checked.records.loc[first, "rejected"] = False
        return checked

    monkeypatch.setattr(validate, "validate_records", validate_records)


def _lose_a_roster_line(monkeypatch):
    from pipeline.reports import roster_book

    real = roster_book.write_roster
    monkeypatch.setattr(
        roster_book, "write_roster", lambda path, roster, *a: real(path, roster.iloc[1:], *a)
    )


def _lose_a_stored_finding(monkeypatch):
    from pipeline import store

    real = store._QuarterWriter.write

    def write(self, table, frame):
        return real(self, table, frame.iloc[1:] if table == "findings" else frame)

    monkeypatch.setattr(store._QuarterWriter, "write", write)


BREAKS = {
    "records": (_drop_a_record, "记录"),
    "roster": (_drop_a_roster_entry, "未进入花名册"),
    "rejections": (_unmark_a_rejection, "错误"),
    "花名册.xlsx": (_lose_a_roster_line, "花名册.xlsx"),
    "store": (_lose_a_stored_finding, "数据库 findings"),
}


@pytest.mark.parametrize("stage", list(BREAKS))
def test_broken_invariant_exits_1_and_writes_nothing(tmp_path, monkeypatch, capsys, stage):
    config = county(tmp_path)
    _write_inputs(config, "A")
    args = [
        "-c",
        str(ROOT / "config.yaml"),
        "run",
        "--input",
        str(config.input_dir),
        "--output",
        str(config.output_dir),
    ]
    assert cli_main(args) == 0
    outputs, stored = _files(config.output_dir), _store_state(config)
    capsys.readouterr()

    _write_inputs(config, "B")
    breaker, words = BREAKS[stage]
    breaker(monkeypatch)
    assert cli_main(args) == 1
    err = capsys.readouterr().err
    assert "对账失败" in err and words in err

    assert _files(config.output_dir) == outputs  # previous outputs untouched, nothing new
    assert _store_state(config) == stored
    assert not list(config.output_dir.glob(".*.staging"))


def test_invariant_checks_pass_on_the_demo(tmp_path):
    """The checks are not so strict that real data trips them: the whole demo runs."""
    from pipeline.demo import write_demo

    config = county(tmp_path)
    write_demo(config.input_dir, force=True)  # (over the small test base list)
    config = config.with_paths(config.input_dir, config.output_dir)
    results = run(config)
    assert results and all(r.summary["totals"]["rows_read"] > 0 for r in results)
    frame = pd.DataFrame([r.summary["totals"] for r in results])
    assert (frame["rows_read"] == frame["rows_accepted"] + frame["rows_rejected"]).all()


def test_base_list_townships_that_name_no_unit_are_reported(tmp_path):
    """An enterprise whose 所属乡镇 is misspelt counts in 全县 but in no township: the summary
    names the value and how many enterprises carry it."""
    config = county(tmp_path)
    rows = [(n, c, "天城" if i == 0 else t, k, d, s) for i, (n, c, t, k, d, s) in enumerate(BASE)]
    write_base(tmp_path / "input" / "企业名录.xlsx", rows)
    write_xlsx(tmp_path / "input" / "2026Q3" / "天城镇.xlsx", [cqo_row(1, "张伟", make_id())])
    summary = run(config)[-1].summary
    assert summary["base_unknown_townships"] == {"天城": 1}


def test_a_report_open_in_excel_stops_the_quarter_before_anything_changes(tmp_path, monkeypatch):
    """A report that cannot be replaced (open in Excel/WPS) is found before the store commits:
    the store, and every report of the quarter, stay as they were; the message names it."""
    import pipeline.fsutil as fsutil
    from pipeline import run as runner

    config = county(tmp_path)
    src = tmp_path / "input" / "2026Q3" / "天城镇.xlsx"
    write_xlsx(src, [cqo_row(1, "张伟", make_id())])
    run(config)
    out = config.output_dir / "2026Q3"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    stored = Store(config.output_dir / "cqo.sqlite").quarters()
    locked = out / "督查报告.docx"
    real_open = Path.open

    def open_(self, mode="r", *args, **kwargs):
        if self == locked and mode != "rb":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(fsutil.Path, "open", open_)
    write_xlsx(src, [cqo_row(1, "李娜", make_id(seq=456))])
    with pytest.raises(runner.OutputError, match="督查报告.docx") as stopped:
        run(config, force=True)
    assert "未作任何改动" in str(stopped.value)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    store = Store(config.output_dir / "cqo.sqlite")
    assert store.quarters() == stored
    assert store.read("roster", "2026Q3")["cqo_name"].tolist() == ["张伟"]


def test_misnamed_quarter_folders_are_named_with_the_name_they_need(tmp_path):
    from pipeline import run as runner

    config = county(tmp_path)
    row = [cqo_row(1, "张伟", make_id())]
    write_xlsx(tmp_path / "input" / "2026年三季度" / "天城镇.xlsx", row)
    write_xlsx(tmp_path / "input" / "2026q2" / "天城镇.xlsx", row)
    with pytest.raises(runner.RunError) as none:
        run(config)
    assert "「2026q2」（应改名为 2026Q2）" in str(none.value)
    assert "「2026年三季度」（应改名为 2026Q3）" in str(none.value)
    write_xlsx(tmp_path / "input" / "2026Q1" / "天城镇.xlsx", row)
    assert [r.quarter for r in run(config)] == ["2026Q1"]
    assert runner.ignored_folders(config.input_dir) == [
        ("2026q2", "2026Q2"),
        ("2026年三季度", "2026Q3"),
    ]


def test_redoing_an_early_quarter_says_which_later_ones_left_the_store(tmp_path):
    config = county(tmp_path)
    for q in ("2026Q1", "2026Q2"):
        write_xlsx(tmp_path / "input" / q / "天城镇.xlsx", [cqo_row(1, "张伟", make_id())])
    run(config)
    results = run(config, "2026q1", force=True)  # (lower case, as typed)
    assert [r.quarter for r in results] == ["2026Q1"]
    assert results[-1].dropped_later == ["2026Q2"]
    assert run(config)[-1].dropped_later == []  # a plain run redoes 2026Q2
