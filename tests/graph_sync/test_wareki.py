"""和暦 both ways, including era boundaries and full-width digits."""

from __future__ import annotations

from datetime import date

import pytest

from graph_sync.wareki import parse_date, parse_fiscal_year, to_wareki_date, to_wareki_year


@pytest.mark.parametrize(("text", "expected"), [
    ("2025/05/12", date(2025, 5, 12)),
    ("2025-05-12", date(2025, 5, 12)),
    ("2025/5/2", date(2025, 5, 2)),
    ("2025年5月12日", date(2025, 5, 12)),
    ("令和7年5月12日", date(2025, 5, 12)),
    ("令和元年5月1日", date(2019, 5, 1)),
    ("平成31年4月30日", date(2019, 4, 30)),
    ("Ｒ７．５．１２", date(2025, 5, 12)),
    ("令和７年５月１２日", date(2025, 5, 12)),
    (" R7.5.12 ", date(2025, 5, 12)),
    ("H30/3/31", date(2018, 3, 31)),
])
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "昨日", "2025/13/01", "令和7年2月30日", "12/05/2025"])
def test_parse_date_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_round_trip_across_eras() -> None:
    for day in (date(1989, 1, 8), date(2019, 4, 30), date(2019, 5, 1), date(2025, 12, 31)):
        assert parse_date(to_wareki_date(day)) == day
    assert to_wareki_date(date(2019, 5, 1)) == "令和元年5月1日"
    assert to_wareki_date(date(2019, 4, 30)) == "平成31年4月30日"


@pytest.mark.parametrize(("text", "year"), [
    ("2021", 2021), ("2021年度", 2021), ("令和3年度", 2021), ("R3", 2021), ("令和元年度", 2019),
    ("２０２２", 2022),
])
def test_parse_fiscal_year(text: str, year: int) -> None:
    assert parse_fiscal_year(text) == year


def test_fiscal_year_labels() -> None:
    assert to_wareki_year(2021) == "令和3年度"
    assert to_wareki_year(2025) == "令和7年度"
    assert to_wareki_year(2019) == "令和元年度"


@pytest.mark.parametrize("text", ["令和元年4月30日", "昭和64年1月8日", "平成31年5月1日", "令和0年1月1日",
                                  "H1.1.7", "R0.4.1"])
def test_era_dates_outside_their_era_are_errors_in_both_languages(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_date(text)
    message = str(caught.value)
    assert " / " in message and any("\u3040" <= c <= "\u9fff" for c in message.split(" / ")[0])


@pytest.mark.parametrize(("text", "expected"), [
    ("平成31年4月30日", date(2019, 4, 30)), ("令和元年5月1日", date(2019, 5, 1)),
    ("昭和64年1月7日", date(1989, 1, 7)), ("H1.1.8", date(1989, 1, 8)),
    ("2025/5/12 0:00", date(2025, 5, 12)), ("2025/05/12 00:00:00", date(2025, 5, 12)),
])
def test_era_boundaries_and_excel_date_times_are_read(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2025/02/30", "そのうち", "2025/5/12 13:30"])
def test_every_date_error_speaks_both_languages(text: str) -> None:
    with pytest.raises(ValueError, match=" / "):
        parse_date(text)


def test_year_zero_of_an_era_is_not_a_fiscal_year() -> None:
    with pytest.raises(ValueError, match="year 0"):
        parse_fiscal_year("令和0年度")
