"""The embedded demo: same bytes per seed, valid identifiers except planted defects, coverage."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from stdnum.cn import ric, uscc

from pipeline import demo
from pipeline.config import load_config

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT.parent / "shared" / "vectors" / "id_vectors.json"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    target = tmp_path_factory.mktemp("demo")
    return target, demo.write_demo(target)


@pytest.fixture(scope="module")
def built() -> demo.Demo:
    return demo.build_demo()


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "config.yaml")


def _read(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet of a submission as rows of Python values (CSV: one sheet, all text)."""
    if path.suffix == ".csv":
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode(
            "gb18030")
        return {"csv": list(csv.reader(io.StringIO(text)))}
    with path.open("rb") as handle:
        book = CalamineWorkbook.from_filelike(handle)
        return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name in book.sheet_names}


ID_HEADERS = ("身份证号码", "身份证号", "公民身份号码")
CREDIT_HEADERS = ("统一社会信用代码", "社会信用代码")


def _header_key(text: object) -> str:
    key = unicodedata.normalize("NFKC", str(text)).replace("\n", "").replace("*", "")
    return re.sub(r"\(.*?\)", "", key)


def _column_values(rows: list[list[object]], *headers: str) -> list[object]:
    """Cells under the first header cell named one of `headers` (one- or two-row header)."""
    for r, row in enumerate(rows[:6]):
        for c, cell in enumerate(row):
            if isinstance(cell, str) and _header_key(cell) in headers:
                body = rows[r + 1:]
                if body and all(v in ("", None) for v in body[0][:2]) and any(body[0]):
                    body = body[1:]  # second header row
                return [row[c] for row in body if len(row) > c and row[0] not in ("",)
                        and not str(row[0]).startswith(("填表人", "注："))]
    return []


def _submissions(target: Path, quarter: str) -> list[Path]:
    return sorted(p for p in (target / quarter).iterdir() if p.name != demo.BASE_LIST_NAME)


def _org_check(org8: str) -> str:
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in org8]
    check = 11 - sum(v * w for v, w in zip(values, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


# -- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    first = demo.write_demo(tmp_path / "a")
    second = demo.write_demo(tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in first] == [
        p.relative_to(tmp_path / "b") for p in second]
    different = [p.name for p, q in zip(first, second, strict=True)
                 if p.read_bytes() != q.read_bytes()]
    assert different == []
    assert {p.suffix for p in first} == {".xlsx", ".xls", ".csv"}


def test_another_seed_gives_another_county(tmp_path: Path) -> None:
    base_a, _ = demo.generate_enterprises(1)
    base_b, _ = demo.generate_enterprises(2)
    assert [e.name for e in base_a] != [e.name for e in base_b]


def test_writes_only_its_own_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    written = demo.write_demo(tmp_path)
    on_disk = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert on_disk == set(written) | {tmp_path / "keep.txt"}


# -- identifiers --------------------------------------------------------------------------------


def test_check_characters_agree_with_public_vectors() -> None:
    if not VECTORS.exists():
        pytest.skip("shared test vectors not available")
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    ids = [v["number"].upper() for v in vectors["ric_valid"] if len(v["number"]) == 18]
    assert ids and all(demo.id_check_char(n[:17]) == n[17] for n in ids)
    codes = [v["number"] for v in vectors["uscc_valid"] if uscc.is_valid(v["number"])]
    assert codes and all(demo.uscc_check_char(c[:17]) == c[17] for c in codes)


def test_generated_identifiers_are_valid() -> None:
    base, extras = demo.generate_enterprises()
    for e in base + extras:
        assert uscc.is_valid(e.credit_code), e.credit_code
        assert e.credit_code[:6] == "914212"
        assert _org_check(e.credit_code[8:16]) == e.credit_code[16], e.credit_code
    assert len({e.credit_code for e in base + extras}) == len(base) + len(extras)
    number = demo.make_id_number("422325", dt.date(1985, 3, 12), 123)
    assert ric.calc_check_digit(number) == number[17] and ric.is_valid(number)
    assert demo.to_15_digit(number) == "422325850312123"


def test_q1_ids_valid_except_the_planted_defects(written, built: demo.Demo) -> None:
    target, _ = written
    seen: Counter[str] = Counter()
    for path in _submissions(target, "2026Q1"):
        for rows in _read(path).values():
            for value in _column_values(rows, *ID_HEADERS):
                if value in ("", None):
                    seen["missing_id"] += 1
                    continue
                if isinstance(value, float):
                    seen["id_float"] += 1
                    continue
                text = unicodedata.normalize("NFKC", str(value)).replace(" ", "").upper()
                if len(text) == 15:
                    seen["id_15_digit"] += 1
                    text = text[:6] + "19" + text[6:] + "?"
                    text = text[:17] + ric.calc_check_digit(text)
                assert len(text) == 18 and text[:17].isdigit(), value
                dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))  # a real date
                if ric.calc_check_digit(text) != text[17]:  # stdnum wants the 18 characters
                    seen["id_checksum"] += 1
                seen["ids"] += 1
    planted = built.manifest["quarters"]["2026Q1"]["defect_counts"]
    for kind in ("id_float", "id_15_digit", "id_checksum", "missing_id"):
        assert seen[kind] == planted[kind], kind
    assert seen["ids"] > 100


def test_q1_credit_codes_valid_except_the_planted_one(written, built: demo.Demo) -> None:
    target, _ = written
    bad = []
    for path in _submissions(target, "2026Q1"):
        for rows in _read(path).values():
            bad += [v for v in _column_values(rows, *CREDIT_HEADERS) if v and not uscc.is_valid(v)]
    assert len(bad) == built.manifest["quarters"]["2026Q1"]["defect_counts"]["credit_code_bad"]


# -- the base list ------------------------------------------------------------------------------


def test_base_list_covers_the_county(written, config) -> None:
    target, _ = written
    rows = _read(target / demo.BASE_LIST_NAME)[demo.BASE_SHEET]
    header, body = rows[0], rows[1:]
    assert tuple(header) == demo.BASE_HEADERS
    records = [dict(zip(header, r, strict=True)) for r in body]
    categories = Counter(r["企业类别"] for r in records)
    assert 140 <= categories["规上"] <= 160
    assert 190 <= categories["重点行业中小微"] <= 210
    areas = {u.name for u in config.units if u.kind in ("乡镇", "园区")}
    assert {r["所属乡镇"] for r in records} == areas
    for category in categories:
        assert {r["所属乡镇"] for r in records if r["企业类别"] == category} == areas
    assert {r["所属行业"] for r in records} <= set(config.key_industries)
    assert {r["主管部门"] for r in records} <= {u.name for u in config.units if u.kind == "部门"}
    scales = Counter((r["企业类别"], r["企业规模"]) for r in records)
    assert {s for c, s in scales if c == "重点行业中小微"} <= {"小型", "微型"}
    assert scales["规上", "中型"] + scales["规上", "小型"] > 0.9 * categories["规上"]
    park = sum(r["所属乡镇"] == "崇阳县工业园区" for r in records)
    assert park == max(Counter(r["所属乡镇"] for r in records).values())


def test_q3_base_list_changes_a_few_enterprises(written) -> None:
    target, _ = written
    names = {r[0] for r in _read(target / demo.BASE_LIST_NAME)[demo.BASE_SHEET][1:]}
    q3 = {r[0] for r in _read(target / "2026Q3" / demo.BASE_LIST_NAME)[demo.BASE_SHEET][1:]}
    assert 1 <= len(names - q3) <= 5 and 1 <= len(q3 - names) <= 5


# -- submissions --------------------------------------------------------------------------------


def _unit_of(path: Path, config) -> str | None:
    """The unit as DESIGN.md tells it: the 填报单位 column, else a unit named in the file name."""
    aliases = {a: u.name for u in config.units for a in (u.name, *u.aliases)}
    for rows in _read(path).values():
        values = {v for v in _column_values(rows, "填报单位") if v}
        if values:
            assert len(values) == 1, (path.name, values)
            return aliases.get(values.pop())
    return next((aliases[a] for a in sorted(aliases, key=len, reverse=True) if a in path.name),
                None)


def test_every_township_and_the_park_sends_a_file_in_q3(written, config) -> None:
    target, _ = written
    units = [_unit_of(p, config) for p in _submissions(target, "2026Q3")]
    expected = {u.name for u in config.units if u.kind in ("乡镇", "园区")}
    assert expected <= set(units)
    assert len(units) == len(set(units)) == len(expected) + 2  # + 县经信局, 县住建局


def test_two_units_send_nothing_in_q1_and_one_is_late_in_q2(written, config) -> None:
    target, _ = written
    q1 = {_unit_of(p, config) for p in _submissions(target, "2026Q1")}
    assert {"铜钟乡", "港口乡"}.isdisjoint(q1)
    [late] = [p for p in _submissions(target, "2026Q2") if "港口乡" in p.name]
    title = _read(late)["Sheet1"][1][0]
    assert "填报日期：2026年7月16日" in title  # beyond 2026-06-30 + 10 days


def test_unit_from_file_name_and_from_an_alias(written, config) -> None:
    target, _ = written
    [shaping] = [p for p in _submissions(target, "2026Q1") if p.name.startswith("沙坪镇")]
    assert _column_values(next(iter(_read(shaping).values())), "填报单位") == []
    assert _unit_of(shaping, config) == "沙坪镇"
    [gaojian] = [p for p in _submissions(target, "2026Q1") if "高视乡" in p.name]
    assert set(_column_values(_read(gaojian)["Sheet1"], "填报单位")) == {"高视乡"}
    assert _unit_of(gaojian, config) == "高枧乡"


def test_csv_encodings(written) -> None:
    target, _ = written
    gbk = target / "2026Q1" / "桂花泉镇首席质量官报送表.csv"
    raw = gbk.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "填报单位" in raw.decode("gb18030")
    bom = (target / "2026Q1" / "白霓镇首席质量官名单.csv").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf") and "首席质量官姓名" in bom.decode("utf-8-sig")


def test_formats_and_sheets_of_q1(written) -> None:
    target, _ = written
    files = _submissions(target, "2026Q1")
    assert Counter(p.suffix for p in files) == {".xlsx": 9, ".xls": 2, ".csv": 2}
    [park] = [p for p in files if p.name.startswith("崇阳县工业园区")]
    with park.open("rb") as handle:
        meta = CalamineWorkbook.from_filelike(handle).sheets_metadata
    hidden = [m.name for m in meta if str(m.visible).endswith("Hidden")]
    assert hidden == ["2025年四季度"]
    sheets = _read(park)
    assert len(_column_values(sheets["2025年四季度"], *ID_HEADERS)) >= 3
    assert sheets["Sheet3"] == [] and "填报说明" in sheets
    [tiancheng] = [p for p in files if p.name.startswith("天城镇")]
    with tiancheng.open("rb") as handle:
        merged = CalamineWorkbook.from_filelike(handle).get_sheet_by_name("汇总表")
        ranges = merged.merged_cell_ranges
    rows = _read(tiancheng)["汇总表"]
    groups = {rows[r1][c1] for (r1, c1), (r2, c2) in ranges if r1 == r2 and c2 > c1}
    assert {"企业信息", "首席质量官"} <= groups


def test_text_that_looks_like_a_formula_stays_text(written) -> None:
    target, files = written
    texts = []
    for path in (p for p in files if p.suffix == ".xlsx"):
        book = openpyxl.load_workbook(path)
        for ws in book.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, cell.coordinate)
                    if isinstance(cell.value, str) and cell.value[:1] in "=+":
                        texts.append(cell.value)
    assert "=SUM(A1:A3)" in texts and any(t.startswith("+86 ") for t in texts)


# -- the manifest -------------------------------------------------------------------------------


def test_every_planned_defect_was_placed(built: demo.Demo) -> None:
    for quarter, plan in demo.DEFECT_PLAN.items():
        counts = built.manifest["quarters"][quarter]["defect_counts"]
        assert {k: counts.get(k, 0) for k in plan} == plan, quarter
        for kind, _ in demo.STRUCTURAL_PLAN[quarter]:
            assert counts.get(kind, 0) >= 1, (quarter, kind)
    q1 = built.manifest["quarters"]["2026Q1"]["defect_counts"]
    assert q1["duplicate_conflict"] == 2 and q1["cqo_shared"] == 2 and q1["not_in_base"] == 1
    q2 = built.manifest["quarters"]["2026Q2"]["defect_counts"]
    assert q2["resigned"] == 2 and q2["change_late"] == 2 and q2["change"] == 4


def test_manifest_positions_point_at_the_enterprise(written, built: demo.Demo) -> None:
    target, _ = written
    for quarter, entry in built.manifest["quarters"].items():
        for defect in entry["defects"]:
            if defect["kind"] in ("name_bracket", "name_no_youxian"):
                continue
            sheets = _read(target / quarter / defect["file"])
            row = sheets.get(defect["sheet"], sheets.get("csv"))[defect["row"] - 1]
            assert defect["enterprise"] in row, defect


def test_expected_rates_improve_quarter_by_quarter(built: demo.Demo) -> None:
    quarters = built.manifest["quarters"]
    above = [quarters[q]["expected_rates"]["规上"]["rate"] for q in demo.QUARTERS]
    key = [quarters[q]["expected_rates"]["重点行业中小微"]["rate"] for q in demo.QUARTERS]
    assert 0.40 <= above[0] < above[1] < above[2] <= 0.85
    assert above[1] >= 0.55 and above[2] >= 0.70
    assert key[0] < key[1] < key[2]
    defects = [len(quarters[q]["defects"]) for q in demo.QUARTERS]
    cell = [sum(demo.DEFECT_PLAN[q].values()) for q in demo.QUARTERS]
    assert cell[0] > cell[1] > cell[2] and defects[0] > defects[2]


def test_never_overwrites_real_input_unless_forced(tmp_path: Path) -> None:
    """A real base list, or real submissions in a quarter folder, stop `cqo demo`; writing
    the demo again over itself is fine."""
    first = demo.write_demo(tmp_path)
    assert demo.write_demo(tmp_path) == first  # the demo over itself: same bytes, no refusal
    base = tmp_path / "企业名录.xlsx"
    base.write_bytes(b"the county's own list")
    real = tmp_path / "2026Q3" / "天城镇（真实）.xlsx"
    real.write_bytes(b"a real submission")
    with pytest.raises(demo.DemoRefused, match="企业名录.xlsx") as refused:
        demo.write_demo(tmp_path)
    assert "天城镇（真实）.xlsx" in str(refused.value) and "--force" in str(refused.value)
    assert base.read_bytes() == b"the county's own list"  # nothing written
    demo.write_demo(tmp_path, force=True)
    assert base.read_bytes() != b"the county's own list" and real.is_file()
