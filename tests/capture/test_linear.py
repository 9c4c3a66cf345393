"""The linear-time inline-markdown helpers return exactly what the regexes they replace return."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.capture import linear

STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
EM_STAR = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
EM_UNDER = re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
SUP = re.compile(r"<sup>.*?</sup>", re.S | re.I)
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
TAG = re.compile(r"</?[A-Za-z][^>]*>")

# Few characters, so that markers, words, spaces and line ends meet each other often.
markup = st.text(alphabet="*_ a\nb.<>/sup![]()é", max_size=60)


@settings(max_examples=600, deadline=None)
@given(markup)
def test_emphasis_matches_the_regexes(text):
    assert linear.strip_strong(text) == STRONG.sub(r"\2", text)
    assert linear.strip_em_star(text) == EM_STAR.sub(r"\1", text)
    assert linear.strip_em_under(text) == EM_UNDER.sub(r"\1", text)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(["<sup>", "</sup>", "<SUP>", "x", " ", "\n", "<a href='x'>", "</a>", "<", ">",
                                 "![a](b)", "![", "](", ")", "]", "<b"]), max_size=25).map("".join))
def test_spans_tags_and_images_match_the_regexes(text):
    assert linear.drop_spans(text, re.compile("<sup>", re.I), re.compile("</sup>", re.I)) == SUP.sub("", text)
    assert linear.drop_tags(text) == TAG.sub("", text)
    assert linear.drop_images(text) == IMAGE.sub("", text)


def test_the_same_on_ordinary_markdown():
    text = "A **bold** and *em* and _under_ word, snake_case_name, 2*3*4, **a ** b**, <sup>1</sup> ![i](u) <b>x</b>"
    assert linear.strip_strong(text) == STRONG.sub(r"\2", text)
    assert linear.strip_em_star(text) == EM_STAR.sub(r"\1", text)
    assert linear.strip_em_under(text) == EM_UNDER.sub(r"\1", text)
    assert linear.drop_tags(text) == TAG.sub("", text)


OLD_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’»)\]]*)(\s+)(?=[\"'“‘«(\[]?([^\W\d_]|\d))")


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=".!?…\"') (Aa1 \n", max_size=50))
def test_sentence_boundaries_are_found_where_the_backtracking_pattern_found_them(text):
    from bot.capture.extract import _BOUNDARY

    assert [m.span() for m in _BOUNDARY.finditer(text)] == [m.span() for m in OLD_BOUNDARY.finditer(text)]
