"""The shipped demo end to end: every planted defect is found at its cell, nothing cosmetic is
rejected, and the numbers add up. The generator's manifest is the answer key."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from pipeline.config import load_config
from pipeline.demo import build_demo, write_demo
from pipeline.run import run
from pipeline.store import Store
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    write_demo(tmp / "input")
    config = load_config(ROOT / "config.yaml").with_paths(tmp / "input", tmp / "output")
    results = run(config)
    with Store(config.store_path) as store:
        findings = store.read("findings")
    return config, results, findings, build_demo(20261126).manifest


def _digests(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_shipped_input_is_the_generator_output(demo_run):
    config, *_ = demo_run
    assert _digests(ROOT / "input") == _digests(config.input_dir)


def test_every_planted_defect_is_found_at_its_cell(demo_run):
    _, _, findings, manifest = demo_run
    found = {
        (q, f, s, int(r), rule): sev
        for q, f, s, r, rule, sev in zip(
            findings["quarter"],
            findings["_file"],
            findings["_sheet"],
            findings["_row"],
            findings["rule"],
            findings["severity"],
            strict=True,
        )
        if pd.notna(r)
    }
    planted = [(q, d) for q, qd in manifest["quarters"].items() for d in qd["defects"] if d["rule"]]
    assert len(planted) > 50
    for q, d in planted:
        key = (q, d["file"], d["sheet"], d["row"], d["rule"])
        assert key in found, f"not found: {key}"
        if not d["severity_uncertain"]:
            assert found[key] == d["severity"], key


def test_cosmetic_variants_are_not_rejected(demo_run):
    _, _, findings, manifest = demo_run
    serious = findings[findings["severity"].isin(["error", "noncompliant"])]
    flagged = set(
        zip(serious["quarter"], serious["_file"], serious["_row"].astype("Int64"), strict=True)
    )
    quarters = manifest["quarters"]
    with_defect = {
        (q, d["file"], d["row"]) for q, qd in quarters.items() for d in qd["defects"] if d["rule"]
    }
    cosmetic = [
        (q, d["file"], d["row"], d["kind"])
        for q, qd in quarters.items()
        for d in qd["defects"]
        if not d["rule"] and (q, d["file"], d["row"]) not in with_defect
    ]
    assert {k for *_, k in cosmetic} >= {
        "id_fullwidth",
        "id_spaces",
        "id_lower_x",
        "mobile_plus86",
        "small_micro_relaxed",
    }
    wrongly = [c for c in cosmetic if c[:3] in flagged]
    assert wrongly == []


def test_numbers_add_up_and_missing_and_late_units(demo_run):
    config, results, _, manifest = demo_run
    assert [r.quarter for r in results] == ["2026Q1", "2026Q2", "2026Q3"]
    for res in results:
        s = json.loads((config.output_dir / res.quarter / "run_summary.json").read_text("utf-8"))
        t = s["totals"]
        assert t["rows_read"] == t["rows_accepted"] + t["rows_rejected"] > 0
        for f in s["files"]:
            assert f["rows_read"] == f["rows_accepted"] + f["rows_rejected"]
            # a date, and where it came from (the title's 填报日期, else the rows' latest)
            assert (f["fill_date"] is None) == (f["fill_date_source"] is None)
        sources = {f["fill_date_source"] for f in s["files"]}
        assert {"header", "rows"} <= sources  # 沙坪镇 and 白霓镇 leave the title date empty
        expected = manifest["quarters"][res.quarter]
        assert set(s["missing_units"]) == set(expected["missing_units"])
        late_units = {f["unit"] for f in s["files"] if f["late"]}
        assert late_units == set(expected["late_units"])
        county = {r["category"]: r for r in s["rates"] if r["unit"] == "全县"}
        for category, want in expected["expected_rates"].items():
            assert county[category]["base"] == want["base"]
            lo = expected["expected_rates_if_uncertain_are_errors"][category]["qualified"]
            assert lo <= county[category]["qualified"] <= want["qualified"]
