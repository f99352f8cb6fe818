"""The master roster across quarters: merges, changes, conflicts, the store, reruns."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from pipeline.run import run
from pipeline.store import Store
from tests.helpers import BASE, ROOT, county, cqo_row, day, make_id, write_xlsx

P1 = make_id(seq=101)
P2 = make_id(seq=203)
P3 = make_id(region="422325", birth="19850315", seq=305)


def _roster(config, quarter):
    with Store(config.store_path) as store:
        return store.read("roster", quarter).set_index("enterprise_name")


def _findings(config, quarter):
    with Store(config.store_path) as store:
        return store.read("findings", quarter)


def _summary(config, quarter):
    return json.loads((config.output_dir / quarter / "run_summary.json").read_text("utf-8"))


def test_change_late_registration_rejected_row_and_leaving(tmp_path):
    config = county(tmp_path)
    q = config.input_dir
    write_xlsx(
        q / "2026Q1" / "天城镇.xlsx",
        [
            cqo_row(0, "张伟", P1, 任命日期=day("2025-01-05")),
            cqo_row(1, "李娜", P2),
        ],
    )
    write_xlsx(
        q / "2026Q2" / "天城镇.xlsx",
        [
            # A new CQO at enterprise 0, registered 79 days after the appointment: late.
            cqo_row(0, "陈静", P3, 任命日期=day("2026-04-01"), 填写日期=day("2026-06-19")),
            cqo_row(1, "李娜", P2, 任职状态="离任"),
        ],
    )
    write_xlsx(
        q / "2026Q3" / "天城镇.xlsx",
        [
            cqo_row(0, "王五", "42122319900101123", 任命日期=day("2026-08-01")),  # 17 chars: error
        ],
    )
    results = run(config)
    assert [r.skipped for r in results] == [False, False, False]

    r1 = _roster(config, "2026Q1")
    assert r1.loc[BASE[0][0], "cqo_name"] == "张伟"
    assert set(r1["status"]) == {"合格"}

    r2 = _roster(config, "2026Q2")
    assert r2.loc[BASE[0][0], "cqo_name"] == "陈静"
    assert BASE[1][0] not in r2.index  # 离任 ended the appointment
    with Store(config.store_path) as store:
        changes = store.read("changes", "2026Q2").set_index("enterprise_name")
        history = store.appointments()
    assert changes.loc[BASE[0][0], "change"] == "变更"
    assert changes.loc[BASE[0][0], "old_cqo"] == "张伟"
    assert changes.loc[BASE[1][0], "change"] == "离任"
    late = _findings(config, "2026Q2")
    late = late[late["rule"] == "change_registration_late"]
    assert late[["_file", "_row"]].values.tolist() == [["天城镇.xlsx", 2]]
    assert "79" in late["message"].iloc[0]
    ended = history[history["cqo_name"] == "张伟"]
    assert ended["to_quarter"].tolist() == ["2026Q2"]

    r3 = _roster(config, "2026Q3")
    assert r3.loc[BASE[0][0], "cqo_name"] == "陈静"  # the rejected row changed nothing
    s3 = _summary(config, "2026Q3")
    assert s3["totals"]["rows_rejected"] == 1
    assert s3["issue_counts"].get("id_format", 0) + s3["issue_counts"].get("id_checksum", 0) >= 1


def test_township_and_department_merge_and_conflict(tmp_path):
    config = county(tmp_path)
    q = config.input_dir / "2026Q1"
    write_xlsx(
        q / "天城镇.xlsx",
        [
            cqo_row(0, "张伟", P1),  # same as the department: merges silently
            cqo_row(1, "李娜", P2, 任命日期=day("2025-03-01")),
        ],
    )
    write_xlsx(
        q / "县经信局.xlsx",
        [
            cqo_row(0, "张伟", P1),
            cqo_row(1, "陈静", P3, 任命日期=day("2025-09-01")),  # later appointment wins
        ],
    )
    write_xlsx(q / "沙坪镇.xlsx", [cqo_row(2, "周芳", make_id(seq=105))])
    run(config)
    roster = _roster(config, "2026Q1")
    assert roster.loc[BASE[0][0], "_unit"] == "天城镇"
    assert roster.loc[BASE[1][0], "cqo_name"] == "陈静"
    found = _findings(config, "2026Q1")
    conflict = found[found["rule"] == "conflicting_submissions"]
    assert set(conflict["_file"]) == {"天城镇.xlsx", "县经信局.xlsx"}
    assert set(conflict["severity"]) == {"warning"}
    assert (found.loc[found["rule"] == "conflicting_submissions", "_row"] == 3).all()
    # The merged copies are one enterprise: P1 is not "CQO of several enterprises".
    assert "cqo_multiple_enterprises" not in set(found["rule"])
    s = _summary(config, "2026Q1")
    county_rows = {r["category"]: r for r in s["rates"] if r["unit"] == "全县"}
    assert county_rows["规上"]["base"] == 3
    assert county_rows["规上"]["appointed"] >= 2


def test_two_files_of_one_unit_are_named_as_such(tmp_path):
    """A corrected copy beside the original: both are read, each file says the unit sent
    two, and the conflict is worded as the unit's own rows, not as several units."""
    config = county(tmp_path)
    q = config.input_dir / "2026Q1"
    write_xlsx(q / "天城镇.xlsx", [cqo_row(1, "李娜", P2, 任命日期=day("2025-03-01"))])
    write_xlsx(q / "天城镇（更正）.xlsx", [cqo_row(1, "陈静", P3, 任命日期=day("2025-09-01"))])
    run(config)
    found = _findings(config, "2026Q1")
    several = found[found["rule"] == "unit_multiple_files"]
    assert set(several["_file"]) == {"天城镇.xlsx", "天城镇（更正）.xlsx"}
    conflict = found[found["rule"] == "conflicting_submissions"]
    assert len(conflict) == 2
    assert conflict["message"].str.contains("本单位报送的多行").all()
    assert conflict["message"].str.contains("天城镇（更正）.xlsx").all()  # the later one won
    assert not conflict["message"].str.contains("多个单位").any()


def test_conflict_without_dates_keeps_the_township_row(tmp_path):
    config = county(tmp_path)
    q = config.input_dir / "2026Q1"
    write_xlsx(q / "县经信局.xlsx", [cqo_row(0, "陈静", P3)])
    write_xlsx(q / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    run(config)
    assert _roster(config, "2026Q1").loc[BASE[0][0], "cqo_name"] == "张伟"


def test_not_in_base_list_names_the_likely_enterprise(tmp_path):
    config = county(tmp_path)
    row = cqo_row(0, "张伟", P1)
    row["企业名称"] = "崇阳县甲机械公司"  # "有限" missing
    row["统一社会信用代码"] = None
    write_xlsx(config.input_dir / "2026Q1" / "天城镇.xlsx", [row])
    run(config)
    found = _findings(config, "2026Q1")
    hit = found[found["rule"] == "not_in_base_list"]
    assert len(hit) == 1
    assert BASE[0][0] in hit["message"].iloc[0]
    assert hit["severity"].iloc[0] == "warning"


def test_rerun_skips_rebuild_gives_same_roster_and_change_reprocesses_later(tmp_path):
    config = county(tmp_path)
    write_xlsx(config.input_dir / "2026Q1" / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    write_xlsx(config.input_dir / "2026Q2" / "天城镇.xlsx", [cqo_row(1, "李娜", P2)])
    run(config)
    first = _roster(config, "2026Q2").drop(columns=["quarter"])
    summary = (config.output_dir / "2026Q2" / "run_summary.json").read_text("utf-8")

    assert [r.skipped for r in run(config)] == [True, True]

    config.store_path.unlink()
    for extra in config.store_path.parent.glob("cqo.sqlite-*"):
        extra.unlink()
    run(config)
    pd.testing.assert_frame_equal(_roster(config, "2026Q2").drop(columns=["quarter"]), first)
    again = json.loads((config.output_dir / "2026Q2" / "run_summary.json").read_text("utf-8"))
    before = json.loads(summary)
    for s in (again, before):
        s.pop("timings", None)
    assert again == before

    write_xlsx(config.input_dir / "2026Q1" / "天城镇.xlsx", [cqo_row(0, "陈静", P3)])
    results = run(config)
    assert [r.skipped for r in results] == [False, False]
    assert _roster(config, "2026Q2").loc[BASE[0][0], "cqo_name"] == "陈静"


_KILL_SCRIPT = """
import sys, time, pathlib
sys.path.insert(0, {root!r})
from pipeline import store
from pipeline.config import load_config
from pipeline.run import run

def stall(self, *a, **k):
    pathlib.Path({flag!r}).write_text("in transaction")
    time.sleep(600)

store._QuarterWriter.finish = stall
config = load_config({root!r} + "/config.yaml")
config = config.with_paths(pathlib.Path({inp!r}), pathlib.Path({out!r}))
run(config, force=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_kill_during_store_transaction_keeps_previous_state(tmp_path):
    config = county(tmp_path)
    write_xlsx(config.input_dir / "2026Q1" / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    run(config)
    before = _roster(config, "2026Q1")

    write_xlsx(config.input_dir / "2026Q1" / "天城镇.xlsx", [cqo_row(0, "陈静", P3)])
    flag = tmp_path / "flag"
    script = _KILL_SCRIPT.format(
        root=str(ROOT), flag=str(flag), inp=str(config.input_dir), out=str(config.output_dir)
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 120
    while not flag.exists() and time.time() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert flag.exists(), "the child never reached the store transaction"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    pd.testing.assert_frame_equal(_roster(config, "2026Q1"), before)  # readable and intact
    run(config)  # the next run completes with the new data
    assert _roster(config, "2026Q1").loc[BASE[0][0], "cqo_name"] == "陈静"


def test_second_run_on_same_output_is_refused_while_locked(tmp_path):
    from filelock import FileLock

    from pipeline.run import RunError

    config = county(tmp_path)
    write_xlsx(config.input_dir / "2026Q1" / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    config.output_dir.mkdir(parents=True)
    with FileLock(str(config.output_dir / ".cqo.lock")), pytest.raises(RunError, match="正在"):
        run(config)
    shutil.rmtree(config.output_dir)


def test_cqo_still_registered_at_another_enterprise_is_warned(tmp_path):
    config = county(tmp_path)
    write_xlsx(config.input_dir / "2026Q1" / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    write_xlsx(config.input_dir / "2026Q2" / "天城镇.xlsx", [cqo_row(1, "张伟", P1)])
    run(config)
    found = _findings(config, "2026Q2")
    hit = found[found["rule"] == "cqo_multiple_enterprises"]
    assert hit[["_row", "severity"]].values.tolist() == [[2, "warning"]]
    assert BASE[0][0] in hit["message"].iloc[0]
    assert P1 not in hit["message"].iloc[0]  # masked
    assert _findings(config, "2026Q1").query("rule == 'cqo_multiple_enterprises'").empty


def test_a_change_written_as_leaving_and_new_rows_is_a_change(tmp_path):
    """A 离任 row for 张伟 then an 在任 row for 李娜 (either order, no dates): 李娜 is the
    CQO, the change list says 张伟 → 李娜, and no conflict is reported."""
    config = county(tmp_path)
    write_xlsx(config.input_dir / "2026Q1" / "天城镇.xlsx", [cqo_row(0, "张伟", P1)])
    write_xlsx(
        config.input_dir / "2026Q2" / "天城镇.xlsx",
        [cqo_row(0, "张伟", P1, 任职状态="离任"), cqo_row(0, "李娜", P2, 任职状态="在任")],
    )
    run(config)
    assert _roster(config, "2026Q2").loc[BASE[0][0], "cqo_name"] == "李娜"
    with Store(config.store_path) as store:
        changes = store.read("changes", "2026Q2")
    change = changes[changes["enterprise_name"] == BASE[0][0]]
    assert change[["change", "old_cqo", "new_cqo"]].values.tolist() == [["变更", "张伟", "李娜"]]
    assert "conflicting_submissions" not in set(_findings(config, "2026Q2")["rule"])
