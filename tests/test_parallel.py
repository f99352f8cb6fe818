"""Reading submissions and writing feedback in worker processes gives the serial results."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline import parallel
from pipeline.ingest import read_quarter
from pipeline.reports import feedback
from tests.helpers import county, cqo_row, make_id, write_xlsx


def _folder(tmp_path):
    config = county(tmp_path)
    folder = tmp_path / "input" / "2026Q3"
    write_xlsx(folder / "天城镇.xlsx", [cqo_row(0, "张三", make_id(seq=11)),
                                        cqo_row(1, "李四", make_id(seq=12), 学历="函授")],
               title="天城镇首席质量官报送表")
    write_xlsx(folder / "沙坪镇.xlsx", [cqo_row(2, "王五", make_id(seq=13)),
                                        cqo_row(3, "赵六", "4212231990")])
    (folder / "坏文件.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    write_xlsx(folder / "空白.xlsx", [{"说明": "本表无数据"}])
    return config, folder


def test_worker_count_obeys_the_environment(monkeypatch):
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    assert parallel.worker_count(1000) == 1
    monkeypatch.setenv(parallel.WORKERS_ENV, "3")
    assert parallel.worker_count(2) == 2  # never more workers than tasks
    monkeypatch.delenv(parallel.WORKERS_ENV)
    assert parallel.worker_count(1000, big_enough=False) == 1


@pytest.mark.parametrize("method", ["spawn", "default"])
def test_parallel_read_matches_serial(tmp_path, monkeypatch, method):
    config, folder = _folder(tmp_path)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    serial = read_quarter(folder, config)
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    if method == "spawn":  # what Windows does
        import multiprocessing as mp

        monkeypatch.setattr(parallel, "context", lambda preload=(): mp.get_context("spawn"))
    seen = []
    both = read_quarter(folder, config, progress=seen.append, meanwhile=lambda: seen.append("*"))
    pd.testing.assert_frame_equal(serial.records, both.records)
    pd.testing.assert_frame_equal(serial.columns, both.columns)
    assert [vars(f) | {"sheets": None} for f in serial.files] == [
        vars(f) | {"sheets": None} for f in both.files
    ]
    assert [f.status for f in both.files].count("failed") == 1  # the broken file, not the run
    assert seen[0] == "*" and seen[1:] == [p.name for p in sorted(folder.iterdir())]


def test_workers_that_cannot_start_fall_back_to_serial(tmp_path, monkeypatch):
    config, folder = _folder(tmp_path)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    serial = read_quarter(folder, config)
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")

    def broken(preload=()):
        raise OSError("no processes here")

    monkeypatch.setattr(parallel, "context", broken)
    pd.testing.assert_frame_equal(serial.records, read_quarter(folder, config).records)


def test_parallel_feedback_matches_serial(tmp_path, monkeypatch):
    config, folder = _folder(tmp_path)
    raw = read_quarter(folder, config)
    findings = pd.DataFrame({
        "rule": "education_unknown", "severity": "error", "field": "education",
        "message": "学历无法识别", "value": "函授", "record": 1,
        "_file": ["天城镇.xlsx", "沙坪镇.xlsx"], "_sheet": "Sheet", "_row": [3, 4],
        "_unit": ["天城镇", "沙坪镇"], "column": "学历", "col": pd.array([4, 4], dtype="Int64"),
    })
    sources = {"天城镇": {"天城镇.xlsx": folder / "天城镇.xlsx"},
               "沙坪镇": {"沙坪镇.xlsx": folder / "沙坪镇.xlsx"}}
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    serial = feedback.write_all_feedback(tmp_path / "a", findings, sources, raw.header_rows())
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    monkeypatch.setattr(feedback, "PARALLEL_MIN_UNITS", 1)
    both = feedback.write_all_feedback(tmp_path / "b", findings, sources, raw.header_rows())
    assert list(serial) == list(both) == sorted(sources)
    for unit in serial:
        a, b = load_workbook(serial[unit]), load_workbook(both[unit])
        assert a.sheetnames == b.sheetnames
        for name in a.sheetnames:
            cells = lambda ws: [(c.coordinate, c.value, c.fill.fgColor.rgb)  # noqa: E731
                                for row in ws.iter_rows() for c in row]
            assert cells(a[name]) == cells(b[name])
