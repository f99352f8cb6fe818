"""The indexed near-miss search of roster.match_base_list agrees with rapidfuzz's full scan."""

from __future__ import annotations

import random

import pytest
from rapidfuzz import fuzz, process

from pipeline.roster import _near_misses


def _full_scan(names, choices):
    found = {}
    for name in names:
        hit = process.extractOne(name, choices, scorer=fuzz.ratio, score_cutoff=80)
        if hit is not None:
            found[name] = hit[2]
    return found


@pytest.mark.parametrize(
    "alphabet", ["甲乙丙丁戊己", "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥有限公司", "ab😀c"]
)
def test_same_answer_as_extract_one(alphabet):
    rng = random.Random(len(alphabet))
    choices: list[object] = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14))) for _ in range(1500)
    ]
    choices[7] = None  # missing names in the base list are skipped, as rapidfuzz skips them
    choices[8] = float("nan")
    choices[9] = ""
    names = []
    for _ in range(300):
        base = str(choices[rng.randrange(10, len(choices))])
        edit = rng.random()
        if edit < 0.3:
            names.append(base[:-1] + rng.choice(alphabet))
        elif edit < 0.6:
            names.append(base + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3))))
        else:
            names.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 16))))
    names = list(dict.fromkeys(names))
    assert _near_misses(names, choices) == _full_scan(names, choices)


def test_enterprise_names_ties_keep_the_first():
    choices = ["崇阳县甲机械有限公司", "崇阳县乙机械有限公司", "崇阳县甲机械有限公司", "天城镇茶叶"]
    names = ["崇阳县丙机械有限公司", "天城茶叶", "无关"]
    assert _near_misses(names, choices) == _full_scan(names, choices) == {
        "崇阳县丙机械有限公司": 0,
        "天城茶叶": 3,
    }
