"""The proposal form's checks, as people (and clients that are not forms) fill it in."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.proposals.form import Draft, check, hours_text
from config.proposals import load_proposal_config

CONFIG = load_proposal_config()
BASE = {"title": "窓口の番号札を電子化", "problem": "番号札を手で配っている", "idea": "発券機にする",
        "category": "その他"}


def checked(**typed: str) -> tuple[Any, dict]:
    return check(Draft.from_inputs({**BASE, **typed}), CONFIG)


@pytest.mark.parametrize(("typed", "hours"), [
    ("120", 120.0), ("１２０", 120.0), ("1,200", 1200.0), ("120時間", 120.0), ("約120", 120.0), ("年間 80h", 80.0),
    ("0.00001", 0.00001), ("", None),
])
def test_hours_as_people_type_them(typed: str, hours: float | None) -> None:
    proposal, problems = checked(hours=typed)
    assert problems == {} and proposal.hours == hours


@pytest.mark.parametrize("typed", ["たくさん", "1,2,3", "1e5", "NaN", "-0", "-5", "100001", "inf", "120.", "100～200"])
def test_hours_that_are_not_a_number_in_range_are_refused(typed: str) -> None:
    _, problems = checked(hours=typed)
    assert problems["hours"][0] == "p_hours_bad"


@pytest.mark.parametrize("value", [120.0, 1234.5678, 0.00001, 99999.5])
def test_hours_shown_on_a_card_read_back_as_the_same_value(value: float) -> None:
    proposal, problems = checked(hours=hours_text(value))
    assert "e" not in hours_text(value) and problems == {} and proposal.hours == value


@pytest.mark.parametrize(("typed", "links"), [
    ("https://a.example/1\nhttps://b.example/2", ("https://a.example/1", "https://b.example/2")),
    ("https://a.example/1、https://b.example/2", ("https://a.example/1", "https://b.example/2")),
    ("https://a.example/1, https://a.example/1", ("https://a.example/1",)),
])
def test_links_one_per_line_or_separated_as_japanese_text_separates_them(typed: str, links: tuple) -> None:
    proposal, problems = checked(links=typed)
    assert problems == {} and proposal.links == links


@pytest.mark.parametrize("typed", ["http://example.com/x", "javascript:alert(1)", "参照: https://a.example",
                                   "file:///etc/passwd", "https://a.example（手順書）"])
def test_links_that_are_not_plain_https_addresses_are_refused(typed: str) -> None:
    _, problems = checked(links=typed)
    assert problems["links"][0] == "p_links_bad"


def test_invisible_characters_and_values_that_are_not_text_are_dropped() -> None:
    draft = Draft.from_inputs({"title": "押印\u202eの\x07廃止\ud800", "problem": ["a", "b"], "idea": {"x": 1},
                               "hours": 120, "category": True})
    assert draft.title == "押印の廃止" and draft.problem == "" and draft.idea == ""
    assert draft.hours == "120" and draft.category == ""


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["title", "problem", "idea", "effect", "hours", "category", "kind",
                                        "co_proposers", "links", "other"]),
                       st.one_of(st.text(max_size=300), st.integers(), st.floats(), st.booleans(), st.none(),
                                 st.lists(st.text(max_size=5), max_size=3))))
def test_whatever_a_client_sends_is_either_a_proposal_or_a_list_of_problems(data: dict) -> None:
    draft = Draft.from_inputs(data)
    proposal, problems = check(draft, CONFIG)
    assert (proposal is None) == bool(problems)
    for key, _values in problems.values():
        assert key.startswith("p_")
    if proposal is not None:
        assert proposal.title and proposal.problem and proposal.idea
        assert proposal.category in CONFIG.categories
        assert all(link.startswith("https://") for link in proposal.links)
        assert proposal.hours is None or 0 <= proposal.hours <= CONFIG.limits.hours


def test_a_category_in_full_width_is_the_offered_one_and_is_shown_chosen() -> None:
    from bot.activity import check_activity
    from bot.features.proposals import form_data
    from bot.turn import Turn

    proposal, _ = checked(category="ＲＰＡ・自動化")
    assert proposal.category == "RPA・自動化"
    activity = check_activity({"type": "message", "serviceUrl": "https://smba.trafficmanager.net/jp/",
                               "from": {"id": "u1"}, "conversation": {"id": "c1"}, "locale": "ja-JP"})
    shown = form_data(Turn(activity, "", "cid"), CONFIG, Draft.from_inputs({**BASE, "category": "ＲＰＡ・自動化"}))
    assert shown["form"]["category"] == "RPA・自動化"
