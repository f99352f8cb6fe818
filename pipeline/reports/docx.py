"""督查报告.docx: the quarter's supervision notice (督查通报), every sentence built from numbers."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import math
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_ALIGN_VERTICAL, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from pipeline.fields import CATEGORIES
from pipeline.fsutil import atomic_path
from pipeline.privacy import mask_in_text
from pipeline.reports.context import ReportContext

log = logging.getLogger(__name__)

# Fonts every Chinese Windows has (仿宋_GB2312 / 方正小标宋简体 are often missing: TECH.md).
TITLE_FONT = "黑体"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体"
BODY_FONT = "仿宋"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"

BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
TABLE_PT = 10.5  # 五号
CAPTION_PT = 12  # 小四
LINE_PT = 28  # fixed line pitch of official documents (GB/T 9704: 22 lines a page)

IMAGE_WIDTH = Cm(15)  # at most; pipeline.reports.charts draws its charts this wide
# A notice is read by people. At a county's scale (a dozen units) every table and list is
# complete; beyond these bounds (a province's thousand townships) a table or list shows the
# units that need attention first and says how many more there are and where to find them.
MAX_TABLE_ROWS = 40  # unit, department and submission tables
MAX_NAMED = 30  # units named in one sentence, and units with their own rectification item
MAX_LISTED_ENTERPRISES = 1000  # the attachment
ANNEX_WIDTHS = [1.2, 2.0, 4.0, 2.2, 6.2]  # 序号, 所属乡镇, 企业名称, 企业类别, 情况 (cm)
GAP_BOOK = "目标差距报告.xlsx"  # where every unit and enterprise is listed

_CN_DIGITS = "零一二三四五六七八九十"
_SEVERITY_LABEL = {"error": "错误", "noncompliant": "不合格", "warning": "提醒"}
_SEVERITY_ORDER = {"error": 0, "noncompliant": 1, "warning": 2}

# What a clerk should do about the most common findings (said once, only when they occur).
_ADVICE = {
    "id_precision_lost": "系身份证号被Excel存成数字、末几位已丢失，须将该列设为文本格式后重新录入",
    "id_checksum": "多为录入错误，须对照身份证原件逐位核对",
    "id_format": "须对照身份证原件核对位数和格式",
    "required": "须补全企业名称、首席质量官姓名、身份证号、学历、质量工作年限和联系电话",
    "education_below_min": "须调整人选，或提供符合条件的相当学历（职称）证明",
    "quality_years_below_min": "须调整人选，或补充质量管理工作经历证明",
    "education_unknown": "须按“大专”“本科”等规范名称填写学历",
    "quality_years_format": "须填写年数（如“5年”）",
    "date_format": "须按“2026年9月30日”或“2026-09-30”格式填写日期",
    "not_in_base_list": "须核对企业名称和统一社会信用代码是否与企业名录一致",
    "change_registration_late": "企业更换首席质量官后须在规定时限内办理变更登记",
    "duplicate_in_submission": "须删除同一份报表中的重复行",
    "conflicting_submissions": "乡镇与主管部门须相互核对同一企业的报送信息",
    "cqo_multiple_enterprises": "须核实同一人在多家企业任职是否属实",
    "unknown_unit": "须在报表中填写“填报单位”",
    "mobile_format": "须核对手机号码",
    "credit_code_checksum": "须对照营业执照核对统一社会信用代码",
}

# Personal numbers that must never reach this document, whatever the frames hold.


def write_supervision_report(path: Path, ctx: ReportContext) -> Path:
    """Write the quarter's 督查通报 (A4, official layout) to `path` and return the path."""
    report = _Report(ctx)
    doc = report.build()
    path = Path(path)
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    log.info("督查报告已写入 %s", path)
    return path


# -- text helpers ----------------------------------------------------------------------------


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _scrub(text: object) -> str:
    """Mask anything that looks like an ID number or a mobile number."""
    s = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    return mask_in_text(s) if any(c.isdigit() for c in s) else s


def _cn_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 23 -> 二十三 (section numbers)."""
    if n <= 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "十" if tens == 1 else _CN_DIGITS[tens] + "十"
    return head + (_CN_DIGITS[ones] if ones else "")


def _quarter_label(quarter: str) -> str:
    """ "2026Q3" -> "2026年第三季度" (unknown shapes are returned unchanged)."""
    m = re.fullmatch(r"\s*(\d{4})\s*[Qq]\s*([1-4])\s*", str(quarter))
    return f"{m.group(1)}年第{_cn_number(int(m.group(2)))}季度" if m else str(quarter)


def _next_quarter_end(quarter_end: dt.date) -> dt.date:
    start = quarter_end + dt.timedelta(days=1)
    month = start.month + 3
    year = start.year + (month - 1) // 12
    return dt.date(year, (month - 1) % 12 + 1, 1) - dt.timedelta(days=1)


def _cn_date(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    try:
        d = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if pd.isna(d):
        return ""
    return f"{d.year}年{d.month}月{d.day}日"


def _num(value: object) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return x


def _int(value: object) -> int:
    x = _num(value)
    return 0 if math.isnan(x) else int(round(x))


def _pct(value: object) -> str:
    x = _num(value)
    return "—" if math.isnan(x) else f"{x * 100:.1f}%"


def _pp_change(current: object, previous: object) -> str | None:
    """ "上升3.2个百分点" / "下降1.0个百分点" / "持平"; None when either side is unknown."""
    cur, prev = _num(current), _num(previous)
    if math.isnan(cur) or math.isnan(prev):
        return None
    diff = round((cur - prev) * 100, 1)
    if diff == 0:
        return "持平"
    return f"{'上升' if diff > 0 else '下降'}{abs(diff):.1f}个百分点"


def _cat_name(category: str) -> str:
    return category if category.endswith("企业") else f"{category}企业"


def _join(items: Sequence[str]) -> str:
    return "、".join(items)


def _some(items: Sequence[str], limit: int = MAX_NAMED) -> tuple[str, int]:
    """The first `limit` items joined, and how many are left out."""
    return _join(items[:limit]), max(0, len(items) - limit)


def _left_out(rest: int, sheet: str, noun: str = "个单位") -> str:
    """What a bounded list says about the rest: how many, and where all of them are."""
    return f"（另有{rest}{noun}未列出，全部见{GAP_BOOK}“{sheet}”工作表）" if rest else ""


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return pd.to_numeric(frame[name], errors="coerce")
    return pd.Series(math.nan, index=frame.index, dtype="float64")


def _binding_gaps(rows: pd.DataFrame) -> pd.Series:
    """`_binding(row)[1]` for every row at once (ints)."""
    due = _column(rows, "target_due")
    gap_due = _column(rows, "gap_due").fillna(0).round().astype("int64")
    gap_pace = _column(rows, "gap_pace").fillna(0).round().astype("int64")
    return gap_due.where(due.fillna(0) > 0, gap_pace)


# -- frame views -----------------------------------------------------------------------------


def _rows(frame: pd.DataFrame | None, dimension: str) -> pd.DataFrame:
    """Rows of one dimension (乡镇 / 部门 / 全县); tolerant of a frame without `dimension`."""
    if frame is None or frame.empty or "unit" not in frame.columns:
        return pd.DataFrame(columns=["dimension", "unit", "category"])
    if "dimension" in frame.columns:
        rows = frame[frame["dimension"] == dimension]
    elif dimension == "全县":
        rows = frame[frame["unit"] == "全县"]
    elif dimension == "乡镇":
        rows = frame[frame["unit"] != "全县"]
    else:
        rows = frame.iloc[0:0]
    return rows.reset_index(drop=True)


def _categories(rates: pd.DataFrame) -> list[str]:
    present = [] if rates.empty else [str(c) for c in rates["category"].dropna().unique()]
    return [c for c in CATEGORIES if c in present] + sorted(
        c for c in present if c not in CATEGORIES
    )


def _lookup(frame: pd.DataFrame, unit: str, category: str) -> pd.Series | None:
    if frame.empty:
        return None
    hit = frame[(frame["unit"] == unit) & (frame["category"] == category)]
    return None if hit.empty else hit.iloc[0]


def _binding(row: pd.Series) -> tuple[float, int, str]:
    """The target in force for a row, its gap, and its name: the milestone already due, or the
    pro-rata pace before the first milestone."""
    due = _num(row.get("target_due"))
    if not math.isnan(due) and due > 0:
        return due, _int(row.get("gap_due")), "节点目标"
    return _num(row.get("target_pace")), _int(row.get("gap_pace")), "进度目标"


# -- the document ----------------------------------------------------------------------------


class _Report:
    def __init__(self, ctx: ReportContext) -> None:
        self.ctx = ctx
        self.doc: DocxDocument = Document()
        self.rates = ctx.rates if ctx.rates is not None else pd.DataFrame()
        self.county_rows = _rows(self.rates, "全县")
        self.unit_rows = _rows(self.rates, "乡镇")
        self.dept_rows = _rows(self.rates, "部门")
        self.prev_county = _rows(ctx.previous_rates, "全县")
        self.prev_units = _rows(ctx.previous_rates, "乡镇")
        self.has_previous = not self.prev_county.empty or not self.prev_units.empty
        self.categories = _categories(self.rates)
        self.section_no = 0
        self.table_no = 0
        self.figure_no = 0
        self.charts = {
            k: Path(p) for k, p in (ctx.chart_paths or {}).items() if p and Path(p).is_file()
        }
        for k, p in (ctx.chart_paths or {}).items():
            if k not in self.charts:
                log.warning("图表 %s 的文件不存在，督查报告中略去：%s", k, p)
        self.used_charts: set[str] = set()
        self._gaps: pd.DataFrame | None = None
        self.office = f"{ctx.county}质量强县工作委员会办公室"
        self.quarter_label = _quarter_label(ctx.quarter)

    # -- layout ------------------------------------------------------------------------------

    def build(self) -> DocxDocument:
        _setup_page(self.doc)
        _setup_styles(self.doc)
        _add_page_numbers(self.doc)
        props = self.doc.core_properties
        props.title = self.title
        props.author = self.office
        props.subject = "企业首席质量官制度推行情况督查通报"

        self._front_matter()
        self._overview()
        self._met_units()
        self._lagging_units()
        self._submissions()
        self._data_quality()
        self._rectification()
        self._closing()
        return self.doc

    @property
    def title(self) -> str:
        return f"{self.ctx.county}企业首席质量官制度推行情况督查通报（{self.quarter_label}）"

    def para(self, text: str = "", style: str | None = None, **kw: object) -> Paragraph:
        p = self.doc.add_paragraph(style=style)
        if text:
            _add_run(p, _scrub(text), **kw)  # type: ignore[arg-type]
        return p

    def heading(self, text: str) -> Paragraph:
        self.section_no += 1
        return self.doc.add_paragraph(f"{_cn_number(self.section_no)}、{text}", style="Heading 1")

    def subheading(self, text: str) -> Paragraph:
        return self.doc.add_paragraph(text, style="Heading 2")

    def caption(self, text: str, above: bool = True) -> Paragraph:
        """A table title (above its table, kept with it) or a figure title (below)."""
        p = self.para(text, style="图表标题")
        p.paragraph_format.keep_with_next = above
        return p

    def note(self, text: str) -> Paragraph:
        return self.para(text, style="表注")

    def table(
        self,
        title: str,
        headers: list[str],
        rows: list[list[str]],
        widths: list[float],
        note: str | None = None,
    ) -> None:
        """A numbered table: its title above ("表N  title"), the table, its note below."""
        self.table_no += 1
        self.caption(f"表{self.table_no}  {title}")
        _add_table(self.doc, headers, rows, widths)
        if note:
            self.note(note)

    def chart(self, key: str, caption: str) -> None:
        path = self.charts.get(key)
        if path is None or key in self.used_charts:
            return
        p = self.para(style="图片")
        try:
            picture = p.add_run().add_picture(str(path))
            # The charts are drawn at their printed size (their DPI says so), so their text is
            # true to its point size; anything wider is shrunk to the text width.
            if picture.width > IMAGE_WIDTH:
                picture.height = int(picture.height * IMAGE_WIDTH / picture.width)
                picture.width = IMAGE_WIDTH
        except Exception as exc:  # a corrupt PNG must not lose the whole report
            log.warning("图表 %s 无法插入督查报告：%s", key, exc)
            p._p.getparent().remove(p._p)
            return
        self.used_charts.add(key)
        self.figure_no += 1
        self.caption(f"图{self.figure_no}  {caption}", above=False)

    # -- parts -------------------------------------------------------------------------------

    def _front_matter(self) -> None:
        ctx = self.ctx
        year = ctx.generated.year if ctx.generated else ctx.quarter_end.year
        self.para(f"{ctx.county[:1]}质强办〔{year}〕　号", style="文号")
        self.doc.add_paragraph(self.title, style="Title")
        self.para("各乡镇人民政府、工业园区管委会，县质强办各成员单位：", style="主送")
        n_units = self.unit_rows["unit"].nunique() if not self.unit_rows.empty else 0
        scope = f"全县{n_units}个乡镇（园区）" if n_units else "各乡镇（园区）"
        self.para(
            f"为推动县质强办《关于在全县推行建立企业首席质量官制度的意见》落实到位，"
            f"根据{scope}及有关部门报送的{self.quarter_label}企业首席质量官聘任登记数据，"
            f"县质强办对截至{_cn_date(ctx.quarter_end)}全县企业首席质量官聘任、登记和数据报送情况"
            f"进行了督查统计，首席质量官任职资格按“{ctx.profile_name}”任职条件核定。"
            f"现将有关情况通报如下。"
        )

    def _sum_note(self, cat: str, total_gap: int) -> str:
        """Why the lagging units' gaps add up to more than the county's: each unit's gap is
        rounded up on its own enterprises, and a unit above target offsets no other."""
        county = _lookup(self.county_rows, "全县", cat)
        if county is None:
            return ""
        county_gap = _binding(county)[1]
        if total_gap <= county_gap:
            return ""
        return (
            f"（各单位差距按本单位企业数分别计算并向上取整，超过目标的单位不抵扣其他单位，"
            f"故合计数多于全县差距{county_gap}家。）"
        )

    def _overview(self) -> None:
        self.heading("总体情况")
        if self.county_rows.empty:
            self.para("本季度暂无可统计的企业名录和聘任数据，全县聘任率无法计算。")
        first = True
        for cat in self.categories:
            row = _lookup(self.county_rows, "全县", cat)
            if row is None:
                continue
            self.para(self._county_sentence(cat, row, first))
            first = False
        if not self.has_previous and not self.county_rows.empty:
            self.para("本季度为首次统计，暂无上季度数据可作比较。")
        trend = self._trend_sentence()
        if trend:
            self.para(trend)
        if not self.county_rows.empty:
            headers = [
                "企业类别",
                "名录企业数",
                "已聘任",
                "其中合格",
                "合格聘任率",
                "节点目标",
                "进度目标",
                "距节点目标",
            ]
            rows = []
            for cat in self.categories:
                r = _lookup(self.county_rows, "全县", cat)
                if r is None:
                    continue
                rows.append(
                    [
                        _cat_name(cat),
                        str(_int(r.get("base"))),
                        str(_int(r.get("appointed"))),
                        str(_int(r.get("qualified"))),
                        _pct(r.get("rate")),
                        _pct(r.get("target_due")),
                        _pct(r.get("target_pace")),
                        f"{_int(r.get('gap_due'))}家",
                    ]
                )
            widths = [2.6, 2.0, 1.5, 1.7, 2.0, 1.8, 1.8, 2.0]
            self.table("全县企业首席质量官聘任情况", headers, rows, widths)
        self.chart("trend", "全县企业首席质量官合格聘任率变化趋势")
        known = {"trend"} | {f"{k}_{c}" for k in ("rate", "gap") for c in self.categories}
        for key in self.charts:
            if key not in known:
                self.chart(key, key)

    def _county_sentence(self, cat: str, row: pd.Series, first: bool) -> str:
        name = _cat_name(cat)
        base, appointed, qualified = (_int(row.get(k)) for k in ("base", "appointed", "qualified"))
        lead = f"截至{_cn_date(self.ctx.quarter_end)}，" if first else ""
        if base == 0:
            return f"{lead}全县企业名录中暂无{name}，该类企业不计算聘任率。"
        s = (
            f"{lead}全县纳入名录的{name}{base}家，已聘任首席质量官{appointed}家，"
            f"其中任职资格合格{qualified}家，合格聘任率{_pct(row.get('rate'))}"
        )
        prev = _lookup(self.prev_county, "全县", cat)
        if prev is not None:
            change = _pp_change(row.get("rate"), prev.get("rate"))
            if change == "持平":
                s += "，与上季度持平"
            elif change:
                s += f"，较上季度{change}"
            dq = qualified - _int(prev.get("qualified"))
            if dq:
                s += f"（合格聘任企业{'增加' if dq > 0 else '减少'}{abs(dq)}家）"
        s += "。"
        unqualified = appointed - qualified
        if unqualified > 0:
            s += f"已聘任但任职资格不合格的{unqualified}家，不计入合格聘任率。"
        due, pace = _num(row.get("target_due")), _num(row.get("target_pace"))
        gap_due, gap_pace = _int(row.get("gap_due")), _int(row.get("gap_pace"))
        if not math.isnan(due) and due > 0:
            s += f"按目标要求，本季度末应达到{_pct(due)}，"
            s += "已达到节点目标" if gap_due == 0 else f"还差{gap_due}家，未达到节点目标"
            if not math.isnan(pace) and pace > due + 1e-9:
                s += f"；按时序进度应达到{_pct(pace)}，" + (
                    "已达到进度要求" if gap_pace == 0 else f"还差{gap_pace}家"
                )
            s += "。"
        elif not math.isnan(pace) and pace > 0:
            s += f"尚未到第一个目标节点，按时序进度本季度末应达到{_pct(pace)}，" + (
                "已达到进度要求。" if gap_pace == 0 else f"还差{gap_pace}家。"
            )
        return s

    def _trend_sentence(self) -> str | None:
        trend = self.ctx.trend
        needed = {"quarter", "category", "rate"}
        if trend is None or trend.empty or not needed <= set(trend.columns):
            return None
        parts = []
        for cat in self.categories:
            t = trend[trend["category"] == cat].dropna(subset=["rate"]).sort_values("quarter")
            if len(t) < 3:  # two points are already the quarter-on-quarter change
                continue
            r0, r1 = t.iloc[0], t.iloc[-1]
            change = _pp_change(r1["rate"], r0["rate"])
            verb = (
                "保持不变"
                if change == "持平"
                else f"由{_pct(r0['rate'])}变为{_pct(r1['rate'])}，累计{change}"
            )
            parts.append(
                f"{_cat_name(cat)}合格聘任率自{_quarter_label(str(r0['quarter']))}以来{verb}"
            )
        return ("从近期走势看，" + "；".join(parts) + "。") if parts else None

    def _met_units(self) -> None:
        self.heading("达标单位")
        if self.unit_rows.empty:
            self.para("本季度暂无分乡镇（园区）的统计数据。")
            return
        met_by_cat: dict[str, set[str]] = {}
        for cat in self.categories:
            rows = self.unit_rows[self.unit_rows["category"] == cat]
            zero = rows[rows["base"].map(_int) == 0]["unit"].tolist()
            rows = rows[rows["base"].map(_int) > 0]
            if rows.empty:
                continue
            target, _, target_name = _binding(rows.iloc[0])
            met = rows[(_binding_gaps(rows) == 0).values]
            # Best rate first; among equal rates the unit with more enterprises.
            met = met.assign(_base=met["base"].map(_int)).sort_values(
                ["rate", "_base"], ascending=[False, False], kind="stable"
            )
            met_by_cat[cat] = set(met["unit"])
            units = [f"{u}（{_pct(r)}）" for u, r in zip(met["unit"], met["rate"], strict=True)]
            named, rest = _some(units)
            if rest:
                self.para(
                    f"{_cat_name(cat)}合格聘任率达到{target_name}（{_pct(target)}）的单位"
                    f"有{len(units)}个，合格聘任率居前的{len(units) - rest}个为：{named}；"
                    f"其余{rest}个单位见{GAP_BOOK}“汇总”工作表。"
                )
            elif units:
                self.para(
                    f"{_cat_name(cat)}合格聘任率达到{target_name}（{_pct(target)}）的单位"
                    f"有{len(units)}个：{named}。"
                )
            else:
                self.para(f"{_cat_name(cat)}暂无单位达到{target_name}（{_pct(target)}）。")
            if zero:
                named, rest = _some(zero)
                many = f"等{len(zero)}个单位" if rest else ""
                self.para(
                    f"{named}{many}企业名录中暂无{_cat_name(cat)}，不参与该类排名"
                    f"{_left_out(rest, '汇总')}。"
                )
        if len(met_by_cat) > 1:
            # Met in every category where the unit has enterprises at all.
            with_base = self.unit_rows[self.unit_rows["base"].map(_int) > 0]
            met_here = [
                unit in met_by_cat.get(str(cat), ())
                for unit, cat in zip(with_base["unit"], with_base["category"], strict=True)
            ]
            every = (
                pd.Series(met_here, index=with_base.index)
                .groupby(with_base["unit"], sort=False)
                .all()
            )
            all_met = [str(u) for u in every.index[every.values]]
            if all_met:
                named, rest = _some(all_met)
                many = f"等{len(all_met)}个单位" if rest else ""
                self.para(
                    f"{named}{many}各类企业均已达标，工作推进较好，予以通报表扬"
                    f"{_left_out(rest, '汇总')}。"
                )
        for cat in self.categories:
            self._unit_table(cat)
            self.chart(f"rate_{cat}", f"各乡镇（园区）{_cat_name(cat)}合格聘任率与目标")
        self._department_table()

    def _unit_table(self, cat: str) -> None:
        rows = self.unit_rows[self.unit_rows["category"] == cat].copy()
        if rows.empty:
            return
        rows["_base"] = rows["base"].map(_int)
        rows["_rate"] = rows["rate"].map(_num).where(rows["_base"] > 0)
        rows = rows.sort_values(
            ["_rate", "unit"], ascending=[False, True], na_position="last", kind="stable"
        )
        rows["_rank"] = rows["_rate"].rank(method="min", ascending=False)
        target, _, target_name = _binding(rows.iloc[0])
        total, ranked = len(rows), int(rows["_rate"].notna().sum())
        shown = rows
        if total > MAX_TABLE_ROWS:  # the units furthest behind, lowest rate first
            shown = (
                rows[rows["_rate"].notna()]
                .assign(_gap=_binding_gaps(rows[rows["_rate"].notna()]))
                .sort_values(
                    ["_rate", "_gap", "unit"], ascending=[True, False, True], kind="stable"
                )
                .head(MAX_TABLE_ROWS)
            )
        headers = ["排名", "单位", "名录企业数", "已聘任", "其中合格", "合格聘任率"]
        widths = [1.1, 2.8, 2.3, 1.6, 1.9, 2.3]
        if ranked >= 100:  # ranks of three or four digits: a wider rank column
            widths[:2] = [1.5, 2.4]
        if self.has_previous:
            headers.append("较上季度\n(百分点)")
            widths.append(1.9)
        headers.append("距目标")
        widths.append(1.5)
        previous = self._previous_unit_rates(cat) if self.has_previous else {}
        gaps = _binding_gaps(shown)
        body = []
        for unit, base, appointed, qualified, rate, rank, gap in zip(
            shown["unit"],
            shown["_base"],
            shown["appointed"],
            shown["qualified"],
            shown["_rate"],
            shown["_rank"],
            gaps,
            strict=True,
        ):
            line = [
                "—" if math.isnan(rank) else str(int(rank)),
                str(unit),
                str(base),
                str(_int(appointed)),
                str(_int(qualified)),
                _pct(rate),
            ]
            if self.has_previous:
                line.append(_signed_pp(rate, previous.get(str(unit))))
            line.append(f"{gap}家" if base > 0 else "—")
            body.append(line)
        county = _lookup(self.county_rows, "全县", cat)
        if county is not None:
            line = [
                "",
                "全县",
                str(_int(county.get("base"))),
                str(_int(county.get("appointed"))),
                str(_int(county.get("qualified"))),
                _pct(county.get("rate")),
            ]
            if self.has_previous:
                prev = _lookup(self.prev_county, "全县", cat)
                line.append(
                    _signed_pp(county.get("rate"), None if prev is None else prev.get("rate"))
                )
            line.append(f"{_binding(county)[1]}家")
            body.append(line)
        if max((len(line[-1]) for line in body), default=0) >= 4:  # "2120家": room for it
            widths[-1] = 1.9
        cut = len(shown) < total
        which = f"，合格聘任率最低的{len(shown)}个单位" if cut else ""
        self.table(
            f"各乡镇（园区）{_cat_name(cat)}首席质量官聘任情况"
            f"（{target_name}{_pct(target)}{which}）",
            headers,
            body,
            widths,
            note=(
                f"注：共{total}个单位，表中为合格聘任率最低的{len(shown)}个，由低到高排列，"
                f"排名为在{ranked}个有{_cat_name(cat)}的单位中的名次；"
                f"全部{total}个单位见{GAP_BOOK}“汇总”工作表。"
            )
            if cut
            else None,
        )

    def _previous_unit_rates(self, cat: str) -> dict[str, object]:
        prev = self.prev_units
        if prev.empty or "rate" not in prev.columns:
            return {}
        rows = prev[prev["category"] == cat].drop_duplicates("unit")
        return dict(zip(rows["unit"].astype(str), rows["rate"], strict=True))

    def _department_table(self) -> None:
        if self.dept_rows.empty:
            return
        rows = self.dept_rows[self.dept_rows["base"].map(_int) > 0]
        if rows.empty:
            return
        total = len(rows)
        rows = rows.assign(_gap=_binding_gaps(rows))
        if total > MAX_TABLE_ROWS:  # the largest gaps first
            rows = rows.sort_values("_gap", ascending=False, kind="stable").head(MAX_TABLE_ROWS)
        body = [
            [
                str(unit),
                _cat_name(str(cat)),
                str(_int(base)),
                str(_int(appointed)),
                str(_int(qualified)),
                _pct(rate),
                f"{gap}家",
            ]
            for unit, cat, base, appointed, qualified, rate, gap in zip(
                rows["unit"],
                rows["category"],
                rows["base"],
                rows["appointed"],
                rows["qualified"],
                rows["rate"],
                rows["_gap"],
                strict=True,
            )
        ]
        cut = len(rows) < total
        self.table(
            "各主管部门所属企业首席质量官聘任情况"
            + (f"（距目标差距最大的{len(rows)}项）" if cut else ""),
            ["主管部门", "企业类别", "名录企业数", "已聘任", "其中合格", "合格聘任率", "距目标"],
            body,
            [2.6, 3.3, 2.3, 1.5, 1.9, 2.3, 1.5],
            note=(
                f"注：共{total}项（主管部门×企业类别），表中为距目标差距最大的{len(rows)}项；"
                f"全部见{GAP_BOOK}“部门”工作表。"
            )
            if cut
            else None,
        )

    def _gaps_by_unit(self) -> pd.DataFrame:
        """One row per 乡镇 unit: the binding gap per category and the total, worst first."""
        if self._gaps is None:
            self._gaps = self._compute_gaps_by_unit()
        return self._gaps

    def _compute_gaps_by_unit(self) -> pd.DataFrame:
        if self.unit_rows.empty:
            return pd.DataFrame(columns=["unit", "total"])
        units = pd.Index(pd.unique(self.unit_rows["unit"]), name="unit")
        rows = self.unit_rows[self.unit_rows["base"].map(_int) > 0]
        rows = rows.assign(_gap=_binding_gaps(rows), _rate=_column(rows, "rate"))
        wide = rows.pivot_table(index="unit", columns="category", values="_gap", aggfunc="first")
        wide.columns = [str(c) for c in wide.columns]
        frame = wide.reindex(units)
        frame["total"] = frame.sum(axis=1).astype("int64")
        frame["min_rate"] = rows.groupby("unit")["_rate"].min().reindex(units)
        return (
            frame.reset_index()
            .sort_values(["total", "min_rate"], ascending=[False, True], kind="stable")
            .reset_index(drop=True)
        )

    def _lagging_units(self) -> None:
        self.heading("滞后单位")
        if self.unit_rows.empty:
            self.para("本季度暂无分乡镇（园区）的统计数据。")
        any_lag = False
        for cat in self.categories:
            rows = self.unit_rows[
                (self.unit_rows["category"] == cat) & (self.unit_rows["base"].map(_int) > 0)
            ].copy()
            if rows.empty:
                continue
            rows["_gap"] = _binding_gaps(rows)
            rows["_rate"] = rows["rate"].map(_num)
            lag = rows[rows["_gap"] > 0].sort_values(
                ["_gap", "_rate"], ascending=[False, True], kind="stable"
            )
            target, _, target_name = _binding(rows.iloc[0])
            if lag.empty:
                self.para(
                    f"各乡镇（园区）{_cat_name(cat)}合格聘任率均已达到{target_name}"
                    f"（{_pct(target)}）。"
                )
            else:
                any_lag = True
                items = [
                    f"{u}（合格聘任率{_pct(r)}，还差{g}家）"
                    for u, r, g in zip(lag["unit"], lag["_rate"], lag["_gap"], strict=True)
                ]
                named, rest = _some(items)
                head = (
                    f"{_cat_name(cat)}合格聘任率未达到{target_name}（{_pct(target)}）的单位有"
                    f"{len(items)}个"
                )
                total_gap = int(lag["_gap"].sum())
                if rest:
                    s = (
                        f"{head}，合计还差{total_gap}家；差距最大的{len(items) - rest}个依次为："
                        f"{named}；其余{rest}个单位见{GAP_BOOK}“汇总”工作表。"
                    )
                else:
                    s = f"{head}，按差距由大到小依次为：{named}，合计还差{total_gap}家。"
                s += self._sum_note(cat, total_gap)
                zero = lag[lag["qualified"].map(_int) == 0]["unit"].tolist()
                if zero:
                    named, rest = _some(zero)
                    many = f"等{len(zero)}个单位" if rest else ""
                    s += (
                        f"其中{named}{many}尚无一家{_cat_name(cat)}聘任合格首席质量官"
                        f"{_left_out(rest, '汇总')}。"
                    )
                self.para(s)
            # Met the milestone already due, but not the pro-rata pace towards the next one.
            pace_lag = rows[(rows["_gap"] == 0) & (rows["gap_pace"].map(_int) > 0)]
            if not pace_lag.empty and _num(rows.iloc[0].get("target_due")) > 0:
                items = [
                    f"{u}（还差{_int(g)}家）"
                    for u, g in zip(pace_lag["unit"], pace_lag["gap_pace"], strict=True)
                ]
                named, rest = _some(items)
                many = f"等{len(items)}个单位" if rest else ""
                self.para(
                    f"{named}{many}{_cat_name(cat)}已达到节点目标，但低于时序进度要求"
                    f"（{_pct(rows.iloc[0].get('target_pace'))}），需加快进度"
                    f"{_left_out(rest, '汇总')}。"
                )
        if self.unit_rows is not None and not any_lag and not self.unit_rows.empty:
            self.para("本季度各乡镇（园区）均无滞后情况。")
        self._lagging_enterprises_sentence()
        for cat in self.categories:
            self.chart(f"gap_{cat}", f"各乡镇（园区）{_cat_name(cat)}距目标差距（家）")

    def _lagging_enterprises_sentence(self) -> None:
        lagging = self.ctx.lagging
        if lagging is None or lagging.empty:
            return
        reason = lagging.get("reason", pd.Series("", index=lagging.index)).fillna("").astype(str)
        missing = int(reason.str.startswith("未报送").sum())
        unqualified = int(reason.str.startswith("不合格").sum())
        s = f"截至本季度末，全县尚有{len(lagging)}家名录企业未聘任合格首席质量官"
        details = []
        if missing:
            details.append(f"未报送首席质量官的{missing}家")
        if unqualified:
            details.append(f"已报送但任职资格不合格的{unqualified}家")
        if details:
            s += "，其中" + "、".join(details)
        if len(lagging) > MAX_LISTED_ENTERPRISES:
            s += f"，差距较大单位的企业名单见附件，完整名单见{GAP_BOOK}。"
        else:
            s += "，名单见附件。"
        self.para(s)

    def _submissions(self) -> None:
        ctx = self.ctx
        self.heading("报送情况")
        subs = ctx.submissions if ctx.submissions is not None else pd.DataFrame()
        days = (ctx.deadline - ctx.quarter_end).days
        s = (
            f"按规定，各单位应于季度结束后{days}日内（本季度为{_cn_date(ctx.deadline)}前）"
            f"报送数据。"
        )
        if subs.empty:
            s += "本季度县质强办未收到任何报送文件。"
            self.para(s)
        else:
            n_files = len(subs)
            units = subs["unit"].dropna().astype(str).unique().tolist() if "unit" in subs else []
            read = _int(subs.get("rows_read", pd.Series(dtype=float)).map(_num).sum())
            acc = _int(subs.get("rows_accepted", pd.Series(dtype=float)).map(_num).sum())
            rej = _int(subs.get("rows_rejected", pd.Series(dtype=float)).map(_num).sum())
            s += (
                f"本季度共收到{len(units)}个单位报送的文件{n_files}份，读取企业数据{read}行，"
                f"经校验接收{acc}行，退回修改{rej}行（退回的数据不计入花名册和聘任率）。"
            )
            self.para(s)
            late = subs[subs["late"].fillna(False).astype(bool)] if "late" in subs else subs[0:0]
            if not late.empty:
                items = []
                for _, r in late.iterrows():
                    when = _cn_date(r.get("fill_date"))
                    unit = _cell(r.get("unit")) or "未知单位"
                    items.append(f"{unit}（{when}报送）" if when else unit)
                named, rest = _some(list(dict.fromkeys(items)))
                more = _left_out(rest, "报送情况", "份")
                self.para(f"逾期报送的有{len(late)}份：{named}{more}。")
            else:
                self.para("已收到的文件均在截止日期前报送。")
            failed = subs[subs["status"].astype(str) == "failed"] if "status" in subs else subs[0:0]
            if not failed.empty:
                items = [
                    f"{_cell(r.get('unit')) or '未知单位'}报送的“{_cell(r.get('file'))}”"
                    for _, r in failed.iterrows()
                ]
                named, rest = _some(items)
                more = _left_out(rest, "报送情况", "份")
                self.para(
                    f"有{len(failed)}份文件无法读取，未能导入：{named}{more}，"
                    f"请相关单位检查文件后重新报送。"
                )
        if ctx.missing_units:
            named, rest = _some(list(ctx.missing_units))
            self.para(
                f"{named}{'等' if rest else ''}共{len(ctx.missing_units)}个单位本季度"
                f"未报送数据，其名下企业按未聘任统计{_left_out(rest, '报送情况')}。"
            )
        elif not subs.empty:
            self.para("各乡镇（园区）均已报送本季度数据。")
        rows = []
        for r in subs.to_dict("records"):
            status = str(r.get("status", "ok"))
            if status == "failed":
                state = "无法读取"
            elif bool(r.get("late", False)) and not pd.isna(r.get("late")):
                state = "逾期"
            else:
                state = "按时"
            unit = r.get("unit")
            rows.append(
                [
                    str(unit) if pd.notna(unit) else "未知",
                    str(r.get("file", "")),
                    str(_int(r.get("rows_read"))),
                    str(_int(r.get("rows_accepted"))),
                    str(_int(r.get("rows_rejected"))),
                    _short_date(r.get("fill_date")),
                    state,
                ]
            )
        rows.sort(key=lambda x: (x[0], x[1]))
        for unit in ctx.missing_units:
            rows.append([str(unit), "—", "—", "—", "—", "—", "未报送"])
        total = len(rows)
        if total > MAX_TABLE_ROWS:  # what needs action first: unread, missing, late, rejected
            urgency = {"无法读取": 0, "未报送": 1, "逾期": 2}
            rows.sort(key=lambda x: (urgency.get(x[6], 3), -_int(_num(x[4]))))
            rows = rows[:MAX_TABLE_ROWS]
        if rows:
            cut = len(rows) < total
            self.table(
                f"{self.quarter_label}各单位报送情况" + ("（需关注的部分）" if cut else ""),
                ["填报单位", "文件", "读取行数", "接收", "退回", "报送日期", "状态"],
                rows,
                [2.4, 4.0, 1.8, 1.3, 1.3, 2.3, 2.1],
                note=(
                    f"注：共{total}项（收到的文件及未报送的单位），表中先列无法读取、未报送、逾期的，"
                    f"再按退回行数由多到少列出，共{len(rows)}项；"
                    f"全部见{GAP_BOOK}“报送情况”工作表。"
                )
                if cut
                else None,
            )

    def _issue_summary(self) -> pd.DataFrame:
        summary = self.ctx.issue_summary
        if summary is not None and not summary.empty and "count" in summary.columns:
            out = summary.copy()
        elif self.ctx.issue_counts:
            out = pd.DataFrame(
                {"rule": list(self.ctx.issue_counts), "count": list(self.ctx.issue_counts.values())}
            )
        else:
            return pd.DataFrame(columns=["rule", "severity", "count", "message"])
        for col in ("rule", "severity", "message"):
            if col not in out.columns:
                out[col] = pd.NA
        out["count"] = out["count"].map(_int)
        out = out[out["count"] > 0]
        return out.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)

    def _data_quality(self) -> None:
        self.heading("数据质量")
        summary = self._issue_summary()
        if summary.empty:
            self.para("本季度报送数据经逐项校验，未发现问题。")
            return
        total = int(summary["count"].sum())
        by_sev = summary.groupby(summary["severity"].fillna("warning").astype(str))["count"].sum()
        parts = []
        if by_sev.get("error", 0):
            parts.append(
                f"错误{int(by_sev['error'])}条（数据无法采信，相关数据行已退回修改，不计入花名册）"
            )
        if by_sev.get("noncompliant", 0):
            parts.append(
                f"不合格{int(by_sev['noncompliant'])}条（数据无误但人选不符合任职条件，"
                f"不计为合格聘任）"
            )
        if by_sev.get("warning", 0):
            parts.append(f"提醒{int(by_sev['warning'])}条（数据已接收，请核实）")
        s = f"经逐项校验，本季度报送数据共发现问题{total}条"
        s += ("，其中" + "；".join(parts) + "。") if parts else "。"
        self.para(s)
        top = summary.head(5)
        items = [f"{_label(r)}{int(r['count'])}条" for _, r in top.iterrows()]
        self.para(f"问题主要集中在：{_join(items)}。")
        advice = [
            f"{_label(r)}的，{_ADVICE[str(r['rule'])]}"
            for _, r in summary.iterrows()
            if str(r["rule"]) in _ADVICE
        ]
        if advice:
            self.para("请各单位对照问题清单逐条处理：")
        for i, text in enumerate(advice[:6], start=1):
            self.para(f"{i}．{text}。")
        ordered = summary.assign(
            _order=summary["severity"].map(lambda v: _SEVERITY_ORDER.get(str(v), 3))
        ).sort_values(["_order", "count"], ascending=[True, False], kind="stable")
        rows = [
            [_label(r), _SEVERITY_LABEL.get(str(r["severity"]), "—"), str(int(r["count"]))]
            for _, r in ordered.iterrows()
        ]
        self.table(
            "数据问题分类统计",
            ["问题类型", "严重程度", "条数"],
            rows,
            [10.0, 2.8, 2.6],
            note="注：逐条问题见问题清单.xlsx，各单位的退回修改表已标注问题单元格。",
        )

    def _rectification(self) -> None:
        ctx = self.ctx
        self.heading("整改要求")
        gaps = self._gaps_by_unit()
        subs = ctx.submissions if ctx.submissions is not None else pd.DataFrame()
        rejected: dict[str, int] = {}
        late_units: set[str] = set()
        failed_units: set[str] = set()
        if not subs.empty and "unit" in subs:
            known = subs[subs["unit"].notna()]
            if "rows_rejected" in known:
                rejected = {
                    str(u): _int(v)
                    for u, v in known.groupby("unit")["rows_rejected"].sum().items()
                    if _int(v) > 0
                }
            if "late" in known:
                late = known["late"].fillna(False).astype(bool)
                late_units = set(known[late]["unit"].astype(str))
            if "status" in known:
                failed_units = set(
                    known[known["status"].astype(str) == "failed"]["unit"].astype(str)
                )
        unqualified = self._unqualified_by_unit()
        offset = (ctx.deadline - ctx.quarter_end).days
        next_deadline = _next_quarter_end(ctx.quarter_end) + dt.timedelta(days=offset)

        items: list[str] = []
        ordered_units = list(gaps["unit"]) if not gaps.empty else []
        in_order = set(ordered_units)
        extra = [
            u
            for u in [*ctx.missing_units, *rejected, *sorted(late_units), *sorted(failed_units)]
            if u not in in_order
        ]
        by_unit = (
            {str(rec["unit"]): rec for rec in gaps.drop_duplicates("unit").to_dict("records")}
            if not gaps.empty
            else {}
        )
        for unit in [*ordered_units, *dict.fromkeys(extra)]:
            clauses = []
            g = by_unit.get(str(unit))
            if g is not None:
                need = [
                    (cat, _int(g.get(cat)))
                    for cat in self.categories
                    if cat in g and not pd.isna(g.get(cat))
                ]
                need = [(c, n) for c, n in need if n > 0]
                if need:
                    first, *rest = need
                    text = f"{_cat_name(first[0])}还需新聘合格首席质量官{first[1]}家"
                    text += "".join(f"，{_cat_name(c)}{n}家" for c, n in rest)
                    clauses.append(text)
            if unqualified.get(unit):
                clauses.append(
                    f"已聘任但任职资格不合格的{unqualified[unit]}家须调整人选"
                    f"或补充学历、工作年限证明"
                )
            if rejected.get(unit):
                clauses.append(f"退回修改数据{rejected[unit]}条，须按退回修改表逐条更正后重新报送")
            if unit in failed_units:
                clauses.append("报送文件无法读取，须检查后重新报送")
            if unit in ctx.missing_units:
                clauses.append("本季度未报送数据，须尽快补报")
            elif unit in late_units:
                clauses.append(f"本季度逾期报送，今后须在季度结束后{offset}日内报送")
            if clauses:
                items.append(f"{unit}：" + "；".join(clauses) + "。")
        if items:
            self.subheading("（一）逐单位整改事项")
            for i, text in enumerate(items[:MAX_NAMED], start=1):
                self.para(f"{i}．{text}")
            if len(items) > MAX_NAMED:
                self.para(
                    f"以上为差距最大的{MAX_NAMED}个单位。另有{len(items) - MAX_NAMED}个单位也有"
                    f"整改事项：各单位的差距见{GAP_BOOK}“汇总”工作表，未达标企业及原因见其"
                    f"“未达标企业”工作表，退回修改的数据见各单位的退回修改表，请对照落实。"
                )
            self._department_requirements()
            self.subheading("（二）工作要求")
        else:
            self.para("本季度各单位聘任和报送情况均符合要求，请继续保持。")
        general = [
            "压实工作责任。各乡镇（园区）要对照差距，逐企业排查未聘任和不合格原因，"
            "督促企业法定代表人或主要负责人选任符合条件的首席质量官，签发任命书并及时登记。",
            "规范数据报送。请使用县质强办下发的报送模板，身份证号、统一社会信用代码、"
            "手机号码列设为文本格式；企业更换首席质量官的，应在聘用后一个月内办理变更登记。",
            f"按时反馈整改。请于{_cn_date(next_deadline)}前将整改情况连同下季度报表一并报送"
            f"县质强办，县质强办将持续跟踪督办，并将推进情况纳入政府质量工作专项督查。",
        ]
        for i, text in enumerate(general, start=1):
            self.para(f"{i}．{text}")

    def _department_requirements(self) -> None:
        if self.dept_rows.empty:
            return
        rows = self.dept_rows.assign(_gap=_binding_gaps(self.dept_rows))
        rows = rows[(rows["base"].map(_int) > 0) & (rows["_gap"] > 0)]
        lag = []
        for unit, grp in rows.groupby("unit", sort=False):
            gaps = "，".join(
                f"{_cat_name(str(c))}差{n}家"
                for c, n in zip(grp["category"], grp["_gap"], strict=True)
            )
            lag.append(f"{unit}（{gaps}）")
        if len(lag) > MAX_NAMED:  # the largest gaps first
            totals = rows.groupby("unit", sort=False)["_gap"].sum()
            lag = [
                item
                for _, item in sorted(zip(-totals.values, lag, strict=True), key=lambda x: x[0])
            ]
        if lag:
            named, rest = _some(lag)
            more = f"等{len(lag)}个部门" if rest else ""
            self.para(
                f"行业主管部门要协同乡镇推动所属企业聘任首席质量官，其中{named}{more}"
                f"须加大督促力度{_left_out(rest, '部门', '个部门')}。"
            )

    def _unqualified_by_unit(self) -> dict[str, int]:
        lagging = self.ctx.lagging
        if lagging is None or lagging.empty or "township" not in lagging.columns:
            return {}
        reason = lagging.get("reason", pd.Series("", index=lagging.index)).fillna("").astype(str)
        sub = lagging[reason.str.startswith("不合格")]
        return {str(k): int(v) for k, v in sub.groupby("township").size().items()}

    def _closing(self) -> None:
        ctx = self.ctx
        lagging = ctx.lagging if ctx.lagging is not None else pd.DataFrame()
        # The signature never stands alone on a page: the last paragraph of the text, the
        # 附件 line and the office go with the date (keep-with-next down to it).
        last_body = self.doc.paragraphs[-1] if self.doc.paragraphs else None
        closing = [self.para()]
        if not lagging.empty:
            closing.append(self.para("附件：未聘任合格首席质量官企业名单", style="附件说明"))
            closing.append(self.para())
        closing.append(self.para(self.office, style="落款"))
        self.para(_cn_date(ctx.generated), style="落款")
        for p in [last_body, *closing]:
            if p is not None:
                p.paragraph_format.keep_with_next = True
        if lagging.empty:
            return
        p = self.doc.add_paragraph()
        p.add_run().add_break(WD_BREAK.PAGE)
        self.para("附件", style="附件标记")
        self.para("未聘任合格首席质量官企业名单", style="附件标题")
        sort_cols = [c for c in ("township", "category", "enterprise_name") if c in lagging.columns]
        listed = (
            lagging.sort_values(sort_cols, kind="stable", na_position="last")
            if sort_cols
            else lagging
        )
        if len(listed) > MAX_LISTED_ENTERPRISES:
            listed = self._worst_units_first(listed)
        rows = []
        for i, r in enumerate(listed.to_dict("records"), start=1):
            rows.append(
                [
                    str(i),
                    _cell(r.get("township")),
                    _cell(r.get("enterprise_name")),
                    # "规上" / "重点行业中小微" under 企业类别: "企业" again would take a line
                    _cell(r.get("category")),
                    _cell(r.get("reason")),
                ]
            )
        # Text width 15.6 cm. A reason ("不合格：学历…不符合首席质量官任职条件，请更换…")
        # is the longest cell: its column is the widest, names and units wrap instead.
        _add_table(
            self.doc,
            ["序号", "所属乡镇", "企业名称", "企业类别", "情况"],
            rows,
            ANNEX_WIDTHS,
        )
        if len(listed) < len(lagging):
            units = listed["township"].nunique() if "township" in listed.columns else 0
            self.note(
                f"注：共{len(lagging)}家。此处按整改要求中的单位顺序（差距由大到小）列出"
                f"{units}个单位的{len(listed)}家，其余{len(lagging) - len(listed)}家见"
                f"{GAP_BOOK}各类“未达标企业”工作表（合计列出全部{len(lagging)}家）。"
            )

    def _worst_units_first(self, lagging: pd.DataFrame) -> pd.DataFrame:
        """At most MAX_LISTED_ENTERPRISES enterprises, whole units in the order of the
        rectification items (largest gap first); a unit larger than the bound is cut."""
        if "township" not in lagging.columns:
            return lagging.head(MAX_LISTED_ENTERPRISES)
        order = {u: i for i, u in enumerate(self._gaps_by_unit()["unit"])}
        position = lagging["township"].map(order).fillna(len(order))
        ranked = lagging.assign(_order=position).sort_values("_order", kind="stable")
        sizes = ranked.groupby("_order", sort=True).size().cumsum()
        whole = sizes[sizes <= MAX_LISTED_ENTERPRISES]
        take = int(whole.iloc[-1]) if len(whole) else MAX_LISTED_ENTERPRISES
        return ranked.head(take).drop(columns="_order")


def _label(row: pd.Series) -> str:
    msg = _cell(row.get("message")).strip().rstrip("。；;.，, ")
    return msg or f"“{_cell(row.get('rule'))}”类问题"


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _short_date(value: object) -> str:
    if value is None or value is pd.NA:
        return "—"
    try:
        d = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return "—" if pd.isna(d) else f"{d.month}月{d.day}日"


def _signed_pp(current: object, previous: object) -> str:
    cur, prev = _num(current), _num(previous)
    if math.isnan(cur) or math.isnan(prev):
        return "—"
    diff = round((cur - prev) * 100, 1)
    return "持平" if diff == 0 else f"{diff:+.1f}"


# -- styles and layout (python-docx has no East Asian font API) ------------------------------


def _set_rfonts(rpr: object, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Name the fonts on an rPr element and drop theme references that would override them."""
    rfonts = rpr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)  # type: ignore[attr-defined]
    for attr in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:cs"), latin)


def _add_run(
    paragraph: Paragraph,
    text: str,
    font: str | None = None,
    size: float | None = None,
    bold: bool | None = None,
) -> None:
    # Sender text may hold control characters (\x01, \x1f...) that XML, hence Word, forbids:
    # python-docx would raise and stop the whole run.
    run = paragraph.add_run(_XML_ILLEGAL.sub("", text))
    if font:
        _set_rfonts(run._r.get_or_add_rPr(), font)
    if size:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold


def _setup_page(doc: DocxDocument) -> None:
    # GB/T 9704-2012: A4, top 37 mm, bottom 35 mm, left 28 mm, right 26 mm.
    for section in doc.sections:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
        section.header_distance, section.footer_distance = Cm(1.5), Cm(2.5)


def _style_font(style: object, font: str, size: float, bold: bool = False) -> None:
    _set_rfonts(style.element.get_or_add_rPr(), font)  # type: ignore[attr-defined]
    style.font.size = Pt(size)  # type: ignore[attr-defined]
    style.font.bold = bold  # type: ignore[attr-defined]
    style.font.color.rgb = RGBColor(0, 0, 0)  # type: ignore[attr-defined]


def _paragraph_format(
    style: object,
    *,
    indent: bool = True,
    align: object = None,
    line: float | None = LINE_PT,
    before: float = 0,
    after: float = 0,
) -> None:
    pf = style.paragraph_format  # type: ignore[attr-defined]
    pf.first_line_indent = Pt(BODY_PT * 2) if indent else Pt(0)
    pf.left_indent = Pt(0)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if line is None:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        pf.line_spacing = Pt(line)
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    if align is not None:
        pf.alignment = align


def _setup_styles(doc: DocxDocument) -> None:
    styles = doc.styles
    root = styles.element
    # Every theme font reference in the template gives way to a named font: Word and WPS would
    # otherwise pick the theme's Latin fonts (Calibri/Cambria) and no Chinese font at all.
    for rfonts in root.iter(qn("w:rFonts")):
        major = "major" in (
            rfonts.get(qn("w:eastAsiaTheme")) or rfonts.get(qn("w:asciiTheme")) or ""
        )
        if any(
            rfonts.get(qn(a))
            for a in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme")
        ):
            _set_rfonts(rfonts.getparent(), HEADING_FONT if major else BODY_FONT)
    defaults = root.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            _set_rfonts(rpr, BODY_FONT)
            lang = rpr.find(qn("w:lang"))
            if lang is not None:
                lang.set(qn("w:eastAsia"), "zh-CN")

    normal = styles["Normal"]
    _style_font(normal, BODY_FONT, BODY_PT)
    _paragraph_format(normal, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    normal.paragraph_format.widow_control = True
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)

    title = styles["Title"]
    _style_font(title, TITLE_FONT, TITLE_PT)
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)
    _paragraph_format(
        title, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, line=36, before=12, after=24
    )
    title_rpr = title.element.get_or_add_rPr()
    for tag in ("w:spacing", "w:kern"):
        for el in title_rpr.findall(qn(tag)):
            title_rpr.remove(el)

    h1 = styles["Heading 1"]
    _style_font(h1, HEADING_FONT, BODY_PT)
    _paragraph_format(h1)
    h1.paragraph_format.keep_with_next = True
    h2 = styles["Heading 2"]
    _style_font(h2, SUBHEADING_FONT, BODY_PT)
    _paragraph_format(h2)
    h2.paragraph_format.keep_with_next = True

    def add(name: str, font: str, size: float, *, bold: bool = False, **fmt: object) -> None:
        style = styles.add_style(name, 1)  # 1 = paragraph
        style.base_style = normal
        style.quick_style = True
        _style_font(style, font, size, bold)
        _paragraph_format(style, **fmt)  # type: ignore[arg-type]

    add("文号", BODY_FONT, BODY_PT, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, before=12)
    add("主送", BODY_FONT, BODY_PT, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    add("落款", BODY_FONT, BODY_PT, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    add("附件说明", BODY_FONT, BODY_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    add("附件标记", HEADING_FONT, BODY_PT, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    add(
        "附件标题",
        TITLE_FONT,
        18,
        indent=False,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        line=32,
        before=12,
        after=12,
    )
    add(
        "图表标题",
        HEADING_FONT,
        CAPTION_PT,
        indent=False,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        line=None,
        before=6,
        after=6,
    )
    add(
        "表注",
        BODY_FONT,
        CAPTION_PT,
        indent=False,
        align=WD_ALIGN_PARAGRAPH.LEFT,
        line=None,
        before=3,
        after=6,
    )
    add(
        "图片",
        BODY_FONT,
        BODY_PT,
        indent=False,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        line=None,
        before=6,
    )
    add("表格文字", TABLE_FONT, TABLE_PT, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, line=None)
    styles["图片"].paragraph_format.keep_with_next = True  # the caption follows its picture


def _add_page_numbers(doc: DocxDocument) -> None:
    """ "— 1 —" centred at the foot of every page (a PAGE field)."""
    for section in doc.sections:
        p = (
            section.footer.paragraphs[0]
            if section.footer.paragraphs
            else section.footer.add_paragraph()
        )
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Pt(0)
        _add_run(p, "— ", font=TABLE_FONT, size=14)
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        p._p.append(field)
        _add_run(p, " —", font=TABLE_FONT, size=14)


def _add_table(
    doc: DocxDocument, headers: list[str], rows: list[list[str]], widths_cm: list[float]
) -> None:
    table = doc.add_table(rows=1 + min(len(rows), 1), cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = [Cm(w) for w in widths_cm]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # w:gridCol, which LibreOffice and WPS use
    # Set the style id directly: `paragraph.style = ...` scans all styles on every call.
    cell_style = doc.styles["表格文字"].style_id
    all_rows = table.rows
    header_tr = all_rows[0]._tr
    tr_pr = header_tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # header row repeats on every page
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    # No row is split across two pages (a reason of three lines stays together). The data
    # rows below are copies of the first one, so they carry it too.
    for row in all_rows:
        row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))
    template = None
    for r_idx, (row, values) in enumerate(zip(all_rows, [headers, *rows[:1]], strict=True)):
        paragraphs = []
        for c_idx, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = widths[c_idx]
            cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
            p = cell.paragraphs[0]
            p._p.style = cell_style
            _add_run(
                p, _scrub(value), font=TABLE_FONT, size=TABLE_PT, bold=True if r_idx == 0 else None
            )
            paragraphs.append(p)
        if r_idx > 0:
            template = copy.deepcopy(row._tr)  # a formatted data row, before any alignment
            _align_cells(paragraphs, values)
    # Further data rows: copies of the first one with their own text, set on the copied w:t
    # element. python-docx spends ~0.1 ms per cell property and its Run.text setter re-parses
    # every string; a long table has thousands of cells.
    texts = [tr_t for tr_t in template.iter(qn("w:t"))] if template is not None else []
    plain = len(texts) == len(headers)
    for values in rows[1:]:
        tr = copy.deepcopy(template)
        paragraphs = [Paragraph(p, table) for p in tr.iter(qn("w:p"))]
        cleaned = [_XML_ILLEGAL.sub("", _scrub(v)) for v in values]
        if plain:
            for t, text in zip(tr.iter(qn("w:t")), cleaned, strict=True):
                _set_t(t, text)
        else:  # a first row without one w:t per cell (an empty cell): the slow, general way
            for p, text in zip(paragraphs, cleaned, strict=True):
                Run(p._p.r_lst[0], p).text = text
        _align_cells(paragraphs, values)
        table._tbl.append(tr)


_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _set_t(t: object, text: str) -> None:
    """Text of a w:t element; line breaks and tabs (rare in a cell) become w:br / w:tab."""
    if not text or "\n" in text or "\t" in text or "\r" in text:
        run = t.getparent()  # type: ignore[attr-defined]
        run.remove(t)
        if text:
            Run(run, None).text = text  # python-docx turns \n and \t into w:br and w:tab
        return
    t.text = text  # type: ignore[attr-defined]
    if text != text.strip():
        t.set(_XML_SPACE, "preserve")  # type: ignore[attr-defined]
    else:
        t.attrib.pop(_XML_SPACE, None)  # type: ignore[attr-defined]


def _align_cells(paragraphs: list[Paragraph], values: list[str]) -> None:
    """Long text in a data cell (not the first column) is left-aligned."""
    for c_idx, (p, value) in enumerate(zip(paragraphs, values, strict=True)):
        if c_idx > 0 and len(value) > 12:
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT
