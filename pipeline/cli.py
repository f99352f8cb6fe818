"""The `cqo` command line: parse options, call the library once, print a short summary.

Heavy libraries (pandas, pandera, matplotlib) are imported inside the commands that need them,
so `cqo --help` and config errors answer at once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cqo",
        description="县质强办企业首席质量官（CQO）季度报送处理：读取、校验、花名册、聘任率、督查报告",
    )
    p.add_argument("-c", "--config", default="config.yaml", help="配置文件（默认 config.yaml）")
    p.add_argument("-v", "--verbose", action="store_true", help="显示详细日志")
    sub = p.add_subparsers(dest="command", metavar="命令")

    r = sub.add_parser("run", help="处理季度报送：校验、合并花名册、计算聘任率、生成报告")
    r.add_argument("--quarter", help="只处理到该季度，如 2026Q3（默认：全部季度）")
    r.add_argument("--input", type=Path, help="输入目录（默认取配置）")
    r.add_argument("--output", type=Path, help="输出目录（默认取配置）")
    r.add_argument("--force", action="store_true", help="即使输入未变化也重新处理")

    v = sub.add_parser("validate", help="自查报送文件（不改动花名册）；有错误时退出码为 1")
    v.add_argument("files", nargs="+", type=Path, help="要检查的报送文件")
    v.add_argument("--quarter", help="按哪个季度的规则检查（默认：当前季度）")
    v.add_argument("--output", type=Path, help="退回修改表写到哪里（默认 <输出目录>/自查）")

    t = sub.add_parser("template", help="为各报送单位生成预填企业名单的空白报送表")
    t.add_argument("--unit", action="append", help="只生成该单位（可重复）")
    t.add_argument("--quarter", help="使用该季度的企业名录（默认：常设名录）")
    t.add_argument("--output", type=Path, help="输出目录（默认 <输出目录>/templates）")

    d = sub.add_parser("demo", help="重新生成内置演示数据（合成数据，不含真实个人信息）")
    d.add_argument("dir", nargs="?", type=Path, help="写到哪个目录（默认：配置的输入目录）")

    ro = sub.add_parser("roster", help="查询花名册：某企业的首席质量官历史，或某单位的名单")
    ro.add_argument("--enterprise", help="企业名称（可部分匹配）或统一社会信用代码")
    ro.add_argument("--quarter", help="季度，如 2026Q3（默认：最近一个已处理季度）")
    ro.add_argument("--unit", help="填报单位/所属乡镇")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return EXIT_USAGE
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from pipeline.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    handler = {
        "run": _cmd_run,
        "validate": _cmd_validate,
        "template": _cmd_template,
        "demo": _cmd_demo,
        "roster": _cmd_roster,
    }[args.command]
    try:
        return handler(config, args)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return EXIT_FAIL
    except Exception as exc:  # a bug or an environment problem: say so, keep the details
        logging.getLogger("cqo").debug("unexpected failure", exc_info=True)
        print(f"运行出错（{type(exc).__name__}）：{exc}", file=sys.stderr)
        if args.verbose:
            raise
        print("加 -v 参数重新运行可查看详细信息。", file=sys.stderr)
        return EXIT_FAIL


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def _cmd_run(config, args) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Table

    from pipeline import run as runner

    if args.input or args.output:
        config = config.with_paths(args.input, args.output)
    console = _console()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[current]}"),
        console=console,
        transient=True,
    ) as bar:
        task = {"id": None}

        def start(quarter: str, n: int) -> None:
            if task["id"] is not None:
                bar.remove_task(task["id"])
            task["id"] = bar.add_task(f"{quarter} 读取报送文件", total=n, current="")

        def done(name: str) -> None:
            bar.update(task["id"], advance=1, current=name)

        def stage(text: str) -> None:
            if task["id"] is not None:
                bar.update(task["id"], current=text)

        try:
            results = runner.run(
                config, args.quarter, runner.Progress(start, done, stage), force=args.force
            )
        except Exception as exc:
            outcome = _run_failure(runner, exc)
            if outcome is None:
                raise
            bar.stop()
            prefix, code = outcome
            print(f"{prefix}：{exc}", file=sys.stderr)
            return code

    table = Table(
        title="首席质量官季度处理结果（规上、中小微为合格聘任率；输入未变的季度跳过）",
        title_justify="left",
    )
    for col in ("季度", "文件", "失败", "读取", "接收", "退回", "问题", "规上", "中小微", "状态"):
        table.add_column(
            col, justify="right" if col not in ("季度", "状态") else "left", no_wrap=True
        )
    for res in results:
        s = res.summary
        t = s.get("totals", {})
        county = {r["category"]: r for r in s.get("rates", []) if r["unit"] == "全县"}

        def pct(cat: str, county=county) -> str:
            r = county.get(cat)
            return f"{r['rate']:.1%}" if r and r["base"] else "-"

        table.add_row(
            res.quarter,
            str(t.get("files", "")),
            str(t.get("files_failed", "")),
            str(t.get("rows_read", "")),
            str(t.get("rows_accepted", "")),
            str(t.get("rows_rejected", "")),
            str(sum(s.get("issue_counts", {}).values())),
            pct("规上"),
            pct("重点行业中小微"),
            "跳过" if res.skipped else "已处理",
        )
    console.print(table)
    for res in results:
        if res.skipped:
            continue
        s = res.summary
        for f in s["files"]:
            if f["status"] == "failed":
                console.print(f"[red]读取失败[/red] {res.quarter}/{f['file']}：{f['error']}")
        if s.get("unknown_headers"):
            names = "、".join(sorted({h["header"] for h in s["unknown_headers"]}))
            console.print(f"{res.quarter} 未识别的表头（已列入问题清单）：{names}")
        if s.get("missing_units"):
            console.print(f"{res.quarter} 未报送：{'、'.join(s['missing_units'])}")
        if s.get("late_files"):
            console.print(f"{res.quarter} 逾期报送：{'、'.join(s['late_files'])}")
    if results:
        console.print(f"报告已写入：{results[-1].output_dir}")
    return EXIT_OK


def _run_failure(runner, exc: Exception) -> tuple[str, int] | None:
    """How the CLI reports a failure of `cqo run`: message prefix and exit code."""
    outcomes = [
        (runner.BusyError, "无法运行", EXIT_FAIL),  # another run holds the lock
        (runner.OutputError, "报告未能全部写入", EXIT_FAIL),
        (runner.InvariantError, "运行失败", EXIT_FAIL),
        ((runner.RunError, ValueError), "无法运行", EXIT_USAGE),
    ]
    for kinds, prefix, code in outcomes:
        if isinstance(exc, kinds):
            return prefix, code
    return None


def _cmd_validate(config, args) -> int:
    from pipeline import commands

    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        print(f"找不到文件：{'、'.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    out = args.output or config.output_dir / "自查"
    try:
        result = commands.check_files(config, args.files, out, args.quarter)
    except ValueError as exc:
        print(f"无法运行：{exc}", file=sys.stderr)
        return EXIT_USAGE
    console = _console()
    commands.print_findings(console, result)
    return EXIT_FAIL if result.has_errors else EXIT_OK


def _cmd_template(config, args) -> int:
    from pipeline import commands

    out = args.output or config.output_dir / "templates"
    try:
        paths = commands.write_unit_templates(config, out, args.unit, args.quarter)
    except ValueError as exc:
        print(f"无法生成：{exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"已生成 {len(paths)} 份报送模板：{out}")
    return EXIT_OK


def _cmd_demo(config, args) -> int:
    from pipeline.demo import write_demo

    target = args.dir or config.input_dir
    paths = write_demo(Path(target))
    print(f"已写入演示数据 {len(paths)} 个文件：{target}")
    return EXIT_OK


def _cmd_roster(config, args) -> int:
    from pipeline import commands

    if not args.enterprise and not args.unit:
        print("请指定 --enterprise 或 --unit", file=sys.stderr)
        return EXIT_USAGE
    if not config.store_path.is_file():
        print(f"尚无花名册数据库（{config.store_path}），请先运行 cqo run", file=sys.stderr)
        return EXIT_USAGE
    console = _console()
    try:
        found = commands.roster_lookup(console, config, args.enterprise, args.unit, args.quarter)
    except ValueError as exc:
        print(f"无法查询：{exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK if found else EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
