"""Acronyms and aliases learned from the base: "reinforcement learning from verifiable rewards (RLVR)".

Why: a team writes RLVR in one note and the long form in the next; ``/claim`` should find both. We mine
the two ways writers define an acronym — ``long form (ACR)`` and ``ACR (long form)`` — and accept one only
when the acronym's letters can be read, in order, from the long form with its first letter at the start
of a word (Schwartz & Hearst, 2003), so "the model (GPT-4)" is not taken for a definition. Users can add
and remove aliases; a removed alias is remembered, so mining never brings it back.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from bot.kb.claimterms import stem
from bot.kb.notes import one_line, title_key

MAX_TEXT = 200_000  # characters of a note mined (a 3 MB page costs no more than a long essay)
_ACRONYM = r"[A-Z][A-Za-z0-9&\-]{1,9}"
_PAREN_LONG = re.compile(rf"\b({_ACRONYM})[ \t]+\(([^()\n]{{4,120}})\)")


@dataclass(frozen=True)
class Alias:
    short: str
    long: str
    origin: str  # mined | user
    note_id: str | None


def key(text: str) -> str:
    """Match key of a long form: case, accents, punctuation and inflection do not count."""
    return " ".join(stem(w) for w in title_key(text).split())


def _short(token: str) -> str | None:
    """An acronym as defined: at least two capitals, a plural ``s`` dropped (``LLMs`` → ``LLM``)."""
    if token.endswith("s") and token[:-1].isupper():
        token = token[:-1]
    return token if sum(ch.isupper() for ch in token) >= 2 else None


def best_long_form(short: str, long: str) -> str | None:
    """The shortest tail of ``long`` whose characters spell ``short`` in order, its first letter at a word
    start (Schwartz & Hearst); None when it cannot."""
    s, i = len(short) - 1, len(long) - 1
    while s >= 0:
        ch = short[s].lower()
        if not ch.isalnum():
            s -= 1
            continue
        while i >= 0 and (long[i].lower() != ch or (s == 0 and i > 0 and long[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i -= 1
        s -= 1
    start = long.rfind(" ", 0, i + 1) + 1
    found = one_line(long[start:])
    words = found.split()
    if len(words) < 2 or len(words) > len(short) + 4 or not found[0].isalpha():
        return None
    return found


_PAREN_ACRONYM = re.compile(rf"\(({_ACRONYM})\)")
_WORDS_BEFORE = re.compile(r"((?:[\w'’\-]+[ \t]+){1,10})$")
_LOOKBACK = 200  # characters before "(ACR)" that can hold its long form (at most 10 words)


def mine(text: str) -> Iterator[tuple[str, str]]:
    """(short, long) pairs defined in ``text``.

    Anchored on the parentheses: each ``(ACR)`` looks back at most ``_LOOKBACK`` characters for its long
    form, so the cost grows with the text, not with the text times the words a match may span (a scan
    that tried a 10-word match at every word made importing notes six times slower).
    """
    text = (text or "")[:MAX_TEXT]
    if "(" not in text:
        return
    for m in _PAREN_ACRONYM.finditer(text):
        short = _short(m.group(1))
        before = _WORDS_BEFORE.search(text, max(0, m.start() - _LOOKBACK), m.start())
        if short and before:
            long = best_long_form(short, before.group(1).strip())
            if long:
                yield short, long
    for m in _PAREN_LONG.finditer(text):
        short = _short(m.group(1))
        inner = re.split(r"[;,:]", m.group(2))[0].strip()
        if short and inner and not inner.isupper():
            long = best_long_form(short, inner)
            if long and title_key(long) == title_key(inner):
                yield short, long


def learn(conn: sqlite3.Connection, note_id: str, texts: list[str]) -> int:
    """Store the aliases a note defines (inside the caller's transaction); returns how many were new."""
    found = {(s, key(lf)): lf for text in texts for s, lf in mine(text)}
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO aliases(short, long, long_key, origin, note_id) VALUES (?, ?, ?, 'mined', ?)",
        [(s, lf, key, note_id) for (s, key), lf in found.items()],
    )
    return conn.total_changes - before


def add(conn: sqlite3.Connection, short: str, long: str) -> Alias:
    short, long = one_line(short), one_line(long)
    if not short or not long or key(short) == key(long):
        raise ValueError("an alias needs a short form and a different long form")
    conn.execute(
        "INSERT INTO aliases(short, long, long_key, origin, note_id, removed) VALUES (?, ?, ?, 'user', NULL, 0)"
        " ON CONFLICT(short, long_key) DO UPDATE SET removed = 0, origin = 'user', long = excluded.long",
        (short, long, key(long)),
    )
    return Alias(short, long, "user", None)


def remove(conn: sqlite3.Connection, short: str, long: str | None = None) -> int:
    """Forget an alias (every long form of ``short`` unless one is given); mining will not re-add it."""
    sql = "UPDATE aliases SET removed = 1 WHERE short = ? COLLATE NOCASE AND removed = 0"
    args: list[str] = [one_line(short)]
    if long:
        sql += " AND long_key = ?"
        args.append(key(long))
    return conn.execute(sql, args).rowcount


def listing(conn: sqlite3.Connection) -> list[Alias]:
    return [Alias(*r) for r in conn.execute(
        "SELECT short, long, origin, note_id FROM aliases WHERE removed = 0 ORDER BY short COLLATE NOCASE, long_key"
    )]


def expansion(conn: sqlite3.Connection, topic: str) -> str | None:
    """The other form of a topic that is a known alias: the acronym of a long form, or the long form of
    an acronym (the one most notes define); None when the topic is neither."""
    wanted = key(topic)
    if not wanted:
        return None
    row = conn.execute(
        "SELECT short FROM aliases WHERE long_key = ? AND removed = 0 ORDER BY origin = 'user' DESC LIMIT 1",
        (wanted,),
    ).fetchone()
    if row:
        return row[0]
    row = conn.execute(
        "SELECT long FROM aliases WHERE short = ? COLLATE NOCASE AND removed = 0 GROUP BY long_key"
        " ORDER BY max(origin = 'user') DESC, count(*) DESC, long_key LIMIT 1",
        (one_line(topic),),
    ).fetchone()
    return row[0] if row else None
