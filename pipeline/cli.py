"""The `cqo` command line: parse options, call the library once, print a short summary.

Heavy libraries (pandas, pandera, matplotlib) are imported inside the commands that need them,
so `cqo --help` and config errors answer at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import unicodedata
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

# argparse's own English, in the order it is replaced (a message may hold several).
_ARGPARSE_ZH = [
    (re.compile(r"^usage: ", re.M), "用法："),
    (re.compile(r"^positional arguments:$", re.M), "参数："),
    (re.compile(r"^(?:optional arguments|options):$", re.M), "选项："),
    (re.compile(r"^(参数|选项):$", re.M), "\\1："),
    (re.compile(r"show this help message and exit"), "显示本帮助并退出"),
    (
        re.compile(r"^argument 命令: invalid choice: '?([^']*?)'? \(choose from (.*)\)$"),
        lambda m: f"没有「{m[1]}」这个命令（可用命令：{'、'.join(_choices(m[2]))}）",
    ),
    (re.compile(r"^argument (.+?): "), "参数 \\1："),
    (re.compile(r"invalid choice: (.+?) \(choose from (.*)\)"), "无效的取值 \\1（可选：\\2）"),
    (re.compile(r"unrecognized arguments: "), "无法识别的参数："),
    (re.compile(r"the following arguments are required: "), "缺少必需的参数："),
    (re.compile(r"expected one argument"), "后面需要跟一个值"),
    (re.compile(r"expected at least one argument"), "后面至少需要跟一个值"),
    (re.compile(r"expected at most one argument"), "后面最多跟一个值"),
    (re.compile(r"ambiguous option: (\S+) could match (.*)"), "选项 \\1 不明确，可能是：\\2"),
    (re.compile(r"invalid \S+ value: (.*)"), "无效的值：\\1"),
    (re.compile(r"ignored explicit argument (.*)"), "不接受值 \\1"),
    (re.compile(r"not allowed with argument (.*)"), "不能与 \\1 同时使用"),
]


def _choices(text: str) -> list[str]:
    return [c.strip().strip("'") for c in text.split(",")]


def _zh(text: str) -> str:
    for pattern, replacement in _ARGPARSE_ZH:
        text = pattern.sub(replacement, text)
    return text


class _Parser(argparse.ArgumentParser):
    """argparse in Chinese: section titles, -h, usage and error messages (exit 2)."""

    def __init__(self, *args, **kwargs):
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument(
            "-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出"
        )

    def format_usage(self) -> str:
        return _zh(super().format_usage())

    def format_help(self) -> str:
        return _zh(super().format_help())

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"用法错误：{_zh(message)}；运行 {self.prog} --help 查看用法\n")


def _common(p: argparse.ArgumentParser, top: bool) -> None:
    """-c/-v, accepted before and after the command; after it they only override when given."""
    p.add_argument(
        "-c",
        "--config",
        metavar="配置文件",
        default="config.yaml" if top else argparse.SUPPRESS,
        help="配置文件（默认 config.yaml）",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="显示详细日志",
    )


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="cqo",
        description="县质强办企业首席质量官（CQO）季度报送处理：读取、校验、花名册、聘任率、督查报告",
    )
    _common(p, top=True)
    sub = p.add_subparsers(dest="command", metavar="命令")

    r = sub.add_parser("run", help="处理季度报送：校验、合并花名册、计算聘任率、生成报告")
    r.add_argument("--quarter", metavar="季度", help="只处理到该季度，如 2026Q3（默认：全部季度）")
    r.add_argument("--input", type=Path, metavar="目录", help="输入目录（默认取配置）")
    r.add_argument("--output", type=Path, metavar="目录", help="输出目录（默认取配置）")
    r.add_argument("--force", action="store_true", help="即使输入未变化也重新处理")

    v = sub.add_parser("validate", help="自查报送文件（不改动花名册）；有错误时退出码为 1")
    v.add_argument(
        "files",
        nargs="+",
        metavar="文件",
        help="要检查的报送文件、文件夹或通配符（如 报送\\*.xlsx）",
    )
    v.add_argument("--quarter", metavar="季度", help="按哪个季度的规则检查（默认：当前季度）")
    v.add_argument(
        "--output", type=Path, metavar="目录", help="退回修改表写到哪里（默认 <输出目录>/自查）"
    )

    t = sub.add_parser("template", help="为各报送单位生成预填企业名单的空白报送表")
    t.add_argument(
        "--unit", action="append", metavar="单位", help="只生成该单位（可重复；可用别名）"
    )
    t.add_argument("--quarter", metavar="季度", help="使用该季度的企业名录（默认：常设名录）")
    t.add_argument(
        "--output", type=Path, metavar="目录", help="输出目录（默认 <输出目录>/templates）"
    )

    d = sub.add_parser("demo", help="重新生成内置演示数据（合成数据，不含真实个人信息）")
    d.add_argument(
        "dir", nargs="?", type=Path, metavar="目录", help="写到哪个目录（默认：配置的输入目录）"
    )
    d.add_argument(
        "--force",
        action="store_true",
        help="目录中已有真实数据（企业名录、报送文件）时也写入（会覆盖同名文件）",
    )

    ro = sub.add_parser("roster", help="查询花名册：某企业的首席质量官历史，或某单位的名单")
    ro.add_argument("--enterprise", metavar="企业", help="企业名称（可部分匹配）或统一社会信用代码")
    ro.add_argument("--quarter", metavar="季度", help="季度，如 2026Q3（默认：最近一个已处理季度）")
    ro.add_argument("--unit", metavar="单位", help="填报单位/所属乡镇（可用别名）")
    for child in (r, v, t, d, ro):
        _common(child, top=False)
    return p


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _quarter(text: str | None) -> str | None:
    """「 2026q3 」, full-width ２０２６Ｑ３ -> 2026Q3 (validity is checked where it is used)."""
    if text is None:
        return None
    return unicodedata.normalize("NFKC", text).strip().upper() or None


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the command's own parser: its usage and `cqo run --help`
            command = _subparsers(parser).get(getattr(args, "command", None), parser)
            command.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if hasattr(args, "quarter"):
        args.quarter = _quarter(args.quarter)
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
        if args.command == "run":
            print(
                "已中断：已完成的季度已保存；再次运行 cqo run 会自动重做未完成的季度。",
                file=sys.stderr,
            )
        else:
            print(f"已中断：请重新运行 cqo {args.command}。", file=sys.stderr)
        return EXIT_FAIL
    except OSError as exc:  # a folder that cannot be created, a file open in Excel/WPS, ...
        logging.getLogger("cqo").debug("file system error", exc_info=True)
        print(_os_error_message(exc, config.output_dir), file=sys.stderr)
        if args.verbose:
            raise
        return EXIT_FAIL
    except Exception as exc:  # a bug or an environment problem: say so, keep the details
        logging.getLogger("cqo").debug("unexpected failure", exc_info=True)
        print(f"运行出错（{type(exc).__name__}）：{exc}", file=sys.stderr)
        if args.verbose:
            raise
        print("加 -v 参数重新运行可查看详细信息。", file=sys.stderr)
        return EXIT_FAIL


_ADVICE = "请换一个输出目录，或检查该文件夹是否只读、是否正被其他程序占用"


def _os_error_message(exc: OSError, fallback: Path) -> str:
    """A Chinese sentence for an OSError while writing: where, and what the clerk can do."""
    import errno

    where = exc.filename2 or exc.filename or fallback  # a rename's target is what the clerk sees
    where = where.decode(errors="replace") if isinstance(where, bytes) else str(where)
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"没有权限在「{where}」创建文件夹或写入文件：{_ADVICE}"
    if exc.errno == errno.ENOSPC:
        return f"磁盘空间不足，无法在「{where}」写入文件：请清理磁盘，或换一个输出目录"
    reasons = {
        errno.ENOTDIR: "路径中有一段是文件而不是文件夹",
        errno.EEXIST: "已有同名的文件",
        errno.ENOENT: "路径不存在",
        errno.ENAMETOOLONG: "路径太长",
        errno.EBUSY: "文件正被占用",
    }
    reason = reasons.get(exc.errno) or exc.strerror or str(exc)
    return f"无法在「{where}」创建文件夹或写入文件（{reason}）：{_ADVICE}"


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def _cmd_run(config, args) -> int:
    from rich.markup import escape
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
        title="首席质量官季度处理结果（读取、接收、退回为行数；规上、中小微为合格聘任率；输入未变的季度跳过）",
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
    for name, hint in runner.ignored_folders(config.input_dir):
        should = f"，季度文件夹须命名为 {hint}" if hint else "（季度文件夹须命名如 2026Q3）"
        console.print(f"[yellow]未读取的文件夹[/yellow]「{escape(name)}」{should}", soft_wrap=True)
    for res in results:
        if res.skipped:
            continue
        s = res.summary
        for f in s["files"]:
            if f["status"] == "failed":
                where = escape(f"{res.quarter}/{f['file']}")
                console.print(
                    f"[red]读取失败[/red] {where}：{escape(str(f['error']))}", soft_wrap=True
                )
        if s.get("unknown_headers"):
            names = "、".join(sorted({h["header"] for h in s["unknown_headers"]}))
            console.print(
                f"{res.quarter} 未识别的表头（已列入问题清单）：{escape(names)}", soft_wrap=True
            )
        if s.get("missing_units"):
            console.print(f"{res.quarter} 未报送：{'、'.join(s['missing_units'])}", soft_wrap=True)
        if s.get("late_files"):
            late = escape("、".join(s["late_files"]))
            console.print(f"{res.quarter} 逾期报送：{late}", soft_wrap=True)
        empty = [f["file"] for f in s["files"] if f["status"] == "ok" and not f["rows_read"]]
        if empty:
            console.print(
                f"{res.quarter} [yellow]没有读到任何记录的文件[/yellow]：{escape('、'.join(empty))}"
                "（未填写的模板、找不到表头或不是报送表）：请核实",
                soft_wrap=True,
            )
        nobody = [f["file"] for f in s["files"] if f["status"] == "ok" and not f.get("unit")]
        if nobody:
            console.print(
                f"{res.quarter} [yellow]认不出填报单位的文件[/yellow]：{escape('、'.join(nobody))}"
                "（其问题只在问题清单中，无法退回）：请把单位名称写进文件名，或在 config.yaml 中"
                "加为单位别名",
                soft_wrap=True,
            )
        several = _units_with_several_files(s)
        if several:
            console.print(
                f"{res.quarter} [yellow]同一单位有多个文件（都已读取）[/yellow]："
                f"{escape(several)}：如有更正版，请删除旧文件后重新运行",
                soft_wrap=True,
            )
        towns = s.get("base_unknown_townships") or {}
        if towns:
            named = "、".join(f"「{t}」{n} 家" for t, n in list(towns.items())[:10])
            console.print(
                f"{res.quarter} [yellow]企业名录中所属乡镇不是已配置的单位[/yellow]："
                f"{escape(named)}（这些企业只计入全县）：请在企业名录中改正，"
                "或在 config.yaml 中加为单位别名",
                soft_wrap=True,
            )
    processed = [res for res in results if not res.skipped]
    if not processed:
        if results:
            console.print(
                "输入文件均未改变，未重新生成报告"
                f"（现有报告在 {escape(str(results[-1].output_dir))}）；"
                "如需重新生成，请加 --force",
                soft_wrap=True,
            )
            for line in _needs_attention(results[-1]):  # (a reminder of the latest quarter)
                console.print(line, soft_wrap=True)
        return EXIT_OK
    last = processed[-1]
    if last.dropped_later:
        later = "、".join(last.dropped_later)
        console.print(
            f"[yellow]{later} 依赖 {last.quarter}，已移出数据库，需要重算[/yellow]："
            "请运行 cqo run（不加 --quarter）",
            soft_wrap=True,
        )
    for line in _needs_attention(last):
        console.print(line, soft_wrap=True)
    console.print(f"报告已写入：{escape(str(last.output_dir))}", soft_wrap=True)
    return EXIT_OK


def _units_with_several_files(summary: dict) -> str:
    """For each unit that sent several files with rows this quarter, the unit and its files:
    天城镇（天城镇.xlsx、天城镇（更正）.xlsx）."""
    by_unit: dict[str, list[str]] = {}
    for f in summary.get("files", []):
        if f.get("unit") and f.get("status") == "ok" and f.get("rows_read"):
            by_unit.setdefault(f["unit"], []).append(f["file"])
    return "；".join(f"{u}（{'、'.join(fs)}）" for u, fs in by_unit.items() if len(fs) > 1)


def _needs_attention(res) -> list[str]:
    """A few lines after `cqo run` on its last processed quarter: which units get their
    workbook back because of error rows or an unreadable file, and where those workbooks are."""
    from rich.markup import escape

    rows: dict[str, int] = {}
    unreadable: list[str] = []
    for f in res.summary.get("files", []):
        who = f.get("unit") or f"未识别单位的文件 {f['file']}"
        if f.get("status") == "failed":
            unreadable.append(who)
        elif f.get("rows_rejected"):
            rows[who] = rows.get(who, 0) + int(f["rows_rejected"])
    parts = [f"{unit} {n} 行" for unit, n in rows.items()]
    parts += [f"{unit}（文件无法读取）" for unit in unreadable]
    folder = res.output_dir / "退回修改"
    books = len(list(folder.glob("*.xlsx"))) if folder.is_dir() else 0
    lines = [
        f"[bold]{res.quarter} 需退回修改（有错误行）[/bold]：{escape('、'.join(parts))}"
        if parts
        else f"{res.quarter} 没有错误行。"
    ]
    severities = res.summary.get("severity_counts", {})
    if books:
        other = [
            f"{label} {severities[key]} 条"
            for key, label in (("noncompliant", "不合格"), ("warning", "提醒"))
            if severities.get(key)
        ]
        also = f"（含{'、'.join(other)}，逐份见其“问题说明”页）" if other else ""
        lines.append(f"退回修改表共 {books} 份{also}，请发回各单位：{escape(str(folder))}{os.sep}")
    return lines


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

    files, missing = commands.expand_inputs(args.files)
    if not files:
        for text, reason in missing:
            print(f"{reason}：{text}", file=sys.stderr)
        print("没有可检查的文件：请检查文件名或文件夹是否写对", file=sys.stderr)
        return EXIT_USAGE
    out = args.output or config.output_dir / "自查"
    try:
        result = commands.check_files(config, files, out, args.quarter)
    except ValueError as exc:
        print(f"无法运行：{exc}", file=sys.stderr)
        return EXIT_USAGE
    console = _console()
    commands.print_findings(console, result)
    if missing:
        from rich.markup import escape

        console.print(f"[red]以下 {len(missing)} 项未检查[/red]：", soft_wrap=True)
        for text, reason in missing:
            console.print(f"  {reason}：{escape(text)}", soft_wrap=True)
    return EXIT_FAIL if result.has_errors or result.empty_files else EXIT_OK


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
    from pipeline.demo import DemoRefused, write_demo

    target = args.dir or config.input_dir
    try:
        paths = write_demo(Path(target), force=args.force)
    except DemoRefused as exc:
        print(f"未写入演示数据：{exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"已写入演示数据 {len(paths)} 个文件：{target}")
    return EXIT_OK


def _cmd_roster(config, args) -> int:
    from pipeline import commands

    if not args.enterprise and not args.unit:
        print(
            "请指定要查询的企业或单位，例如：cqo roster --enterprise 某某公司"
            " 或 cqo roster --unit 天城镇",
            file=sys.stderr,
        )
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
