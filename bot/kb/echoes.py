"""Echoes: the same claim in two notes, found when a note is stored and kept both ways in ``echoes``.

Why this shape: a research channel posts one idea many times (an essay, its narrated video, news quoting
it), and a claim told three times is corroborated, not three claims. Finding echoes must cost what the
new note costs, not what the base costs, so candidates come from the FTS index (claims sharing two of
the new claim's rarest terms, best bm25 first) and only those few are scored by ``claimterms.score``.
``relink`` rebuilds everything in one pass in memory (rare-term pairs as keys, never all pairs).

Rules: a pair links on its own only when it is sure (close, and neither side adds a clause of its own:
``claimterms.assertion``); a looser one (one claim stating more) only between notes already tied by echoes
(``strong_ties``). A claim never echoes a claim of its own note or of its same-work note (a summary and the
clip it summarises); at most ``MAX_LINKS`` echoes per claim, best first; a claim that would echo claims of more
than ``STORM_NOTES`` notes is boilerplate ("Subscribe to our newsletter") and echoes nothing.
"""

from __future__ import annotations

import bisect
import functools
import gc
import itertools
import logging
import sqlite3
import time
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.kb.claimterms import (
    DIRECTIONS,
    MIN_TERMS,
    Terms,
    analyze,
    assertion,
    idf,
    score,
    surfaces,
    term_set,
    term_words,
)
from bot.kb.migrations import FTS_TOKENIZE
from bot.kb.notes import Claim
from bot.kb.render import claim_link

if TYPE_CHECKING:
    from bot.kb.notes import Note

THRESHOLD = 0.33  # an echo when the two notes also share a strong one (tests/fixtures/echoes, bench/echoes.py)
STRONG = 0.5  # an echo on its own only if also SURE: between unrelated news stories 0.33-0.5 is mostly one topic
SURE = 0.54  # claimterms.assertion from which a STRONG pair is the same statement, not one plus an added clause
MAX_LINKS = 5
STORM_NOTES = 8
MAX_TIED_CLAIMS = 200  # claims of tied notes scored against each new claim beyond its own candidates
PARALLEL_PAIRS = 20_000  # relink scores in worker processes past this many candidate pairs
STORM_BUCKET = 64  # claims sharing one key in relink beyond which the key is boilerplate
PREFIX = 6  # rarest terms of a new claim; its candidates contain a pair of them
RELINK_PREFIX = 8  # relink: two claims are candidates when a pair of their 8 rarest terms is in both
CANDIDATES = 30  # best bm25 candidates scored per claim
BATCH_CLAIMS = 50  # a batch with this many claims reads each key group's claims once (``_Postings``)
DF_CAP = 2_000  # a term in more claims than this is never a candidate key
PAIR_CHANCE = 0.01  # a pair is a key only if two random claims share it this rarely (df_a·df_b/N)…
PAIR_FLOOR = 100  # …or both terms are rare outright (a small base, where every count is small)
DF_SAMPLE = 20_000  # document counts are read up to this (a term in more claims is simply common)
CHANGES_KEPT = 50_000  # rows of claim_changes kept; a process further behind forgets its counts
COUNTS_KEPT = 500_000  # term counts a process keeps per database
METHOD = "terms"  # offline scorer; "vault" = restored from an export's also_in; a model's id = its verdict
BORDER = (0.2, 0.6)  # offline scores a configured model is asked about (pairs.tsv: 0.2-0.5 holds 20 echoes, 4 not)
CLAIM_TEXT = "coalesce(c.label || ': ', '') || c.text"  # what claims_fts indexes as ``text``

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Echo:
    """One claim elsewhere that says what ``claim_id`` says, with what a reader needs to find it."""

    claim_id: int
    other_id: int
    score: float
    method: str
    note_id: str
    note_title: str
    note_kind: str
    note_url: str | None
    position: int  # 1-based, as claims are numbered everywhere a user sees them
    text: str
    label: str | None
    quote: str | None
    t: int | None
    page: int | None
    owner: str | None

    def as_claim(self) -> Claim:
        return Claim(text=self.text, label=self.label, quote=self.quote, t=self.t, page=self.page)

    def place(self) -> str | None:
        """Link to this claim's place in its note's source (None when the note has no URL)."""
        return claim_link(self.note_url, self.as_claim()) if self.note_url else None


@dataclass
class RelinkReport:
    claims: int = 0
    links: int = 0
    boilerplate: int = 0
    candidates: int = 0  # claim pairs that shared a key and were scored
    seconds: float = 0.0
    keyed_seconds: float = 0.0  # pass 1 (reading, analysing, keying), the rest is sorting and scoring

    @property
    def rate(self) -> float:
        return self.claims / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Borderline:
    """A candidate pair the offline scorer is least sure of (score in ``BORDER``), with its decision."""

    claim_id: int
    other_id: int
    note_id: str  # the note being stored (the model-call cap is per note)
    score: float
    linked: bool  # what the offline rules decided
    text: str
    other_text: str


class Judge(Protocol):
    """Confirms or rejects a borderline pair (an LLM through ``bot.capture.echo_judge``): True = the same
    claim, False = not, None = no answer (failure, timeout): the offline decision then stands."""

    method: str  # stored as the link's method, e.g. "llm:gpt-4.1-mini"
    calls: int  # at most this many pairs asked per stored note

    def __call__(self, claim: str, other: str) -> bool | None: ...


# --------------------------------------------------------------------------- weights


class _Counts:
    """This process's counts of one database's terms, kept exact across notes and processes.

    A count changes only when a claim holding one of the index tokens it was read for comes or goes (insert,
    delete, a rewritten text); every such change is a row of ``claim_changes`` (migration 021, written by
    triggers, so also for other processes' writes). Before counts are used, the rows since the last look are
    read and each count they reach is moved by one — a claim holding any of the term's tokens is one more (or
    one fewer) claim the index finds for its words — or dropped where one cannot know: a count at the
    ``DF_SAMPLE`` bound losing a claim, a term asked as a phrase (a word of several tokens). A log this
    process cannot follow (its last row gone after a rollback or pruning, or too far behind) drops them all."""

    __slots__ = ("counts", "by_token", "phrases", "seq", "stamp")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.by_token: dict[str, set[str]] = defaultdict(set)  # index token -> terms counted with it
        self.phrases: set[str] = set()  # terms with a word of several tokens: a change drops their count
        self.seq: int = -1
        self.stamp: int | None = None

    def sync(self, conn: sqlite3.Connection) -> None:
        seq, stamp = conn.execute("SELECT seq, stamp FROM claim_changes ORDER BY seq DESC LIMIT 1").fetchone() or (0, 0)
        if (seq, stamp) == (self.seq, self.stamp):
            return
        mark = conn.execute("SELECT stamp FROM claim_changes WHERE seq = ?", (self.seq,)).fetchone()
        if mark is None or mark[0] != self.stamp or seq - self.seq > CHANGES_KEPT or len(self.counts) > COUNTS_KEPT:
            self.counts.clear()
            self.by_token.clear()
            self.phrases.clear()
        else:
            changes = conn.execute("SELECT sign, text FROM claim_changes WHERE seq > ? ORDER BY seq",
                                   (self.seq,)).fetchall()
            # the index makes no token across white space: a text's tokens are its chunks'
            chunks = [text.split() for _, text in changes]
            tokens_of = word_tokens(itertools.chain.from_iterable(chunks))
            by_token, counts, phrases = self.by_token, self.counts, self.phrases
            for (sign, _), words in zip(changes, chunks, strict=True):
                reached = {term for word in words for token in tokens_of[word] for term in by_token.get(token, ())}
                for term in reached:
                    count = counts.get(term)
                    if count is None:
                        continue
                    if term in phrases or (sign < 0 and count >= DF_SAMPLE):
                        del counts[term]
                    else:
                        counts[term] = min(count + sign, DF_SAMPLE)
        self.seq, self.stamp = seq, stamp

    def keep(self, term: str, words: tuple[str, ...], count: int) -> None:
        """A count, with the index tokens it was read for (``words``' tokens: ``word_tokens`` ran on them)."""
        self.counts[term] = count
        for word in words:
            tokens = _TOKENS.get(word)
            if tokens is None:
                tokens = word_tokens([word])[word]
            if len(tokens) != 1:
                self.phrases.add(term)
            for token in tokens:
                self.by_token[token].add(term)


class Weights:
    """IDF of terms from the claim index's own document counts (column ``text``).

    One definition of a term's count, whichever path asks: the claims the index finds for the term's
    words (``surfaces``: its synonym group, else a word of a claim for it), up to ``DF_SAMPLE`` (past that a
    term is common, whatever its exact count). A new note asks the index (``MATCH``, bounded: reading a
    common term's exact count walks its whole posting list, 40 ms for a term in a third of 1M claims);
    ``relink``, which needs every term, reads the same numbers from the index's vocabulary for a word the
    index's tokenizer makes one token of (``word_tokens``) and asks the rest (synonym groups, words of
    several tokens) the same way. Counts are kept in this process between notes (``_Counts``: exact, a
    change of claims drops the counts it can move), so a stored note's terms are not asked again.

    One ``Weights`` reads one snapshot: made and used inside one transaction that changes no claim."""

    _kept: dict[str, _Counts] = {}

    def __init__(self, n_claims: int, df: dict[str, int], db: str = "") -> None:
        self.n = max(n_claims, 1)
        self.df = df  # grows only through ``learn``, which keeps ``rare`` in step
        self.db = db
        self.direction = idf(self.n, max(1, self.n // 50))
        # the terms a key may use (2 ≤ count ≤ DF_CAP) as the (count, term) they are ranked by: a claim's
        # prefix is then a C-level map over its terms, not a Python test per term
        self.rare: dict[str, tuple[int, str]] = {t: (d, t) for t, d in df.items() if 2 <= d <= DF_CAP}
        self._idf: dict[str, float] = {}  # each term's weight, once (scoring asks for the same terms again and again)
        self.vocabulary: dict[str, int] | None = None  # the index's token -> claims (``relink``)
        self.kept = _Counts()  # not shared until ``load`` syncs the database's

    @classmethod
    def load(cls, conn: sqlite3.Connection, words: Mapping[str, str], *, vocabulary: bool = False) -> Weights:
        """Counts for the given terms (term -> a word of a claim for it, as ``Terms.surface``); with
        ``vocabulary`` (``relink``, which will learn every term) the index's vocabulary is read once."""
        n = conn.execute("SELECT coalesce(max(id), 0) FROM claims").fetchone()[0]
        db = str(conn.execute("PRAGMA database_list").fetchone()[2] or id(conn))
        weights = cls(n, {}, db)
        if len(cls._kept) > 32 and db not in cls._kept:
            cls._kept.clear()
        weights.kept = cls._kept.setdefault(db, _Counts())
        weights.kept.sync(conn)
        if vocabulary:
            weights.vocabulary = dict(conn.execute("SELECT term, doc FROM claims_vocab WHERE col = 'text'"))
        weights.learn(conn, words)
        return weights

    def learn(self, conn: sqlite3.Connection, words: Mapping[str, str]) -> None:
        """Add the document counts of terms not known yet (one statement for all of them), asking the
        index for each term's ``surfaces`` (or reading its vocabulary, when loaded, for a word of one
        token) unless this process holds its count (``_Counts``)."""
        asked: list[tuple[str, tuple[str, ...]]] = []
        df, kept = self.df, self.kept.counts
        for term, word in words.items():
            if term in df or term in DIRECTIONS:
                continue
            count = kept.get(term)
            if count is not None:
                self._count(term, count)
                continue
            group = tuple(w for w in surfaces(term, word) if '"' not in w)
            if group:
                asked.append((term, group))
        missing = []
        tokens = word_tokens(w for _, group in asked for w in group)  # once for all (``_Counts.keep`` too)
        for term, group in asked:
            made = tokens.get(group[0], ()) if len(group) == 1 else ()
            if len(made) == 1 and self.vocabulary is not None:  # the claims holding that one token
                self._remember(term, group, min(self.vocabulary.get(made[0], 0), DF_SAMPLE))
            else:
                missing.append((term, group, "text : (" + " OR ".join(f'"{w}"' for w in group) + ")"))
        for start in range(0, len(missing), 200):
            chunk = missing[start : start + 200]
            bounded = f"(SELECT count(*) FROM (SELECT 1 FROM claims_fts WHERE claims_fts MATCH ? LIMIT {DF_SAMPLE}))"
            sql = " UNION ALL ".join(f"SELECT {k}, {bounded}" for k in range(len(chunk)))
            try:
                counts = conn.execute(sql, [q for _, _, q in chunk]).fetchall()
            except sqlite3.OperationalError:  # a word the FTS parser cannot take: treat as unseen
                counts = [(k, 0) for k in range(len(chunk))]
            for k, count in counts:
                self._remember(chunk[k][0], chunk[k][1], count)

    def _remember(self, term: str, words: tuple[str, ...], count: int) -> None:
        self._count(term, count)
        self.kept.keep(term, words, count)

    def _count(self, term: str, count: int) -> None:
        self.df[term] = count
        self._idf.pop(term, None)
        if 2 <= count <= DF_CAP:
            self.rare[term] = (count, term)

    def doc_count(self, term: str) -> int:
        return self.df.get(term, 1)

    def __call__(self, term: str) -> float:
        weight = self._idf.get(term)
        if weight is None:
            weight = self.direction if term in DIRECTIONS else idf(self.n, self.df.get(term, 0) or 1)
            self._idf[term] = weight
        return weight


_TOKENS: dict[str, tuple[str, ...]] = {}  # word -> the index tokenizer's tokens (a pure function: never stale)


def _tokenize(texts: Sequence[str]) -> list[tuple[str, ...]]:
    """The tokens the index's own tokenizer (``FTS_TOKENIZE``, run by SQLite on a scratch table) makes of
    each text, in order."""
    if not texts:
        return []
    scratch = sqlite3.connect(":memory:")
    try:
        scratch.execute(f"CREATE VIRTUAL TABLE t USING fts5(w, tokenize='{FTS_TOKENIZE}')")
        scratch.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        scratch.executemany("INSERT INTO t(rowid, w) VALUES (?, ?)", enumerate(texts))
        made: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for token, row, offset in scratch.execute("SELECT term, doc, offset FROM v"):
            made[row].append((offset, token))
    finally:
        scratch.close()
    return [tuple(token for _, token in sorted(made[row])) for row in range(len(texts))]


def word_tokens(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The index tokens of each word: usually one; none or several for some ("decay_rate"). Our stems are
    Porter's too, but not always the index's ("technology": ours "technologi", the index's "technolog")."""
    words = set(words)
    if len(_TOKENS) > 500_000:
        _TOKENS.clear()
    todo = sorted(w for w in words if w not in _TOKENS)
    _TOKENS.update(zip(todo, _tokenize(todo), strict=True))
    return {w: _TOKENS[w] for w in words}


def words_of(analysed: Iterable[Terms | dict[str, str]]) -> dict[str, str]:
    """Each term of these claims (analysed, or their ``term_words``) with a word of a claim for it (the
    last claim's, as ``Weights.learn`` has always been given them)."""
    out: dict[str, str] = {}
    for terms in analysed:
        out.update(terms if isinstance(terms, dict) else terms.surface)
    return out


def prefix(terms: Terms, weights: Weights, size: int = PREFIX) -> list[tuple[int, str]]:
    """The claim's rarest terms that other claims have too, as (count, term), rarest first (ties broken
    by the term, so the choice is stable). A term the index has in this claim alone cannot find anything;
    a term the index does not know (a joined hyphenation) cannot be asked for."""
    return _rarest(terms.terms, weights, size)


def _rarest(terms: Iterable[str], weights: Weights, size: int) -> list[tuple[int, str]]:
    return sorted(filter(None, map(weights.rare.get, terms)))[:size]


def keys(terms: Terms, weights: Weights, size: int = PREFIX) -> set[tuple[str, str]]:
    """Candidate keys: pairs of the claim's rarest terms. A new note's claim asks the FTS index for the
    claims that contain one of its pairs; ``relink`` keys every claim by the pairs of its ``RELINK_PREFIX``
    rarest terms and scores claims that share one (close to the same rule without a query per claim)."""
    return set(_pairs(terms.terms, weights, size))


def _pairs(terms: Iterable[str], weights: Weights, size: int) -> Iterator[tuple[str, str]]:
    """``keys`` one by one (each once: a claim's rarest terms are distinct), from the claim's terms."""
    most = max(PAIR_CHANCE * weights.n, PAIR_FLOOR)
    for (da, a), (db, b) in itertools.combinations(_rarest(terms, weights, size), 2):
        if da * db <= most:
            yield (a, b) if a < b else (b, a)


# --------------------------------------------------------------------------- same work


def same_work(conn: sqlite3.Connection, note_ids: Iterable[str]) -> dict[str, set[str]]:
    """Each note with the notes that are one work with it (itself, its summary or its source clip)."""
    out: dict[str, set[str]] = {}
    for note_id in set(note_ids):
        group = {note_id}
        for a, b in conn.execute(
            "SELECT source_id, covered_by FROM notes WHERE id = ?1"
            " UNION SELECT src_id, dst_id FROM links WHERE rel = 'source' AND (src_id = ?1 OR dst_id = ?1)",
            (note_id,),
        ):
            group |= {x for x in (a, b) if x}
        out[note_id] = group
    return out


# --------------------------------------------------------------------------- incremental


def _group(words: dict[str, str], term: str) -> str:
    """The FTS words asked for one term of a claim (its synonym group, else the word the claim has;
    ``words``: the claim's ``Terms.surface``)."""
    return _group_of(term, words.get(term, term))


def _groups(words: dict[str, str], pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``_group`` of each term of these pairs."""
    return {t: _group_of(t, words.get(t, t)) for t in set(itertools.chain.from_iterable(pairs))}


@functools.lru_cache(maxsize=65_536)
def _group_of(term: str, seen: str) -> str:
    return "(" + " OR ".join(f'"{w}"' for w in surfaces(term, seen) if '"' not in w) + ")"


def _fts_pairs(words: dict[str, str], pairs: Iterable[tuple[str, str]]) -> str | None:
    pairs = sorted(pairs)
    groups = {term: _group(words, term) for term in {t for pair in pairs for t in pair}}
    ors = [f"({groups[a]} AND {groups[b]})" for a, b in pairs]
    return f"text : ({' OR '.join(ors)})" if ors else None


def _candidates(conn: sqlite3.Connection, words: dict[str, str], pairs: set[tuple[str, str]]) -> list[int]:
    query = _fts_pairs(words, pairs)
    if query is None:
        return []
    try:  # rare pairs match few claims: rank by bm25 (3x the cost) only when there are more than we score
        found = [r[0] for r in conn.execute(
            "SELECT rowid FROM claims_fts WHERE claims_fts MATCH ? LIMIT ?", (query, CANDIDATES + 1))]
        if len(found) <= CANDIDATES:
            return found
        return _ranked(conn, query)
    except sqlite3.OperationalError:  # a word the FTS parser cannot take: no candidates, never an error
        return []


def _ranked(conn: sqlite3.Connection, query: str) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT rowid FROM claims_fts WHERE claims_fts MATCH ? ORDER BY bm25(claims_fts, 1.0, 0.0, 0.0) LIMIT ?",
        (query, CANDIDATES),
    )]


class _Postings:
    """The claims holding each term group of a batch's keys, read once per batch (``BATCH_CLAIMS``).

    A batch of notes (an import) asks about the same rare terms again and again; one read of each
    group's claims, shared by every claim of the batch that keys on it, replaces one FTS query per claim.
    The answer is the same set: a claim matches ``(A AND B) OR (C AND D)`` exactly when it is in
    (claims of A ∩ claims of B) ∪ (claims of C ∩ claims of D), and an FTS query without ORDER BY returns
    rowids ascending. A group with more than ``DF_CAP`` claims (a count learned when it was rarer) or one
    the FTS parser cannot take is not kept: its claims take the one-query path. Memory: at most
    ``DF_CAP`` ids per group of this batch."""

    def __init__(self, conn: sqlite3.Connection, groups: Iterable[str]) -> None:
        self.conn = conn
        self.claims: dict[str, frozenset[int] | None] = {}  # None: too many claims, or not a valid query
        todo = sorted(set(groups))
        for start in range(0, len(todo), 200):
            self._read(todo[start : start + 200])

    def _read(self, chunk: list[str]) -> None:
        # one row per group, its claims as one string: a row per claim made ~150,000 tuples a batch (the
        # garbage collector ran ~200 times a batch for them)
        sql = " UNION ALL ".join(f"SELECT {k}, (SELECT group_concat(rowid) FROM (SELECT rowid FROM claims_fts"
                                 f" WHERE claims_fts MATCH ? LIMIT {DF_CAP + 1}))" for k in range(len(chunk)))
        try:
            rows = self.conn.execute(sql, ["text : " + g for g in chunk]).fetchall()
        except sqlite3.OperationalError:  # one group the parser cannot take spoils the statement: ask each
            if len(chunk) > 1:
                for group in chunk:
                    self._read([group])
            else:
                self.claims[chunk[0]] = None
            return
        for k, ids in rows:
            found = frozenset(map(int, ids.split(","))) if ids else frozenset()
            self.claims[chunk[k]] = found if len(found) <= DF_CAP else None

    def candidates(self, words: dict[str, str], pairs: set[tuple[str, str]], groups: dict[str, str]) -> list[int]:
        """What ``_candidates`` returns for these pairs (``groups``: each of their terms' ``_group``)."""
        if not pairs:
            return []
        claims = self.claims
        matched: set[int] = set()
        for a, b in pairs:
            in_a, in_b = claims.get(groups[a]), claims.get(groups[b])
            if in_a is None or in_b is None:
                return _candidates(self.conn, words, pairs)
            matched |= in_a & in_b
        if len(matched) <= CANDIDATES:
            return sorted(matched)
        query = _fts_pairs(words, pairs)
        assert query is not None
        return _ranked(self.conn, query)


def _claim_rows(conn: sqlite3.Connection, ids: Sequence[int]) -> list[tuple[int, str, str]]:
    rows: list[tuple[int, str, str]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows += conn.execute(
            f"SELECT c.id, c.note_id, {CLAIM_TEXT} FROM claims c WHERE c.id IN ({','.join('?' * len(chunk))})",
            list(chunk),
        ).fetchall()
    return rows


def sure(a: Terms, b: Terms, weight: Callable[[str], float], s: float) -> bool:
    """A pair scoring ``s`` is an echo on its own: from ``STRONG`` up and surely the same statement (no
    clause of its own on the larger side, ``claimterms.assertion``)."""
    return s >= STRONG and assertion(a, b, weight) >= SURE


def strong_ties(pairs: Iterable[tuple[int, int, str, str, float, bool]]) -> set[tuple[str, str]]:
    """Note pairs (both orders) about the same work or event, from their scored claim pairs (claim, other,
    note, other note, score, sure): one sure pair, or two claim pairs from ``STRONG`` up (a summary and
    the video of one essay; a lone close pair with an added clause is not enough: two news sentences,
    one with a fact of its own)."""
    strong: dict[tuple[str, str], set[tuple[int, int]]] = defaultdict(set)
    ties: set[tuple[str, str]] = set()
    for a, b, note, other_note, s, is_sure in pairs:
        if is_sure:
            ties |= {(note, other_note), (other_note, note)}
        elif s >= STRONG:
            strong[(note, other_note) if note <= other_note else (other_note, note)].add((min(a, b), max(a, b)))
    for (x, y), found in strong.items():
        if len(found) >= 2:
            ties |= {(x, y), (y, x)}
    return ties


def choose(scored: list[tuple[float, int, str, bool]], strong_notes: set[str]) -> list[tuple[float, int]]:
    """Links of one claim from its (score, other claim, other note, sure): a sure pair, or a score from
    ``THRESHOLD`` up when the two notes are tied (``strong_ties``: they are about the same thing, so a
    looser paraphrase — or one claim stating more — is far likelier the same claim than between two
    unrelated notes). None when it echoes too many notes (boilerplate), else the best ``MAX_LINKS``."""
    good = sorted(_good(scored, strong_notes), reverse=True)
    if len({item[2] for item in good}) > STORM_NOTES:
        return []
    return [(item[0], item[1]) for item in good[:MAX_LINKS]]


def _good(scored: list[tuple[float, int, str, bool]], strong_notes: set[str]) -> list[tuple[float, int, str, bool]]:
    """The pairs that would link: sure ones, and from ``THRESHOLD`` up between tied notes."""
    return [s for s in scored if s[3] or (s[0] >= THRESHOLD and s[2] in strong_notes)]


def _score_tied(conn: sqlite3.Connection, pending: list[tuple[int, str, list[tuple[float, int, str, bool]]]],
                tied: dict[str, set[str]], texts: dict[int, str], cache: dict[int, tuple[str, Terms, str]],
                weights: Weights) -> set[tuple[int, int]]:
    """Between a new note and the notes it is tied to, score every claim pair, not only those the new
    claim's keys found: the looser tied bar applies to them all, and which of two notes was stored first must
    not decide which pairs are seen (keys are the *new* claim's rarest terms). Few notes are tied to one note,
    and each has tens of claims: at most ``MAX_TIED_CLAIMS`` more scorings a claim. Returns
    the pairs added (the model is asked only about pairs a claim's own candidates gave, as before)."""
    added: set[tuple[int, int]] = set()
    others = sorted({o for ts in tied.values() for o in ts})
    if not others:
        return added
    rows = conn.execute(
        f"SELECT c.id, c.note_id, {CLAIM_TEXT} FROM claims c WHERE c.note_id IN ({','.join('?' * len(others))})"
        " ORDER BY c.note_id, c.position",
        others,
    ).fetchall()
    by_note: dict[str, list[int]] = defaultdict(list)
    fresh = []
    for other, other_note, text in rows:
        if other not in cache:
            cache[other] = (other_note, analyze(text), text)
            fresh.append(cache[other][1])
        by_note[other_note].append(other)
    weights.learn(conn, words_of(fresh))  # their terms' counts, as for found candidates
    for cid, note_id, scored in pending:
        have = {o for _, o, _, _ in scored}
        extra = [o for n in sorted(tied.get(note_id, ())) for o in by_note.get(n, ())][:MAX_TIED_CLAIMS]
        terms = None
        for o in extra:
            if o in have or o == cid:
                continue
            terms = terms or analyze(texts[cid])
            sc = score(terms, cache[o][1], weights)
            scored.append((sc, o, cache[o][0], sure(terms, cache[o][1], weights, sc)))
            added.add((cid, o))
    return added


def _verbatim(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def _storm(scored: list[tuple[float, int, str, bool]], strong_notes: set[str]) -> list[int]:
    """The other claims of a boilerplate claim (its echoes would span more than ``STORM_NOTES`` notes), else
    nothing."""
    good = _good(scored, strong_notes)
    return [s[1] for s in good] if len({s[2] for s in good}) > STORM_NOTES else []


def _unlink_among(conn: sqlite3.Connection, claims: list[int]) -> None:
    """Drop the links between these claims (both ways): copies of one boilerplate line linked one by one
    before the storm showed."""
    marks = ",".join("?" * len(claims))
    conn.execute(f"DELETE FROM echoes WHERE claim_id IN ({marks}) AND other_id IN ({marks})", [*claims, *claims])


def link_notes(conn: sqlite3.Connection, notes: Sequence[Note], borderline: list[Borderline] | None = None) -> int:
    """Find and store the echoes of freshly stored notes' claims (inside the caller's transaction).

    Work is per claim of these notes: one FTS query and up to ``CANDIDATES`` scorings each — or, for a
    batch of ``BATCH_CLAIMS`` or more (an import), one read per key group of the batch (``_Postings``),
    the same candidates for fewer statements; each candidate is read and analysed once. Links an
    export carried (``also_in``) are restored as method ``vault``. Returns the links written. Pairs
    scored within ``BORDER`` are added to ``borderline`` when a list is given (for ``judge``).
    """
    if not notes:
        return 0
    ids = [n.id for n in notes]
    own = conn.execute(
        f"SELECT c.id, c.note_id, c.position, {CLAIM_TEXT} FROM claims c"
        f" WHERE c.note_id IN ({','.join('?' * len(ids))})",
        ids,
    ).fetchall()
    works = same_work(conn, ids)
    words = {cid: term_words(text) for cid, _, _, text in own}  # a full analysis only for claims with candidates
    weights = Weights.load(conn, words_of(words.values()))
    written = 0
    texts = {cid: text for cid, _, _, text in own}
    keyed = {cid: set(_pairs(mine, weights, PREFIX)) for cid, mine in words.items() if len(mine) >= MIN_TERMS}
    found_of: dict[int, list[int]] = {}
    if len(keyed) >= BATCH_CLAIMS:
        groups = {cid: _groups(words[cid], pairs) for cid, pairs in keyed.items()}
        postings = _Postings(conn, (g for of in groups.values() for g in of.values()))
        for cid, mine in keyed.items():
            found_of[cid] = [c for c in postings.candidates(words[cid], mine, groups[cid]) if c != cid]
    else:
        for cid, mine in keyed.items():
            found_of[cid] = [c for c in _candidates(conn, words[cid], mine) if c != cid]
    # every candidate read and analysed once, and the counts of all their terms learned in one go (the
    # index does not change while a batch is linked, so neither do the counts or the scores)
    wanted = sorted({c for found in found_of.values() for c in found})
    rows = [(other, other_note, analyze(text), text) for other, other_note, text in _claim_rows(conn, wanted)]
    weights.learn(conn, words_of(a for _, _, a, _ in rows))
    cache: dict[int, tuple[str, Terms, str]] = {other: (n, a, text) for other, n, a, text in rows}
    del rows
    pending: list[tuple[int, str, list[tuple[float, int, str, bool]]]] = []
    for cid, note_id, _, _ in own:
        if cid not in keyed:
            continue
        scored = []
        if found := found_of[cid]:
            terms = analyze(texts[cid])
            for o in found:
                if o in cache and cache[o][0] not in works[note_id]:
                    sc = score(terms, cache[o][1], weights)
                    scored.append((sc, o, cache[o][0], sure(terms, cache[o][1], weights, sc)))
        pending.append((cid, note_id, scored))
    # a claim printed word for word in another note (a newsletter footer, a cookie line) echoes it but says
    # nothing about what the two notes are about: it does not tie them
    strong = strong_ties((cid, o, note_id, other_note, sc, ok) for cid, note_id, scored in pending
                         for sc, o, other_note, ok in scored if not _verbatim(texts[cid], cache[o][2]))
    strong |= _linked_works(conn, works)
    tied: dict[str, set[str]] = defaultdict(set)
    for mine, other in strong:
        tied[mine].add(other)
    extra = _score_tied(conn, pending, tied, texts, cache, weights)
    seen: set[tuple[int, int]] = set()
    for cid, note_id, scored in pending:
        links = choose(scored, tied.get(note_id, set()))
        if not links and (storm := _storm(scored, tied.get(note_id, set()))):
            _unlink_among(conn, storm)  # boilerplate found late: the links its first copies made go too
        written += store_links(conn, cid, links, METHOD)
        if borderline is None:
            continue
        chosen = {other for _, other in links}
        for sc, other, _, _ in scored:
            pair = (min(cid, other), max(cid, other))
            if BORDER[0] <= sc < BORDER[1] and pair not in seen and (cid, other) not in extra:
                seen.add(pair)
                borderline.append(Borderline(cid, other, note_id, sc, other in chosen, texts[cid], cache[other][2]))
    written += _restore_vault(conn, notes, {(n, p): c for c, n, p, _ in own})
    conn.execute("DELETE FROM claim_changes WHERE seq <= (SELECT max(seq) FROM claim_changes) - ?", (CHANGES_KEPT,))
    return written


def _linked_works(conn: sqlite3.Connection, works: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Notes already tied to a new note through its work: the other notes its summary or source clip
    echoes (a clip stored after its summary is about what the summary is about; ``relink`` sees this by
    keying claims by work)."""
    ties: set[tuple[str, str]] = set()
    for note_id, group in works.items():
        others = [n for n in group if n != note_id]
        if not others:
            continue
        rows = conn.execute(
            "SELECT DISTINCT b.note_id FROM claims a JOIN echoes e ON e.claim_id = a.id"
            f" JOIN claims b ON b.id = e.other_id WHERE a.note_id IN ({','.join('?' * len(others))})",
            others,
        )
        ties |= {(note_id, other) for (other,) in rows if other not in group}
    return ties


def store_links(conn: sqlite3.Connection, claim_id: int, links: list[tuple[float, int]], method: str) -> int:
    """Write links both ways, then keep the other side within ``MAX_LINKS`` too (drop its weakest)."""
    conn.execute("DELETE FROM echoes WHERE (claim_id = ?1 OR other_id = ?1) AND method = ?2", (claim_id, method))
    if not links:
        return 0
    conn.executemany(
        "INSERT OR REPLACE INTO echoes(claim_id, other_id, score, method) VALUES (?, ?, ?, ?)",
        [row for s, other in links for row in ((claim_id, other, s, method), (other, claim_id, s, method))],
    )
    for _, other in links:
        _trim(conn, other)
    return len(links)


def _trim(conn: sqlite3.Connection, claim_id: int) -> None:
    """Keep a claim within ``MAX_LINKS`` echoes: drop its weakest, both ways."""
    extra = conn.execute(
        "SELECT other_id FROM echoes WHERE claim_id = ? ORDER BY score DESC, other_id LIMIT -1 OFFSET ?",
        (claim_id, MAX_LINKS),
    ).fetchall()
    for (drop,) in extra:
        conn.execute(
            "DELETE FROM echoes WHERE (claim_id = ?1 AND other_id = ?2) OR (claim_id = ?2 AND other_id = ?1)",
            (claim_id, drop),
        )


# --------------------------------------------------------------------------- model verdicts


def ask(judge: Judge, pairs: Sequence[Borderline]) -> list[tuple[Borderline, bool]]:
    """Ask the model about borderline pairs, outside any transaction (a model may take seconds): at most
    ``judge.calls`` per stored note, those nearest the offline cut-off (``STRONG``) first. The first
    failure ends the asking: a model that is down costs one timeout, not one per pair."""
    per_note: dict[str, list[Borderline]] = defaultdict(list)
    for pair in pairs:
        per_note[pair.note_id].append(pair)
    verdicts: list[tuple[Borderline, bool]] = []
    for items in per_note.values():
        items.sort(key=lambda p: (abs(p.score - STRONG), p.claim_id, p.other_id))
        for pair in items[: max(judge.calls, 0)]:
            same = judge(pair.text, pair.other_text)
            if same is None:
                return verdicts
            verdicts.append((pair, same))
    return verdicts


def apply_verdicts(
    conn: sqlite3.Connection, verdicts: Sequence[tuple[Borderline, bool]], method: str
) -> tuple[int, int]:
    """Record the verdicts (inside the caller's transaction) and link what the model confirmed, unlink
    what it rejected (never a ``vault`` link: the user's vault asserted it). A pair whose claims are gone
    (the note was re-stored meanwhile and re-linked offline) is skipped. Returns (linked, unlinked)."""
    linked = unlinked = 0
    for pair, same in verdicts:
        a, b = pair.claim_id, pair.other_id
        if conn.execute("SELECT count(*) FROM claims WHERE id IN (?, ?)", (a, b)).fetchone()[0] < 2:
            continue
        conn.execute("INSERT OR REPLACE INTO echo_verdicts(claim_id, other_id, same, method) VALUES (?, ?, ?, ?)",
                     (min(a, b), max(a, b), int(same), method))
        both = "((claim_id = ?1 AND other_id = ?2) OR (claim_id = ?2 AND other_id = ?1))"
        if same:
            if conn.execute(f"SELECT 1 FROM echoes WHERE {both} AND method = 'vault'", (a, b)).fetchone():
                continue
            conn.executemany("INSERT OR REPLACE INTO echoes(claim_id, other_id, score, method) VALUES (?, ?, ?, ?)",
                             [(a, b, pair.score, method), (b, a, pair.score, method)])
            _trim(conn, a)
            _trim(conn, b)
            linked += not pair.linked
        elif conn.execute(f"DELETE FROM echoes WHERE {both} AND method != 'vault'", (a, b)).rowcount:
            unlinked += 1
    return linked, unlinked


def _restore_vault(conn: sqlite3.Connection, notes: Sequence[Note], ids: dict[tuple[str, int], int]) -> int:
    """The ``also_in`` links a vault file states, under detection's own rules: never within a note or its
    same-work note, at most ``MAX_LINKS`` a claim; a reference to no stored claim is skipped (logged)."""
    restored = 0
    works = same_work(conn, [n.id for n in notes if any(c.also_in for c in n.claims)])
    for note in notes:
        for position, claim in enumerate(note.claims, start=1):
            cid = ids.get((note.id, position))
            for ref in claim.also_in[:MAX_LINKS]:  # a vault file asserts at most as many as detection would find
                row = conn.execute(
                    "SELECT id FROM claims WHERE note_id = ? AND position = ?", (ref["note"], ref["claim"] + 1)
                ).fetchone()
                if row is None and cid is not None:
                    log.warning("%s claim %d: also_in %s claim %s is no stored claim; skipped",
                                note.id, position - 1, ref["note"], ref["claim"])
                if cid is None or row is None or row[0] == cid or ref["note"] in works.get(note.id, {note.id}):
                    continue
                exists = conn.execute(
                    "SELECT 1 FROM echoes WHERE claim_id = ? AND other_id = ?", (cid, row[0])
                ).fetchone()
                if not exists:
                    conn.executemany(
                        "INSERT OR IGNORE INTO echoes(claim_id, other_id, score, method) VALUES (?, ?, ?, 'vault')",
                        [(cid, row[0], THRESHOLD), (row[0], cid, THRESHOLD)],
                    )
                    _trim(conn, cid)
                    _trim(conn, row[0])
                    restored += 1
    return restored


# --------------------------------------------------------------------------- relink


_RELINK_WEIGHTS: Weights | None = None  # set in each relink worker process (inherited by fork)


def _key_range(path: str, lo: int, hi: int) -> tuple[bytes, bytes, int]:
    """Pass 1 of relink over claim ids [lo, hi): key hashes and their claims, from its own read-only
    connection (a worker process; hashes agree with the parent's because workers are forked)."""
    weights = _RELINK_WEIGHTS
    assert weights is not None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(f"SELECT c.id, {CLAIM_TEXT} FROM claims c WHERE c.id >= ? AND c.id < ?", (lo, hi))
        return _keys_of(conn, rows, weights)
    finally:
        conn.close()


_RELINK_WORK: list[dict[str, str]] = [{}]


def _score_pairs(path: str, pairs: list[tuple[int, int]]) -> list[tuple[int, int, float, str, str, bool, bool]]:
    """Pass 3 of relink for a slice of candidate pairs, in a worker process."""
    weights = _RELINK_WEIGHTS
    assert weights is not None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _score_rows(conn, pairs, weights, _RELINK_WORK[0])
    finally:
        conn.close()


def _score_rows(conn: sqlite3.Connection, pairs: list[tuple[int, int]], weights: Weights,
                work: dict[str, str]) -> list[tuple[int, int, float, str, str, bool, bool]]:
    """Score candidate pairs: (a, b, score, work of a, work of b, sure, word for word) for those from
    ``THRESHOLD`` up. Their terms' counts are learned first, as a new note learns its candidates'."""
    involved = sorted({c for pair in pairs for c in pair})
    claims = {cid: (work.get(note_id, note_id), analyze.__wrapped__(text), text)
              for cid, note_id, text in _claim_rows(conn, involved)}
    weights.learn(conn, words_of(terms for _, terms, _ in claims.values()))
    out = []
    for a, b in pairs:
        if a not in claims or b not in claims:
            continue
        (wa, ta, xa), (wb, tb, xb) = claims[a], claims[b]
        if wa == wb:
            continue
        s = score(ta, tb, weights)
        if s >= THRESHOLD:
            out.append((a, b, s, wa, wb, sure(ta, tb, weights, s), _verbatim(xa, xb)))
    return out


KEY_BLOCK = 5_000  # relink pass 1: claims whose unknown terms are counted in one go


def _keys_of(conn: sqlite3.Connection, rows: Iterable[tuple[int, str]], weights: Weights) -> tuple[bytes, bytes, int]:
    """Pass 1 of relink over some claims: the hash of each key with its claim, and how many claims were
    read. Only each claim's terms (and a word for each) are needed; the counts of terms not known yet are
    asked from the index a block of claims at a time, exactly as ``link_notes`` asks for a new note's
    (``Weights.learn``) — one definition of a term's count, so both paths choose the same keys."""
    hashes: array[int] = array("q")
    owners: array[int] = array("q")
    count = 0
    rows = iter(rows)
    while block := list(itertools.islice(rows, KEY_BLOCK)):
        count += len(block)
        keyed = [(cid, text, terms) for cid, text in block if len(terms := term_set(text)) >= MIN_TERMS]
        known = weights.df.__contains__
        missing: dict[str, str] = {}
        for _, text, terms in keyed:  # a word for each new term (most claims have none after a few blocks)
            if not all(map(known, terms)) and not all(map(known, terms - DIRECTIONS)):
                missing.update(term_words(text))
        weights.learn(conn, missing)
        for cid, _, terms in keyed:
            before = len(hashes)
            hashes.extend(map(hash, _pairs(terms, weights, RELINK_PREFIX)))
            owners.extend(itertools.repeat(cid, len(hashes) - before))
    return hashes.tobytes(), owners.tobytes(), count


def relink(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None = None,
           *, chunk: int = 50_000, processes: int | None = None) -> RelinkReport:
    """Rebuild every computed echo (inside the caller's transaction); ``vault`` links and a model's
    verdicts are kept (a pair a model judged is never re-decided offline).

    Three passes, memory linear in the claims (no pair matrix): (1) read and analyse every claim and
    record the hashes of its keys — in worker processes (one per core, forked) when the base is a
    file of more than one chunk; (2) sort the hashes (numpy) and take the claims that share one — a
    hash shared by more than ``STORM_BUCKET`` claims is boilerplate and skipped; (3) analyse just those
    claims again and score their candidates with the same rules as a new note.
    """
    import multiprocessing
    import os

    import numpy as np

    global _RELINK_WEIGHTS  # noqa: PLW0603 - handed to forked workers
    started = time.perf_counter()
    report = RelinkReport()
    weights = Weights.load(conn, {}, vocabulary=True)  # every term's count is learned as claims are keyed
    total = conn.execute("SELECT count(*) FROM claims").fetchone()[0]
    low, high = conn.execute("SELECT coalesce(min(id), 0), coalesce(max(id), -1) + 1 FROM claims").fetchone()
    path = conn.execute("PRAGMA database_list").fetchone()[2] or ""
    ranges = [(lo, min(lo + chunk, high)) for lo in range(low, high, chunk)]
    workers = processes if processes is not None else min(2, os.cpu_count() or 1)
    parts: list[tuple[bytes, bytes, int]] = []
    if path and len(ranges) > 1 and workers > 1:
        _RELINK_WEIGHTS = weights
        try:
            with multiprocessing.get_context("fork").Pool(workers, initializer=gc.disable) as pool:
                for part in pool.starmap(_key_range, [(path, lo, hi) for lo, hi in ranges], chunksize=1):
                    parts.append(part)
                    report.claims += part[2]
                    if progress:
                        progress(report.claims * 2 // 3, total)
        finally:
            _RELINK_WEIGHTS = None
    else:
        for lo, hi in ranges:
            rows = conn.execute(f"SELECT c.id, {CLAIM_TEXT} FROM claims c WHERE c.id >= ? AND c.id < ?", (lo, hi))
            parts.append(_keys_of(conn, rows, weights))
            report.claims += parts[-1][2]
            if progress:
                progress(report.claims * 2 // 3, total)
    report.keyed_seconds = time.perf_counter() - started
    hashes = b"".join(p[0] for p in parts)
    owners = b"".join(p[1] for p in parts)
    del parts
    key_arr = np.frombuffer(hashes, dtype=np.int64) if hashes else np.zeros(0, dtype=np.int64)
    own_arr = np.frombuffer(owners, dtype=np.int64) if owners else np.zeros(0, dtype=np.int64)
    order = np.argsort(key_arr, kind="stable")
    key_arr, own_arr = key_arr[order], own_arr[order]
    starts = np.flatnonzero(np.r_[True, key_arr[1:] != key_arr[:-1]]) if len(key_arr) else np.zeros(0, int)
    sizes = np.diff(np.r_[starts, len(key_arr)])
    pairs: set[tuple[int, int]] = set()
    for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
        if size > STORM_BUCKET:
            report.boilerplate += 1
            continue
        members = sorted(set(own_arr[start : start + size].tolist()))
        pairs.update(itertools.combinations(members, 2))
    del hashes, owners, key_arr, own_arr, order
    report.candidates = len(pairs)
    work = _works(conn)
    ordered = sorted(pairs)
    del pairs
    parallel = workers if len(ordered) > PARALLEL_PAIRS or processes is not None else 1
    share = -(-len(ordered) // max(parallel, 1)) if ordered else 1
    slices = [ordered[i : i + share] for i in range(0, len(ordered), share)]
    found: list[tuple[int, int, float, str, str, bool, bool]] = []
    if path and len(slices) > 1:
        _RELINK_WEIGHTS, _RELINK_WORK[0] = weights, work
        try:
            with multiprocessing.get_context("fork").Pool(len(slices), initializer=gc.disable) as pool:
                for part in pool.starmap(_score_pairs, [(path, piece) for piece in slices], chunksize=1):
                    found += part
        finally:
            _RELINK_WEIGHTS, _RELINK_WORK[0] = None, {}
    else:
        for piece in slices:
            found += _score_rows(conn, piece, weights, work)
    del slices
    # a claim printed word for word in another note ties nothing (as for a new note); between tied works
    # every claim pair is scored, not only those a key found (``_score_tied``)
    ties = strong_ties((a, b, wa, wb, s, ok) for a, b, s, wa, wb, ok, same in found if not same)
    found += _tied_pairs(conn, ties, work, weights, ordered)
    del ordered
    scored: dict[int, list[tuple[float, int, str, bool]]] = defaultdict(list)
    claims_work: dict[int, str] = {}
    for a, b, s, wa, wb, ok, _ in found:
        scored[a].append((s, b, wb, ok))
        scored[b].append((s, a, wa, ok))
        claims_work[a], claims_work[b] = wa, wb
    strong: dict[str, set[str]] = defaultdict(set)
    for mine, other in ties:
        strong[mine].add(other)
    chosen = {a: {b: s for s, b in choose(items, strong[claims_work[a]])} for a, items in scored.items()}
    judged = set(conn.execute("SELECT claim_id, other_id FROM echo_verdicts").fetchall())  # a model decided these
    rows = [(a, b, s, METHOD) for a, links in chosen.items() for b, s in links.items()
            if a in chosen.get(b, {}) and (min(a, b), max(a, b)) not in judged]
    conn.execute("DELETE FROM echoes WHERE method = ?", (METHOD,))
    conn.executemany("INSERT OR REPLACE INTO echoes(claim_id, other_id, score, method) VALUES (?, ?, ?, ?)", rows)
    report.links = len(rows) // 2
    report.seconds = time.perf_counter() - started
    if progress:
        progress(total, total)
    return report


def _tied_pairs(conn: sqlite3.Connection, ties: set[tuple[str, str]], work: dict[str, str], weights: Weights,
                done: list[tuple[int, int]]) -> list[tuple[int, int, float, str, str, bool, bool]]:
    """Relink's ``_score_tied``: each claim of a work scored against the first ``MAX_TIED_CLAIMS`` claims
    of the works tied to it (their notes by id, claims by position), but for the pairs a key already
    found (``done``, sorted). Rows as ``_score_rows``'s, from ``THRESHOLD`` up."""
    if not ties:
        return []
    tied: dict[str, set[str]] = defaultdict(set)
    for mine, other in ties:
        tied[mine].add(other)
    members: dict[str, set[str]] = defaultdict(set)
    for note_id, root in work.items():
        members[root].add(note_id)
    notes = sorted({n for w in tied for n in members.get(w) or {w}})
    rows = [r for start in range(0, len(notes), 500) for r in conn.execute(
        f"SELECT c.id, c.note_id, {CLAIM_TEXT} FROM claims c WHERE c.note_id IN"
        f" ({','.join('?' * len(notes[start:start + 500]))}) ORDER BY c.note_id, c.position", notes[start:start + 500])]
    claims = {cid: (work.get(note_id, note_id), analyze(text), text) for cid, note_id, text in rows}
    weights.learn(conn, words_of(terms for _, terms, _ in claims.values()))
    by_work: dict[str, list[int]] = defaultdict(list)
    for cid, note_id, _ in rows:  # each work's claims by note id, then position
        by_work[work.get(note_id, note_id)].append(cid)
    rank = {r[0]: i for i, r in enumerate(rows)}
    extra: set[tuple[int, int]] = set()
    out = []
    for w in sorted(tied):
        pool = sorted(itertools.chain.from_iterable(by_work[x] for x in tied[w]), key=rank.__getitem__)
        for c in by_work[w]:
            for o in pool[:MAX_TIED_CLAIMS]:
                pair = (c, o) if c < o else (o, c)
                if pair in extra or _found(done, pair):
                    continue
                extra.add(pair)
                (wa, ta, xa), (wb, tb, xb) = claims[pair[0]], claims[pair[1]]
                s = score(ta, tb, weights)
                if s >= THRESHOLD:
                    out.append((*pair, s, wa, wb, sure(ta, tb, weights, s), _verbatim(xa, xb)))
    return out


def _found(ordered: list[tuple[int, int]], pair: tuple[int, int]) -> bool:
    at = bisect.bisect_left(ordered, pair)
    return at < len(ordered) and ordered[at] == pair


def _works(conn: sqlite3.Connection) -> dict[str, str]:
    """Note id -> one id per work (a summary and its source clip share one)."""
    work: dict[str, str] = {}
    for a, b in conn.execute(
        "SELECT id, source_id FROM notes WHERE source_id IS NOT NULL"
        " UNION SELECT src_id, dst_id FROM links WHERE rel = 'source'"
    ):
        root = min(work.get(a, a), work.get(b, b))
        work[a] = work[b] = root
    return work


# --------------------------------------------------------------------------- reading


_ECHO_SQL = (
    "SELECT e.claim_id, e.other_id, e.score, e.method, n.id, n.title, n.kind, coalesce(n.url, src.url),"
    " c.position, c.text, c.label, c.quote, c.t, c.page, coalesce(n.owner, src.owner)"
    " FROM echoes e JOIN claims c ON c.id = e.other_id JOIN notes n ON n.id = c.note_id"
    " LEFT JOIN notes src ON src.id = n.source_id"
)


def echoes_of(conn: sqlite3.Connection, claim_ids: Sequence[int]) -> dict[int, list[Echo]]:
    """Echoes of each claim, best first."""
    out: dict[int, list[Echo]] = defaultdict(list)
    for start in range(0, len(claim_ids), 500):
        chunk = list(claim_ids[start : start + 500])
        for r in conn.execute(
            f"{_ECHO_SQL} WHERE e.claim_id IN ({','.join('?' * len(chunk))}) ORDER BY e.score DESC, e.other_id",
            chunk,
        ):
            out[r[0]].append(Echo(*r))
    return dict(out)


def note_echoes(conn: sqlite3.Connection, note_id: str) -> dict[int, list[Echo]]:
    """Echoes of a note's claims by claim position (1-based)."""
    ids = dict(conn.execute("SELECT id, position FROM claims WHERE note_id = ?", (note_id,)).fetchall())
    return {ids[cid]: found for cid, found in echoes_of(conn, list(ids)).items()}


def also_in(conn: sqlite3.Connection, note_id: str) -> dict[int, list[dict[str, Any]]]:
    """The export's ``also_in`` per claim position: ``{note: <id>, claim: <0-based index>}``."""
    return {
        position: [{"note": e.note_id, "claim": e.position - 1} for e in found]
        for position, found in note_echoes(conn, note_id).items()
    }
