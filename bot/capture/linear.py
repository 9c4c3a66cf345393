"""Linear-time replacements for the inline-markdown regexes whose failures rescan the rest of a paragraph.

``(\\*\\*|__)(?=\\S)(.+?)(?<=\\S)\\1`` finds the same matches as :func:`strip_strong`, but when an opener
has no closer, ``re`` tries every later opener and rescans to the end each time: ``**a `` × 25,000 (100 KB)
cost a minute of CPU. Here the closers are listed once and each opener looks up the first closer after
it; an opener with none ends the scan, since no later opener of that kind can have one either. Same
for ``<sup>…</sup>``, ``![alt](url)`` and HTML tags. Each function returns exactly what the regex
substitution it replaces returns (property-tested against it in tests/capture/test_linear.py).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator


def _is_word(ch: str) -> bool:
    """``\\w`` of ``re`` for str patterns."""
    return ch.isalnum() or ch == "_"


def _lines(text: str, each: Callable[[str], str]) -> str:
    """``.`` never matches a newline, so no match spans lines: each line is handled on its own."""
    if "\n" not in text:
        return each(text)
    return "\n".join(each(line) for line in text.split("\n"))


def _occurrences(text: str, token: str) -> Iterator[int]:
    """Every start of ``token`` in ``text``, overlapping ones included (``***`` holds ``**`` twice)."""
    at = text.find(token)
    while at >= 0:
        yield at
        at = text.find(token, at + 1)


def _pair(text: str, token: str, opens: Callable[[int], bool], closes: Callable[[int], bool]) -> str:
    """Replace each ``token content token`` (leftmost opener, nearest closer, content ≥ 1 character,
    never overlapping) by its content — what ``re.sub`` does with a lazy ``(.+?)`` between them."""
    size = len(token)
    starts = list(_occurrences(text, token))
    closers = [j for j in starts if closes(j)]
    if not closers:
        return text
    out: list[str] = []
    pos = 0
    for i in starts:
        if i < pos or not opens(i):
            continue
        k = bisect_left(closers, i + size + 1)
        if k == len(closers):
            break  # no closer after this opener: none after any later opener either
        j = closers[k]
        out.append(text[pos:i])
        out.append(text[i + size : j])
        pos = j + size
    out.append(text[pos:])
    return "".join(out)


def strip_strong(text: str) -> str:
    """``re.sub(r"(\\*\\*|__)(?=\\S)(.+?)(?<=\\S)\\1", r"\\2", text)`` in linear time."""
    return _lines(text, _strong_both)


def _strong_both(text: str) -> str:
    """Both kinds in one left-to-right pass, as the alternation does: the leftmost opener of either kind wins."""
    n = len(text)
    kinds = [k for k in ("**", "__") if k in text]
    if not kinds:
        return text
    closers = {
        k: [j for j in _occurrences(text, k) if j >= 1 and not text[j - 1].isspace()] for k in kinds
    }
    openers = sorted(
        (i, k) for k in kinds for i in _occurrences(text, k) if i + 2 < n and not text[i + 2].isspace()
    )
    dead: set[str] = set()
    out: list[str] = []
    pos = 0
    for i, kind in openers:
        if i < pos or kind in dead:
            continue
        found = closers[kind]
        at = bisect_left(found, i + 3)
        if at == len(found):
            dead.add(kind)
            if len(dead) == len(kinds):
                break
            continue
        j = found[at]
        out.append(text[pos:i])
        out.append(text[i + 2 : j])
        pos = j + 2
    out.append(text[pos:])
    return "".join(out)


def _em(mark: str) -> Callable[[str], str]:
    def line(text: str) -> str:
        if mark not in text:
            return text
        n = len(text)

        def flank(ch: str) -> bool:
            return _is_word(ch) or ch == mark

        return _pair(
            text,
            mark,
            lambda i: (i == 0 or not flank(text[i - 1])) and i + 1 < n and not text[i + 1].isspace(),
            lambda j: j >= 1 and not text[j - 1].isspace() and (j + 1 == n or not flank(text[j + 1])),
        )

    return line


_EM_STAR_LINE = _em("*")
_EM_UNDER_LINE = _em("_")


def strip_em_star(text: str) -> str:
    """``re.sub(r"(?<![\\w*])\\*(?=\\S)(.+?)(?<=\\S)\\*(?![\\w*])", r"\\1", text)`` in linear time."""
    return _lines(text, _EM_STAR_LINE)


def strip_em_under(text: str) -> str:
    """``re.sub(r"(?<![\\w_])_(?=\\S)(.+?)(?<=\\S)_(?![\\w_])", r"\\1", text)`` in linear time."""
    return _lines(text, _EM_UNDER_LINE)


def drop_spans(text: str, opener: re.Pattern[str], closer: re.Pattern[str]) -> str:
    """Remove each span from an ``opener`` match to the nearest ``closer`` match after it (``open.*?close``
    with DOTALL); an opener without a closer after it ends the scan."""
    out: list[str] = []
    pos = 0
    while (start := opener.search(text, pos)) is not None:
        end = closer.search(text, start.end())
        if end is None:
            break
        out.append(text[pos : start.start()])
        pos = end.end()
    out.append(text[pos:])
    return "".join(out)


_TAG_OPEN = re.compile(r"</?[A-Za-z]")


def drop_tags(text: str) -> str:
    """``re.sub(r"</?[A-Za-z][^>]*>", "", text)`` in linear time."""
    if "<" not in text:
        return text
    out: list[str] = []
    pos = 0
    while (start := _TAG_OPEN.search(text, pos)) is not None:
        end = text.find(">", start.end())
        if end < 0:
            break
        out.append(text[pos : start.start()])
        pos = end + 1
    out.append(text[pos:])
    return "".join(out)


def drop_images(text: str) -> str:
    """``re.sub(r"!\\[[^\\]]*\\]\\([^)]*\\)", "", text)`` in linear time."""
    if "![" not in text:
        return text
    out: list[str] = []
    pos = search = 0
    while (i := text.find("![", search)) >= 0:
        j = text.find("]", i + 2)
        if j < 0:
            break
        if not text.startswith("(", j + 1):
            search = j + 1  # every opener before this "]" stops at it too
            continue
        k = text.find(")", j + 2)
        if k < 0:
            break
        out.append(text[pos:i])
        pos = search = k + 1
    out.append(text[pos:])
    return "".join(out)
