"""Function words of the language a source is written in, from the ``stopwordsiso`` package.

Tags must never be "gibt", "bereits" or "d'un". Rather than a hand list per language, the source's
language is guessed by which language's stop-word list covers most of its words (function words are
the commonest words of any text, so this works from a paragraph on), and that list, with English's
(quoted English is everywhere), filters the tags. The lists load once, on first use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

# Languages written with spaces between words (CJK tags come from character runs instead).
_SPACED_TEXT = """
    af ar bg br ca cs da de el en eo es et eu fa fi fr ga gl ha he hi hr hu hy id it ku la lt lv mr ms nl no
    pl pt ro ru sk sl so st sv sw tl tr uk ur vi yo zu"""
_SPACED = _SPACED_TEXT.split()


@lru_cache(maxsize=1)
def _lists() -> dict[str, frozenset[str]]:
    import stopwordsiso

    return {lang: frozenset(w.replace("’", "'").lower() for w in stopwordsiso.stopwords(lang)) for lang in _SPACED}


@lru_cache(maxsize=1)
def _languages_of_word() -> dict[str, tuple[str, ...]]:
    """Each stop word → the languages listing it (one lookup per word instead of one per language)."""
    index: dict[str, list[str]] = {}
    for lang, words in _lists().items():
        for word in words:
            index.setdefault(word, []).append(lang)
    return {word: tuple(langs) for word, langs in index.items()}


def language_of(tokens: Iterable[str]) -> str | None:
    """The ISO 639-1 code whose stop words cover most of the tokens (lower-cased words), or None."""
    counts = Counter(tokens)
    if not counts:
        return None
    total = sum(counts.values())
    index = _languages_of_word()
    hits: Counter[str] = Counter()
    for word, n in counts.most_common(300):  # function words are a text's commonest words
        for lang in index.get(word, ()):
            hits[lang] += n
    if not hits:
        return None
    best, best_hits = min(hits.items(), key=lambda kv: (-kv[1], kv[0]))
    return best if best_hits >= max(3, total // 10) else None


def stopwords_for(tokens: Iterable[str]) -> frozenset[str]:
    """Stop words of the tokens' language together with English's."""
    lang = language_of(tokens)
    lists = _lists()
    return lists["en"] | lists[lang] if lang and lang != "en" else lists["en"]
