"""The store keeps quarter tables by column: what is written is read back with its values and
dtypes, whatever the text holds and however large a column is."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from pipeline import store as store_mod
from pipeline.store import Store, StoreError


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": pd.array(["天城镇", None, "=SUM(A1)", "", "企业\n名称"], dtype="str"),
            "count": [1, 2, 3, 4, -(2**40)],
            "level": pd.array([5, None, 3, None, 1], dtype="Int8"),
            "parsed": pd.to_datetime(["2026-01-02", None, "1990-12-31", None, "2026-09-30"]),
            "years": [1.5, np.nan, 3.0, 0.0, 12.25],
            "in_base": [True, False, True, False, True],
            "flag": pd.array([True, None, False, True, None], dtype="boolean"),
            "empty": np.array([None] * 5, dtype=object),
            "plain": np.array(["a", None, "b", "c", "d"], dtype=object),
        }
    )


def _roundtrip(tmp_path, frame: pd.DataFrame, table: str = "roster") -> pd.DataFrame:
    with Store(tmp_path / "cqo.sqlite") as store:
        with store.quarter("2026Q1") as tx:
            tx.write(table, frame)
        out = store.read(table, "2026Q1")
        assert store.count(table, "2026Q1") == len(frame)
    assert list(out.columns) == ["quarter", *frame.columns]
    assert (out["quarter"] == "2026Q1").all()
    return out.drop(columns="quarter")


def test_values_and_dtypes_come_back_as_written(tmp_path):
    frame = _frame()
    pd.testing.assert_frame_equal(_roundtrip(tmp_path, frame), frame)


def test_text_holding_the_separator_and_mixed_objects_survive(tmp_path):
    frame = pd.DataFrame(
        {
            "nul": pd.array(["a\x00b", None, "c"], dtype="str"),
            "surrogate": pd.array(["\ud800坏", None, "ok"], dtype="str"),  # a broken file's text
            "mixed": [None, 1.5, pd.Timestamp("2026-03-31")],
            "ints": np.array([1, None, 7], dtype=object),
        }
    )
    out = _roundtrip(tmp_path, frame)
    pd.testing.assert_series_equal(out["nul"], frame["nul"])
    pd.testing.assert_series_equal(out["surrogate"], frame["surrogate"])
    assert out["mixed"].tolist() == [None, 1.5, "2026-03-31T00:00:00"]
    assert out["ints"].tolist() == [1, None, 7]


def test_large_columns_are_split_into_parts_and_joined_again(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "_PART_CHARS", 7)
    monkeypatch.setattr(store_mod, "_PART_VALUES", 2)
    monkeypatch.setattr(store_mod, "_JSON_PART_ROWS", 2)
    frame = _frame()
    frame["nul"] = pd.array(["x", "y\x00", None, "z", "w"], dtype="str")  # json, in parts
    pd.testing.assert_frame_equal(_roundtrip(tmp_path, frame), frame)
    conn = sqlite3.connect(tmp_path / "cqo.sqlite")
    parts = dict(conn.execute("SELECT name, COUNT(*) FROM quarter_columns GROUP BY name"))
    conn.close()
    assert parts["count"] == 3 and parts["name"] > 1 and parts["nul"] == 3


def test_empty_frames_keep_their_columns(tmp_path):
    frame = _frame().iloc[:0]
    out = _roundtrip(tmp_path, frame)
    assert out.empty and list(out.columns) == list(frame.columns)
    assert out["count"].dtype == np.int64 and out["name"].dtype == "str"
    with Store(tmp_path / "cqo.sqlite") as store:
        with store.quarter("2026Q2") as tx:
            tx.write("findings", pd.DataFrame())
        assert store.read("findings", "2026Q2").empty
        assert store.read("nothing").empty


def test_reading_all_quarters_concatenates_in_order_and_rewrites_replace_later_ones(tmp_path):
    with Store(tmp_path / "cqo.sqlite") as store:
        for q, n in (("2026Q2", 2), ("2026Q1", 1), ("2026Q3", 3)):
            with store.quarter(q) as tx:
                tx.write("rates", pd.DataFrame({"unit": [f"{q}-{i}" for i in range(n)]}))
        # Writing Q2 again drops Q2 and Q3 (later quarters are recomputed after it).
        with store.quarter("2026Q2") as tx:
            tx.write("rates", pd.DataFrame({"unit": ["again"]}))
        out = store.read("rates")
    assert out["quarter"].tolist() == ["2026Q1", "2026Q2"]
    assert out["unit"].tolist() == ["2026Q1-0", "again"]


def test_a_failed_write_leaves_the_previous_quarter(tmp_path):
    frame = _frame()
    path = tmp_path / "cqo.sqlite"
    with Store(path) as store:
        with store.quarter("2026Q1") as tx:
            tx.write("roster", frame)
        with pytest.raises(RuntimeError), store.quarter("2026Q1") as tx:
            tx.write("roster", frame.iloc[:1])
            raise RuntimeError("killed")
        pd.testing.assert_frame_equal(store.read("roster", "2026Q1").drop(columns="quarter"), frame)


def test_an_unknown_stored_format_is_a_clear_error(tmp_path):
    path = tmp_path / "cqo.sqlite"
    _roundtrip(tmp_path, _frame())
    conn = sqlite3.connect(path)
    conn.execute("UPDATE quarter_columns SET kind = 'pickle' WHERE name = 'plain'")
    conn.commit()
    conn.close()
    with Store(path) as store, pytest.raises(StoreError, match="删除 cqo.sqlite"):
        store.read("roster", "2026Q1")


def test_a_store_of_the_old_row_layout_is_rebuilt(tmp_path):
    path = tmp_path / "cqo.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE roster (quarter, enterprise_name)")
    conn.execute("INSERT INTO roster VALUES ('2026Q1', '某公司')")
    conn.execute("CREATE TABLE quarters (quarter TEXT PRIMARY KEY, digest TEXT, "
                 "processed_at TEXT, summary TEXT)")
    conn.execute("INSERT INTO quarters VALUES ('2026Q1', 'x', 'y', '{}')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.quarters() == {}  # every quarter is processed again
        assert store.read("roster").empty
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
    assert "roster" not in tables and "quarter_columns" in tables
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA page_size").fetchone()[0] == store_mod.PAGE_SIZE
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_new_store_uses_large_pages_and_wal(tmp_path):
    _roundtrip(tmp_path, _frame())
    conn = sqlite3.connect(tmp_path / "cqo.sqlite")
    assert conn.execute("PRAGMA page_size").fetchone()[0] == store_mod.PAGE_SIZE
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_appointment_history_is_selected_by_enterprise(tmp_path):
    frame = pd.DataFrame(
        {
            "ent_key": ["U:1", "U:2", "N:丙"],
            "enterprise_name": ["甲", "乙", "丙"],
            "cqo_name": ["张三", "李四", None],
            "id_number": ["1", "2", None],
            "status": ["合格", "不合格", "合格"],
            "source": ["天城镇", "白霓镇", "经信局"],
        }
    )
    with Store(tmp_path / "cqo.sqlite") as store:
        with store.quarter("2026Q1") as tx:
            tx.start_appointments(frame)
        with store.quarter("2026Q2") as tx:
            tx.end_appointments(["U:2"], "变更")
            tx.start_appointments(frame.iloc[[1]].assign(cqo_name="王五"))
        history = store.appointments(["U:2", "N:丙", "U:9"])
        assert store.appointments([]).empty
        assert len(store.appointments()) == 4
    assert history["ent_key"].tolist() == ["U:2", "N:丙", "U:2"]
    assert history["cqo_name"].fillna("").tolist() == ["李四", "", "王五"]
    assert history["to_quarter"].fillna("").tolist() == ["2026Q2", "", ""]
    assert history["ended_by"].tolist()[0] == "变更"


def test_a_store_that_cannot_be_opened_is_not_called_corrupt(tmp_path):
    """A folder in the database's place (or a read-only folder) is not damaged data: the
    message must not tell the clerk to delete the database."""
    (tmp_path / "cqo.sqlite").mkdir()
    with pytest.raises(StoreError, match="无法打开或写入") as opened:
        Store(tmp_path / "cqo.sqlite")
    assert "已损坏" not in str(opened.value)
    garbage = tmp_path / "other.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="已损坏"):
        Store(garbage)
