"""Charts of the quarter (matplotlib Figures with Chinese text); the writer saves them as PNG."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

if "matplotlib.pyplot" not in sys.modules:
    # Headless: no GUI backend, and never switch the backend of a session that chose one.
    matplotlib.use("Agg")

import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator, PercentFormatter  # noqa: E402
from PIL import Image  # noqa: E402  (pillow: a dependency of matplotlib)

from pipeline.fsutil import atomic_path, safe_component  # noqa: E402
from pipeline.targets import (  # noqa: E402
    CATEGORY_ORDER,
    COUNTY,
    STATUS_BEHIND,
    STATUS_EMPTY,
    STATUS_MET,
    STATUS_ON_PACE,
    UNKNOWN_UNIT,
    parse_quarter,
    quarter_label,
    status_labels,
)

log = logging.getLogger(__name__)

# Windows first (the office), then Linux/macOS families.
DEFAULT_FONTS = (
    "Microsoft YaHei",
    "SimHei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
)
BUNDLED_FONT = "NotoSansCJKsc-Regular.otf"  # shipped inside the mplfonts wheel

STATUS_COLORS = {
    STATUS_MET: "#2e7d32",
    STATUS_ON_PACE: "#f9a825",
    STATUS_BEHIND: "#c62828",
    STATUS_EMPTY: "#9e9e9e",
}
CATEGORY_COLORS = ("#1565c0", "#6a1b9a", "#00838f", "#ef6c00")
# Every chart is drawn at the size it is printed: 15 cm wide, the width of the supervision
# report's figures (docx.IMAGE_WIDTH), which inserts the PNG at its own size (pixels / DPI).
# Font sizes are then true points on paper — none below MIN_FONT_PT — and 200 dpi keeps the
# PNG sharp on screen (1181 px wide) with fewer pixels to draw than before.
PRINT_WIDTH_IN = 15 / 2.54
DPI = 200
TITLE_PT = 10.5  # 五号
LABEL_PT = 8.5  # axis ticks and labels
SMALL_PT = 8.0  # values on bars and points, legends
MIN_FONT_PT = SMALL_PT
# Heights: two figures, their captions and a few lines of text fit one A4 page of the report.
RATE_HEIGHT_IN = 3.0
TREND_HEIGHT_IN = 3.0
GAP_ROW_IN = 0.17  # one bar of the gap chart; plus GAP_EXTRA_IN for title and axis
GAP_EXTRA_IN = 1.0
GAP_MIN_HEIGHT_IN = 2.2
# Up to this many bars the rate chart writes "81.2%" over "13/16" on each bar; beyond it
# (narrower bars) one vertical line "81.2% 13/16".
UPRIGHT_BAR_LABELS = 14
# zlib level 1 instead of 6: PNG encoding about twice as fast, files ~10% larger.
PNG_OPTIONS = {"compress_level": 1}
# A chart is read, not searched: a province has a thousand townships, and a bar for each makes
# an image tens of thousands of pixels wide that takes a minute to draw. Beyond this many
# units the charts show those that need attention (the full tables are in the gap workbook);
# a county's townships (10-25) all fit, and 25 bars still read at the report's 15 cm.
MAX_CHART_UNITS = 25

_font_family: str | None = None


def _bundled_font_path() -> Path | None:
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "fonts" / BUNDLED_FONT
        if candidate.is_file():
            return candidate
    return None


def setup_fonts(preferred: Sequence[str] = DEFAULT_FONTS) -> str:
    """Make Chinese render: use the first of `preferred` installed on this machine, else the
    Noto Sans CJK SC shipped in the mplfonts wheel (registered in memory, nothing written).
    Sets rcParams font.sans-serif and axes.unicode_minus; returns the family used."""
    global _font_family
    installed = {f.name for f in font_manager.fontManager.ttflist}
    family = next((name for name in preferred if name in installed), None)
    if family is None:
        path = _bundled_font_path()
        if path is None:
            log.warning(
                "未找到中文字体（已尝试：%s），图表中的中文可能显示为方框",
                "、".join(preferred) or "无",
            )
            family = "DejaVu Sans"
        else:
            if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
                font_manager.fontManager.addfont(str(path))
            family = font_manager.FontProperties(fname=str(path)).get_name()
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f != family]
    matplotlib.rcParams["font.sans-serif"] = [family, *rest]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
    _font_family = family
    log.debug("图表字体：%s", family)
    return family


def _ensure_fonts() -> None:
    if _font_family is None:
        setup_fonts(DEFAULT_FONTS)


def _units(rates: pd.DataFrame, category: str) -> pd.DataFrame:
    """The township-level rows of one category with enterprises to measure."""
    rows = rates[rates["category"] == category]
    if "dimension" in rows:
        rows = rows[rows["dimension"] == "乡镇"]
    else:
        rows = rows[rows["unit"] != COUNTY]
    return rows[(rows["base"] > 0) & (rows["unit"] != UNKNOWN_UNIT)]


def _county(rates: pd.DataFrame, category: str) -> pd.Series | None:
    rows = rates[(rates["unit"] == COUNTY) & (rates["category"] == category)]
    return None if rows.empty else rows.iloc[0]


def _empty(fig: Figure, ax, text: str = "暂无数据") -> Figure:
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        fontsize=12,
        color="#616161",
        transform=ax.transAxes,
    )
    return fig


def _shown(shown: int, total: int, which: str) -> str:
    """Title note when a chart shows only some of the units."""
    if shown >= total:
        return ""
    return f"\n（共 {total} 个单位，图中为{which}的 {shown} 个；全部见目标差距报告）"


def _pct(value: float) -> str:
    return f"{value:.1%}".replace(".0%", "%")


def _whole_pct(value: float) -> str:
    """A whole percentage, narrow enough for a bar at 8 pt ("88%"); never "100%" short of it."""
    text = f"{value:.0%}"
    return _pct(value) if text == "100%" and value < 1 else text


def rate_chart(rates: pd.DataFrame, category: str, quarter: str | None = None) -> Figure:
    """Bar per township-level unit (qualified rate, coloured by status, best first) with the
    due target, the pace target and the county rate as horizontal lines."""
    _ensure_fonts()
    rows = _units(rates, category)
    rows = rows.assign(status=status_labels(rows)).sort_values(
        ["rate", "unit"], ascending=[False, True], kind="stable"
    )
    total = len(rows)
    rows = rows.tail(MAX_CHART_UNITS)  # many units: the lowest rates, which need attention
    fig = Figure(figsize=(PRINT_WIDTH_IN, RATE_HEIGHT_IN), layout="constrained")
    ax = fig.add_subplot()
    when = f"（{quarter_label(quarter)}）" if quarter else ""
    shown = _shown(len(rows), total, "聘任率最低")
    ax.set_title(f"各乡镇（园区）{category}企业首席质量官聘任率{when}{shown}", fontsize=TITLE_PT)
    if rows.empty:
        return _empty(fig, ax)

    x = range(len(rows))
    colors = [STATUS_COLORS.get(s, "#9e9e9e") for s in rows["status"]]
    bars = ax.bar(x, rows["rate"], color=colors, width=0.65, zorder=2)
    upright = len(rows) <= UPRIGHT_BAR_LABELS
    for bar, rate, q, b in zip(bars, rows["rate"], rows["qualified"], rows["base"], strict=True):
        ax.annotate(
            f"{_whole_pct(rate)}\n{q}/{b}" if upright else f"{_pct(rate)} {q}/{b}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            rotation=0 if upright else 90,
            fontsize=SMALL_PT,
            linespacing=1.0,
            # Over the target and county lines: the line gives way, the number stays legible.
            bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none"},
            zorder=4,
        )
    ax.set_xticks(
        list(x),
        rows["unit"],
        rotation=30 if upright else 60,
        ha="right",
        rotation_mode="anchor",
        fontsize=LABEL_PT,
    )

    due = float(rows["target_due"].iloc[0])
    pace = float(rows["target_pace"].iloc[0])
    lines = []
    if due > 0:
        ax.axhline(due, color="#c62828", linestyle="--", linewidth=1.2, zorder=3)
        lines.append(Line2D([], [], color="#c62828", linestyle="--", label=f"应达目标 {_pct(due)}"))
    if abs(pace - due) > 1e-9:
        ax.axhline(pace, color="#ef6c00", linestyle=":", linewidth=1.4, zorder=3)
        lines.append(Line2D([], [], color="#ef6c00", linestyle=":", label=f"进度目标 {_pct(pace)}"))
    county = _county(rates, category)
    if county is not None and county["base"] > 0:
        ax.axhline(county["rate"], color="#1565c0", linestyle="-.", linewidth=1.0, zorder=3)
        lines.append(
            Line2D([], [], color="#1565c0", linestyle="-.", label=f"全县 {_pct(county['rate'])}")
        )
    present = [s for s in STATUS_COLORS if s in set(rows["status"])]
    patches = [Patch(color=STATUS_COLORS[s], label=s) for s in present]
    _legend_below(fig, [*patches, *lines])

    top = max(1.0, float(rows["rate"].max()), due, pace)
    # Room above the highest bar for its label: two lines, or one line standing on end.
    ax.set_ylim(0, top * (1.2 if upright else 1.45))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.tick_params(axis="y", labelsize=LABEL_PT)
    ax.set_ylabel("合格聘任率（合格数 ÷ 企业数）", fontsize=LABEL_PT)
    ax.grid(axis="y", alpha=0.3, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _legend_below(fig: Figure, handles: list, max_cols: int = 4) -> None:
    """The legend under the axes, outside them: it never hides a bar or a line (constrained
    layout makes room for it)."""
    if handles:
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=min(len(handles), max_cols),
            fontsize=SMALL_PT,
            frameon=False,
            handlelength=1.8,
            columnspacing=1.2,
        )


def gap_chart(rates: pd.DataFrame, category: str, quarter: str | None = None) -> Figure:
    """Horizontal bar per township-level unit: qualified CQOs still missing to reach the pace
    target (largest gap on top)."""
    _ensure_fonts()
    rows = _units(rates, category).sort_values(
        ["gap_pace", "unit"], ascending=[True, False], kind="stable"
    )
    total = len(rows)
    rows = rows.tail(MAX_CHART_UNITS)  # many units: the largest gaps (drawn on top)
    height = max(GAP_MIN_HEIGHT_IN, GAP_ROW_IN * len(rows) + GAP_EXTRA_IN)
    fig = Figure(figsize=(PRINT_WIDTH_IN, height), layout="constrained")
    ax = fig.add_subplot()
    when = f"（{quarter_label(quarter)}）" if quarter else ""
    shown = _shown(len(rows), total, "差距最大")
    ax.set_title(f"{category}企业距进度目标尚缺合格首席质量官数{when}{shown}", fontsize=TITLE_PT)
    if rows.empty:
        return _empty(fig, ax)

    y = range(len(rows))
    colors = [
        STATUS_COLORS[STATUS_BEHIND] if g > 0 else STATUS_COLORS[STATUS_MET]
        for g in rows["gap_pace"]
    ]
    ax.barh(y, rows["gap_pace"], color=colors, height=0.6, zorder=2)
    for yi, g in zip(y, rows["gap_pace"], strict=True):
        ax.text(g, yi, f" {g} 家" if g > 0 else " 已达进度", va="center", fontsize=SMALL_PT)
    ax.set_yticks(list(y), rows["unit"], fontsize=LABEL_PT)
    ax.tick_params(axis="x", labelsize=LABEL_PT)
    ax.set_xlabel("尚缺合格首席质量官（家）", fontsize=LABEL_PT)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, max(1, int(rows["gap_pace"].max())) * 1.25)
    ax.grid(axis="x", alpha=0.3, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    if int(rows["gap_pace"].sum()) == 0:
        ax.text(
            0.5,
            0.5,
            "各单位均已达到进度目标",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=TITLE_PT,
            color=STATUS_COLORS[STATUS_MET],
        )
    return fig


def trend_chart(trend: pd.DataFrame) -> Figure:
    """County rate per quarter per category (solid, with values) and its due target (dashed
    steps) and pace target (dotted)."""
    _ensure_fonts()
    fig = Figure(figsize=(PRINT_WIDTH_IN, TREND_HEIGHT_IN), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(f"{COUNTY}企业首席质量官聘任率趋势", fontsize=TITLE_PT)
    if trend is None or trend.empty:
        return _empty(fig, ax)
    if "unit" in trend:
        trend = trend[trend["unit"] == COUNTY]
    quarters = sorted(trend["quarter"].astype(str).unique(), key=parse_quarter)
    position = {q: i for i, q in enumerate(quarters)}
    categories = sorted(
        trend["category"].unique(),
        key=lambda c: (CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99, c),
    )
    top = 1.0
    for i, cat in enumerate(categories):
        color = CATEGORY_COLORS[i % len(CATEGORY_COLORS)]
        rows = trend[trend["category"] == cat].copy()
        rows["_x"] = rows["quarter"].astype(str).map(position)
        rows = rows.sort_values("_x")
        ax.plot(
            rows["_x"],
            rows["rate"],
            color=color,
            marker="o",
            linewidth=2,
            label=f"{cat} 聘任率",
            zorder=3,
        )
        # Values on every point while they fit; on a long series only the latest one.
        labelled = rows if len(quarters) <= 8 else rows.tail(1)
        for xv, rv in zip(labelled["_x"], labelled["rate"], strict=True):
            # First category labelled above its points, the next below, so they rarely collide.
            ax.annotate(
                _pct(rv),
                (xv, rv),
                textcoords="offset points",
                xytext=(0, 6) if i % 2 == 0 else (0, -6),
                ha="center",
                va="bottom" if i % 2 == 0 else "top",
                fontsize=SMALL_PT,
                color=color,
            )
        if "target_due" in rows:
            ax.step(
                rows["_x"],
                rows["target_due"],
                where="post",
                color=color,
                linestyle="--",
                linewidth=1.2,
                alpha=0.8,
                label=f"{cat} 应达目标",
            )
        if "target_pace" in rows:
            ax.plot(
                rows["_x"],
                rows["target_pace"],
                color=color,
                linestyle=":",
                linewidth=1.2,
                alpha=0.8,
                label=f"{cat} 进度目标",
            )
        top = max(top, float(rows["rate"].max()))
    labels = (
        quarters
        if len(quarters) <= 12
        else [q if i % 2 == 0 else "" for i, q in enumerate(quarters)]
    )
    ax.set_xticks(
        range(len(quarters)), labels, rotation=30 if len(quarters) > 6 else 0, fontsize=LABEL_PT
    )
    ax.set_xlim(-0.5, len(quarters) - 0.5)
    ax.set_ylim(0, top * 1.15)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.tick_params(axis="y", labelsize=LABEL_PT)
    ax.grid(axis="y", alpha=0.3)
    handles = ax.get_legend_handles_labels()[0]
    per = len(handles) // len(categories) if categories else 0
    if per and per * len(categories) == len(handles):
        # One legend row per category (a legend fills column by column).
        handles = [handles[c * per + j] for j in range(per) for c in range(len(categories))]
    _legend_below(fig, handles, max_cols=max(per, 1))
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def build_charts(
    rates: pd.DataFrame, trend: pd.DataFrame, quarter: str | None = None
) -> dict[str, Figure]:
    """The quarter's charts by file stem: 聘任率_<类别>, 差距_<类别>, 聘任率趋势."""
    categories = sorted(
        rates["category"].unique(),
        key=lambda c: (CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99, c),
    )
    figs: dict[str, Figure] = {}
    for cat in categories:
        figs[f"聘任率_{cat}"] = rate_chart(rates, cat, quarter)
        figs[f"差距_{cat}"] = gap_chart(rates, cat, quarter)
    figs["聘任率趋势"] = trend_chart(trend)
    return figs


def save_figures(figs: Mapping[str, Figure], folder: Path, dpi: int = DPI) -> dict[str, Path]:
    """Save each figure as <folder>/<name>.png (atomically) and close it; name -> path."""
    folder = Path(folder)
    paths: dict[str, Path] = {}
    for name, fig in figs.items():
        target = folder / f"{safe_component(name)}.png"
        try:
            with atomic_path(target) as tmp:
                render_png(fig, tmp, dpi)
        finally:
            _close(fig)
        paths[name] = target
    return paths


def render_png(fig: Figure, path: Path, dpi: int = DPI) -> None:
    """`fig` as a PNG file: the same pixels as fig.savefig(path, dpi=dpi, facecolor="white"),
    drawn once. savefig draws a figure with a layout engine twice — first with rendering
    switched off, on a renderer of its own whose text-size cache starts empty, just to place
    the axes — then for real; here the one real draw places them (constrained layout runs
    inside Figure.draw) and its pixels go straight to the PNG encoder."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    fig.patch.set_facecolor("white")
    canvas.draw()
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    image.save(path, format="png", dpi=(dpi, dpi), **PNG_OPTIONS)


def _close(fig: Figure) -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)  # figures made through pyplot are held by its registry
    fig.clear()
