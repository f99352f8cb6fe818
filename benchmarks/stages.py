"""`cqo run --force` of one quarter through pipeline.run.run_quarter, reports optionally left out.

    python benchmarks/stages.py benchmarks/data/national [--no-reports] [--profile out.html]

The same code path as the CLI (run.run -> run_quarter, store included); with --no-reports the
report writers are replaced by a no-op, so that ingest + validate + merge can be timed on their
own at scales where writing thousands of feedback workbooks takes minutes. Prints one JSON
line: the stage timings of run_summary.json, the wall time after imports, and the peak RSS of
this process.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scale_dir", type=Path, help="benchmarks/data/<scale> (holds config.yaml)")
    p.add_argument("--output", type=Path, default=None)
    p.add_argument("--quarter", default="2026Q3")
    p.add_argument("--no-reports", action="store_true")
    p.add_argument("--profile", type=Path, default=None, help="write a pyinstrument HTML/text")
    p.add_argument("--preload", action="store_true",
                   help="import the whole library stack before the clock starts (reports too)")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    import pandas  # noqa: F401  (import cost kept out of the "work" figure)
    import pandera.pandas  # noqa: F401

    from pipeline import run
    from pipeline.config import load_config

    if args.preload:
        import importlib

        for name in ("pipeline.normalize", "pipeline.validate", "pipeline.roster",
                     "schemas.models", "python_calamine", "rapidfuzz", "openpyxl", "xlsxwriter",
                     "docx", "pipeline.reports.build", "pipeline.reports.charts",
                     "pipeline.reports.docx", "pipeline.reports.excel",
                     "pipeline.reports.feedback", "pipeline.reports.roster_book"):
            importlib.import_module(name)
    imported = time.perf_counter()
    config = load_config(args.scale_dir / "config.yaml")
    out = args.output or (ROOT / "benchmarks" / "out" / args.scale_dir.name / "stages")
    config = config.with_paths(None, out)
    if args.no_reports:
        from pipeline.reports import build

        build.write_quarter_reports = lambda **k: None  # type: ignore[assignment]
        run._check_reports = lambda *a, **k: None  # reads back the workbooks not written here
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    results = run.run(config, args.quarter, force=True)
    if profiler is not None:
        profiler.stop()
        text = (profiler.output_html() if args.profile.suffix == ".html"
                else profiler.output_text(unicode=True, show_all=False))
        args.profile.write_text(text, encoding="utf-8")
    done = time.perf_counter()
    mine = [r for r in results if r.quarter == args.quarter][0]
    print(json.dumps({
        "timings": mine.timings,
        "imports": round(imported - t0, 3),
        "work": round(done - imported, 3),
        "rows": mine.summary["totals"]["rows_read"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
