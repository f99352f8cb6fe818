"""The scale benchmark: cqo against the naive script and the raw-read floor, on the same files.

    python benchmarks/run.py county province        # one or more scales
    python benchmarks/run.py national                # ~6 minutes (no reports: see below)
    python benchmarks/run.py national-full           # one full national cqo run, ~10 minutes
    python benchmarks/run.py fit                     # cost exponent over 1k ... 500k rows
    python benchmarks/run.py --table                 # print the table of benchmarks/results.json

Each contender runs in a fresh subprocess, the contenders alternate (round i runs them in a
rotated order), and every figure is the median of --runs rounds (default 3). Peak RSS is the
peak of the summed resident memory of the process and its children (workers included),
sampled from /proc every 50 ms; where /proc is missing, the largest single process
(os.wait4). Data come from benchmarks/generate.py (generated when missing).

Contenders:
  cqo      `python -m pipeline.cli -c <scale>/config.yaml run --force`: wall time, and the stage
           timings of run_summary.json (ingest, validate, roster = merge, rates, reports, store)
  stages   benchmarks/stages.py --no-reports: the same run_quarter without the reports, for
           ingest + validate + merge at the national scale (where a full run takes minutes)
  naive    benchmarks/naive.py (pandas + openpyxl + a row loop with python-stdnum); at the
           national scale on a 1-in-20 subset of the files, extrapolated linearly by rows
  floor    benchmarks/floor.py: python-calamine reading every cell, one process
  floor2   the same over two processes (information: what parallel reading can reach)
  bounds   province, after the rounds: benchmarks/bounds.py, the least a whole run can cost
           (imports + floor2 + as many one-cell workbooks as the run's feedback workbooks)

Results are merged into benchmarks/results.json (one entry per scale).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
OUT = HERE / "out"
RESULTS = HERE / "results.json"
QUARTER = "2026Q3"
PY = sys.executable
NAIVE_SUBSET = 20  # national: the naive script reads every 20th file
FIT_SCALES = ("rows-1k", "rows-10k", "rows-100k", "national")

sys.path.insert(0, str(HERE))
import generate  # noqa: E402

# -- measuring one process ------------------------------------------------------------------


def _tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        p = int(entry.name)
        children.setdefault(ppid, []).append(p)
        rss[p] = pages * page
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def measure(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> dict:
    """Run `cmd`; wall seconds, peak RSS (MB) of its process tree, exit code, stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    stop = threading.Event()
    proc_fs = Path("/proc").is_dir()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    if proc_fs:
        sampler.start()
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
               for s, b in ((proc.stdout, out_chunks), (proc.stderr, err_chunks))]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stop.set()
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc_fs:
        sampler.join()
    single = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return {
        "wall": round(wall, 3),
        "peak_rss_mb": round(max(peak, single) / 1048576, 1),
        "rc": proc.returncode,
        "stdout": b"".join(out_chunks).decode("utf-8", "replace"),
        "stderr": b"".join(err_chunks).decode("utf-8", "replace")[-2000:],
    }


def _json_line(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


# -- contenders -----------------------------------------------------------------------------


def ensure_data(scale: str) -> Path:
    target = DATA / scale
    if not (target / "manifest.json").is_file():
        print(f"  generating {scale} ...", flush=True)
        generate.generate(scale)
    return target


def run_cqo(scale_dir: Path, scale: str) -> dict:
    out = OUT / scale / "cqo"
    r = measure([PY, "-m", "pipeline.cli", "-c", str(scale_dir / "config.yaml"), "run",
                 "--force", "--quarter", QUARTER, "--output", str(out)], cwd=ROOT)
    if r["rc"] != 0:
        raise RuntimeError(f"cqo failed: {r['stderr']}")
    summary = json.loads((out / QUARTER / "run_summary.json").read_text(encoding="utf-8"))
    t = summary.get("timings", {})
    r["timings"] = t
    r["ivm"] = round(sum(t.get(k, 0) for k in ("ingest", "validate", "roster", "store")), 3)
    r["rows"] = summary["totals"]["rows_read"]
    return r


def run_stages(scale_dir: Path, scale: str) -> dict:
    out = OUT / scale / "stages"
    r = measure([PY, str(HERE / "stages.py"), str(scale_dir), "--no-reports", "--output",
                 str(out)], cwd=ROOT)
    if r["rc"] != 0:
        raise RuntimeError(f"stages failed: {r['stderr']}")
    info = _json_line(r["stdout"])
    t = info["timings"]
    r["timings"] = t
    r["ivm"] = round(sum(t.get(k, 0) for k in ("ingest", "validate", "roster", "store")), 3)
    r["rows"] = info["rows"]
    return r


def run_floor(scale_dir: Path, scale: str, jobs: int = 1) -> dict:
    r = measure([PY, str(HERE / "floor.py"), str(scale_dir / "input"), "--jobs", str(jobs)],
                cwd=ROOT)
    if r["rc"] != 0:
        raise RuntimeError(f"floor failed: {r['stderr']}")
    r.update(_json_line(r["stdout"]))
    return r


def naive_input(scale_dir: Path, scale: str) -> tuple[Path, float]:
    """The naive script's input and the factor to extrapolate its time by (rows)."""
    if scale != "national":
        return scale_dir / "input", 1.0
    subset = OUT / "national-naive-subset" / "input"
    marker = subset.parent / "subset.json"
    manifest = json.loads((scale_dir / "manifest.json").read_text(encoding="utf-8"))
    if not marker.is_file() or json.loads(marker.read_text())["seed"] != manifest["seed"]:
        _write_subset(scale_dir, subset, manifest)
        rows = sum(f["rows"] for f in manifest["file_list"][::NAIVE_SUBSET])
        marker.write_text(json.dumps({"seed": manifest["seed"], "rows": rows}))
    rows = json.loads(marker.read_text())["rows"]
    return subset, manifest["rows"] / rows


def _write_subset(scale_dir: Path, subset: Path, manifest: dict) -> None:
    """Every NAIVE_SUBSET-th file, and the base-list rows of those files' units."""
    import shutil

    import xlsxwriter
    from python_calamine import CalamineWorkbook

    if subset.exists():
        shutil.rmtree(subset)
    (subset / QUARTER).mkdir(parents=True)
    picked = manifest["file_list"][::NAIVE_SUBSET]
    for f in picked:
        shutil.copy2(scale_dir / "input" / QUARTER / f["file"], subset / QUARTER / f["file"])
    units = {f["unit"] for f in picked}
    with (scale_dir / "input" / "企业名录.xlsx").open("rb") as fh:
        rows = CalamineWorkbook.from_filelike(fh).get_sheet_by_index(0).to_python()
    wb = xlsxwriter.Workbook(str(subset / "企业名录.xlsx"), {"constant_memory": True})
    ws = wb.add_worksheet("企业名录")
    ws.write_row(0, 0, rows[0])
    r = 1
    for row in rows[1:]:
        if row[2] in units or row[5] in units:
            ws.write_row(r, 0, row)
            r += 1
    wb.close()


def run_naive(scale_dir: Path, scale: str) -> dict:
    source, factor = naive_input(scale_dir, scale)
    r = measure([PY, str(HERE / "naive.py"), str(source), "--out",
                 str(OUT / scale / "naive")], cwd=ROOT)
    if r["rc"] != 0:
        raise RuntimeError(f"naive failed: {r['stderr']}")
    info = _json_line(r["stdout"])
    r["rows"] = info.get("rows")
    r["measured_wall"] = r["wall"]
    r["extrapolation"] = round(factor, 3)
    r["wall"] = round(r["wall"] * factor, 3)
    return r


CONTENDERS = {
    "cqo": run_cqo,
    "stages": run_stages,
    "naive": run_naive,
    "floor": run_floor,
    "floor2": lambda d, s: run_floor(d, s, jobs=2),
}
PLAN = {
    "county": ("cqo", "naive", "floor", "floor2"),
    "province": ("cqo", "naive", "floor", "floor2"),
    "national": ("stages", "naive", "floor", "floor2"),
}


# -- scales ---------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def _summarize(runs: list[dict]) -> dict:
    out = {
        "runs": [r["wall"] for r in runs],
        "wall": _median([r["wall"] for r in runs]),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }
    if "timings" in runs[0]:
        keys = runs[0]["timings"].keys()
        out["timings"] = {k: _median([r["timings"].get(k, 0) for r in runs]) for k in keys}
        out["ivm"] = _median([r["ivm"] for r in runs])
    for key in ("rows", "extrapolation", "cells", "files"):
        if key in runs[0]:
            out[key] = runs[0][key]
    if "measured_wall" in runs[0]:
        out["measured_wall"] = _median([r["measured_wall"] for r in runs])
    return out


def bench_scale(scale: str, runs: int, full_national: bool) -> dict:
    scale_dir = ensure_data(scale)
    manifest = json.loads((scale_dir / "manifest.json").read_text(encoding="utf-8"))
    plan = list(PLAN[scale])
    samples: dict[str, list[dict]] = {c: [] for c in plan}
    for i in range(runs):
        order = plan[i % len(plan):] + plan[: i % len(plan)]  # alternate who goes first
        for name in order:
            print(f"  {scale} round {i + 1}/{runs}: {name} ...", end="", flush=True)
            samples[name].append(CONTENDERS[name](scale_dir, scale))
            print(f" {samples[name][-1]['wall']:.2f} s", flush=True)
    result = {c: _summarize(s) for c, s in samples.items()}
    if scale == "national" and full_national:
        print("  national: one full cqo run (reports included) ...", end="", flush=True)
        full = run_cqo(scale_dir, scale)
        print(f" {full['wall']:.1f} s", flush=True)
        result["cqo"] = _summarize([full])
    result["data"] = {k: manifest[k] for k in ("files", "rows", "base_enterprises", "units",
                                                "formats", "planted_error_share")}
    if scale == "county":
        result["county_checks"] = county_checks(runs)
    if scale == "province":
        result["bounds"] = lower_bound(runs, result["floor2"]["wall"])
    return result


def lower_bound(runs: int, floor2: float) -> dict:
    """The least a whole province run can cost (benchmarks/bounds.py): importing the library
    stack, reading every cell over two processes (floor2), and writing as many one-cell
    workbooks as the cqo run wrote return-to-sender workbooks, over two processes."""
    feedback = OUT / "province" / "cqo" / QUARTER / "退回修改"
    count = len(list(feedback.glob("*.xlsx")))
    samples = []
    for i in range(runs):
        print(f"  province bound {i + 1}/{runs}: {count} one-cell workbooks ...", end="",
              flush=True)
        r = measure([PY, str(HERE / "bounds.py"), "--workbooks", str(count), "--jobs", "2"],
                    cwd=ROOT)
        if r["rc"] != 0:
            raise RuntimeError(f"bounds failed: {r['stderr']}")
        samples.append(_json_line(r["stdout"]))
        print(f" {samples[-1]['workbook_seconds']:.2f} s", flush=True)
    imports = _median([s["imports"] for s in samples])
    books = _median([s["workbook_seconds"] for s in samples])
    return {"imports": imports, "workbooks": count, "workbook_seconds": books,
            "floor2": floor2, "total": round(imports + floor2 + books, 3)}


def county_checks(runs: int) -> dict:
    """The shipped demo, one quarter (2026Q1 from an empty store); `cqo --help`; a config error;
    and the work after imports (stages.py, the library stack imported before the clock)."""
    demo_out = OUT / "demo"
    one_quarter, work, imports, helps, errors = [], [], [], [], []
    bad = OUT / "bad-config.yaml"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("county: 测试\nunits: 1\nbogus: true\n", encoding="utf-8")
    for _ in range(max(runs, 5)):
        helps.append(measure([PY, "-m", "pipeline.cli", "--help"], cwd=ROOT)["wall"])
        errors.append(measure([PY, "-m", "pipeline.cli", "-c", str(bad), "run"], cwd=ROOT)["wall"])
    for _ in range(runs):
        import shutil

        shutil.rmtree(demo_out, ignore_errors=True)
        r = measure([PY, "-m", "pipeline.cli", "run", "--quarter", "2026Q1", "--output",
                     str(demo_out)], cwd=ROOT)
        if r["rc"] != 0:
            raise RuntimeError(r["stderr"])
        one_quarter.append(r["wall"])
        shutil.rmtree(demo_out, ignore_errors=True)
        s = measure([PY, str(HERE / "stages.py"), str(ROOT), "--quarter", "2026Q1",
                     "--output", str(demo_out), "--preload"], cwd=ROOT)
        info = _json_line(s["stdout"])
        work.append(info["work"])
        imports.append(info["imports"])
    return {
        "demo_one_quarter_wall": _median(one_quarter),
        "demo_work_after_imports": _median(work),
        "demo_imports": _median(imports),
        "help_wall": _median(helps),
        "config_error_wall": _median(errors),
    }


def fit(runs: int, results: dict) -> dict:
    """ingest + validate + merge at 1k, 10k, 100k and 500k rows; log-log least squares. The
    500k point is the national scale's `stages` median when it was measured."""
    points = []
    for scale in FIT_SCALES:
        nat = results.get("national", {}).get("stages")
        if scale == "national" and nat:
            points.append({"scale": scale, "rows": nat["rows"], "ivm": nat["ivm"]})
            continue
        scale_dir = ensure_data(scale)
        ivm = []
        rows = 0
        for i in range(runs):
            print(f"  fit {scale} run {i + 1}/{runs} ...", end="", flush=True)
            r = run_stages(scale_dir, scale)
            ivm.append(r["ivm"])
            rows = r["rows"]
            print(f" {r['ivm']:.2f} s", flush=True)
        points.append({"scale": scale, "rows": rows, "ivm": _median(ivm)})
    xs = [math.log(p["rows"]) for p in points]
    ys = [math.log(p["ivm"]) for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    # the upper half alone: fixed costs (imports excluded, but per-run setup) flatten the start
    hi = points[-2:]
    upper = math.log(hi[1]["ivm"] / hi[0]["ivm"]) / math.log(hi[1]["rows"] / hi[0]["rows"])
    return {"points": points, "exponent": round(slope, 3), "exponent_100k_500k": round(upper, 3)}


# -- budgets and the table ------------------------------------------------------------------


def budgets(results: dict) -> list[dict]:
    out = []

    def add(scale, name, value, limit, ok, unit=""):
        out.append({"scale": scale, "budget": name, "value": value, "limit": limit,
                    "met": bool(ok), "unit": unit})

    nat = results.get("national")
    if nat:
        ivm, floor, naive = nat["stages"]["ivm"], nat["floor"]["wall"], nat["naive"]["wall"]
        add("national", "ingest+validate+merge ÷ floor", round(ivm / floor, 2), "≤ 2",
            ivm <= 2 * floor, "×")
        add("national", "naive ÷ (ingest+validate+merge)", round(naive / ivm, 1), "≥ 10",
            naive >= 10 * ivm, "×")
        rss = max(nat["stages"]["peak_rss_mb"], nat.get("cqo", {}).get("peak_rss_mb", 0))
        add("national", "peak RSS", rss, "≤ 2048", rss <= 2048, "MB")
    f = results.get("fit")
    if f:
        add("fit", "cost exponent (1k…500k rows)", f["exponent"], "≈ 1 (linear)",
            f["exponent"] <= 1.15, "")
    pro = results.get("province")
    if pro:
        cqo, floor, naive = pro["cqo"]["wall"], pro["floor"]["wall"], pro["naive"]["wall"]
        add("province", "cqo run (with reports) ÷ floor", round(cqo / floor, 1), "≤ 4",
            cqo <= 4 * floor, "×")
        add("province", "naive ÷ cqo run", round(naive / cqo, 2), "≥ 8", naive >= 8 * cqo, "×")
    cty = results.get("county", {}).get("county_checks")
    if cty:
        add("county", "demo: one quarter, wall", cty["demo_one_quarter_wall"], "≤ 5",
            cty["demo_one_quarter_wall"] <= 5, "s")
        add("county", "demo: work after imports", cty["demo_work_after_imports"], "≤ 2",
            cty["demo_work_after_imports"] <= 2, "s")
        add("county", "cqo --help", cty["help_wall"], "≤ 0.3", cty["help_wall"] <= 0.3, "s")
        add("county", "config error", cty["config_error_wall"], "≤ 0.3",
            cty["config_error_wall"] <= 0.3, "s")
    return out


def table(results: dict) -> str:
    lines = ["| scale | files | rows | contender | wall (median) | ingest+validate+merge | "
             "reports | peak RSS |", "|---|---:|---:|---|---:|---:|---:|---:|"]
    for scale in ("county", "province", "national"):
        res = results.get(scale)
        if not res:
            continue
        data = res["data"]
        for name in ("cqo", "stages", "naive", "floor", "floor2"):
            c = res.get(name)
            if not c:
                continue
            label = {"cqo": "cqo run --force", "stages": "cqo stages (no reports)",
                     "naive": "naive script", "floor": "floor (calamine, 1 process)",
                     "floor2": "floor (calamine, 2 processes)"}[name]
            if name == "naive" and c.get("extrapolation", 1) != 1:
                label += f" (1/{NAIVE_SUBSET} subset ×{c['extrapolation']:.1f})"
            if name == "cqo" and len(c["runs"]) == 1:
                label += " (1 run)"
            ivm = f"{c['ivm']:.2f} s" if "ivm" in c else ""
            has = "timings" in c and name == "cqo"
            rep = f"{c['timings'].get('reports', 0):.2f} s" if has else ""
            lines.append(f"| {scale} | {data['files']:,} | {data['rows']:,} | {label} | "
                         f"{c['wall']:.2f} s | {ivm} | {rep} | {c['peak_rss_mb']:,.0f} MB |")
    return "\n".join(lines)


def budget_table(results: dict) -> str:
    lines = ["| scale | budget | measured | limit | met |", "|---|---|---:|---:|:---:|"]
    for b in budgets(results):
        lines.append(f"| {b['scale']} | {b['budget']} | {b['value']}{b['unit']} | "
                     f"{b['limit']}{b['unit'] if b['unit'] != '×' else '×'} | "
                     f"{'yes' if b['met'] else '**no**'} |")
    return "\n".join(lines)


def bound_line(results: dict) -> str:
    """The province lower bound against its two budgets, in words (README)."""
    pro = results.get("province", {})
    b = pro.get("bounds")
    if not b or "floor" not in pro or "naive" not in pro:
        return ""
    floor, naive = pro["floor"]["wall"], pro["naive"]["wall"]
    return (
        f"Province lower bound: imports {b['imports']:.2f} s + reading every cell over 2 "
        f"processes {b['floor2']:.2f} s + {b['workbooks']} one-cell workbooks over 2 processes "
        f"{b['workbook_seconds']:.2f} s = {b['total']:.2f} s, i.e. {b['total'] / floor:.1f}× "
        f"the floor (budget ≤ 4×) and naive ÷ bound = {naive / b['total']:.1f}× (budget ≥ 8×), "
        "before validating a row or writing any other output."
    )


def stage_table(results: dict) -> str:
    keys = ("ingest", "validate", "roster", "rates", "reports", "store")
    lines = ["| scale | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
    for scale in ("county", "province", "national"):
        res = results.get(scale, {})
        for name in ("cqo", "stages"):
            c = res.get(name)
            if c and "timings" in c:
                label = scale + (" (no reports)" if name == "stages" else "")
                lines.append(f"| {label} | " + " | ".join(
                    f"{c['timings'].get(k, 0):.2f}" for k in keys) + " |")
    return "\n".join(lines)


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1048576:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram": mem, "python": platform.python_version(),
            "os": platform.platform(), "load_at_start": load}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scales", nargs="*", help="county, province, national, fit")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--full-national", action="store_true",
                   help="national: also one full cqo run with reports (several minutes; or "
                        "run the scale `national-full` on its own)")
    p.add_argument("--table", action="store_true", help="print the saved results and exit")
    args = p.parse_args(argv)
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    if not args.table:
        if not args.scales:
            p.error("name at least one scale (county, province, national, fit)")
        results["machine"] = machine()
        for scale in args.scales:
            started = time.perf_counter()
            print(f"{scale}:", flush=True)
            if scale == "fit":
                results["fit"] = fit(args.runs, results)
            elif scale == "national-full":
                print("  national: one full cqo run (reports included) ...", end="", flush=True)
                full = run_cqo(ensure_data("national"), "national")
                print(f" {full['wall']:.1f} s", flush=True)
                results.setdefault("national", {})["cqo"] = _summarize([full])
                results["national"]["cqo"]["measured_at"] = dt.datetime.now().isoformat(
                    timespec="seconds")
            else:
                results[scale] = {**results.get(scale, {}),
                                  **bench_scale(scale, args.runs, args.full_national)}
                results[scale]["measured_at"] = dt.datetime.now().isoformat(timespec="seconds")
                results[scale]["seconds"] = round(time.perf_counter() - started, 1)
            results["budgets"] = budgets(results)
            RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1),
                               encoding="utf-8")
    m = results.get("machine", {})
    print(f"\nMachine: {m.get('nproc')} cores, {m.get('cpu')}, {m.get('ram')} RAM, "
          f"Python {m.get('python')}\n")
    print(table(results))
    print()
    print(stage_table(results))
    if results.get("fit"):
        f = results["fit"]
        pts = ", ".join(f"{q['rows']:,} rows {q['ivm']:.2f} s" for q in f["points"])
        print(f"\nCost exponent of ingest+validate+merge: {f['exponent']} ({pts}); "
              f"100k→500k: {f['exponent_100k_500k']}")
    print()
    print(budget_table(results))
    bound = bound_line(results)
    if bound:
        print("\n" + bound)
    return 0


if __name__ == "__main__":
    sys.exit(main())
