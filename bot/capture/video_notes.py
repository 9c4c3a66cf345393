"""The parts of a video note in seed 004's shape that need the caption snippets or the talk's names.

``SnippetClock`` times a sentence at the caption snippet where it starts (a claim links to the moment
it is said, not to its paragraph's start). ``mentions`` lists the people, organisations and works a
talk names, by the plain cue every transcript has: capitalised words in mid-sentence.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable

from bot.capture.youtube import caption_text, stamp, watch_url


class SnippetClock:
    """Finds the caption snippet a sentence of the transcript starts in."""

    def __init__(self, snippets: Iterable[tuple[float, str]]) -> None:
        parts: list[str] = []
        self.offsets: list[int] = []
        self.starts: list[float] = []
        length = 0
        for start, raw in snippets:
            text = caption_text(raw)
            if not text:
                continue
            self.offsets.append(length)
            self.starts.append(start)
            parts.append(text)
            length += len(text) + 1
        self.text = " ".join(parts)

    def time_of(self, sentence: str, near: float) -> int | None:
        """Start (whole seconds) of the snippet holding the sentence's first word, searching from ``near``.

        None when the sentence is not found (the caller keeps its paragraph's time).
        """
        if not self.starts:
            return None
        first = max(0, bisect.bisect_right(self.starts, near) - 2)
        pos = self.text.find(sentence, self.offsets[first])
        if pos < 0:
            return None
        index = bisect.bisect_right(self.offsets, pos) - 1
        return int(self.starts[index])


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w'’-]*[A-Za-z0-9](?:[ -][A-Z][\w'’-]*[A-Za-z0-9]){0,3})")
_NOT_NAMES_TEXT = """
    I I'm I've I'd I'll It's And But So The This That These Those There Then If When What Why How Who
    We You He She They Our Your My His Her Their It In On At For Of To As Or Not No Yes Okay Now
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
    July August September October November December AI AIs OK"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def mentions(sentences: Iterable[tuple[str, int | None]], video_id: str, *, limit: int = 12) -> list[tuple[str, int]]:
    """Names said in the talk (capitalised mid-sentence, or all-caps like ``GPT-3``), first time each.

    Names said once are kept only when they are two words or more ("Toby Ord"), so a stray capital is
    not a mention; the most often named come first.
    """
    counts: Counter[str] = Counter()
    first_time: dict[str, int] = {}
    for sentence, t in sentences:
        body = sentence[1:]  # the first word is capitalised anyway
        for match in _NAME.finditer(body):
            name = match.group(1).strip(" -")
            words = name.split()
            while words and words[0] in _NOT_NAMES:
                words.pop(0)
            if not words or (len(words) == 1 and (words[0] in _NOT_NAMES or len(words[0]) < 3)):
                continue
            name = " ".join(words)
            counts[name] += 1
            first_time.setdefault(name, t or 0)
    kept = [n for n, c in counts.items() if c >= 2 or " " in n]
    # "Toby" is part of "Toby Ord": keep the longer form only
    kept = [n for n in kept if not any(n != m and n in m.split() for m in kept)]
    kept.sort(key=lambda n: (-counts[n], first_time[n], n))
    return [(n, first_time[n]) for n in kept[:limit]]


def mentions_section(names: list[tuple[str, int]], video_id: str) -> str:
    """The Mentions section text: one bullet per name with a link to when it is first said."""
    return "\n".join(f"- **{name}** ([{stamp(t)}]({watch_url(video_id, t)}))" for name, t in names)
