"""Summaries and key claims: the ``Summarizer`` protocol and its offline, extractive default.

The extractive summarizer needs no key, no network and no downloaded model, and is deterministic: the
same source always gives the same note. It never writes a word of its own: the summary and every claim
are sentences of the source (whitespace normalised), so each claim can point back to its place there
(a quote for a ``#:~:text=`` link, a video time, a PDF page). LLM summarizers plug in behind the same
protocol and mark unsupported claims with ``supported=False``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.capture.decay_rules import TeamLabels, suggest_for_note
from bot.capture.extract import (
    Extracted,
    is_boilerplate,
    is_content_sentence,
    is_punctuated,
    iter_sentences,
    layout_blocks,
    speech_sentences,
    split_sentences,
    words,
)
from bot.capture.links import canonical_url
from bot.notes import Claim, Note, normalize_tag, one_line, url_note_id

MAX_SENTENCES = 400  # sentences considered per source: keeps a 3 MB page as fast as a blog post
MAX_TAGS = 8


@dataclass
class Summary:
    """What a summarizer says about one source."""

    text: str = ""
    claims: list[Claim] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    method: str = "extractive"


@runtime_checkable
class Summarizer(Protocol):
    """Anything that turns an ``Extracted`` source into a ``Summary`` (extractive, LLM, …)."""

    def summarize(self, extracted: Extracted) -> Summary: ...


# --------------------------------------------------------------------------- words

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
_CJK_TERM = re.compile(r"[\u30a0-\u30ff\u3400-\u9fff]{2,6}")
_TAG_WORD = re.compile(r"[^\W\d_][\w+]*(?:[-'’][\w+]+)*")
_TAG_CHUNK = re.compile(r"[,.;:!?()\[\]\"“”«»—–]")
# Not English stopwords but still poor tags: generic nouns, and the commonest German/French/Spanish
# function words so a non-English page does not get "der" or "les" as tags.
_TAG_STOPWORDS_TEXT = """
    article case number page post point fact issue question reason result results place side end level
    area form word words line lines order value values type types piece pieces home world share read
    der die das den dem des ein eine einer eines einem einen und oder aber auch nicht mit von vor nach
    bei aus für über unter zum zur ist sind war wird werden wurde wurden hat haben sich sie wie als wenn
    dass noch nur schon sehr mehr viele immer wieder jedes jede jeder eigene
    les des une est sont dans pour par sur avec pas plus qui que mais ont été aux ces cette son ses leur
    los las una por para con del como pero más sus este esta son fue han ser entre
    """
_TAG_STOPWORDS = frozenset(_TAG_STOPWORDS_TEXT.split())
_DANGLING = frozenset(
    {"and", "but", "so", "or", "because", "also", "this", "that", "these", "those", "it", "they"}
)


def _stem(word: str) -> str:
    """Very light English stemming (-s, -es, -ies) so most plurals count with their singular."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("es") and word[-3] in "sxh":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _terms(sentence: str) -> list[str]:
    """Content terms of a sentence: stemmed non-stopwords, or kanji/katakana runs for CJK text."""
    cjk = _CJK_TERM.findall(sentence)
    if cjk:
        return [run[i : i + 2] for run in cjk for i in range(len(run) - 1)]
    out = []
    for word in words(sentence.lower()):
        word = word.replace("’", "'").removesuffix("'s")
        if len(word) > 2 and word not in STOPWORDS and not word.isdigit():
            out.append(_stem(word))
    return out


# --------------------------------------------------------------------------- units


@dataclass
class _Unit:
    """One candidate sentence with its place in the source."""

    index: int
    text: str
    t: int | None = None
    page: int | None = None
    terms: list[str] = field(default_factory=list)
    score: float = 0.0


def iter_source_sentences(extracted: Extracted) -> Iterator[tuple[str, int | None, int | None]]:
    """Every sentence of a source as ``(text, t, page)``: what "a sentence of the source" means."""
    if extracted.kind == "video" and extracted.segments:
        punctuated = _video_punctuated(extracted)
        for start, text in extracted.segments:
            yield from ((s, int(start), None) for s in speech_sentences(text, punctuated=punctuated))
    elif extracted.pages:
        for number, page in enumerate(extracted.pages, start=1):
            for block in layout_blocks(page):
                yield from ((s, None, number) for s in split_sentences(block))
    else:
        yield from ((s, None, None) for s in iter_sentences(extracted.text))


def _video_punctuated(extracted: Extracted) -> bool:
    return is_punctuated(" ".join(text for _, text in extracted.segments[:40]))


def source_sentences(extracted: Extracted) -> list[tuple[str, int | None, int | None]]:
    """All of ``iter_source_sentences`` as a list."""
    return list(iter_source_sentences(extracted))


def _units(extracted: Extracted) -> tuple[list[_Unit], list[str]]:
    """Candidate sentences (capped at ``MAX_SENTENCES``) and every non-chrome sentence read (for tags)."""
    units: list[_Unit] = []
    texts: list[str] = []
    seen: set[str] = set()
    require_end = not (extracted.kind == "video" and extracted.segments and not _video_punctuated(extracted))
    for count, (text, t, page) in enumerate(iter_source_sentences(extracted)):
        if count >= MAX_SENTENCES:
            break
        if is_boilerplate(text):
            continue
        texts.append(text)
        key = text.casefold()
        if key in seen or text.endswith(("?", ":")) or not is_content_sentence(text, require_end=require_end):
            continue
        seen.add(key)
        units.append(_Unit(len(units), text, t, page, _terms(text)))
    return units, texts


# --------------------------------------------------------------------------- scoring


def _score(units: list[_Unit], title: str, kind: str) -> None:
    """tf-isf centrality (cosine to the document centroid) + title overlap + lead position + shape.

    Linear in the number of words, unlike TextRank's all-pairs similarity, so it stays fast on long pages.
    """
    n = len(units)
    df: Counter[str] = Counter()
    for unit in units:
        df.update(set(unit.terms))
    isf = {term: math.log(1 + n / count) for term, count in df.items()}
    centroid: Counter[str] = Counter()
    vectors = []
    for unit in units:
        vec = {term: count * isf[term] for term, count in Counter(unit.terms).items()}
        vectors.append(vec)
        centroid.update(vec)
    c_norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
    title_terms = set(_terms(title))
    lead_weight = 0.05 if kind == "video" else 0.15
    for unit, vec in zip(units, vectors, strict=True):
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        central = sum(v * centroid[t] for t, v in vec.items()) / (norm * c_norm)
        overlap = len(title_terms & set(unit.terms)) / len(title_terms) if title_terms else 0.0
        position = lead_weight * (1 - unit.index / n) + (0.1 if unit.index < 2 and kind != "video" else 0.0)
        n_words = len(unit.text.split()) if not _CJK_TERM.search(unit.text) else len(unit.text) // 3
        shape = min(1.0, n_words / 12) * min(1.0, 40 / max(n_words, 1))
        first = (words(unit.text[:40].lower()) or [""])[0]
        if first in _DANGLING:
            shape *= 0.8  # "But it …" leans on the sentence before: weaker on its own
        if re.search(r"\d", unit.text):
            shape *= 1.1  # figures are what people come back to check
        if re.match(r"\s*I\b", unit.text) or " I think " in unit.text:
            shape *= 0.9
        unit.score = (central + 0.3 * overlap + position) * shape


def _similar(a: _Unit, b: _Unit) -> bool:
    sa, sb = set(a.terms), set(b.terms)
    if not sa or not sb:
        return a.text == b.text
    return len(sa & sb) / min(len(sa), len(sb)) > 0.6


def _pick(
    units: list[_Unit], k: int, exclude: set[int] | None = None, *, per_time: int | None = None
) -> list[_Unit]:
    """The k best units, skipping near-duplicates (and crowding at one video time), in source order."""
    chosen: list[_Unit] = []
    at_time: Counter[int] = Counter()
    for unit in sorted(units, key=lambda u: (-u.score, u.index)):
        if len(chosen) >= k:
            break
        if exclude and unit.index in exclude:
            continue
        if per_time and unit.t is not None and at_time[unit.t] >= per_time:
            continue
        if any(_similar(unit, other) for other in chosen):
            continue
        chosen.append(unit)
        if unit.t is not None:
            at_time[unit.t] += 1
    return sorted(chosen, key=lambda u: u.index)


# --------------------------------------------------------------------------- tags


def _tag_ok(token: str) -> bool:
    """A token that can be (part of) a tag: a content word, not an adverb or past participle."""
    return (
        len(token) > 2
        and token not in STOPWORDS
        and token not in _TAG_STOPWORDS
        and not token.endswith(("ly", "ed", "'s"))
        and not token.isdigit()
    )


def _singular(vocabulary: set[str]) -> dict[str, str]:
    """Map plurals onto a singular *seen in the same text* ("lenses" → "lens"): no stemmer guesswork."""
    out: dict[str, str] = {}
    for word in vocabulary:
        for cut, add in (("ies", "y"), ("es", ""), ("s", "")):
            if word.endswith(cut) and (base := word[: -len(cut)] + add) in vocabulary and len(base) > 2:
                out[word] = base
                break
    return out


def keyphrases(texts: list[str], title: str = "", limit: int = MAX_TAGS) -> list[str]:
    """Frequent content unigrams and bigrams of the source, boosted when in the title, as tags.

    Plurals count with their singular; a bigram needs two occurrences to be a phrase, not a coincidence.
    """
    uni: Counter[str] = Counter()
    bi: Counter[tuple[str, str]] = Counter()
    for text in texts:
        if _CJK_TERM.search(text):
            uni.update(_CJK_TERM.findall(text))
            continue
        for chunk in _TAG_CHUNK.split(text):
            prev: str | None = None
            for token in (w.lower().replace("’", "'") for w in _TAG_WORD.findall(chunk)):
                if not _tag_ok(token):
                    prev = None
                    continue
                uni[token] += 1
                if prev:
                    bi[(prev, token)] += 1
                prev = token
    one = _singular(set(uni))
    merged: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for word, count in uni.items():
        key = one.get(word, word)
        merged[key] += count
        forms.setdefault(key, Counter())[word] += count
    pairs: Counter[tuple[str, str]] = Counter()
    pair_forms: dict[tuple[str, str], Counter[str]] = {}
    for (a, b), count in bi.items():
        key = (one.get(a, a), one.get(b, b))
        pairs[key] += count
        pair_forms.setdefault(key, Counter())[f"{a} {b}"] += count
    title_words = {w.lower() for w in _TAG_WORD.findall(title)} | set(_CJK_TERM.findall(title))
    title_keys = title_words | {one.get(w, w) for w in title_words}

    def commonest(counter: Counter[str]) -> str:
        return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]

    candidates: list[tuple[float, str, tuple[str, ...]]] = []
    for pair, count in pairs.items():
        if count >= 2:
            boost = 1.5 if set(pair) <= title_keys else 1.0
            candidates.append((count * 2.5 * boost, commonest(pair_forms[pair]), pair))
    for word, count in merged.items():
        if count >= 2:
            candidates.append((count * (1.5 if word in title_keys else 1.0), commonest(forms[word]), (word,)))
    tags: list[str] = []
    covered: set[str] = set()
    for _value, phrase, keys in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if set(keys) <= covered:
            continue
        tag = normalize_tag(phrase)
        if tag and tag not in tags:
            tags.append(tag)
            covered.update(keys)
        if len(tags) >= limit:
            break
    return tags


# --------------------------------------------------------------------------- the summarizer


class ExtractiveSummarizer:
    """Offline default: 2–4 central sentences as the summary, 3–10 more as key claims, keyphrase tags."""

    method = "extractive"

    def summarize(self, extracted: Extracted) -> Summary:
        if extracted.little_text:
            return Summary(method=self.method)
        units, texts = _units(extracted)
        if len(units) < 2:
            return Summary(method=self.method)
        _score(units, extracted.title, extracted.kind)
        n = len(units)
        k_summary = 2 if n <= 6 else 3 if n <= 25 else 4
        summary_units = _pick(units, k_summary)
        k_claims = max(3, min(10, n // 5))
        exclude = {u.index for u in summary_units} if n - k_summary >= 3 else None
        per_time = 2 if extracted.kind == "video" else None  # spread a video's claims over its length
        claim_units = _pick(units, k_claims, exclude, per_time=per_time)
        claims = [_claim(u, extracted.kind) for u in claim_units]
        tags = keyphrases(texts, extracted.title)
        text = " ".join(u.text for u in summary_units)
        return Summary(text=text, claims=claims, tags=tags, method=self.method)


def _claim(unit: _Unit, kind: str) -> Claim:
    if unit.t is not None:
        return Claim(text=unit.text, t=unit.t, supported=True)
    if unit.page is not None:
        return Claim(text=unit.text, page=unit.page, supported=True)
    return Claim(text=unit.text, quote=unit.text, supported=True)


def summarize(extracted: Extracted, summarizer: Summarizer | None = None) -> Summary:
    """Summarise with the given summarizer, the extractive one by default."""
    return (summarizer or ExtractiveSummarizer()).summarize(extracted)


# --------------------------------------------------------------------------- places and notes


def note_from(
    extracted: Extracted,
    summary: Summary,
    *,
    channel: str | None = None,
    owner: str | None = None,
    clipped: datetime | None = None,
    team: Iterable[TeamLabels] = (),
) -> Note:
    """The full ``Note`` for a captured source. Little-text sources keep no summary and no claims.

    ``team`` is what this channel decided for earlier notes of the same site or tags (decay evidence).
    """
    url = canonical_url(extracted.url)
    flags: list[str] = []
    if extracted.little_text:
        flags.append("little-text")
    if extracted.kind == "video" and not extracted.segments:
        flags.append("no-transcript")
    empty = extracted.little_text
    tags = [] if empty else summary.tags
    claim_texts = [] if empty else [c.text for c in summary.claims]
    suggestion = suggest_for_note(
        extracted, url, tags, claim_texts, now=clipped.date() if clipped else None, team=team
    )
    rate, reason = suggestion.rate, suggestion.reason
    extra = dict(extracted.meta)
    extra["decay_suggested"] = suggestion.rate  # what the team is later seen to accept or change
    extra["decay_evidence"] = suggestion.as_dict()["evidence"]
    if extracted.problem:
        extra["capture_problem"] = extracted.problem
    if summary.method and not empty:
        extra["summarizer"] = summary.method
    return Note(
        id=url_note_id(url),
        title=extracted.title or url,
        kind=extracted.kind,
        url=url,
        clipped=clipped,
        channel=channel,
        owner=owner,
        author=extracted.author,
        site=extracted.site,
        published=extracted.published,
        tags=tags,
        summary="" if empty else one_line(summary.text),
        claims=[] if empty else list(summary.claims),
        body=extracted.text,
        decay_rate=rate,
        decay_reason=reason,
        extra=extra,
        flags=flags,
    )
