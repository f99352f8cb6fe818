"""The embedded SQLite store: per quarter the submissions, roster, findings, rates; one
transaction per quarter, so a crash leaves the previous state intact."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

# Bump when the layout changes: the store is derived data and is rebuilt from input/.
SCHEMA_VERSION = 1

# Tables whose rows belong to one quarter; each gets a `quarter` column first.
QUARTER_TABLES = ("submissions", "roster", "changes", "findings", "rates")


class StoreError(Exception):
    """The store cannot be opened or used; the message is Chinese."""


def _sql_value(value: object) -> object:
    """A Python/pandas/numpy scalar as something sqlite3 stores (NaN, NA, NaT -> NULL)."""
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "item") and not isinstance(value, pd.Timestamp):
        value = value.item()  # numpy scalar
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if value != value else value
    if value is pd.NaT or value is pd.NA:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _sql_column(values: pd.Series) -> list[object]:
    """_sql_value of every cell of a column, a column at a time: a national roster has half a
    million rows of fifty columns, and a Python call per cell costs more than SQLite does."""
    kind = values.dtype.kind if isinstance(values.dtype, np.dtype) else "X"  # X: extension
    if kind in "iu":
        return values.tolist()  # Python ints
    if kind == "b":
        return values.astype(np.int64).tolist()
    if kind == "f":
        out = values.to_numpy(dtype=object, copy=True)
        out[np.isnan(values.to_numpy(dtype=np.float64))] = None
        return out.tolist()
    inferred = pd.api.types.infer_dtype(values, skipna=True) if kind == "O" else ""
    if values.dtype == "str" or inferred in ("string", "empty"):
        out = values.to_numpy(dtype=object, copy=True)
        out[pd.isna(out)] = None  # NaN, None, NA
        return out.tolist()
    # One type throughout (a roster column carried from the store is object dtype): convert
    # each distinct value once. Not for mixed columns, where 1, 1.0 and True hash alike.
    if kind in "mMX" or inferred in ("integer", "floating", "boolean", "datetime", "date"):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        mapped = np.empty(len(uniques) + 1, dtype=object)
        mapped[:-1] = [_sql_value(u) for u in uniques]
        mapped[-1] = None  # code -1: missing
        return mapped[codes].tolist()
    return [_sql_value(v) for v in values]  # mixed Python objects: one by one


class Store:
    """A handle on `<output>/cqo.sqlite`. Use `with store.quarter(q) as tx:` to replace one
    quarter's rows atomically."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        try:
            self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"数据库 {self.path} 已损坏（{exc}）；删除后重新运行 cqo run 即可重建"
            ) from exc
        if new:
            with contextlib.suppress(OSError):
                os.chmod(self.path, 0o600)  # personal data: owner only
        if version not in (0, SCHEMA_VERSION):
            self._reset()
        self._create()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- layout -------------------------------------------------------------------------

    def _reset(self) -> None:
        for (name,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table'"
        ).fetchall():
            self.conn.execute(f'DROP TABLE IF EXISTS "{name}"')

    def _create(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS quarters (quarter TEXT PRIMARY KEY, digest TEXT, "
            "processed_at TEXT, summary TEXT)"
        )
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS appointments (ent_key TEXT, enterprise_name TEXT, "
            "cqo_name TEXT, id_number TEXT, status TEXT, from_quarter TEXT, to_quarter TEXT, "
            "source TEXT, ended_by TEXT)"
        )
        self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f'PRAGMA table_info("{table}")').fetchall()]

    def _ensure_table(self, table: str, columns: list[str]) -> None:
        existing = self._columns(table)
        if not existing:
            cols = ", ".join(f'"{c}"' for c in ["quarter", *columns])
            self.conn.execute(f'CREATE TABLE "{table}" ({cols})')
            self.conn.execute(f'CREATE INDEX "ix_{table}_quarter" ON "{table}" (quarter)')
            return
        for c in columns:
            if c not in existing:
                self.conn.execute(f'ALTER TABLE "{table}" ADD COLUMN "{c}"')

    # -- reads --------------------------------------------------------------------------

    def quarters(self) -> dict[str, str]:
        """Stored quarters and their input digests, in order."""
        rows = self.conn.execute("SELECT quarter, digest FROM quarters ORDER BY quarter")
        return dict(rows.fetchall())

    def summary(self, quarter: str) -> dict | None:
        row = self.conn.execute(
            "SELECT summary FROM quarters WHERE quarter = ?", (quarter,)
        ).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def read(self, table: str, quarter: str | None = None) -> pd.DataFrame:
        """One table, for one quarter or all; empty frame when it does not exist yet."""
        if not self._columns(table):
            return pd.DataFrame()
        if quarter is None:
            frame = pd.read_sql_query(f'SELECT * FROM "{table}" ORDER BY rowid', self.conn)
        else:
            frame = pd.read_sql_query(
                f'SELECT * FROM "{table}" WHERE quarter = ? ORDER BY rowid',
                self.conn,
                params=(quarter,),
            )
        return frame

    def appointments(self, ent_keys: list[str] | None = None) -> pd.DataFrame:
        frame = pd.read_sql_query("SELECT * FROM appointments ORDER BY rowid", self.conn)
        if ent_keys is not None:
            frame = frame[frame["ent_key"].isin(ent_keys)]
        return frame

    # -- writes -------------------------------------------------------------------------

    @contextlib.contextmanager
    def quarter(self, quarter: str) -> Iterator[_QuarterWriter]:
        """Replace everything stored for `quarter` and later quarters in one transaction."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            writer = _QuarterWriter(self, quarter)
            writer._clear()
            yield writer
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise


_WRITE_ROWS = 50_000


class _QuarterWriter:
    def __init__(self, store: Store, quarter: str):
        self.store = store
        self.quarter = quarter

    def _clear(self) -> None:
        conn = self.store.conn
        q = self.quarter
        for table in QUARTER_TABLES:
            if self.store._columns(table):
                self._delete_from(table, "quarter")
        conn.execute("DELETE FROM quarters WHERE quarter >= ?", (q,))
        # Appointment history: forget what started at or after this quarter, reopen what
        # this quarter or a later one ended.
        self._delete_from("appointments", "from_quarter")
        conn.execute(
            "UPDATE appointments SET to_quarter = NULL, ended_by = NULL WHERE to_quarter >= ?",
            (q,),
        )

    def _delete_from(self, table: str, column: str) -> None:
        """Delete the rows of this quarter and later ones. When that is every row (reprocessing
        the first or only quarter), an unconditional DELETE lets SQLite drop the pages at
        once instead of deleting half a million rows one by one."""
        conn = self.store.conn
        (low,) = conn.execute(f'SELECT MIN("{column}") FROM "{table}"').fetchone()
        if low is None:
            return
        nulls = conn.execute(f'SELECT 1 FROM "{table}" WHERE "{column}" IS NULL LIMIT 1')
        if low >= self.quarter and nulls.fetchone() is None:
            conn.execute(f'DELETE FROM "{table}"')
        else:
            conn.execute(f'DELETE FROM "{table}" WHERE "{column}" >= ?', (self.quarter,))

    def write(self, table: str, frame: pd.DataFrame) -> None:
        columns = [str(c) for c in frame.columns]
        self.store._ensure_table(table, columns)
        if frame.empty:
            return
        placeholders = ", ".join("?" * (len(columns) + 1))
        names = ", ".join(f'"{c}"' for c in ["quarter", *columns])
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})'
        # In slices of rows: the Python values of a whole national roster would be a few
        # hundred megabytes more at the run's peak.
        for start in range(0, len(frame), _WRITE_ROWS):
            part = frame.iloc[start : start + _WRITE_ROWS]
            cells = [_sql_column(part.iloc[:, i]) for i in range(part.shape[1])]
            self.store.conn.executemany(sql, zip(itertools.repeat(self.quarter), *cells))

    def end_appointments(self, ent_keys: list[str], ended_by: str) -> None:
        if not ent_keys:
            return
        # One pass over the history: a per-key UPDATE scans it once per key (no index on
        # ent_key), thousands of times for a large roster.
        conn = self.store.conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS _ended (ent_key TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM _ended")
        conn.executemany("INSERT OR IGNORE INTO _ended VALUES (?)", ((k,) for k in ent_keys))
        conn.execute(
            "UPDATE appointments SET to_quarter = ?, ended_by = ? "
            "WHERE to_quarter IS NULL AND ent_key IN (SELECT ent_key FROM _ended)",
            (self.quarter, ended_by),
        )
        conn.execute("DELETE FROM _ended")

    def start_appointments(self, frame: pd.DataFrame) -> None:
        """frame: ent_key, enterprise_name, cqo_name, id_number, status, source."""
        cols = ["ent_key", "enterprise_name", "cqo_name", "id_number", "status", "source"]
        self.store.conn.executemany(
            "INSERT INTO appointments (ent_key, enterprise_name, cqo_name, id_number, status, "
            "source, from_quarter) VALUES (?, ?, ?, ?, ?, ?, ?)",
            zip(*(_sql_column(frame[c]) for c in cols), itertools.repeat(self.quarter)),
        )

    def finish(self, digest: str, processed_at: str, summary: dict) -> None:
        self.store.conn.execute(
            "INSERT OR REPLACE INTO quarters (quarter, digest, processed_at, summary) "
            "VALUES (?, ?, ?, ?)",
            (self.quarter, digest, processed_at, json.dumps(summary, ensure_ascii=False)),
        )
