"""The embedded SQLite store: per quarter the submissions, roster, changes, findings and rates,
and the appointment history across quarters; one transaction per quarter, so a crash leaves
the previous state intact.

Quarter tables are stored by column, not by row: table `quarter_columns` holds one row per
(table, quarter, column, part), whose BLOB is the column's values in a flat binary form (text
joined by NUL into UTF-8, numbers and dates as their raw numpy bytes, a bitmap of the missing
cells). The store's readers always load a whole quarter table (the previous roster for the
next quarter's merge, `cqo roster` lookups, the rates trend); stored one value per SQL cell, a
national roster is 26 M values that cost ~8 s to insert and ~15 s to read back, by column
under a second each way. The appointment history stays a row table: it is searched by
enterprise.
"""

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
# 1: one SQL table per quarter table, a row per record. 2: quarter tables stored by column.
SCHEMA_VERSION = 2

# SQLite pages of 64 KiB instead of 4 KiB: a column BLOB of megabytes is a chain of overflow
# pages that SQLite writes, reads and frees one page at a time; 16x fewer pages made storing
# and replacing a national quarter ~0.45 s faster (write 1.75 -> 1.6 s, commit 0.58 -> 0.42 s,
# clearing 0.27 -> 0.15 s).
PAGE_SIZE = 65_536

# Text of one column is joined by this character; a column that contains it is stored as
# JSON instead (Excel cannot hold NUL in a cell, a CSV could).
_SEP = "\x00"
# At most this many characters of text, or this many values, per stored part: SQLite refuses
# a BLOB over 1 GB, and a part is held in memory twice (text and bytes) while it is encoded.
_PART_CHARS = 32_000_000
_PART_VALUES = 4_000_000
_JSON_PART_ROWS = 50_000


class StoreError(Exception):
    """The store cannot be opened or used; the message is Chinese."""


def _sql_value(value: object) -> object:
    """A Python/pandas/numpy scalar as something JSON or sqlite3 holds (NaN, NA, NaT -> None)."""
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


def _python_values(values: pd.Series) -> list[object]:
    """A text column as Python values for sqlite3, missing cells as None."""
    arr = values.to_numpy(dtype=object, copy=True)
    if pd.api.types.infer_dtype(arr, skipna=True) not in ("string", "empty"):
        return [_sql_value(v) for v in arr]
    arr[pd.isna(arr)] = None
    return arr.tolist()


# -- column codec --------------------------------------------------------------------------
#
# A part is (kind, dtype, rows, data, nulls):
#   "text":   data = the values joined by _SEP as UTF-8; nulls = bitmap of missing cells;
#             dtype = "str" (pandas' string dtype) or "object".
#   "numpy":  data = the raw bytes of a numpy array of a fixed-width dtype (ints, floats,
#             bools, datetime64, timedelta64); dtype = its numpy dtype string ("<M8[ns]").
#   "masked": a pandas nullable array (Int8, boolean, Float64...): data = its values as numpy
#             bytes, nulls = its mask; dtype = the pandas dtype name.
#   "json":   anything else (mixed Python objects, or text holding NUL): a JSON list of the
#             values as _sql_value gives them; dtype = "str" or "object" as for text.
# Nothing is ever unpickled: a store file that has been tampered with yields wrong values or
# an error, never code.


def _bitmap(mask: np.ndarray) -> bytes | None:
    return np.packbits(mask).tobytes() if mask.any() else None


def _unbitmap(nulls: bytes | None, rows: int) -> np.ndarray:
    if nulls is None:
        return np.zeros(rows, dtype=bool)
    return np.unpackbits(np.frombuffer(nulls, dtype=np.uint8), count=rows).astype(bool)


def _slices(rows: int, weights: np.ndarray | None, limit: int) -> list[tuple[int, int]]:
    """Consecutive row ranges whose summed weight (characters) stays under `limit`, or of at
    most `limit` rows when there are no weights; always at least one range."""
    if weights is None:
        bounds = list(range(0, rows, limit)) + [rows]
    else:
        cum = np.cumsum(weights + 1)  # + the separator
        cuts = np.searchsorted(cum, np.arange(limit, int(cum[-1]) if rows else 0, limit))
        bounds = sorted({0, *(int(c) for c in cuts if 0 < c < rows), rows})
    if len(bounds) < 2:
        bounds = [0, rows]
    return list(itertools.pairwise(bounds))


def _encode(values: pd.Series) -> Iterator[tuple[str, str, int, bytes | None, bytes | None]]:
    """The parts of one column (see above), in row order."""
    dtype = values.dtype
    rows = len(values)
    if isinstance(dtype, np.dtype) and dtype.kind in "biufmM":
        arr = np.ascontiguousarray(values.to_numpy())
        for a, b in _slices(rows, None, _PART_VALUES):
            yield "numpy", arr.dtype.str, b - a, arr[a:b].tobytes(), None
        return
    masked = (pd.arrays.IntegerArray, pd.arrays.BooleanArray, pd.arrays.FloatingArray)
    if isinstance(values.array, masked):  # Int8, boolean, Float64...
        mask = values.isna().to_numpy()
        arr = values.to_numpy(dtype=dtype.numpy_dtype, na_value=0)
        for a, b in _slices(rows, None, _PART_VALUES):
            yield "masked", dtype.name, b - a, arr[a:b].tobytes(), _bitmap(mask[a:b])
        return
    arr = values.to_numpy(dtype=object)
    is_text = dtype == "str" or rows == 0 or pd.api.types.infer_dtype(arr, skipna=True) in (
        "string",
        "empty",
    )
    if is_text:
        parts = _text_parts(arr, "str" if dtype == "str" else "object")
        if parts is not None:
            yield from parts
            return
    json_dtype = "str" if dtype == "str" else "object"
    for a, b in _slices(rows, None, _JSON_PART_ROWS):
        data = json.dumps([_sql_value(v) for v in arr[a:b]], ensure_ascii=False)
        yield "json", json_dtype, b - a, data.encode("utf-8", "surrogatepass"), None


def _text_parts(arr: np.ndarray, dtype: str) -> list[tuple] | None:
    """The "text" parts of an object array of str and missing values; None when a value holds
    the separator."""
    rows = len(arr)
    mask = pd.isna(arr)
    if mask.any():
        arr = arr.copy()
        arr[mask] = ""
    text = _SEP.join(arr)
    if len(text) <= _PART_CHARS:
        bounds = [(0, rows)]
    else:  # cut into parts of at most _PART_CHARS characters (one value may exceed it)
        lengths = np.fromiter(map(len, arr), dtype=np.int64, count=rows)
        bounds = _slices(rows, lengths, _PART_CHARS)
    parts = []
    for a, b in bounds:
        if len(bounds) > 1:
            text = _SEP.join(arr[a:b])
        if b > a and text.count(_SEP) != b - a - 1:
            return None
        data = text.encode("utf-8", "surrogatepass")  # a lone surrogate from a broken file
        parts.append(("text", dtype, b - a, data, _bitmap(mask[a:b])))
        text = ""
    return parts


def _decode(kind: str, dtype: str, rows: int, data: bytes | None, nulls: bytes | None):
    """The values of one part as a numpy or pandas array."""
    if kind == "numpy":
        return np.frombuffer(data or b"", dtype=np.dtype(dtype), count=rows).copy()
    if kind == "masked":
        pd_dtype = pd.api.types.pandas_dtype(dtype)
        values = np.frombuffer(data or b"", dtype=pd_dtype.numpy_dtype, count=rows)
        out = pd.array(values, dtype=pd_dtype)
        mask = _unbitmap(nulls, rows)
        if mask.any():
            out[mask] = pd.NA
        return out
    if kind == "text":
        out = np.empty(rows, dtype=object)
        if rows:
            out[:] = (data or b"").decode("utf-8", "surrogatepass").split(_SEP)
        mask = _unbitmap(nulls, rows)
        out[mask] = None
        return out
    if kind == "json":
        out = np.empty(rows, dtype=object)
        out[:] = json.loads((data or b"[]").decode("utf-8", "surrogatepass"))
        return out
    raise StoreError(
        f"数据库中有无法识别的列格式 {kind!r}；删除 cqo.sqlite 后重新运行 cqo run 即可重建"
    )


def _column(parts: list[tuple]) -> pd.Series:
    """One column from its decoded parts, with its dtype restored."""
    kind, dtype = parts[0][0], parts[0][1]
    arrays = [_decode(*p) for p in parts]
    if kind == "masked":
        return pd.concat([pd.Series(a) for a in arrays], ignore_index=True)
    values = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
    if kind in ("text", "json") and dtype == "str":
        return pd.Series(pd.array(values, dtype="str"))
    if kind == "numpy":
        return pd.Series(values)
    return pd.Series(values, dtype=object)


@contextlib.contextmanager
def _key_table(conn: sqlite3.Connection, keys: list[str]) -> Iterator[str]:
    """Enterprise keys in a temporary table, for `ent_key IN <what this yields>`: one pass
    over the appointment history, however many keys (an IN list of parameters is capped)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _keys (ent_key TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM _keys")
    conn.executemany("INSERT OR IGNORE INTO _keys VALUES (?)", ((k,) for k in keys))
    try:
        yield "(SELECT ent_key FROM _keys)"
    finally:
        conn.execute("DELETE FROM _keys")


class Store:
    """A handle on `<output>/cqo.sqlite`. Use `with store.quarter(q) as tx:` to replace one
    quarter's rows atomically."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        try:
            self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            if new:  # (only possible before the first table, and before WAL)
                self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.OperationalError as exc:
            # "unable to open database file", "attempt to write a readonly database", "disk
            # I/O error", "database is locked": the folder or the file, not the data.
            raise StoreError(
                f"无法打开或写入数据库 {self.path}（{exc}）：请检查输出文件夹是否只读、是否有"
                "写入权限、磁盘是否已满，或数据库是否正被其他程序（如另一个 cqo）占用"
            ) from exc
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
        # Give the old layout's pages back and take the current page size: VACUUM rewrites
        # the now empty file, outside WAL (where the page size cannot change). A reader still
        # holding the file (cqo roster) blocks the switch: the store then works as it is.
        with contextlib.suppress(sqlite3.OperationalError):
            self.conn.execute("PRAGMA journal_mode=DELETE")
            self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            self.conn.execute("VACUUM")
        self.conn.execute("PRAGMA journal_mode=WAL")

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
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS quarter_columns (tbl TEXT NOT NULL, "
            "quarter TEXT NOT NULL, pos INTEGER NOT NULL, part INTEGER NOT NULL, "
            "name TEXT NOT NULL, kind TEXT NOT NULL, dtype TEXT NOT NULL, "
            "rows INTEGER NOT NULL, data BLOB, nulls BLOB, "
            "PRIMARY KEY (tbl, quarter, pos, part))"
        )
        self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
        """One quarter table as it was written, with a `quarter` column first, for one quarter
        or all of them in order; an empty frame when nothing is stored."""
        if quarter is not None:
            return self._read_one(table, quarter)
        stored = self.conn.execute(
            "SELECT DISTINCT quarter FROM quarter_columns WHERE tbl = ? ORDER BY quarter",
            (table,),
        ).fetchall()
        frames = [self._read_one(table, q) for (q,) in stored]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def _read_one(self, table: str, quarter: str) -> pd.DataFrame:
        cursor = self.conn.execute(
            "SELECT pos, name, kind, dtype, rows, data, nulls FROM quarter_columns "
            "WHERE tbl = ? AND quarter = ? ORDER BY pos, part",
            (table, quarter),
        )
        names: list[str] = []
        columns: list[pd.Series] = []
        # One column at a time: its parts are decoded and joined, then their bytes dropped.
        for _, group in itertools.groupby(cursor, key=lambda r: r[0]):
            parts = list(group)
            names.append(parts[0][1])
            columns.append(_column([p[2:] for p in parts]))
        if not columns:
            return pd.DataFrame()
        rows = len(columns[0])
        quarters = pd.Series(pd.array([quarter] * rows, dtype="str"))
        frame = pd.concat([quarters, *columns], axis=1, ignore_index=True)
        frame.columns = ["quarter", *names]
        return frame

    def count(self, table: str, quarter: str) -> int:
        """Rows stored for one quarter table (0 when none)."""
        (n,) = self.conn.execute(
            "SELECT COALESCE(SUM(rows), 0) FROM quarter_columns "
            "WHERE tbl = ? AND quarter = ? AND pos = 0",
            (table, quarter),
        ).fetchone()
        return int(n)

    def appointments(self, ent_keys: list[str] | None = None) -> pd.DataFrame:
        """The appointment history, of the given enterprises only when `ent_keys` is given
        (selected inside SQLite: the national history is half a million rows)."""
        if ent_keys is None:
            return pd.read_sql_query("SELECT * FROM appointments ORDER BY rowid", self.conn)
        with _key_table(self.conn, ent_keys) as keys:
            return pd.read_sql_query(
                f"SELECT * FROM appointments WHERE ent_key IN {keys} ORDER BY rowid", self.conn
            )

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


class _QuarterWriter:
    def __init__(self, store: Store, quarter: str):
        self.store = store
        self.quarter = quarter

    def _clear(self) -> None:
        conn = self.store.conn
        q = self.quarter
        self._delete_from("quarter_columns", "quarter")
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
        once instead of deleting them row by row."""
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
        """Store `frame` as this quarter's `table`, column by column (see the module doc).
        The parts are encoded as SQLite consumes them, so one column's bytes are held at a
        time."""
        rows = (
            (table, self.quarter, pos, part, str(name), *encoded)
            for pos, name in enumerate(frame.columns)
            for part, encoded in enumerate(_encode(frame.iloc[:, pos]))
        )
        self.store.conn.executemany(
            "INSERT INTO quarter_columns (tbl, quarter, pos, part, name, kind, dtype, rows, "
            "data, nulls) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def end_appointments(self, ent_keys: list[str], ended_by: str) -> None:
        if not ent_keys:
            return
        # One pass over the history: a per-key UPDATE scans it once per key (no index on
        # ent_key), thousands of times for a large roster.
        with _key_table(self.store.conn, ent_keys) as keys:
            self.store.conn.execute(
                "UPDATE appointments SET to_quarter = ?, ended_by = ? "
                f"WHERE to_quarter IS NULL AND ent_key IN {keys}",
                (self.quarter, ended_by),
            )

    def start_appointments(self, frame: pd.DataFrame) -> None:
        """frame: ent_key, enterprise_name, cqo_name, id_number, status, source."""
        cols = ["ent_key", "enterprise_name", "cqo_name", "id_number", "status", "source"]
        self.store.conn.executemany(
            "INSERT INTO appointments (ent_key, enterprise_name, cqo_name, id_number, status, "
            "source, from_quarter) VALUES (?, ?, ?, ?, ?, ?, ?)",
            zip(*(_python_values(frame[c]) for c in cols), itertools.repeat(self.quarter)),
        )

    def finish(self, digest: str, processed_at: str, summary: dict) -> None:
        self.store.conn.execute(
            "INSERT OR REPLACE INTO quarters (quarter, digest, processed_at, summary) "
            "VALUES (?, ?, ?, ?)",
            (self.quarter, digest, processed_at, json.dumps(summary, ensure_ascii=False)),
        )
