"""督查报告.docx: structure, numbers in the narrative and tables, fonts, no personal data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from pathlib import Path

import docx
import pandas as pd
import pytest
from docx.oxml.ns import qn

from pipeline.reports.context import ReportContext
from pipeline.reports.docx import write_supervision_report
from pipeline.targets import RATE_COLUMNS

SECTIONS = ["总体情况", "达标单位", "滞后单位", "报送情况", "数据质量", "整改要求"]
RAW_ID = "421223199001011234"
RAW_MOBILE = "13812345678"

# A 1×1 white PNG: enough for python-docx to size and embed a picture.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8ffff3f0005fe02fedccc59e70000000049454e44ae426082"
)


def _rates(rows: list[tuple]) -> pd.DataFrame:
    out = []
    for dim, unit, cat, base, appointed, qualified, due in rows:
        rate = qualified / base if base else math.nan
        gap = max(0, math.ceil(due * base - 1e-9) - qualified)
        out.append([dim, unit, cat, base, appointed, qualified, rate, due, due, gap, gap])
    return pd.DataFrame(out, columns=RATE_COLUMNS)


CURRENT = _rates(
    [
        ("乡镇", "天城镇", "规上", 10, 10, 10, 1.0),
        ("乡镇", "天城镇", "重点行业中小微", 5, 5, 4, 0.8),
        ("乡镇", "白霓镇", "规上", 8, 6, 4, 1.0),
        ("乡镇", "白霓镇", "重点行业中小微", 10, 4, 3, 0.8),
        ("乡镇", "铜钟乡", "规上", 0, 0, 0, 1.0),  # a category with no base
        ("乡镇", "铜钟乡", "重点行业中小微", 2, 2, 2, 0.8),
        ("全县", "全县", "规上", 18, 16, 14, 1.0),
        ("全县", "全县", "重点行业中小微", 17, 11, 9, 0.8),
        ("部门", "县经信局", "规上", 18, 16, 14, 1.0),
    ]
)
PREVIOUS = _rates(
    [
        ("乡镇", "天城镇", "规上", 10, 9, 8, 1.0),
        ("乡镇", "白霓镇", "规上", 8, 5, 3, 1.0),
        ("全县", "全县", "规上", 18, 14, 11, 1.0),
        ("全县", "全县", "重点行业中小微", 17, 9, 9, 0.8),
    ]
)


def _context(
    tmp_path: Path,
    *,
    previous: bool = True,
    charts: tuple[str, ...] = ("rate_规上", "trend", "gap_规上"),
) -> ReportContext:
    trend = pd.DataFrame(
        {
            "quarter": ["2026Q1", "2026Q2", "2026Q3"] * 2,
            "category": ["规上"] * 3 + ["重点行业中小微"] * 3,
            "rate": [0.5, 11 / 18, 14 / 18, 0.4, 9 / 17, 9 / 17],
        }
    )
    if not previous:
        trend = trend[trend["quarter"] == "2026Q3"]
    # Personal data planted where a careless writer would copy it into the document.
    lagging = pd.DataFrame(
        {
            "enterprise_name": [
                "崇阳县白霓机械有限公司",
                "崇阳县白霓纺织有限公司",
                "崇阳县天城食品厂",
            ],
            "credit_code": ["91421223MA4F00001X", "91421223MA4F00002X", "91421223MA4F00003X"],
            "township": ["白霓镇", "白霓镇", "天城镇"],
            "department": ["县经信局"] * 3,
            "category": ["规上", "规上", "重点行业中小微"],
            "reason": [
                "未报送首席质量官",
                f"不合格：学历低于大专（身份证{RAW_ID}）",
                f"不合格：质量工作年限不足3年（手机{RAW_MOBILE}）",
            ],
            "cqo_name": [None, "张三", "李四"],
            "id_number": [None, RAW_ID, "421223********1234"],
            "mobile": [None, RAW_MOBILE, "138****5678"],
        }
    )
    submissions = pd.DataFrame(
        {
            "unit": ["天城镇", "白霓镇", "白霓镇"],
            "file": ["天城镇.xlsx", f"白霓镇{RAW_MOBILE}.xlsx", "白霓镇补报.xls"],
            "status": ["ok", "ok", "failed"],
            "rows_read": [15, 12, 0],
            "rows_accepted": [15, 9, 0],
            "rows_rejected": [0, 3, 0],
            "fill_date": [pd.Timestamp("2026-10-08"), pd.Timestamp("2026-10-14"), pd.NaT],
            "late": [False, True, False],
        }
    )
    summary = pd.DataFrame(
        {
            "rule": ["not_in_base_list", "id_checksum", "education_below_min", "id_precision_lost"],
            "severity": ["warning", "error", "noncompliant", "error"],
            "count": [4, 2, 1, 1],
            "message": [
                "企业不在企业名录中",
                "身份证号校验位错误",
                "学历低于任职要求",
                "身份证号精度丢失",
            ],
        }
    )
    chart_paths = {}
    for key in charts:
        path = tmp_path / f"{key}.png"
        path.write_bytes(PNG_1X1)
        chart_paths[key] = path
    return ReportContext(
        county="崇阳县",
        quarter="2026Q3",
        quarter_end=dt.date(2026, 9, 30),
        deadline=dt.date(2026, 10, 10),
        generated=dt.date(2026, 10, 15),
        profile_name="崇阳县2022",
        rates=CURRENT,
        previous_rates=PREVIOUS if previous else pd.DataFrame(columns=RATE_COLUMNS),
        trend=trend,
        lagging=lagging,
        submissions=submissions,
        missing_units=["港口乡"],
        issue_counts=dict(zip(summary["rule"], summary["count"], strict=True)),
        issue_summary=summary,
        chart_paths=chart_paths,
    )


def _all_text(document: docx.document.Document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


@pytest.fixture
def report(tmp_path: Path) -> docx.document.Document:
    path = write_supervision_report(tmp_path / "out" / "督查报告.docx", _context(tmp_path))
    assert path == tmp_path / "out" / "督查报告.docx"
    return docx.Document(str(path))


def test_title_page_and_headings(report: docx.document.Document) -> None:
    titles = [p.text for p in report.paragraphs if p.style.name == "Title"]
    assert titles == ["崇阳县企业首席质量官制度推行情况督查通报（2026年第三季度）"]
    headings = [p.text for p in report.paragraphs if p.style.name == "Heading 1"]
    assert headings == [f"{n}、{s}" for n, s in zip("一二三四五六", SECTIONS, strict=True)]
    section = report.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    texts = [p.text for p in report.paragraphs]
    assert "崇阳县质量强县工作委员会办公室" in texts
    assert "2026年10月15日" in texts


def test_narrative_is_built_from_the_numbers(report: docx.document.Document) -> None:
    text = _all_text(report)
    # County: 14/18 qualified now, 11/18 last quarter -> 77.8%, +16.7 points, 4 short of 100%.
    assert "全县纳入名录的规上企业18家，已聘任首席质量官16家，其中任职资格合格14家" in text
    assert "合格聘任率77.8%，较上季度上升16.7个百分点" in text
    assert "还差4家，未达到节点目标" in text
    assert "与上季度持平" in text  # 重点行业中小微: 9/17 both quarters
    # Met / behind, worst first, with the gap in enterprises.
    assert "规上企业合格聘任率达到节点目标（100.0%）的单位有1个：天城镇（100.0%）" in text
    assert "白霓镇（合格聘任率50.0%，还差4家）" in text
    assert "铜钟乡企业名录中暂无规上企业" in text
    # Submissions: the late file, the unreadable one, the unit that sent nothing.
    assert "逾期报送的有1份：白霓镇（2026年10月14日报送）" in text
    assert "白霓镇补报.xls" in text
    assert "港口乡共1个单位本季度未报送数据" in text
    # Data quality totals by severity.
    assert "共发现问题8条，其中错误3条" in text
    # Rectification list per lagging unit.
    assert (
        "白霓镇：规上企业还需新聘合格首席质量官4家，重点行业中小微企业5家；"
        "已聘任但任职资格不合格的1家"
    ) in text
    assert "退回修改数据3条" in text
    assert "港口乡：本季度未报送数据" in text


def test_unit_rate_table(report: docx.document.Document) -> None:
    rows = {}
    for table in report.tables:
        header = [c.text for c in table.rows[0].cells]
        if header[:2] == ["排名", "单位"]:
            for row in table.rows[1:]:
                cells = [c.text for c in row.cells]
                rows.setdefault(cells[1], cells)
    assert rows["天城镇"][:6] == ["1", "天城镇", "10", "10", "10", "100.0%"]
    assert rows["白霓镇"][5] == "50.0%"
    assert rows["白霓镇"][-1] == "4家"
    assert rows["铜钟乡"][0] == "—"  # no base: not ranked
    header_run = report.tables[0].rows[0].cells[0].paragraphs[0].runs[0]
    assert header_run.bold
    assert header_run.font.size.pt == 10.5


def test_one_picture_per_chart(tmp_path: Path) -> None:
    charts = ("rate_规上", "rate_重点行业中小微", "trend", "gap_规上", "other_chart")
    path = write_supervision_report(tmp_path / "r.docx", _context(tmp_path, charts=charts))
    document = docx.Document(str(path))
    assert len(document.inline_shapes) == len(charts)
    captions = [p.text for p in document.paragraphs if p.text.startswith("图")]
    assert len(captions) == len(charts)
    assert any("全县企业首席质量官合格聘任率变化趋势" in c for c in captions)


def test_missing_chart_file_is_skipped(tmp_path: Path) -> None:
    ctx = _context(tmp_path, charts=("trend",))
    ctx.chart_paths["rate_规上"] = tmp_path / "does-not-exist.png"
    document = docx.Document(str(write_supervision_report(tmp_path / "r.docx", ctx)))
    assert len(document.inline_shapes) == 1


def test_east_asian_fonts_without_theme_override(report: docx.document.Document) -> None:
    for name, font in (("Normal", "仿宋"), ("Title", "黑体"), ("Heading 1", "黑体")):
        rfonts = report.styles[name].element.rPr.find(qn("w:rFonts"))
        assert rfonts.get(qn("w:eastAsia")) == font
        for attr in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
            assert rfonts.get(qn(attr)) is None
    defaults = report.styles.element.find(qn("w:docDefaults"))
    rfonts = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    assert rfonts.get(qn("w:eastAsiaTheme")) is None
    assert rfonts.get(qn("w:eastAsia")) == "仿宋"
    cell_run = report.tables[0].rows[1].cells[0].paragraphs[0].runs[0]
    assert cell_run._r.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"


def test_no_personal_data(report: docx.document.Document) -> None:
    text = _all_text(report)
    assert not re.search(r"(?<!\d)\d{17}[\dXx](?![\dXx])", text)
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)
    assert RAW_ID not in text and RAW_MOBILE not in text
    assert "张三" not in text and "李四" not in text  # CQO names stay out of the notice
    # The lagging enterprises are listed by name in the attachment.
    assert "崇阳县白霓机械有限公司" in text


def test_first_quarter_without_previous(tmp_path: Path) -> None:
    ctx = _context(tmp_path, previous=False, charts=())
    document = docx.Document(str(write_supervision_report(tmp_path / "r.docx", ctx)))
    text = _all_text(document)
    assert "本季度为首次统计，暂无上季度数据可作比较" in text
    assert "较上季度" not in text
    assert len(document.inline_shapes) == 0


def test_empty_quarter_still_writes(tmp_path: Path) -> None:
    empty = pd.DataFrame()
    ctx = ReportContext(
        county="崇阳县",
        quarter="2026Q1",
        quarter_end=dt.date(2026, 3, 31),
        deadline=dt.date(2026, 4, 10),
        generated=dt.date(2026, 4, 12),
        profile_name="崇阳县2022",
        rates=pd.DataFrame(columns=RATE_COLUMNS),
        previous_rates=empty,
        trend=empty,
        lagging=empty,
        submissions=empty,
        missing_units=[],
        issue_counts={},
        issue_summary=empty,
    )
    document = docx.Document(str(write_supervision_report(tmp_path / "r.docx", ctx)))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert len(headings) == len(SECTIONS)
    text = _all_text(document)
    assert "未收到任何报送文件" in text
    assert "未发现问题" in text


def test_pace_target_before_first_milestone(tmp_path: Path) -> None:
    rates = pd.DataFrame(
        [
            ["乡镇", "天城镇", "规上", 10, 4, 3, 0.3, 0.0, 0.4, 0, 1],
            ["全县", "全县", "规上", 10, 4, 3, 0.3, 0.0, 0.4, 0, 1],
        ],
        columns=RATE_COLUMNS,
    )
    ctx = _context(tmp_path, previous=False, charts=())
    ctx = ReportContext(**{**ctx.__dict__, "rates": rates})
    text = _all_text(docx.Document(str(write_supervision_report(tmp_path / "r.docx", ctx))))
    assert "尚未到第一个目标节点，按时序进度本季度末应达到40.0%，还差1家" in text
    assert "天城镇（合格聘任率30.0%，还差1家）" in text


# -- a province's scale: tables and lists bounded, each saying what is left out and where -----


def _many_units_context(tmp_path: Path, n: int) -> ReportContext:
    """`n` townships; unit i has 10 规上 enterprises of which i % 11 qualified (ties on purpose),
    one file each (every 7th late, one unreadable), 3 lagging enterprises each."""
    rows = []
    for i in range(n):
        rows.append(("乡镇", f"第{i:03d}镇", "规上", 10, 10, i % 11, 1.0))
    total_q = sum(r[5] for r in rows)
    rows.append(("全县", "全县", "规上", 10 * n, 10 * n, total_q, 1.0))
    rates = _rates(rows)
    units = [f"第{i:03d}镇" for i in range(n)]
    submissions = pd.DataFrame(
        {
            "unit": units,
            "file": [f"{u}.xlsx" for u in units],
            "status": ["failed" if i == 5 else "ok" for i in range(n)],
            "rows_read": [10] * n,
            "rows_accepted": [10 - (i % 3) for i in range(n)],
            "rows_rejected": [i % 3 for i in range(n)],
            "fill_date": [pd.Timestamp("2026-10-08")] * n,
            "late": [i % 7 == 0 for i in range(n)],
        }
    )
    lagging = pd.DataFrame(
        {
            "enterprise_name": [f"{u}企业{k}" for u in units for k in range(3)],
            "township": [u for u in units for _ in range(3)],
            "category": ["规上"] * (3 * n),
            "reason": ["未报送首席质量官"] * (3 * n),
        }
    )
    base = _context(tmp_path, previous=False, charts=())
    return ReportContext(
        **{
            **base.__dict__,
            "rates": rates,
            "submissions": submissions,
            "lagging": lagging,
            "missing_units": [],
            "trend": pd.DataFrame(),
        }
    )


def _tables(document: docx.document.Document) -> dict[str, list[list[str]]]:
    """Tables by their first header cell (the first one of each kind)."""
    out: dict[str, list[list[str]]] = {}
    for table in document.tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        out.setdefault(rows[0][0], rows)
    return out


def test_a_province_gets_bounded_tables_that_say_what_is_left_out(tmp_path: Path) -> None:
    from pipeline.reports import docx as report

    ctx = _many_units_context(tmp_path, 100)
    document = docx.Document(str(write_supervision_report(tmp_path / "r.docx", ctx)))
    text = _all_text(document)
    tables = _tables(document)

    # Unit table: the 40 lowest rates, lowest first, their real rank, then the county row.
    units = tables["排名"]
    assert len(units) == 1 + report.MAX_TABLE_ROWS + 1
    shown = [row[1] for row in units[1:-1]]
    rates = ctx.rates[ctx.rates["dimension"] == "乡镇"]
    lowest = rates.sort_values("rate", kind="stable")["rate"].head(report.MAX_TABLE_ROWS)
    assert sorted(rates.set_index("unit").loc[shown, "rate"]) == sorted(lowest)
    assert units[1][0] == "91"  # 10 units share the lowest rate: all ranked 91
    assert units[-1][1] == "全县"
    assert "合格聘任率最低的40个单位" in text
    assert "注：共100个单位，表中为合格聘任率最低的40个" in text
    assert "全部100个单位见目标差距报告.xlsx“汇总”工作表" in text

    # Sentences name at most MAX_NAMED units and say how many more there are.
    lagging = rates[rates["gap_due"] > 0]
    assert f"未达到节点目标（100.0%）的单位有{len(lagging)}个" in text
    assert f"其余{len(lagging) - report.MAX_NAMED}个单位见目标差距报告.xlsx“汇总”工作表" in text
    lag_sentence = next(p.text for p in document.paragraphs if "未达到节点目标（100.0%）" in p.text)
    assert lag_sentence.count("还差") == report.MAX_NAMED + 1  # the units, and the total

    # Submissions: what needs action first (the unreadable file, late ones), then a note.
    subs = tables["填报单位"]
    assert len(subs) == 1 + report.MAX_TABLE_ROWS
    assert subs[1][-1] == "无法读取" and subs[2][-1] == "逾期"
    assert "注：共100项" in text and "全部见目标差距报告.xlsx“报送情况”工作表" in text

    # Rectification: one item per unit for the worst MAX_NAMED, then where the rest are.
    items = [p.text for p in document.paragraphs if re.match(r"\d+．第\d{3}镇：", p.text)]
    assert len(items) == report.MAX_NAMED
    assert "以上为差距最大的30个单位。另有" in text


def test_a_long_attachment_lists_whole_units_worst_first(tmp_path: Path, monkeypatch) -> None:
    from pipeline.reports import docx as report

    monkeypatch.setattr(report, "MAX_LISTED_ENTERPRISES", 10)
    ctx = _many_units_context(tmp_path, 100)
    document = docx.Document(str(write_supervision_report(tmp_path / "r.docx", ctx)))
    attachment = _tables(document)["序号"]
    listed = [row[1] for row in attachment[1:]]
    assert len(listed) == 9  # three whole units of 3 (a fourth would pass 10)
    worst = ["第000镇", "第011镇", "第022镇"]  # 0 of 10 qualified: the largest gaps
    assert sorted(set(listed)) == worst
    text = _all_text(document)
    assert "注：共300家。此处按整改要求中的单位顺序（差距由大到小）列出3个单位的9家" in text
    assert "其余291家见目标差距报告.xlsx" in text


def test_a_county_keeps_every_unit_in_full(tmp_path: Path) -> None:
    """13 units (the demo county): nothing is cut, and nothing says it was."""
    ctx = _many_units_context(tmp_path, 13)
    document = docx.Document(str(write_supervision_report(tmp_path / "r.docx", ctx)))
    text = _all_text(document)
    tables = _tables(document)
    assert sorted(row[1] for row in tables["排名"][1:-1]) == [f"第{i:03d}镇" for i in range(13)]
    assert len(tables["填报单位"]) == 1 + 13
    assert len(tables["序号"]) == 1 + 3 * 13
    for cut in ("其余", "另有", "最低的", "需关注的部分", "此处按"):
        assert cut not in text
    items = [p.text for p in document.paragraphs if re.match(r"\d+．第\d{3}镇：", p.text)]
    assert len(items) == 13  # every unit has something to do (第010镇: its rejected row)


@pytest.mark.parametrize("first", [["0", "x", "y"], ["", "x", "y"]], ids=["full", "empty-cell"])
def test_table_rows_keep_their_text(tmp_path: Path, first: list[str]) -> None:
    """Rows copied from the first one get their own text: spaces at the ends, line breaks,
    XML specials, characters Word forbids (dropped), empty cells."""
    from pipeline.reports.docx import _add_table, _setup_styles

    document = docx.Document()
    _setup_styles(document)
    rows = [first, ["1", " 前有空格", "两\n行"], ["2", "<&>", ""], ["3", "控制\x01字符", "z"]]
    _add_table(document, ["序号", "甲", "乙"], rows, [2, 2, 2])
    document.save(str(tmp_path / "t.docx"))
    table = docx.Document(str(tmp_path / "t.docx")).tables[0]
    assert [[c.text for c in r.cells] for r in table.rows[1:]] == [
        first,
        ["1", " 前有空格", "两\n行"],
        ["2", "<&>", ""],
        ["3", "控制字符", "z"],
    ]


def test_unit_gaps_adding_up_to_more_than_the_county_gap_are_explained(tmp_path: Path) -> None:
    # 80% of 3 enterprises needs 3 in each town (rounded up): 1 short in each, 2 in all; the
    # county needs 80% of 6 = 5 of its 6 and has 4: 1 short.
    rates = _rates(
        [
            ("乡镇", "天城镇", "重点行业中小微", 3, 2, 2, 0.8),
            ("乡镇", "白霓镇", "重点行业中小微", 3, 2, 2, 0.8),
            ("全县", "全县", "重点行业中小微", 6, 4, 4, 0.8),
        ]
    )
    ctx = dataclasses.replace(_context(tmp_path), rates=rates)
    text = _all_text(docx.Document(str(write_supervision_report(tmp_path / "r.docx", ctx))))
    assert "还差1家，未达到节点目标" in text  # the county
    assert "合计还差2家。（各单位差距按本单位企业数分别计算并向上取整" in text
    assert "故合计数多于全县差距1家。）" in text


def test_unit_gaps_equal_to_the_county_gap_need_no_note(report: docx.document.Document) -> None:
    assert "故合计数多于全县差距" not in _all_text(report)


def test_no_table_row_breaks_across_pages(report: docx.document.Document) -> None:
    """Every row of every table (header and copied data rows) carries w:cantSplit; header
    rows still repeat."""
    assert report.tables
    for table in report.tables:
        rows = table._tbl.tr_lst
        for tr in rows:
            tr_pr = tr.trPr
            assert tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None
        assert rows[0].trPr.find(qn("w:tblHeader")) is not None
        assert all(tr.trPr.find(qn("w:tblHeader")) is None for tr in rows[1:])


def test_attachment_gives_the_reason_the_widest_column(report: docx.document.Document) -> None:
    from docx.shared import Cm

    from pipeline.reports.docx import ANNEX_WIDTHS

    annex = next(t for t in report.tables if t.cell(0, 0).text == "序号")
    assert [c.text for c in annex.rows[0].cells] == [
        "序号",
        "所属乡镇",
        "企业名称",
        "企业类别",
        "情况",
    ]
    widths = [col.width for col in annex.columns]
    assert all(abs(w - Cm(cm)) < Cm(0.01) for w, cm in zip(widths, ANNEX_WIDTHS, strict=True))
    assert max(widths) == widths[-1] and widths[-1] >= Cm(6)
    assert sum(ANNEX_WIDTHS) == pytest.approx(21 - 2.8 - 2.6)  # the text width
    # The category without "企业" (the column says it): "重点行业中小微" takes two lines.
    assert {r.cells[3].text for r in annex.rows[1:]} == {"规上", "重点行业中小微"}


def test_charts_are_inserted_at_their_printed_size(tmp_path: Path) -> None:
    """A chart drawn 15 cm wide at its DPI goes in at that size (its fonts are true points);
    a wider one is shrunk to the text width, keeping its aspect ratio."""
    from docx.shared import Cm
    from PIL import Image

    from pipeline.reports.docx import IMAGE_WIDTH

    ctx = _context(tmp_path, charts=("trend", "rate_规上"))
    Image.new("RGB", (1181, 591), "white").save(ctx.chart_paths["trend"], dpi=(200, 200))
    Image.new("RGB", (3000, 1000), "white").save(ctx.chart_paths["rate_规上"], dpi=(100, 100))
    document = docx.Document(str(write_supervision_report(tmp_path / "r.docx", ctx)))
    trend, rate = document.inline_shapes  # the trend chart comes first (总体情况)
    assert abs(trend.width - Cm(15)) < Cm(0.01)
    assert abs(trend.height - Cm(15) * 591 / 1181) < Cm(0.01)
    assert rate.width == IMAGE_WIDTH and abs(rate.height - IMAGE_WIDTH / 3) < Cm(0.01)


def test_the_signature_never_stands_alone_on_a_page(report: docx.document.Document) -> None:
    """The last paragraph of the text, the 附件 line and the office keep with the date."""
    paras = report.paragraphs
    date_at = next(i for i, p in enumerate(paras) if p.style.name == "落款" and "年" in p.text)
    office_at = date_at - 1
    assert paras[office_at].style.name == "落款"
    body_at = max(
        i for i, p in enumerate(paras[:office_at]) if p.text.strip() and "附件" not in p.text
    )
    for p in paras[body_at:date_at]:
        assert p.paragraph_format.keep_with_next, p.text
