"""The one tokenizer: words, content terms and the stemmers, shared by the offline summary, the LLM claim
check and echo detection (``bot.kb.claimterms`` builds its paraphrase terms on :func:`porter_stem`)."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
CJK_TERM = re.compile(r"[\u30a0-\u30ff\u3400-\u9fff]{2,6}")

_STOPWORDS_TEXT = """
    a about above across after again against all almost along already also although always am among an
    and another any anyone anything are around as at away back be became because become becomes been before
    being below between both but by came can cannot could did do does doing done down during each either else
    enough even ever every few for from further get gets getting give given gives go goes going gone got had
    has have having he her here hers herself him himself his how however i if in into is it its itself just
    keep kept know known last later least less let like likely made make makes making many may me might more
    most mostly much must my myself near need needs never new next no nor not now of off often on once one
    only onto or other others otherwise our ours ourselves out over own per perhaps put quite rather really
    said same say says see seem seemed seems several shall she should show shown since so some something
    sometimes still such take taken than that the their theirs them themselves then there therefore these
    they thing things this those though through thus to today together too took toward towards under until
    up upon us use used uses using very via was way ways we well went were what whatever when where whether
    which while who whom whose why will with within without would yet you your yours yourself yourselves
    able actually back came come comes else example first second third lot lots part put set told want wanted
    year years time times people day days week weeks month months two three four five six seven eight nine
    ten hundred thousand million billion percent around instead across least little long longer large
    larger small smaller big good better best great high higher low lower old older early earlier recent
    recently often usually simply clearly already again ago etc vs versus yes okay oh um uh yeah right
    going gonna kind sort lot thing think thought says talk talking"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def stem(word: str) -> str:
    """Very light English stemming (-s, -es, -ies) so most plurals count with their singular."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("es") and word[-3] in "sxh":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_PORTER = snowballstemmer.stemmer("porter")


@lru_cache(maxsize=200_000)
def porter_stem(word: str) -> str:
    """Porter stem of a lower-case word: the algorithm of the FTS5 ``porter`` tokenizer the search index
    uses, so echo detection picks terms the index can find (cached: claims reuse a small vocabulary).
    The summarizer keeps the light :func:`stem`: its sentence weights were tuned with it, and Porter moved
    the lead sentence of a news story (tests/capture/test_summarize.py)."""
    return _PORTER.stemWord(word)


def terms(sentence: str) -> list[str]:
    """Content terms of a sentence: stemmed non-stopwords, or kanji/katakana runs for CJK text."""
    cjk = CJK_TERM.findall(sentence)
    if cjk:
        return [run[i : i + 2] for run in cjk for i in range(len(run) - 1)]
    out = []
    for word in words(sentence.lower()):
        word = word.replace("’", "'").removesuffix("'s")
        if len(word) > 2 and word not in STOPWORDS and not word.isdigit():
            out.append(stem(word))
    return out
