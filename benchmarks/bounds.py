"""The least a whole `cqo run` can cost: its fixed parts, before any work of its own.

    python benchmarks/bounds.py --workbooks 868 [--jobs 2]

Measures, in a freshly started process:
  imports    importing the libraries a full run needs (the design card's stack: pandas,
             pandera, numpy, python-calamine, xlsxwriter, python-docx, matplotlib, plus
             rapidfuzz and python-stdnum)
  workbooks  writing N workbooks of one cell each with xlsxwriter, over --jobs processes: what
             any writer of the run's N return-to-sender workbooks pays at the least (cqo's
             copy each sender's sheets and mark the problem cells)
Prints one JSON line. The runner adds the 2-process floor (reading every cell): the sum is a
lower bound of a run that reads the files and writes the feedback, with no validation,
merging, rates, charts, report or store at all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor


def _imports() -> None:
    import docx  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pandera.pandas  # noqa: F401
    import python_calamine  # noqa: F401
    import rapidfuzz  # noqa: F401
    import stdnum.cn.ric  # noqa: F401
    import xlsxwriter  # noqa: F401


def write_workbooks(folder: str, first: int, count: int) -> int:
    import xlsxwriter

    for i in range(first, first + count):
        wb = xlsxwriter.Workbook(os.path.join(folder, f"{i}.xlsx"))
        wb.add_worksheet().write_string(0, 0, "x")
        wb.close()
    return count


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workbooks", type=int, required=True)
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    _imports()
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        jobs = max(1, args.jobs)
        share = [args.workbooks // jobs + (k < args.workbooks % jobs) for k in range(jobs)]
        starts = [sum(share[:k]) for k in range(jobs)]
        if jobs == 1:
            write_workbooks(folder, 0, args.workbooks)
            t2 = t3 = time.perf_counter()
        else:
            with ProcessPoolExecutor(jobs) as pool:
                # started (and the workers' imports done) before the clock: only the writing
                list(pool.map(write_workbooks, [folder] * jobs, [0] * jobs, [0] * jobs))
                t2 = time.perf_counter()
                list(pool.map(write_workbooks, [folder] * jobs, starts, share))
                t3 = time.perf_counter()
    print(
        json.dumps(
            {
                "imports": round(t1 - t0, 3),
                "workbooks": args.workbooks,
                "workbook_seconds": round(t3 - t2, 3),
                "jobs": jobs,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
