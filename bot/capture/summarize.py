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
from itertools import islice
from typing import Protocol, runtime_checkable

from bot.capture import claim_rules
from bot.capture.decay_rules import TeamLabels, suggest_for_note
from bot.capture.extract import (
    Extracted,
    is_boilerplate,
    is_content_sentence,
    is_punctuated,
    iter_blocks,
    layout_blocks,
    speech_sentences,
    split_sentences,
)
from bot.capture.stopwords import stopwords_for
from bot.kb.links import canonical_url
from bot.kb.notes import Claim, Note, Quote, normalize_tag, one_line, url_note_id
from bot.kb.terms import CJK_TERM, STOPWORDS, stem, terms, words

MAX_SENTENCES = 400  # sentences considered per source: keeps a 3 MB page as fast as a blog post
MAX_TAGS = 8
MAX_SECTION_CLAIMS = 15  # claims of a long piece in sections (two per section, at most this many)


@dataclass
class Summary:
    """What a summarizer says about one source."""

    text: str = ""
    claims: list[Claim] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    method: str = "extractive"
    highlights: list[Quote] = field(default_factory=list)  # video: titled passages (seed 004's Highlights)
    quotes: list[Quote] = field(default_factory=list)  # video: Surprising Quotes
    sections: dict[str, str] = field(default_factory=dict)  # other note sections (a video's Mentions)


@runtime_checkable
class Summarizer(Protocol):
    """Anything that turns an ``Extracted`` source into a ``Summary`` (extractive, LLM, …)."""

    def summarize(self, extracted: Extracted) -> Summary: ...


# --------------------------------------------------------------------------- words

_TAG_WORD = re.compile(r"[^\W\d_][\w+]*(?:[-'’][\w+]+)*")
_TAG_CHUNK = re.compile(r"[,.;:!?()\[\]\"“”«»—–]")
# Not function words (those come from ``stopwordsiso``, per language) but still poor tags: generic nouns
# that fit any source. A source whose title names one of them is about it, and may keep it.
_TAG_STOPWORDS_TEXT = """
    article case number page post point fact issue question reason result results place side end level
    area form word words line lines order value values type types piece pieces home world share read
    model models answer answers data thing stuff name names cost costs code example way idea job
    """
_TAG_STOPWORDS = frozenset(_TAG_STOPWORDS_TEXT.split())


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
    heading: str | None = None  # the ``##``/``###`` section it sits in (becomes the claim's label)
    block: int = 0  # paragraph (a video's transcript paragraph) it sits in
    weight: float = 1.0  # < 1 for foils and block quotes: weaker on their own
    sentences: int = 1  # 2 when a leaning sentence took its antecedent along


@dataclass(frozen=True)
class _Placed:
    """A sentence of the source with its place: time, page, block and section."""

    text: str
    t: int | None = None
    page: int | None = None
    block: int = 0
    heading: str | None = None
    kind: str = "p"  # p | item | quote


def _iter_placed(extracted: Extracted) -> Iterator[_Placed]:
    if extracted.kind == "video" and extracted.segments:
        punctuated = _video_punctuated(extracted)
        for number, (start, text) in enumerate(extracted.segments):
            yield from (_Placed(s, int(start), None, number) for s in speech_sentences(text, punctuated=punctuated))
    elif extracted.pages:
        count = 0
        for number, page in enumerate(extracted.pages, start=1):
            for block in layout_blocks(page):
                count += 1
                yield from (_Placed(s, None, number, count) for s in split_sentences(block))
    else:
        for number, block in enumerate(iter_blocks(extracted.text)):
            for s in split_sentences(block.text):
                yield _Placed(s, None, None, number, block.heading, block.kind)


def iter_source_sentences(extracted: Extracted) -> Iterator[tuple[str, int | None, int | None]]:
    """Every sentence of a source as ``(text, t, page)``: what "a sentence of the source" means."""
    return ((p.text, p.t, p.page) for p in _iter_placed(extracted))


def _video_punctuated(extracted: Extracted) -> bool:
    return is_punctuated(" ".join(text for _, text in extracted.segments[:40]))


def source_sentences(extracted: Extracted) -> list[tuple[str, int | None, int | None]]:
    """All of ``iter_source_sentences`` as a list."""
    return list(iter_source_sentences(extracted))


# A claim is read at a glance, in a digest or a /claim answer: a leaning sentence takes its antecedent
# along when both fit in this many words, and a longer single sentence weighs less.
CLAIM_WORDS = 50
_REPAIR_WORDS = CLAIM_WORDS


def _bullet_clause(placed: _Placed) -> bool:
    """A list item that is a full clause without a final period ("he also said" lists, key points)."""
    if placed.kind != "item" or placed.text.endswith((":", ";", ",")):
        return False
    first = placed.text.lstrip("\"'“‘(")[:1]
    return first.isupper() and len(placed.text.split()) >= 8


def _repairs(before: _Placed | None, placed: _Placed, *, verdict: bool = False) -> bool:
    """Whether the sentence before can stand in front of a leaning one: same block, short, fit itself.

    A verdict ("I find this super implausible.") may follow a rhetorical question: the pair is the
    author's answer. Being a few words by definition, it only asks that its antecedent fit the budget.
    """
    if before is None or before.block != placed.block or is_boilerplate(before.text):
        return False
    words_used = len(before.text.split()) + (0 if verdict else len(placed.text.split()))
    why = claim_rules.unfit(before.text)
    return (
        words_used <= _REPAIR_WORDS
        and not claim_rules.leans_on_previous(before.text)
        and (why is None or (verdict and why == "question"))
    )


def _units(extracted: Extracted) -> tuple[list[_Unit], list[str]]:
    """Candidate sentences (capped at ``MAX_SENTENCES``) and every non-chrome sentence read (for tags).

    Sentences that can never be claims (captions, edit notes, calls to action, questions, asides, broken
    quotes) are left out; a sentence leaning on the one before it in the same block takes that one along
    when both are short (still a verbatim stretch of the source), else it is left out; foils weigh less.
    """
    units: list[_Unit] = []
    texts: list[str] = []
    seen: set[str] = set()
    require_end = not (extracted.kind == "video" and extracted.segments and not _video_punctuated(extracted))
    placed_all = list(islice(_iter_placed(extracted), MAX_SENTENCES + 1))  # one more: the next heading
    previous: _Placed | None = None
    story_blocks: set[int] = set()  # paragraphs that open with a first-person anecdote
    for count, placed in enumerate(placed_all[:MAX_SENTENCES]):
        before, previous = previous, placed
        if (before is None or before.block != placed.block) and claim_rules.opens_story(placed.text):
            story_blocks.add(placed.block)
        after = placed_all[count + 1] if count + 1 < len(placed_all) else None
        closing = placed.heading is not None and (after is None or after.heading != placed.heading)
        text = placed.text
        if is_boilerplate(text):
            continue
        texts.append(text)
        key = text.casefold()
        if key in seen or text.endswith(":") or claim_rules.unfit(text):
            continue
        verdict = claim_rules.is_verdict(text)  # a few words, yet a claim with the sentence it judges
        if not verdict and not is_content_sentence(text, require_end=require_end and not _bullet_clause(placed)):
            continue
        seen.add(key)
        weight, n_sentences = 1.0, 1
        if claim_rules.leans_on_previous(text):
            if not _repairs(before, placed, verdict=verdict):
                continue  # "He said …" with no antecedent at hand: never a claim on its own
            assert before is not None
            if claim_rules.draws_conclusion(text):
                weight *= 1.2  # premise and the conclusion drawn from it: the argument whole
            text, n_sentences = f"{before.text} {text}", 2
        if claim_rules.is_foil(text):
            weight *= 0.4
        if _bullet_clause(placed):
            weight *= 1.2  # a list of full clauses is the author's own list of points
        if placed.kind == "quote":
            weight *= 0.8  # someone else's words, quoted: the author's own claims come first
        if placed.block in story_blocks:
            weight *= 0.6  # the rest of an anecdote ("The biologist said …"): illustration, not claim
        if closing:
            weight *= 1.2  # the last word of a section is where its author lands: its conclusion
        if claim_rules.is_forecast(text):
            weight *= 1.15  # a dated prediction is the claim most worth checking again later
        units.append(_Unit(len(units), text, placed.t, placed.page, terms(text), heading=placed.heading,
                           block=placed.block, weight=weight, sentences=n_sentences))  # fmt: skip
    _weigh_set_apart(units, placed_all[:MAX_SENTENCES])
    return units, texts


_SET_APART_PARAGRAPHS = 2.0  # mean sentences per paragraph from which a one-sentence paragraph stands out


def _weigh_set_apart(units: list[_Unit], placed: list[_Placed]) -> None:
    """A paragraph of one sentence where the author's paragraphs run longer is set apart on purpose: a
    punchline or thesis ("Models keep getting more impressive at the rate …"). News written one sentence
    per paragraph sets nothing apart, so only pages whose paragraphs average two sentences or more count.
    """
    sizes = Counter(p.block for p in placed if p.kind == "p")
    with_units = [sizes[b] for b in {u.block for u in units} if b in sizes]
    if not with_units or sum(with_units) / len(with_units) < _SET_APART_PARAGRAPHS:
        return
    for unit in units:
        if sizes.get(unit.block) == 1:
            unit.weight *= 1.25


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
    title_terms = set(terms(title))
    heading_cache: dict[str, set[str]] = {}
    lead_weight = 0.05 if kind == "video" else 0.15
    for unit, vec in zip(units, vectors, strict=True):
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        central = sum(v * centroid[t] for t, v in vec.items()) / (norm * c_norm)
        overlap = len(title_terms & set(unit.terms)) / len(title_terms) if title_terms else 0.0
        if unit.heading:  # the sentence that restates its section's heading is that section's point
            heading_terms = heading_cache.setdefault(unit.heading, set(terms(unit.heading)))
            if heading_terms:
                overlap += len(heading_terms & set(unit.terms)) / len(heading_terms)
        position = lead_weight * (1 - unit.index / n) + (0.1 if unit.index < 2 and kind != "video" else 0.0)
        n_words = len(unit.text.split()) if not CJK_TERM.search(unit.text) else len(unit.text) // 3
        shape = min(1.0, n_words / 12) * min(1.0, 40 / max(n_words, 1))
        if n_words > CLAIM_WORDS:
            shape *= 0.7  # more than a glance: a run-on sentence or a quotation strung on a clause
        if re.search(r"\d", unit.text):
            shape *= 1.1  # figures are what people come back to check
        if claim_rules.states_own_view(unit.text):
            shape *= 1.1  # the author saying where they stand ("I expect …"): the piece's own claims
        elif re.match(r"\s*I\b", unit.text) or " I think " in unit.text:
            shape *= 0.9  # someone quoted in the first person, or a first-person remark
        unit.score = (central + 0.3 * overlap + position) * shape * unit.weight


def _similar(a: _Unit, b: _Unit) -> bool:
    sa, sb = set(a.terms), set(b.terms)
    if not sa or not sb:
        return a.text == b.text
    return len(sa & sb) / min(len(sa), len(sb)) > 0.6


def _pick(
    units: list[_Unit],
    k: int,
    exclude: set[int] | None = None,
    *,
    per_time: int | None = None,
    chosen: list[_Unit] | None = None,
    quota: dict[str | None, int] | None = None,
    per_block: bool = False,
) -> list[_Unit]:
    """The k best units (after any already ``chosen``), skipping near-duplicates (and crowding at one
    video time, past a section's ``quota``, or a second one from a paragraph), in source order."""
    chosen = list(chosen or [])
    blocks = {u.block for u in chosen}
    at_time: Counter[int] = Counter(u.t for u in chosen if u.t is not None)
    in_section: Counter[str | None] = Counter(u.heading for u in chosen)
    for unit in sorted(units, key=lambda u: (-u.score, u.index)):
        if len(chosen) >= k:
            break
        if exclude and unit.index in exclude:
            continue
        if per_time and unit.t is not None and at_time[unit.t] >= per_time:
            continue
        if quota is not None and in_section[unit.heading] >= quota.get(unit.heading, 0):
            continue
        if per_block and unit.block in blocks:
            continue
        if any(unit is other or _similar(unit, other) for other in chosen):
            continue
        chosen.append(unit)
        blocks.add(unit.block)
        in_section[unit.heading] += 1
        if unit.t is not None:
            at_time[unit.t] += 1
    return sorted(chosen, key=lambda u: u.index)


# --------------------------------------------------------------------------- tags


def _tag_ok(token: str, stop: frozenset[str] = frozenset(), title: frozenset[str] = frozenset()) -> bool:
    """A token that can be (part of) a tag: a content word, not an adverb or past participle, not a
    function word of the source's language (``stop``), not a generic noun unless the title has it."""
    if len(token) <= 2 or token.isdigit() or token.endswith(("ly", "ed", "'s")) or token in STOPWORDS:
        return False
    if token in stop or token in _TAG_STOPWORDS:
        return len(token) >= 5 and token in title
    return True


_ELISION = re.compile(r"^(?:d|l|j|m|n|s|t|c|qu|dell|all|nell|sull|dall)'(?=\w{2})")
def _token(word: str) -> str:
    """A word as a tag token: lower case, straight apostrophe, French/Italian elision dropped (d'un → un)."""
    word = word.lower().replace("’", "'")
    return _ELISION.sub("", word) if "'" in word else word


_TAG_CJK = re.compile(r"[\u30a0-\u30ff]{2,16}|[\u3400-\u9fff]{2,6}")  # katakana words whole, kanji in runs


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
    chunks = [
        [_token(w) for w in _TAG_WORD.findall(chunk)]
        for text in texts
        if not CJK_TERM.search(text)
        for chunk in _TAG_CHUNK.split(text)
    ]
    stop = stopwords_for(token for chunk in chunks for token in chunk)
    title_tokens = frozenset(_token(w) for w in _TAG_WORD.findall(title))
    for text in texts:
        if CJK_TERM.search(text):
            uni.update(_TAG_CJK.findall(text))
    for chunk in chunks:
        prev: str | None = None
        for token in chunk:
            if not _tag_ok(token, stop, title_tokens):
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
    title_words = {w.lower() for w in _TAG_WORD.findall(title)} | set(_TAG_CJK.findall(title))
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
        if extracted.kind == "video" and extracted.segments:
            return _video_summary(extracted, units, texts)
        n = len(units)
        k_summary = 2 if n <= 6 else 3 if n <= 25 else 4
        single = [u for u in units if u.sentences == 1]  # so the summary is 2–4 sentences, no more
        summary_units = _pick(single if len(single) >= 2 else units, k_summary)
        k_claims = max(3, min(10, n // 5))
        exclude = None
        per_time = 2 if extracted.kind == "video" else None  # spread a video's claims over its length
        sections = _section_picks(units, k_claims, exclude)
        if len(sections) >= 5:  # a long argument: room for a point and its conclusion per section
            k_claims = min(MAX_SECTION_CLAIMS, max(k_claims, 2 * len(sections)))
        quota = _section_quota(units, k_claims) if sections else None
        # one claim per paragraph and section quotas first (the next sentence of a paragraph mostly
        # elaborates the one picked), then the best of what is left
        claim_units = _pick(units, k_claims, exclude, per_time=per_time, chosen=sections, quota=quota, per_block=True)
        if len(claim_units) < k_claims:
            claim_units = _pick(units, k_claims, exclude, per_time=per_time, chosen=claim_units)
        labelled = {u.index for u in sections}
        claims = [_claim(u, extracted.kind, label=u.heading if u.index in labelled else None) for u in claim_units]
        tags = keyphrases(texts, extracted.title)
        text = " ".join(u.text for u in summary_units)
        return Summary(text=text, claims=claims, tags=tags, method=self.method)


VIDEO_HIGHLIGHTS = 5
VIDEO_QUOTES = 5
_PASSAGE_WORDS = 45  # a highlight runs on from its claim to about this many words


def _video_summary(extracted: Extracted, units: list[_Unit], texts: list[str]) -> Summary:
    """A talk in seed 004's shape: summary, labelled Key Points spread over the running time (the best
    sentence of each stretch), titled Highlights, Surprising Quotes and Mentions, each timed at the
    caption snippet where its sentence starts."""
    from bot.capture.video_notes import SnippetClock, mentions, mentions_section

    n = len(units)
    summary_units = _pick([u for u in units if u.sentences == 1] or units, 2 if n <= 6 else 3 if n <= 25 else 4)
    k = max(3, min(12, n // 5))
    duration = extracted.meta.get("duration") or max(u.t or 0 for u in units) + 30
    chosen: list[_Unit] = []
    for i in range(k):  # the best sentence of each stretch of the talk first
        lo, hi = duration * i / k, duration * (i + 1) / k
        stretch = [u for u in units if u.t is not None and lo <= u.t < hi]
        for unit in sorted(stretch, key=lambda u: (-u.score, u.index)):
            if not any(_similar(unit, other) for other in chosen):
                chosen.append(unit)
                break
    claim_units = _pick(units, k, chosen=chosen, per_time=2)
    clock = SnippetClock(extracted.snippets)
    counts = Counter(w.lower() for text in texts for w in words(text))
    content = [w for w, _ in counts.most_common() if len(w) > 2 and w not in STOPWORDS and w not in _TAG_STOPWORDS]
    common = frozenset(content[:3])

    def when(unit: _Unit) -> int | None:
        """The start of the caption snippet the sentence starts in, else its paragraph's start."""
        found = clock.time_of(unit.text, unit.t or 0) if unit.t is not None else None
        return unit.t if found is None else found

    claims = [Claim(text=u.text, label=_label(u.text, counts, common), t=when(u), supported=True) for u in claim_units]
    speaker = extracted.author
    best = sorted(claim_units, key=lambda u: (-u.score, u.index))[:VIDEO_HIGHLIGHTS]
    highlights = [
        Quote(text=_passage(extracted, u), heading=_label(u.text, counts, common), speaker=speaker, t=when(u))
        for u in sorted(best, key=lambda u: u.index)
    ]
    used = {u.index for u in claim_units} | {u.index for u in summary_units}
    said = " ".join([*(c.text for c in claims), *(h.text for h in highlights)])
    quotable = [u for u in units if u.index not in used and 8 <= len(u.text.split()) <= 40 and u.text not in said]
    quote_units = _pick(quotable, VIDEO_QUOTES, per_time=1)
    quotes = [Quote(text=u.text, t=when(u)) for u in quote_units]
    video_id = str(extracted.meta.get("video_id") or "")
    names = mentions(((p.text, p.t) for p in _iter_placed(extracted)), video_id)
    return Summary(
        text=" ".join(u.text for u in summary_units),
        claims=claims,
        tags=keyphrases(texts, extracted.title),
        method=ExtractiveSummarizer.method,
        highlights=highlights,
        quotes=quotes,
        sections={"Mentions": mentions_section(names, video_id)} if names else {},
    )


def _label(text: str, counts: Counter[str], common: frozenset[str] = frozenset()) -> str:
    """A few-word title for a key point: its words the talk says most, leaving out the talk's own
    commonest words (they would title every point alike), in sentence order."""
    candidates: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for position, word in enumerate(words(text)):
        low = word.lower()
        if len(low) <= 2 or low in STOPWORDS or low in _TAG_STOPWORDS or low in common or stem(low) in seen:
            continue
        if low.isdigit() or "'" in low or "’" in low or counts[low] < 2:
            continue
        seen.add(stem(low))
        candidates.append((-counts[low], position, word))
    picked = sorted(sorted(candidates)[:3], key=lambda c: c[1])
    label = " ".join(word for _, _, word in picked) or " ".join(text.split()[:4])
    return label[:1].upper() + label[1:]


def _passage(extracted: Extracted, unit: _Unit) -> str:
    """The claim and the sentences after it in its transcript paragraph, to about ``_PASSAGE_WORDS``."""
    paragraph = extracted.segments[unit.block][1] if unit.block < len(extracted.segments) else unit.text
    start = paragraph.find(unit.text)
    if start < 0:
        return unit.text
    out = [unit.text]
    for sentence in split_sentences(paragraph[start + len(unit.text) :]):
        if sum(len(s.split()) for s in out) >= _PASSAGE_WORDS:
            break
        out.append(sentence)
    return " ".join(out)


def _section_quota(units: list[_Unit], k: int) -> dict[str | None, int]:
    """Claims each section may hold, in proportion to its length (at least one)."""
    sizes = Counter(u.heading for u in units)
    return {heading: max(1, math.ceil(k * size / len(units))) for heading, size in sizes.items()}


def _section_picks(units: list[_Unit], k: int, exclude: set[int] | None) -> list[_Unit]:
    """The best sentence of each ``##``/``###`` section (at most ``k``, best sections first).

    Authors put one point per section; taking one from each covers the argument instead of its
    densest part. Sections whose best sentence is a repeat of another pick are skipped.
    """
    best: dict[str, _Unit] = {}
    for unit in units:
        if unit.heading is None or (exclude and unit.index in exclude):
            continue
        if unit.heading not in best or unit.score > best[unit.heading].score:
            best[unit.heading] = unit
    if len(best) < 2:
        return []  # one heading is a page's subtitle, not a structure
    chosen: list[_Unit] = []
    for unit in sorted(best.values(), key=lambda u: (-u.score, u.index)):
        if len(chosen) < k and not any(_similar(unit, other) for other in chosen):
            chosen.append(unit)
    return chosen


def _claim(unit: _Unit, kind: str, label: str | None = None) -> Claim:
    if unit.t is not None:
        return Claim(text=unit.text, label=label, t=unit.t, supported=True)
    if unit.page is not None:
        return Claim(text=unit.text, label=label, page=unit.page, supported=True)
    return Claim(text=unit.text, label=label, quote=unit.text, supported=True)


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

    ``url`` is the address people click (as posted, or where the fetch was redirected); the id derives
    from its canonical form, which the pipeline replaces by the posted link's when they differ. ``team`` is
    what this channel decided for earlier notes of the same site or tags (decay evidence)."""
    url = extracted.url
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
        id=url_note_id(canonical_url(url)),
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
        highlights=[] if empty else list(summary.highlights),
        quotes=[] if empty else list(summary.quotes),
        sections={} if empty else dict(summary.sections),
        body=extracted.text,
        decay_rate=rate,
        decay_reason=reason,
        extra=extra,
        flags=flags,
    )
