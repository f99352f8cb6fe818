"""The floor: python-calamine reading every cell of the same files, and nothing else.

    python benchmarks/floor.py benchmarks/data/province/input [--quarter 2026Q3] [--jobs 1]

Reads the base list and every submission of the quarter (xlsx/xls through calamine, csv
through the csv module), touches every cell, and prints one JSON line: files, cells, seconds.
No header search, no validation, no output. With --jobs 2 the files are split over two
processes (the same parallelism cqo may use); the benchmark's floor is --jobs 1.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


def read_cells(path: str) -> int:
    """Every cell of every sheet of one file; returns the number of cells read."""
    p = Path(path)
    if p.suffix.lower() == ".csv":
        data = p.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        return sum(len(row) for row in csv.reader(io.StringIO(text)))
    from python_calamine import CalamineWorkbook

    cells = 0
    with p.open("rb") as fh:
        wb = CalamineWorkbook.from_filelike(fh)
        for name in wb.sheet_names:
            for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False):
                cells += len(row)
    return cells


def files_of(input_dir: Path, quarter: str) -> list[Path]:
    base = input_dir / "企业名录.xlsx"
    folder = input_dir / quarter
    subs = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES
                  and not p.name.startswith(("~$", ".~")))
    return ([base] if base.is_file() else []) + subs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("input", type=Path, help="input folder (holds 企业名录.xlsx and <quarter>/)")
    p.add_argument("--quarter", default="2026Q3")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--files", type=int, default=None, help="only the first N submissions")
    args = p.parse_args(argv)
    started = time.perf_counter()
    paths = files_of(args.input, args.quarter)
    if args.files is not None:
        paths = paths[: args.files + 1]
    names = [str(x) for x in paths]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            chunk = max(1, len(names) // (args.jobs * 8))
            cells = sum(pool.map(read_cells, names, chunksize=chunk))
    else:
        cells = sum(read_cells(n) for n in names)
    print(json.dumps({"files": len(paths), "cells": cells,
                      "seconds": round(time.perf_counter() - started, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
