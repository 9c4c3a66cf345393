"""Decay suggestions for new notes: the rule table, its order, and overriding it."""

from __future__ import annotations

import pytest

from bot.capture.decay_rules import DEFAULT_RULES, DecayRule, rule, suggest_decay


@pytest.mark.parametrize(
    ("kind", "url", "tags", "title", "rate", "reason_part"),
    [
        (
            "article",
            "https://dailycircuit.example/x",
            ["model-release"],
            "Zephyr-3",
            "fast",
            "model releases",
        ),
        ("article", "https://blog.example/x", ["Pricing"], "Plans", "fast", "prices"),
        ("article", "https://blog.example/x", ["coding-benchmarks"], "Scores", "fast", "benchmark"),
        ("article", "https://blog.example/x", ["leaderboard"], "Arena", "fast", "leaderboard"),
        ("article", "https://www.reuters.com/tech/x", [], "Chips", "fast", "news"),
        (
            "video",
            "https://www.youtube.com/watch?v=abcdefghijk",
            [],
            "Acme launches Orion",
            "fast",
            "announces news",
        ),
        ("paper", "https://papers.example/a.pdf", ["benchmark"], "A benchmark", "medium", "papers"),
        ("article", "https://arxiv.org/abs/2401.01234", [], "Attention", "medium", "papers"),
        (
            "article",
            "https://docs.httpkit.example/4.2/retries.html",
            ["retry"],
            "Retries",
            "medium",
            "documentation",
        ),
        ("article", "https://example.com/docs/setup", [], "Setup", "medium", "documentation"),
        ("article", "https://requests.readthedocs.io/en/latest/", [], "Requests", "medium", "documentation"),
        ("article", "https://fieldnotes.example/p/x", ["essay"], "On notes", "slow", "essays"),
        ("article", "https://someone.substack.com/p/x", [], "Notes", "slow", "essays"),
        ("article", "https://x.example/p", [], "The case for slow notes", "slow", "essays"),
        ("article", "https://x.example/p", [], "Why tools matter", "slow", "essays"),
        ("article", "https://en.wikipedia.org/wiki/Fresnel_lens", [], "Fresnel lens", "slow", "encyclopedic"),
        ("article", "https://x.example/p", ["lighthouse"], "Lighthouses", "medium", "default"),
    ],
)
def test_default_table(kind, url, tags, title, rate, reason_part):
    got_rate, reason = suggest_decay(kind, url, tags, title)
    assert got_rate == rate
    assert reason_part in reason


def test_first_match_wins_what_a_source_is_beats_what_it_mentions():
    assert suggest_decay("paper", "https://arxiv.org/abs/1", ["pricing", "news"], "Prices")[0] == "medium"
    assert suggest_decay("article", "https://x.example", ["essay", "model-release"], "Essay")[0] == "fast"


def test_a_team_can_pass_its_own_table():
    mine = (rule("slow", "our handbook rarely changes", domains=["handbook.example"]), *DEFAULT_RULES)
    assert suggest_decay("article", "https://wiki.handbook.example/a", ["pricing"], "", rules=mine) == (
        "slow",
        "our handbook rarely changes",
    )
    only = [DecayRule("fast", "everything is news here")]
    assert suggest_decay("paper", None, [], None, rules=only) == ("fast", "everything is news here")
    assert suggest_decay("article", "https://x.example", [], "", rules=[])[0] == "medium"


def test_odd_inputs_do_not_break_it():
    assert suggest_decay("", "not a url", ["#News"], None)[0] == "fast"
    assert suggest_decay("article", "http://[bad", [], "")[0] == "medium"
    assert suggest_decay("article", None, ["", "  "], "")[0] == "medium"
