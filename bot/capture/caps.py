"""Input caps checked before a parser sees the input: shapes whose cost grows with the square of their size.

libxml2 compares each attribute of a tag with every earlier one (a duplicate check), and trafilatura walks
them again: a tag with 40,000 attributes took 12 s to clip, 200,000 never finished. No real page has a
tag with more than a few dozen, so a tag with more than ``MAX_ATTRIBUTES`` makes the page "too complex"
(a permanent failure) before lxml is called. The scan is one pass of the regex engine; only tags long
enough to hold that many attributes are counted.
"""

from __future__ import annotations

import re

from bot.capture.budget import BudgetExceeded

MAX_ATTRIBUTES = 1_000

# A start tag up to its end (or the next "<"): quoted values are skipped whole, so a ">" inside one does not
# end it. Possessive: an unclosed quote stops the tag instead of backtracking over it.
_START_TAG = re.compile(r"""<[A-Za-z][^\s/>"'<]*(?:[^>"'<]|"[^"]*"|'[^']*')*+""")
_QUOTED = re.compile(r""""[^"]*"|'[^']*'""")
_EQUALS = re.compile(r"\s*=\s*")


def attribute_count(tag: str) -> int:
    """About how many attributes a start tag holds (names separated by spaces, or ``a=""b=""``)."""
    bare = _EQUALS.sub("=", _QUOTED.sub("v", tag))
    return max(len(bare.split()) - 1, bare.count("="))


def check_markup(html: str, *, max_attributes: int = MAX_ATTRIBUTES) -> None:
    """Raise ``BudgetExceeded`` when a tag of ``html`` has more than ``max_attributes`` attributes."""
    shortest = 2 * max_attributes  # " a" per attribute at the least
    for match in _START_TAG.finditer(html):
        if match.end() - match.start() > shortest and attribute_count(match.group()) > max_attributes:
            raise BudgetExceeded(f"a tag has more than {max_attributes:,} attributes")
