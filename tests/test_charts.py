"""Charts render Chinese without missing glyphs and are saved as PNG (pipeline.reports.charts)."""

from __future__ import annotations

import datetime as dt
import io
import warnings

import matplotlib
import pandas as pd
import pytest
from matplotlib import font_manager

from pipeline.config import Milestone
from pipeline.reports import charts
from pipeline.targets import compute_rates

START = dt.date(2021, 1, 1)
MILESTONES = (
    Milestone.model_validate({"date": "2021-12-31", "规上": 0.5, "重点行业中小微": 0.3}),
    Milestone.model_validate({"date": "2023-12-31", "规上": 0.8, "重点行业中小微": 0.5}),
    Milestone.model_validate({"date": "2025-12-31", "规上": 1.0, "重点行业中小微": 0.8}),
)
TOWNS = ["天城镇", "沙坪镇", "桂花泉镇", "高枧乡", "崇阳县工业园区"]


def _base() -> pd.DataFrame:
    rows = []
    for i, town in enumerate(TOWNS):
        for k in range(4 + i):
            rows.append(
                (town, "县经信局", "规上" if k % 3 else "重点行业中小微", k % 4 != 0, k % 2 == 0)
            )
    return pd.DataFrame(
        rows, columns=["township", "department", "category", "appointed", "qualified"]
    )


def _rates(quarter: str = "2026Q3") -> pd.DataFrame:
    return compute_rates(_base(), quarter, START, MILESTONES, unit_order=TOWNS)


def _trend() -> pd.DataFrame:
    frames = []
    for q in ("2025Q2", "2025Q3", "2025Q4", "2026Q1"):
        r = _rates(q)
        frames.append(r[r["unit"] == "全县"].assign(quarter=q))
    return pd.concat(frames, ignore_index=True)


def _glyph_warnings(record) -> list[str]:
    return [
        str(w.message)
        for w in record
        if "missing from font" in str(w.message) or "Glyph" in str(w.message)
    ]


def _render(fig) -> None:
    # A Figure made without pyplot has a base canvas whose draw() does nothing: render for real.
    fig.savefig(io.BytesIO(), format="png", dpi=50)


def test_glyph_check_detects_a_font_without_chinese():
    # Control: the warning the next tests look for does appear when no CJK font is used.
    charts.setup_fonts(charts.DEFAULT_FONTS)  # done first, so the charts don't redo it below
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            _render(charts.gap_chart(_rates(), "规上"))
    assert _glyph_warnings(record)


def test_setup_fonts_finds_a_cjk_font():
    family = charts.setup_fonts(["No Such Font", "Microsoft YaHei", "Noto Sans CJK SC"])
    assert family != "DejaVu Sans"
    assert matplotlib.rcParams["font.sans-serif"][0] == family
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    assert path


def test_setup_fonts_falls_back_to_the_bundled_font_when_none_is_installed():
    family = charts.setup_fonts(["No Such Font"])
    # Either the bundled Noto Sans CJK SC, or a machine that has it installed already.
    assert family == "Noto Sans CJK SC"
    # Calling again does not register the font again.
    bundled = charts._bundled_font_path()
    assert bundled is not None

    def registered() -> int:
        return sum(f.fname == str(bundled) for f in font_manager.fontManager.ttflist)

    before = registered()
    charts.setup_fonts(["No Such Font"])
    assert registered() == before


@pytest.mark.parametrize(
    "make",
    [
        lambda: charts.rate_chart(_rates(), "规上", "2026Q3"),
        lambda: charts.rate_chart(_rates("2022Q4"), "重点行业中小微", "2022Q4"),
        lambda: charts.gap_chart(_rates(), "规上", "2026Q3"),
        lambda: charts.trend_chart(_trend()),
    ],
    ids=["rate", "rate-pace", "gap", "trend"],
)
def test_chinese_renders_without_missing_glyphs(make):
    charts.setup_fonts(charts.DEFAULT_FONTS)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fig = make()
        _render(fig)
    assert _glyph_warnings(record) == []
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert any("首席质量官" in t for t in texts)


def test_rate_chart_sorts_units_by_rate():
    rates = _rates()
    fig = charts.rate_chart(rates, "规上")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    towns = rates[(rates["dimension"] == "乡镇") & (rates["category"] == "规上")]
    expected = towns.sort_values(["rate", "unit"], ascending=[False, True])["unit"].tolist()
    assert labels == expected
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == sorted(heights, reverse=True)


def test_charts_handle_empty_frames():
    empty = _rates().iloc[0:0]
    for fig in (
        charts.rate_chart(empty, "规上"),
        charts.gap_chart(empty, "规上"),
        charts.trend_chart(pd.DataFrame()),
    ):
        _render(fig)
        assert any(t.get_text() == "暂无数据" for t in fig.findobj(matplotlib.text.Text))


def test_save_figures_writes_pngs_and_closes(tmp_path):
    figs = charts.build_charts(_rates(), _trend(), "2026Q3")
    assert set(figs) == {
        "聘任率_规上",
        "差距_规上",
        "聘任率_重点行业中小微",
        "差距_重点行业中小微",
        "聘任率趋势",
    }
    paths = charts.save_figures(figs, tmp_path / "charts")
    assert set(paths) == set(figs)
    for name, path in paths.items():
        assert path.name == f"{name}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(not fig.axes for fig in figs.values())  # cleared after saving
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == sorted(
        p.name for p in paths.values()
    )  # no temporary files left behind


@pytest.mark.parametrize("make", ["rate", "gap", "trend"])
def test_render_png_draws_once_the_pixels_savefig_draws(tmp_path, make):
    """render_png skips savefig's second (layout-only) draw: same image, pixel for pixel."""
    from PIL import Image, ImageChops

    charts.setup_fonts(charts.DEFAULT_FONTS)

    def build():
        if make == "trend":
            return charts.trend_chart(_trend())
        return getattr(charts, f"{make}_chart")(_rates(), "规上", "2026Q3")

    build().savefig(tmp_path / "savefig.png", dpi=charts.DPI, facecolor="white")
    fig = build()
    calls = []
    original = fig.draw
    fig.draw = lambda renderer: (calls.append(renderer), original(renderer))[1]
    charts.render_png(fig, tmp_path / "once.png")
    assert len(calls) == 1
    with Image.open(tmp_path / "savefig.png") as a, Image.open(tmp_path / "once.png") as b:
        assert a.size == b.size
        assert a.info.get("dpi") and b.info.get("dpi")
        assert round(b.info["dpi"][0]) == charts.DPI
        assert ImageChops.difference(a.convert("RGBA"), b.convert("RGBA")).getbbox() is None


def test_charts_keep_every_unit_up_to_the_bound():
    """A county with as many townships as the bound still gets every one of them."""
    rates = _many(charts.MAX_CHART_UNITS)
    ax = charts.rate_chart(rates, "规上", "2026Q3").axes[0]
    assert len(ax.get_xticklabels()) == charts.MAX_CHART_UNITS
    assert "共" not in ax.get_title()
    rates = _many(charts.MAX_CHART_UNITS + 1)
    ax = charts.rate_chart(rates, "规上", "2026Q3").axes[0]
    assert len(ax.get_xticklabels()) == charts.MAX_CHART_UNITS
    assert f"共 {charts.MAX_CHART_UNITS + 1} 个单位" in ax.get_title()
    assert "全部见目标差距报告" in ax.get_title()


def _many(n: int) -> pd.DataFrame:
    base = pd.DataFrame(
        [
            (f"第{i:03d}镇", "县经信局", "规上", True, (i + k) % 4 != 0)
            for i in range(n)
            for k in range(3)
        ],
        columns=["township", "department", "category", "appointed", "qualified"],
    )
    order = sorted(base["township"].unique())
    return compute_rates(base, "2026Q3", START, MILESTONES, unit_order=order)


@pytest.mark.parametrize(
    "make",
    [
        lambda: charts.rate_chart(_rates(), "规上", "2026Q3"),
        lambda: charts.rate_chart(_many(charts.MAX_CHART_UNITS), "规上", "2026Q3"),
        lambda: charts.gap_chart(_rates(), "规上", "2026Q3"),
        lambda: charts.gap_chart(_many(charts.MAX_CHART_UNITS), "规上", "2026Q3"),
        lambda: charts.trend_chart(_trend()),
        lambda: charts.rate_chart(_rates().iloc[0:0], "规上"),
    ],
    ids=["rate", "rate-25", "gap", "gap-25", "trend", "empty"],
)
def test_charts_are_drawn_at_their_printed_size_with_legible_text(make):
    """Drawn 15 cm wide (the report's width, where the docx puts them at their own size), so
    every font size is a size on paper: none below MIN_FONT_PT (8 pt)."""
    charts.setup_fonts(charts.DEFAULT_FONTS)
    fig = make()
    width, height = fig.get_size_inches()
    assert width == pytest.approx(15 / 2.54)
    assert height <= 6
    _render(fig)
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
    assert texts
    sizes = {t.get_text(): t.get_fontsize() for t in texts}
    assert min(sizes.values()) >= charts.MIN_FONT_PT >= 8, sizes


def test_two_county_charts_and_their_captions_fit_one_page():
    """A county (13 units): two charts of a kind, with captions (about 1 cm each) and two
    lines of text (1 cm each), fit the report's 22.5 cm of text height."""
    rates = _many(13)
    for make in (charts.rate_chart, charts.gap_chart):
        height_cm = make(rates, "规上", "2026Q3").get_size_inches()[1] * 2.54
        assert 2 * (height_cm + 1.2) + 2 <= 22.5, make.__name__
    trend_cm = charts.trend_chart(_trend()).get_size_inches()[1] * 2.54
    assert trend_cm <= 9


def test_saved_png_carries_its_print_size(tmp_path):
    """The PNG's DPI and pixels give the printed width: 15 cm at charts.DPI."""
    from PIL import Image

    paths = charts.save_figures({"聘任率_规上": charts.rate_chart(_rates(), "规上")}, tmp_path)
    with Image.open(paths["聘任率_规上"]) as image:
        dpi = image.info["dpi"][0]
        assert round(dpi) == charts.DPI >= 150
        assert image.width / dpi * 2.54 == pytest.approx(15, abs=0.02)


def test_crowded_bar_labels_stand_on_end():
    """Up to UPRIGHT_BAR_LABELS bars: "81%" over "13/16"; more: one vertical line."""
    few = charts.rate_chart(_many(charts.UPRIGHT_BAR_LABELS), "规上").axes[0]
    many = charts.rate_chart(_many(charts.UPRIGHT_BAR_LABELS + 1), "规上").axes[0]
    labels = [t for t in few.texts if "/" in t.get_text()]
    assert len(labels) == charts.UPRIGHT_BAR_LABELS
    assert all("\n" in t.get_text() and t.get_rotation() == 0 for t in labels)
    labels = [t for t in many.texts if "/" in t.get_text()]
    assert all("\n" not in t.get_text() and t.get_rotation() == 90 for t in labels)
    assert charts._whole_pct(0.996) == "99.6%" and charts._whole_pct(0.875) == "88%"
