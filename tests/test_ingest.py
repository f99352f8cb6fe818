"""Reading submissions as they arrive: formats, title rows, merged headers, notes, units."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
import xlwt

from pipeline.config import load_config
from pipeline.ingest import locate_table, read_base_list, read_quarter

ROOT = Path(__file__).resolve().parents[1]
ID_A = "421223199001011236"  # synthetic, valid checksum
ID_B = "42232519850315002X"


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "config.yaml")


def _records(folder: Path, config) -> pd.DataFrame:
    return read_quarter(folder, config).records


def _xlsx_title_and_notes(path: Path) -> None:
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("汇总表")
    ws.merge_range("A1:F1", "崇阳县企业首席质量官登记汇总表")
    ws.write("A2", "填报单位：天城镇（盖章）    填报日期：2026年4月8日")
    ws.write_row(
        "A3",
        [
            "序号",
            "*企业名称",
            "统一社会信用代码",
            "首席质量官姓名",
            "身份证号码",
            "文化程度",
            "从事质量工作\n年限（年）",
            "手机号码",
        ],
    )
    ws.write_row(
        "A4",
        [1, "崇阳县天城机械有限公司", "91421223MA4901234X", "张伟", ID_A, "本科", 5, "13812345678"],
    )
    ws.write_row("A5", [2, "崇阳县天城纺织有限公司", "", "李娜", ID_B, "大专", "五年", ""])
    ws.write("A6", "")
    ws.write("A7", "填表人：王五    审核人：赵六    联系电话：0715-3012345")
    ws.write("A8", "注：本表由各乡镇汇总后报县质强办")
    wb.close()


def test_title_rows_header_synonyms_and_note_rows(tmp_path, config):
    _xlsx_title_and_notes(tmp_path / "天城镇.xlsx")
    result = read_quarter(tmp_path, config)
    recs = result.records
    assert recs["_row"].tolist() == [4, 5]
    assert recs["enterprise_name"].tolist() == ["崇阳县天城机械有限公司", "崇阳县天城纺织有限公司"]
    assert recs["cqo_name"].tolist() == ["张伟", "李娜"]
    assert recs["quality_years"].tolist() == [5.0, "五年"]
    assert set(recs["_unit"]) == {"天城镇"}
    assert set(recs["_sheet"]) == {"汇总表"}
    headers = dict(zip(result.columns["field"], result.columns["header"], strict=True))
    assert headers["quality_years"] == "从事质量工作 年限（年）"
    assert headers["id_number"] == "身份证号码"
    report = result.files[0]
    assert (report.status, report.rows_read, report.unit) == ("ok", 2, "天城镇")
    assert report.sheets[0].header_row == 3
    assert report.title_date == "2026年4月8日"
    assert result.unknown_headers.empty  # 序号 is dropped without comment


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["填报单位：天城镇", "填报日期：", dt.datetime(2026, 10, 8)], "2026-10-08"),
        (["填报单位：天城镇   填报日期：", None, "2026.10.8"], "2026.10.8"),
        (["填报单位：天城镇", "填报日期：", None, "报送季度：2026年第三季度"], None),
    ],
)
def test_fill_date_in_the_cell_after_its_label(tmp_path, config, cells, expected):
    """The label ending one cell and the date typed into a later cell of the same row (the
    templates' open date cell, and many senders' layouts); never the next label."""
    wb = xlsxwriter.Workbook(tmp_path / "天城镇.xlsx")
    ws = wb.add_worksheet("汇总表")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for c, value in enumerate(cells):
        if isinstance(value, dt.datetime):
            ws.write_datetime(0, c, value, date_fmt)
        elif value is not None:
            ws.write_string(0, c, value)
    ws.write_row(1, 0, ["企业名称", "首席质量官姓名", "身份证号码"])
    ws.write_row(2, 0, ["崇阳县天城机械有限公司", "张伟", ID_A])
    wb.close()
    report = read_quarter(tmp_path, config).files[0]
    assert report.unit == "天城镇" and report.title_date == expected


def test_two_row_merged_header(tmp_path, config):
    wb = xlsxwriter.Workbook(tmp_path / "沙坪镇报送表.xlsx")
    ws = wb.add_worksheet()
    ws.merge_range("A1:A2", "序号")
    ws.merge_range("B1:C1", "企业信息")
    ws.write_row("B2", ["单位名称", "社会信用代码"])
    ws.merge_range("D1:H1", "首席质量官")
    ws.write_row("D2", ["姓名", "公民身份号码", "学历", "质量管理工作年限", "手机"])
    ws.merge_range("I1:J1", "单位负责人")
    ws.write_row("I2", ["姓名", "手机"])
    ws.merge_range("K1:K2", "备注")
    ws.write_row(
        "A3",
        [
            1,
            "崇阳县沙坪茶业有限公司",
            "",
            "陈静",
            ID_A,
            "大专",
            "3年6个月",
            "13912345678",
            "刘强",
            "13700000000",
            "无",
        ],
    )
    wb.close()
    result = read_quarter(tmp_path, config)
    rec = result.records.iloc[0]
    assert rec["_row"] == 3
    assert rec["enterprise_name"] == "崇阳县沙坪茶业有限公司"
    assert rec["cqo_name"] == "陈静"
    assert rec["head_name"] == "刘强"
    assert rec["mobile"] == "13912345678"  # the CQO's, not the head's
    assert rec["remarks"] == "无"
    assert rec["_unit"] == "沙坪镇"  # from the file name
    headers = dict(zip(result.columns["field"], result.columns["header"], strict=True))
    assert headers["cqo_name"] == "首席质量官/姓名"
    assert headers["enterprise_name"] == "企业信息/单位名称"
    # The head's mobile is not a canonical field: listed as not understood, not dropped.
    assert result.unknown_headers["header"].tolist() == ["单位负责人/手机"]


def test_id_typed_as_number_stays_detectable(tmp_path, config):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        ["企业名称", "首席质量官姓名", "身份证号", "学历", "质量工作年限", "手机", "任命日期"]
    )
    ws.append(
        ["甲公司", "张三", 421223199001011236, "本科", 5, 13812345678, dt.datetime(2022, 2, 22)]
    )
    wb.save(tmp_path / "石城镇.xlsx")
    rec = _records(tmp_path, config).iloc[0]
    assert isinstance(rec["id_number"], float)  # precision already lost by Excel
    assert isinstance(rec["appointment_date"], (dt.date, dt.datetime))


def test_xls_and_xls_named_xlsx(tmp_path, config):
    for name in ("桂花泉镇.xls", "白霓镇.xlsx"):  # the second is really an .xls
        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("Sheet1")
        for c, h in enumerate(
            ["企业名称", "首席质量官", "身份证号码", "学历", "质量工作年限", "手机"]
        ):
            sheet.write(1, c, h)
        for c, v in enumerate(["乙公司", "李四", ID_B, "硕士", 8, "13912345678"]):
            sheet.write(2, c, v)
        buf = io.BytesIO()
        book.save(buf)
        (tmp_path / name).write_bytes(buf.getvalue())
    result = read_quarter(tmp_path, config)
    assert [f.status for f in result.files] == ["ok", "ok"]
    assert sorted(result.records["_unit"]) == ["桂花泉镇", "白霓镇"]
    assert set(result.records["_row"]) == {3}
    assert set(result.records["id_number"]) == {ID_B}


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings_detected(tmp_path, config, encoding):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["崇阳县企业首席质量官登记汇总表"])
    w.writerow(
        ["填报单位", "企业名称", "首席质量官姓名", "身份证号", "学历", "质量工作年限", "联系电话"]
    )
    w.writerow(
        ["高视乡", "崇阳县高枧竹业有限公司", "周芳", ID_A, "专科", "10年以上", "0715-3012345"]
    )
    (tmp_path / "报送.csv").write_bytes(buf.getvalue().encode(encoding))
    rec = _records(tmp_path, config).iloc[0]
    assert rec["enterprise_name"] == "崇阳县高枧竹业有限公司"
    assert rec["_unit"] == "高枧乡"  # the typo 高视乡 is a configured alias
    assert rec["_row"] == 3
    assert rec["id_number"] == ID_A


def test_sheets_hidden_instructions_and_empty(tmp_path, config):
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "填报说明"
    info.append(["1. 企业名称请填写营业执照上的全称"])
    wb.create_sheet("空表")
    hidden = wb.create_sheet("旧数据")
    hidden.sheet_state = "hidden"
    hidden.append(["企业名称", "首席质量官姓名", "身份证号", "学历"])
    hidden.append(["丙公司", "王五", ID_A, "本科"])
    wb.save(tmp_path / "路口镇.xlsx")
    result = read_quarter(tmp_path, config)
    report = result.files[0]
    skipped = {s.sheet: s.skipped for s in report.sheets}
    assert skipped == {"填报说明": "填报说明", "空表": "空工作表", "旧数据": None}
    assert report.hidden_sheets == ["旧数据"]
    assert result.records["_sheet"].tolist() == ["旧数据"]


def test_broken_files_fail_alone(tmp_path, config):
    _xlsx_title_and_notes(tmp_path / "天城镇.xlsx")
    (tmp_path / "金塘镇.xlsx").write_bytes(os.urandom(4096))
    good = (tmp_path / "天城镇.xlsx").read_bytes()
    (tmp_path / "青山镇.xlsx").write_bytes(good[: len(good) // 2])
    result = read_quarter(tmp_path, config)
    by_file = {f.file: f for f in result.files}
    assert by_file["天城镇.xlsx"].status == "ok"
    for name in ("金塘镇.xlsx", "青山镇.xlsx"):
        assert by_file[name].status == "failed"
        assert by_file[name].rows_read == 0
        assert "文件" in by_file[name].error
    assert by_file["金塘镇.xlsx"].unit == "金塘镇"
    assert len(result.records) == 2


def test_encrypted_workbook_is_refused_with_a_reason(tmp_path, config):
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    _xlsx_title_and_notes(tmp_path / "plain.xlsx")
    with open(tmp_path / "plain.xlsx", "rb") as src, open(tmp_path / "港口乡.xlsx", "wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    (tmp_path / "plain.xlsx").unlink()
    assert msoffcrypto
    report = read_quarter(tmp_path, config).files[0]
    assert report.status == "failed"
    assert "密码" in report.error


def test_zip_bomb_refused_by_declared_size(tmp_path, config):
    path = tmp_path / "铜钟乡.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (600 * 1024 * 1024))
    report = read_quarter(tmp_path, config).files[0]
    assert report.status == "failed"
    assert "压缩炸弹" in report.error


def test_unit_column_wins_and_unknown_unit_is_not_guessed(tmp_path, config):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["填报单位", "企业名称", "首席质量官姓名", "身份证号", "学历"])
    ws.append(["县经信局", "丁公司", "赵六", ID_A, "本科"])
    ws.append(["某某村", "戊公司", "钱七", ID_B, "本科"])
    ws.append([None, "己公司", "孙八", ID_B, "本科"])
    wb.save(tmp_path / "汇总.xlsx")
    recs = _records(tmp_path, config)
    assert recs["_unit"].tolist()[0] == "县经信局"
    assert pd.isna(recs["_unit"].iloc[1]) and pd.isna(recs["_unit"].iloc[2])


def test_prefilled_template_rows_nobody_filled_are_not_records(tmp_path, config):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["填报单位", "企业名称", "统一社会信用代码", "首席质量官姓名", "身份证号", "学历"])
    ws.append(["天城镇", "甲公司", "91421223MA4901234X", "张三", ID_A, "本科"])
    ws.append(["天城镇", "乙公司", "91421223MA4901235X", None, None, None])
    wb.save(tmp_path / "天城镇.xlsx")
    recs = _records(tmp_path, config)
    assert recs["enterprise_name"].tolist() == ["甲公司"]


def test_locate_table_needs_a_name_column():
    assert locate_table([["姓名", "身份证号", "学历", "手机"], ["张三", ID_A, "本科", "1"]]) is None


def test_base_list(tmp_path, config):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["企业名录（2026年）"])
    ws.append(
        ["企业名称", "统一社会信用代码", "所属乡镇", "所属行业", "企业类别", "主管部门", "企业规模"]
    )
    ws.append(
        [
            "崇阳县甲机械有限公司",
            "91421223ma4901234x",
            "天城镇",
            "制造业",
            "规模以上工业企业",
            "县经信局",
            "中型",
        ]
    )
    ws.append(
        ["崇阳县乙竹业有限责任公司", None, "高视乡", "制造业", "重点行业中小微", "县经信局", "小微"]
    )
    wb.save(tmp_path / "企业名录.xlsx")
    base = read_base_list(tmp_path / "企业名录.xlsx", config)
    assert base["category"].tolist() == ["规上", "重点行业中小微"]
    assert base["township"].tolist() == ["天城镇", "高枧乡"]
    assert base["credit_code"].iloc[0] == "91421223MA4901234X"
    assert base["name_key"].iloc[1] == "崇阳县乙竹业有限公司"


def test_base_list_without_township_column_is_refused(tmp_path, config):
    """Without 所属乡镇 every township's rate would silently vanish from the reports."""
    from pipeline.ingest import IngestError

    wb = openpyxl.Workbook()
    wb.active.append(["企业名称", "统一社会信用代码", "企业类别", "主管部门"])
    wb.active.append(["崇阳县甲机械有限公司", None, "规上", "县经信局"])
    wb.save(tmp_path / "企业名录.xlsx")
    with pytest.raises(IngestError, match="所属乡镇"):
        read_base_list(tmp_path / "企业名录.xlsx", config)


def test_hidden_sheet_rows_are_read_and_reported(tmp_path, config):
    from pipeline.validate import file_findings

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["企业名称", "首席质量官姓名", "身份证号", "学历"])
    ws.append(["甲公司", "张三", ID_A, "本科"])
    old = wb.create_sheet("2025年四季度")
    old.sheet_state = "hidden"
    old.append(["企业名称", "首席质量官姓名", "身份证号", "学历"])
    old.append(["乙公司", "李四", ID_B, "本科"])
    old.append(["丙公司", "王五", ID_B, "本科"])
    wb.save(tmp_path / "青山镇.xlsx")
    result = read_quarter(tmp_path, config)
    assert len(result.records) == 3
    found = file_findings(result)
    hidden = found[found["rule"] == "hidden_sheet_read"]
    assert hidden[["_file", "_sheet", "severity"]].values.tolist() == [
        ["青山镇.xlsx", "2025年四季度", "warning"]
    ]
    assert "2 行" in hidden["message"].iloc[0]


def test_ods_with_title_row(tmp_path, config):
    pytest.importorskip("odf")
    frame = pd.DataFrame(
        [
            ["企业名称", "首席质量官姓名", "身份证号", "学历", "质量工作年限"],
            ["庚公司", "周八", ID_A, "大专", "3年"],
        ]
    )
    title = pd.DataFrame([["崇阳县企业首席质量官登记汇总表", None, None, None, None]])
    with pd.ExcelWriter(tmp_path / "港口乡.ods", engine="odf") as writer:
        pd.concat([title, frame]).to_excel(writer, header=False, index=False)
    result = read_quarter(tmp_path, config)
    rec = result.records.iloc[0]
    assert (rec["enterprise_name"], rec["_row"], rec["_unit"]) == ("庚公司", 3, "港口乡")
    assert result.files[0].status == "ok"


# -- hand-written fast paths give what the library / the plain loop gives ----------------------


def test_unit_resolver_picks_the_longest_alias_first_placed(config):
    from pipeline.config import Unit
    from pipeline.ingest import UnitResolver

    resolver = UnitResolver(
        [Unit(name="崇阳县工业园区", kind="园区", aliases=["工业园"]),
         Unit(name="天城镇", kind="乡镇", aliases=["天城"]),
         Unit(name="城关镇", kind="乡镇", aliases=["天城镇工业"])]
    )
    assert resolver.resolve("崇阳县工业园区2026Q3") == "崇阳县工业园区"
    assert resolver.resolve("天城镇工业园报送表") == "城关镇"  # 天城镇工业: 5 characters
    assert resolver.resolve("天城2026") == "天城镇"
    assert resolver.resolve("工业园") == "崇阳县工业园区"
    assert resolver.resolve("无关单位") is None


def test_blank_cells_and_packed_columns_round_trip():
    import numpy as np

    from pipeline.ingest import _SEP, _blank_column, _is_blank, _pack, _unpack

    cases = [
        ["a", "", " ", "\u3000", "b c", "\t\n"],
        ["x", 1.0, "", None, dt.date(2026, 1, 2), " ", float("nan"), 0, False],
        ["a" + _SEP + "b", "", "c"],  # the separator itself: sent as a list
        [],
    ]
    for values in cases:
        column = np.array(values, dtype=object).reshape(len(values))
        blank, text = _blank_column(column)
        assert blank.tolist() == [_is_blank(v) for v in values]
        assert text == all(isinstance(v, str) for v in values)
        back = _unpack(_pack(column, text)).tolist()
        expected = [None if v == "" else v for v in values]
        assert [type(v) for v in back] == [type(v) for v in expected]
        assert [str(v) for v in back] == [str(v) for v in expected]


def test_transform_runs_on_chunks_as_files_arrive_with_the_whole_result(
    tmp_path, config, monkeypatch
):
    """read_quarter(transform=...) gives what transforming the whole records frame gives, while
    calling the transform on chunks (the raw cells of a large quarter never all at once)."""
    import functools

    from pipeline import ingest
    from pipeline.normalize import normalize_records

    for i, town in enumerate(["天城镇", "沙坪镇", "白霓镇", "路口镇"]):
        path = tmp_path / f"{town}.csv"
        lines = ["企业名称,首席质量官姓名,身份证号码,学历,手机号码"]
        lines += [f"{town}企业{j},张{j},{ID_A},本科,1381234567{j % 10}" for j in range(3 + i)]
        path.write_text("\n".join(lines), encoding="utf-8")
    normalize = functools.partial(normalize_records, quarter_end=dt.date(2026, 9, 30))
    whole = normalize(read_quarter(tmp_path, config).records)

    sizes: list[int] = []
    monkeypatch.setattr(ingest, "TRANSFORM_ROWS", 4)

    def transform(frame: pd.DataFrame) -> pd.DataFrame:
        sizes.append(len(frame))
        return normalize(frame)

    chunked = read_quarter(tmp_path, config, transform=transform).records
    assert len(sizes) > 1 and sum(sizes) == len(whole) == 3 + 4 + 5 + 6
    pd.testing.assert_frame_equal(chunked, whole)
