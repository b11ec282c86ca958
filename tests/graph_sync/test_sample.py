"""The sample city: deterministic, realistic in shape, and in the encodings systems use."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from graph_sync.sample.generate import SAMPLE_FILES, generate
from graph_sync.wareki import parse_date


def _digest(folder: Path) -> dict[str, str]:
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in SAMPLE_FILES}


def _rows(path: Path, encoding: str = "cp932") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    generate(out)
    return out


def test_same_seed_same_bytes_other_seed_other_city(tmp_path: Path, city: Path) -> None:
    generate(tmp_path / "again")
    generate(tmp_path / "other", seed=7)
    assert _digest(tmp_path / "again") == _digest(city)
    assert _digest(tmp_path / "other")["staff.csv"] != _digest(city)["staff.csv"]


def test_staff_export_looks_like_a_city_hall(city: Path) -> None:
    staff = _rows(city / "staff.csv")
    assert list(staff[0]) == ["職員番号", "氏名", "氏名カナ", "所属部局", "所属課", "職名",
                              "メールアドレス", "在職区分"]
    assert len(staff) == 2000
    assert len({s["所属部局"] for s in staff}) == 12
    assert len({(s["所属部局"], s["所属課"]) for s in staff}) == 100
    numbers = [s["職員番号"] for s in staff]
    assert len(set(numbers)) == 2000 and all(re.fullmatch(r"\d{6}", n) for n in numbers)
    assert any(n.startswith("0") for n in numbers)  # leading zeros must survive every hop
    assert len({s["メールアドレス"] for s in staff}) == 2000
    assert all("\u3000" in s["氏名"] for s in staff)
    assert any(re.search("[ｦ-ﾟ]", s["氏名カナ"]) for s in staff)  # some half-width kana
    assert Counter(s["在職区分"] for s in staff)["在職"] > 1900


def test_completions_cover_every_person_and_course_with_realistic_spellings(city: Path) -> None:
    rows = _rows(city / "completions.csv")
    staff = {s["職員番号"] for s in _rows(city / "staff.csv")}
    assert 40000 <= len(rows) <= 42000
    statuses = Counter(r["受講状況"] for r in rows)
    assert {"未受講", "受講中", "修了"} <= statuses.keys() and statuses["修了"] > statuses["未受講"]
    dates = [r["修了日"] for r in rows if r["修了日"]]
    assert any("令和" in d for d in dates) and any("/" in d for d in dates) and any("-" in d for d in dates)
    assert all(parse_date(d) for d in dates)
    full_width = [r["職員番号"] for r in rows if re.search("[０-９]", r["職員番号"])]
    assert full_width and all(
        r.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}) in staff for r in full_width)
    for r in rows:
        assert (r["受講状況"] in {"修了", "修了済"}) == bool(r["修了日"])


def test_leader_cohorts_follow_the_programme(city: Path) -> None:
    leaders = _rows(city / "leaders.csv")
    staff = {s["職員番号"]: s for s in _rows(city / "staff.csv")}
    by_cohort: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in leaders:
        if r["期"]:
            by_cohort[r["期"]].append(r)
    assert sorted(by_cohort) == ["令和3年度", "令和4年度", "令和5年度", "令和6年度", "令和7年度"]
    for members in by_cohort.values():
        assert len(members) == 20
        per_bureau = Counter(staff[m["職員番号"]]["所属部局"] for m in members)
        assert len(per_bureau) == 12 and max(per_bureau.values()) <= 3
    tiers = Counter(r["区分"] for r in leaders)
    assert tiers["DX推進リーダー"] == 10
    assert 30 <= tiers["DXアドバイザー"] <= 45
    assert tiers["DX推進リーダー"] < tiers["DXアドバイザー"] < tiers["デジタル行政推進リーダー"]
    assert len({r["職員番号"] for r in leaders}) == len(leaders)


def test_utf8_output_and_small_cities(tmp_path: Path) -> None:
    summary = generate(tmp_path, staff=400, encoding="utf-8")
    assert summary.staff == 400 and summary.sections == 100
    assert len(_rows(tmp_path / "staff.csv", "utf-8")) == 400
    with pytest.raises(ValueError, match="at least 300"):
        generate(tmp_path / "tiny", staff=50)
