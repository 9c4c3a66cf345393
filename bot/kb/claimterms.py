"""What a claim asserts, as terms: the tokenizer and the paraphrase scorer behind echo detection.

One tokenizer with the search index: words as ``\\w+`` (``bot.kb.store``), case and accents folded, Porter
stems — the algorithm of the FTS5 ``porter`` tokenizer that ``claims_fts`` uses — so the rare terms we
choose here are the terms the index can find. On top of the index's view: hyphenated words are joined
(``human-like`` = ``humanlike``), contractions are spelled out (``won't`` → ``will not``), a small synonym
table folds common paraphrases onto one term, and three things are kept apart because two claims that
share every word can still disagree on them: numbers, negated terms and the direction of a change.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from bot.kb.terms import porter_stem as stem

MIN_TERMS = 3  # a claim of fewer content terms never echoes (one-word claims, headings)
MIN_SHARED = 3  # two claims sharing fewer content terms are not one assertion, however rare those are
ADDED_CLAUSE = 0.7  # ``assertion``: share of an added run of new terms taken off (tuned on dev pairs: decisions.md)
NEG_SCOPE = 1  # a negation governs the content term right after it ("not imminent", "cannot learn")

# Function words only: unlike the summarizer's list, numbers, comparatives and negations stay meaningful.
_FUNCTION_TEXT = """
    a about after again against all also am an and any are as at be been before being between
    both but by can could did do does doing during each either even ever every for from further get
    gets getting got had has have having he her here hers him his how i if in into is it its itself just
    let like may me might most much must my of off on once only onto or other our ours out over own per
    quite rather really said same say says shall she should since so some such than that the their them
    then there these they this those through thus to too until upon us very via was we were what
    when where whether which while who whom whose why will with would yet you your etc also e g ie eg
    make makes made making one ones thing things way ways lot lots kind sort percent pct
"""
FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())
NEGATIONS = frozenset({"not", "never", "neither", "nor", "cannot"})
# "no trend", "without evidence": negate a noun phrase, which paraphrases word in many ways ("lacks public
# evidence" = "no publicly known trend"); they conflict only with a claim that negates nothing that way.
NP_NEGATIONS = frozenset({"no", "none", "nobody", "nothing", "without", "lack", "lacks", "lacking"})
_ANTONYMS_TEXT = """
    easy hard / easier harder / cheap expensive / cheaper costlier / true false / success failure /
    succeed fail / win lose / accept reject / good bad / better worse / best worst / bullish bearish /
    optimistic pessimistic / short long / shorter longer / strong weak / stronger weaker / possible impossible /
    plausible implausible / likely unlikely / safe unsafe / legal illegal / early late /
    earlier later / winner loser / ahead behind / support oppose / approve reject / open closed
"""
_CLAUSE_BREAK = frozenset(",;:.!?()[]—–-\"“”")

# Paraphrase groups (surface words): every member counts as the first. Kept small and literal on purpose.
_SYNONYM_GROUPS = """
    big large huge massive enormous vast
    small tiny little
    underestimate underrate
    overestimate overrate
    implausible unlikely
    plausible likely
    worker employee staff
    company firm business
    buy purchase acquire
    need require requires needed required necessary
    show reveal demonstrate indicate suggest
    publish release
    warn caution
    largest biggest
    difficult hard
    help assist
    begin start commence
    end finish
    quick fast rapid
    slow gradual
    improve improvement
    problem issue
    evidence proof
    researcher scientist
    job task
    say state claim argue
    child kid children
    expensive costly
    cheap inexpensive
    people person humans human
    essential crucial critical vital
    main primary principal
"""
_UP = """
    raise raised raising rise rose risen rising increase increased increasing grow grew grown growing growth gain
    gained climb climbed jump jumped soar soared surge surged boost boosted up higher faster
    larger bigger above exceed exceeded more
"""
_DOWN = """
    under beneath fall fell fallen falling decrease decreased decreasing decline declined declining drop
    dropped shrink shrank shrunk slump slumped plunge plunged sink sank cut cuts lose lost down
    lower slower smaller below less fewer
"""
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
    "hundreds": 100, "thousand": 1e3, "thousands": 1e3, "million": 1e6, "millions": 1e6, "billion": 1e9,
    "billions": 1e9, "trillion": 1e12, "trillions": 1e12, "dozen": 12, "half": 0.5, "double": 2, "twice": 2,
    "triple": 3, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "tenth": 10, "halve": 0.5,
    "halved": 0.5, "halves": 0.5, "halving": 0.5, "tenfold": 10, "hundredfold": 100, "thousandfold": 1e3,
    "millionfold": 1e6,
}
_FOLD = re.compile(r"^(\w+?)fold$")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+|[,;:.!?()\[\]—–\"“”-]", re.UNICODE)
_HYPHEN = re.compile(r"(?<=[^\W\d_])[-‐‑](?=[^\W\d_])")
_CONTRACTIONS = [
    (re.compile(r"\bwon['’]t\b"), "will not"),
    (re.compile(r"\bcan['’]t\b|\bcannot\b"), "can not"),
    (re.compile(r"\bain['’]t\b"), "is not"),
    (re.compile(r"n['’]t\b"), " not"),
    (re.compile(r"['’](s|re|ve|ll|d|m)\b"), ""),
]

def _groups() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    canon: dict[str, str] = {}
    surfaces: dict[str, tuple[str, ...]] = {}
    for line in _SYNONYM_GROUPS.strip().splitlines():
        words = line.split()
        head = stem(words[0])
        for w in words:
            canon.setdefault(stem(w), head)
        surfaces[head] = tuple(words)
    for name, text in (("dir_up", _UP), ("dir_down", _DOWN)):
        words = text.split()
        for w in words:
            canon[stem(w)] = name
        surfaces[name] = tuple(words)
    return canon, surfaces


_CANON, _SURFACES = _groups()


def _antonyms() -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in _ANTONYMS_TEXT.split("/"):
        a, b = (_CANON.get(stem(w), stem(w)) for w in pair.split())
        out[a], out[b] = b, a
    return out


_ANTONYMS = _antonyms()
DIRECTIONS = frozenset({"dir_up", "dir_down"})


def fold(text: str) -> str:
    """Case, accents, contractions and hyphens normalised as the index sees them (plus joins)."""
    text = text or ""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower()
    if "'" in text or "’" in text or "cannot" in text:
        for pattern, repl in _CONTRACTIONS:
            text = pattern.sub(repl, text)
    return _HYPHEN.sub("", text) if "-" in text or "‐" in text or "‑" in text else text


def _number(token: str) -> float | None:
    try:
        return float(token.replace(",", "")) if token[0].isdigit() else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Terms:
    """A claim as the scorer sees it."""

    terms: frozenset[str]  # content terms (stems, synonyms folded, directions as dir_up/dir_down)
    surface: dict[str, str]  # term -> a word of the claim the FTS index can be asked for
    numbers: frozenset[float]
    negated: frozenset[str]  # content terms inside a negation's scope
    directions: frozenset[str]
    np_negated: frozenset[str] = frozenset()  # the negated terms whose negation is "no …", "without …"
    has_np: bool = False
    order: tuple[str, ...] = ()  # the terms in the order they first occur
    # terms written as names (Germany, Nvidia, INSEE): two claims naming different ones make different
    # assertions however alike the rest; not part of equality (the analysis of the words is the same)
    names: frozenset[str] = field(default=frozenset(), compare=False)

    def __hash__(self) -> int:  # dict field: hash by the sets only
        return hash((self.terms, self.numbers, self.negated))


_BREAK, _NUMBER, _NEG, _NP_NEG, _SKIP, _TERM = range(6)
_KINDS: dict[str, tuple[int, object]] = {}  # token -> what it is (tokens recur: classify each once)


def _kind(token: str) -> tuple[int, object]:
    if token in _CLAUSE_BREAK:
        return _BREAK, None
    value = _number(token)
    if value is None:
        value = _NUMBER_WORDS.get(token)
        if value is None and token.endswith("fold") and (m := _FOLD.match(token)):
            value = _NUMBER_WORDS.get(m.group(1))
    if value is not None:
        return _NUMBER, value
    if token in NEGATIONS:
        return _NEG, None
    if token in NP_NEGATIONS:
        return _NP_NEG, None
    if token in FUNCTION_WORDS or len(token) < 2:
        return _SKIP, None
    stemmed = stem(token)
    return _TERM, _CANON.get(stemmed, stemmed)


_EMPTY: frozenset = frozenset()


@lru_cache(maxsize=100_000)
def analyze(text: str) -> Terms:
    """Terms, numbers, negations, directions and names of one claim (cached: candidates recur; never
    mutate)."""
    found = _analyze(text)
    names = _names(text, found.terms) if _CAPITAL.search(text or "") else None
    return replace(found, names=names) if names else found


def _analyze(text: str) -> Terms:
    """Terms, numbers, negations and directions of one claim.

    Most claims negate nothing: one pass that only collects terms (the first word seen for each, in
    order) and numbers; a claim with a negation takes ``_analyze_scoped``, which tracks what each negation
    governs. Both give the same ``Terms`` for a claim without one."""
    kinds = _KINDS
    if len(kinds) > 500_000:
        kinds.clear()
    tokens = _TOKEN.findall(fold(text))
    surface: dict[str, str] = {}
    first = surface.setdefault
    numbers: set[float] = set()
    for token in tokens:
        found = kinds.get(token)
        if found is None:
            found = kinds[token] = _kind(token)
        kind = found[0]
        if kind == _TERM:
            first(found[1], token)  # type: ignore[arg-type]
        elif kind == _NUMBER:
            numbers.add(found[1])  # type: ignore[arg-type]
        elif kind in (_NEG, _NP_NEG):
            return _analyze_scoped(tokens)
    terms = frozenset(surface)
    return Terms(
        terms=terms,
        surface=surface,
        numbers=frozenset(numbers) if numbers else _EMPTY,
        negated=_EMPTY,
        directions=terms & DIRECTIONS,
        order=tuple(surface),
    )


_CAPITAL = re.compile(r"[A-Z]")
_WORD_RUN = re.compile(r"[^\W\d_][\w'’]*|[.!?:;]")
_POSSESSIVE = re.compile(r"['’]s?$")
# capitalised words that name no one: titles and calendar words
_NOT_NAMES_TEXT = """
    mr mrs ms dr prof sir sen rep gov president secretary minister chairman chief ceo director professor
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december i ok
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


def _names(text: str, terms: frozenset[str]) -> frozenset[str]:
    """The claim's terms written as names: capitalised inside a sentence, or at its start only when
    written as one for sure (all capitals, a capital inside the word, a possessive: "Germany's", "AMD",
    "OpenAI")."""
    found: set[str] = set()
    start = True
    for word in _WORD_RUN.findall(text):
        if word in ".!?:;":
            start = True
            continue
        first, was_start = word[0], start
        start = False
        if not first.isupper():
            continue
        bare = _POSSESSIVE.sub("", word)
        lowered = bare.lower()
        if lowered in FUNCTION_WORDS or lowered in _NOT_NAMES or len(bare) < 2:
            continue
        if was_start and not (bare.isupper() or any(c.isupper() for c in bare[1:]) or bare != word):
            continue
        term = _TERM_OF.get(lowered)
        if term is None:
            kind, value = _kind(fold(lowered))
            term = value if kind == _TERM else ""
        if term and term in terms:
            found.add(term)
    return frozenset(found)


_TERM_OF: dict[str, str] = {}  # token -> its term, "" when it is no term (a number, a function word, …)


def _terms_of(text: str) -> tuple[list[str], list[str]]:
    """The claim's tokens and each one's term ("" for a token that is none), classified once per token."""
    tokens = _TOKEN.findall(fold(text))
    term_of = _TERM_OF
    if len(term_of) > 500_000:
        term_of.clear()
    found = list(map(term_of.get, tokens))
    if None in found:
        for token in tokens:
            if token not in term_of:
                kind, value = _kind(token)
                term_of[token] = value if kind == _TERM else ""  # type: ignore[assignment]
        found = list(map(term_of.__getitem__, tokens))
    return tokens, found


def term_set(text: str) -> set[str]:
    """``analyze(text).terms`` alone, for ``relink``'s first pass over every claim: its keys need nothing
    else, and a set of the tokens' terms costs a third of a full analysis."""
    terms = set(_terms_of(text)[1])
    terms.discard("")
    return terms


def term_words(text: str) -> dict[str, str]:
    """``analyze(text).surface`` alone (each term in the order it first occurs, with the word it first
    occurs as): what keys and the index's questions need for a stored claim; a full analysis (numbers,
    negations) is only needed for claims that have candidates to score."""
    tokens, found = _terms_of(text)
    first = dict(zip(reversed(found), reversed(tokens), strict=True))  # the earliest word wins
    order = dict.fromkeys(found)
    order.pop("", None)
    return {term: first[term] for term in order}


def _analyze_scoped(tokens: list[str]) -> Terms:
    """``analyze`` of a claim with a negation: each negation governs the next ``NEG_SCOPE`` content
    terms up to a clause break; a term counts as negated only if it is negated wherever it occurs."""
    terms: set[str] = set()
    order: list[str] = []
    surface: dict[str, str] = {}
    numbers: set[float] = set()
    negated: set[str] = set()
    plain: set[str] = set()
    np_negated: set[str] = set()
    scope, np_scope, has_np = 0, False, False
    kinds = _KINDS
    for token in tokens:
        found = kinds.get(token)
        if found is None:
            found = kinds[token] = _kind(token)
        kind, value = found
        if kind == _TERM:
            term = value
            if term not in terms:
                terms.add(term)
                order.append(term)
                surface[term] = token
            if scope:
                negated.add(term)
                if np_scope:
                    np_negated.add(term)
                scope -= 1
            else:
                plain.add(term)
        elif kind == _BREAK:
            scope = 0
        elif kind == _NUMBER:
            numbers.add(value)
        elif kind in (_NEG, _NP_NEG):
            scope = NEG_SCOPE
            np_scope = kind == _NP_NEG
            has_np = has_np or np_scope
    return Terms(
        terms=frozenset(terms),
        surface=surface,
        numbers=frozenset(numbers),
        negated=frozenset(negated - plain),  # negated wherever it occurs
        directions=frozenset(terms & DIRECTIONS),
        np_negated=frozenset(np_negated - plain),
        has_np=has_np,
        order=tuple(order),
    )


def surfaces(term: str, seen: str) -> tuple[str, ...]:
    """Words to ask the index for a term: every member of its synonym group, else the word seen."""
    return _SURFACES.get(term, (seen,))


def conflict(a: Terms, b: Terms) -> str | None:
    """Why two claims that share words still say different things (None when they do not disagree)."""
    if a.numbers and b.numbers and not (a.numbers <= b.numbers or b.numbers <= a.numbers):
        return "numbers"  # one may state more numbers (a summary packs two claims), never other ones
    if a.directions and b.directions and not (a.directions & b.directions):
        return "direction"
    shared = a.terms & b.terms
    for term in (a.negated ^ b.negated) & shared:
        side, other = (a, b) if term in a.negated else (b, a)
        if not (term in side.np_negated and other.has_np):
            return "negation"
    for term in a.terms - b.terms:
        opposite = _ANTONYMS.get(term)
        if opposite and opposite in b.terms and opposite not in a.terms and term not in b.terms:
            return "antonym"
    if a.terms == b.terms and swapped(a.order, b.order):
        return "roles"
    if a.names and b.names and _other_names(a, b):
        return "names"
    return None


def _other_names(a: Terms, b: Terms) -> bool:
    """The same sentence about someone or something else: all that each claim has and the other lacks is
    names (Germany's … Destatis / France's … INSEE), ending variants aside ("Ghozi" / "Al-Ghozi")."""
    mine, theirs = a.terms - b.terms, b.terms - a.terms
    if not mine or not theirs or not (mine <= a.names and theirs <= b.names):
        return False
    left_mine = {x for x in mine if not any(_variant(x, y) for y in theirs)}
    left_theirs = {y for y in theirs if not any(_variant(x, y) for x in mine)}
    return bool(left_mine) and bool(left_theirs)


def _variant(x: str, y: str) -> bool:
    """One name written two ways: "SCOLinux" / "SCO", "Rev." / "Reverend", "Ghozi" / "AlGhozi"."""
    short, long_ = sorted((x, y), key=len)
    return len(short) >= 3 and (long_.startswith(short) or long_.endswith(short)) or (
        len(short) >= 5 and x[:5] == y[:5])


def swapped(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """The same words with two of them trading places ("cheap to make and expensive to use" / "expensive
    to make and cheap to use", "A beats B" / "B beats A"): who does what changed. A moved phrase ("yesterday,
    police arrested…" / "police arrested … yesterday") is not a swap."""
    if len(a) != len(b) or len(a) < 3:
        return False
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(differ) == 2 and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]]


def idf(n_claims: int, df: int) -> float:
    return math.log(1.0 + (n_claims + 1) / (df + 0.5))


def score(a: Terms, b: Terms, weight: Callable[[str], float]) -> float:
    """How much one claim asserts what the other does: weighted coverage of the smaller claim by the
    larger (a summary claim often packs two claims of a video into one), plus a little of the other
    way round; 0 when numbers, direction or negation disagree or too little is shared."""
    if len(a.terms) < MIN_TERMS or len(b.terms) < MIN_TERMS:
        return 0.0
    shared = a.terms & b.terms
    if len(shared) < MIN_SHARED or conflict(a, b):
        return 0.0
    wa = sum(weight(t) for t in a.terms)
    wb = sum(weight(t) for t in b.terms)
    ws = sum(weight(t) for t in shared)
    if a.numbers and b.numbers:  # agreeing numbers are strong evidence of the same assertion
        bonus = 2.0 * len(a.numbers & b.numbers)
        wa, wb, ws = wa + bonus, wb + bonus, ws + bonus
    small, large = (wa, wb) if wa <= wb else (wb, wa)
    return round(0.8 * ws / small + 0.2 * ws / large, 4)


def assertion(a: Terms, b: Terms, weight: Callable[[str], float]) -> float:
    """How surely two claims make the same assertion, not one of them plus a fact of its own: the weighted
    share of the *larger* claim's terms and numbers the smaller has, less ``ADDED_CLAUSE`` of the weight of
    the longest run of the larger's terms the smaller lacks (an added clause: "…developed in the Gulf on Sunday *and
    could have hurricane-force winds*"). ``score`` forgives what one side adds, rightly between a summary and
    its source; between two unrelated notes an added clause is a different statement. Terms that differ
    only in their ending ("vandalise"/"vandalize", "Ghozi"/"Al-Ghozi" joined) count as shared. A number
    weighs as much as an average term of the two claims; 0 when ``score`` would veto the pair."""
    if len(a.terms) < MIN_TERMS or len(b.terms) < MIN_TERMS or conflict(a, b):
        return 0.0
    b = _near(a, b)
    shared = a.terms & b.terms
    if len(shared) < MIN_SHARED:
        return 0.0
    unit = (sum(weight(t) for t in a.terms) + sum(weight(t) for t in b.terms)) / (len(a.terms) + len(b.terms))
    wa = sum(weight(t) for t in a.terms) + unit * len(a.numbers)
    wb = sum(weight(t) for t in b.terms) + unit * len(b.numbers)
    ws = sum(weight(t) for t in shared) + unit * len(a.numbers & b.numbers)
    small, large = (a, b) if wa <= wb else (b, a)
    run = best = 0.0
    for term in large.order:
        run = 0.0 if term in small.terms else run + weight(term)
        best = max(best, run)
    return round((ws - ADDED_CLAUSE * best) / max(wa, wb), 4)


def _near(a: Terms, b: Terms) -> Terms:
    """``b`` with each term ``a`` lacks renamed to a term of ``a`` it differs from only in its ending (one a
    prefix of the other, ≥ 4 letters, or the same first 5 letters)."""
    mine = [t for t in a.terms - b.terms if t not in DIRECTIONS]
    if not mine:
        return b
    renamed: dict[str, str] = {}
    for y in b.terms - a.terms:
        if y in DIRECTIONS:
            continue
        for x in mine:
            k = min(len(x), len(y))
            if x not in renamed.values() and ((k >= 4 and (x.startswith(y) or y.startswith(x)))
                                              or (k >= 5 and x[:5] == y[:5])):
                renamed[y] = x
                break
    if not renamed:
        return b
    return Terms(terms=frozenset(renamed.get(t, t) for t in b.terms), surface=b.surface, numbers=b.numbers,
                 negated=b.negated, directions=b.directions, np_negated=b.np_negated, has_np=b.has_np,
                 order=tuple(renamed.get(t, t) for t in b.order))


def tfidf_cosine(a: Iterable[str], b: Iterable[str], weight: Callable[[str], float]) -> float:
    """The plain baseline the bench compares with: cosine of binary TF-IDF vectors of stems."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    num = sum(weight(t) ** 2 for t in sa & sb)
    den = math.sqrt(sum(weight(t) ** 2 for t in sa)) * math.sqrt(sum(weight(t) ** 2 for t in sb))
    return num / den if den else 0.0


def plain_stems(text: str) -> list[str]:
    """Stems without our folding (no synonyms, numbers or negation handling): the baseline's view."""
    norm = unicodedata.normalize("NFKD", text or "").lower()
    return [stem(w) for w in re.findall(r"\w+", norm) if w not in FUNCTION_WORDS]
