"""Render a Note as markdown + YAML frontmatter (deskbot format 1) and name its vault file.

The frontmatter holds every structured field, so re-importing gives an equal note; the body
is a readable view (summary, claims with their places, highlights) followed by the source
text after ``<!-- deskbot:body -->``. Edit the frontmatter, not the view: the view is regenerated.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml

from bot.kb.noteformats import BODY_MARKER, FORMAT_MARK, YamlDumper
from bot.kb.notes import Claim, Note, Quote


def note_to_meta(note: Note) -> dict[str, Any]:
    """Frontmatter mapping; empty fields are left out to keep files readable."""
    meta: dict[str, Any] = {
        FORMAT_MARK: 1,
        "id": note.id,
        "title": note.title,
        "kind": note.kind,
        "url": note.url,
        "clipped": note.clipped,
        "slack_channel": note.channel,
        "owner": note.owner,
        "author": note.author,
        "site": note.site,
        "published": note.published,
        "tags": list(note.tags),
        "last_validated": note.last_validated,
        "decay_rate": note.decay_rate,
        "decay_reason": note.decay_reason,
        "source_id": note.source_id,
        "related": list(note.related),
        "flags": list(note.flags),
        "summary": note.summary,
        "claims": [_claim_dict(c) for c in note.claims],
        "highlights": [_quote_dict(q) for q in note.highlights],
        "quotes": [_quote_dict(q) for q in note.quotes],
        "sections": dict(note.sections),
        "validations": [
            _drop_empty({"at": v.at, "by": v.by, "verdict": v.verdict, "claim": v.claim})
            for v in note.validations
        ],
        "extra": dict(note.extra),
    }
    return {k: v for k, v in meta.items() if v not in (None, "", [], {})}


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v is not False and v != ""}


def _claim_dict(claim: Claim) -> dict[str, Any]:
    return _drop_empty(
        {
            "text": claim.text,
            "label": claim.label,
            "quote": claim.quote,
            "t": claim.t,
            "page": claim.page,
            "last_validated": claim.last_validated,
            "outdated": claim.outdated,
            "supported": claim.supported,
        }
    ) | ({"supported": False} if claim.supported is False else {}) | (
        {"also_in": [dict(ref) for ref in claim.also_in]} if claim.also_in else {}
    )


def _quote_dict(quote: Quote) -> dict[str, Any]:
    return _drop_empty({"text": quote.text, "heading": quote.heading, "speaker": quote.speaker, "t": quote.t})


def stamp(seconds: int) -> str:
    """``508`` → ``8:28`` (``1:02:03`` past an hour), as YouTube shows it."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def place_url(note: Note, claim: Claim) -> str | None:
    """Link to the claim's place in its note's source (None when the note has no URL). A paper whose
    claims come from an open full text (``extra.full_text_url``: PMC, a PDF) links into that text."""
    text_url = note.extra.get("full_text_url") if isinstance(note.extra, dict) else None
    if isinstance(text_url, str) and text_url.startswith(("https://", "http://")):
        return claim_link(text_url, claim)
    return claim_link(note.url, claim) if note.url else None


def claim_link(url: str, claim: Claim) -> str:
    """``watch?v=ID&t=Ns`` for videos, ``#page=N`` for PDFs (arXiv: the PDF, not the abstract page),
    a ``#:~:text=`` fragment for quotes, else the source itself."""
    from bot.kb.links import arxiv_id, youtube_id

    base, _, fragment = url.partition("#")
    if claim.t is not None:
        video = youtube_id(url)
        if video:
            return f"https://www.youtube.com/watch?v={video}&t={int(claim.t)}s"
        return f"{base}{'&' if '?' in base else '?'}t={int(claim.t)}s"
    if claim.page is not None:
        paper = arxiv_id(base)
        if paper:
            base = f"https://arxiv.org/pdf/{paper}"
        return f"{base}#page={claim.page}"
    if claim.quote:
        return f"{base}#{fragment}:~:text={text_fragment(claim.quote)}"
    return url


def text_fragment(quote: str) -> str:
    """A text directive: the whole quote up to 10 words, else ``start,end`` (5 words each), with
    everything percent-encoded — ``-``, ``,`` and ``&`` included, as they are the directive's syntax."""
    from urllib.parse import quote as pct

    def enc(text: str) -> str:
        return pct(text, safe="").replace("-", "%2D")

    words = quote.split()
    if len(words) > 10:
        return f"{enc(' '.join(words[:5]))},{enc(' '.join(words[-5:]))}"
    return enc(" ".join(words))


def claim_line(note: Note, claim: Claim) -> str:
    """One markdown bullet for a claim, with its place when known."""
    place = ""
    if claim.t is not None:
        link = place_url(note, claim)
        place = f" ([{stamp(claim.t)}]({link}))" if link else f" ({stamp(claim.t)})"
    elif claim.page is not None:
        place = f" (p. {claim.page})"
    label = f"**{claim.label}**{place} - " if claim.label else ""
    tail = "" if claim.label else place
    marks = " *(outdated)*" if claim.outdated else ""
    return f"- {label}{claim.text}{tail}{marks}"


def render_note(note: Note) -> str:
    """The whole file: frontmatter, readable view, body marker, source text."""
    meta = yaml.dump(
        note_to_meta(note), Dumper=YamlDumper, allow_unicode=True, sort_keys=False, width=10_000
    )
    view: list[str] = [f"# {note.title}", ""]
    if note.url:
        view += [f"> Source: <{note.url}>", ""]
    if note.summary:
        view += ["## Summary", "", note.summary, ""]
    if note.claims:
        heading = "Key Points" if note.kind == "video" and any(c.label for c in note.claims) else "Key Claims"
        view += [f"## {heading}", ""] + [claim_line(note, c) for c in note.claims] + [""]  # seed 004 says Key Points
    if note.highlights:
        view += ["## Highlights", ""]
        for q in note.highlights:
            view += _quote_view(note, q)
    if note.quotes:
        view += ["## Surprising Quotes", ""]
        for q in note.quotes:
            view += _quote_view(note, q)
    for name, text in note.sections.items():
        view += [f"## {name}", "", text, ""]
    if note.tags:
        view += ["## Tags", "", " ".join(f"#{t}" for t in note.tags), ""]
    view += ["## Transcript" if note.kind == "video" else "## Source text", ""]
    return f"---\n{meta}---\n\n" + "\n".join(view) + "\n" + BODY_MARKER + "\n" + note.body


def _quote_view(note: Note, q: Quote) -> list[str]:
    out = [f"### {q.heading}", ""] if q.heading else []
    out.append(f'> "{q.text}"')
    who = q.speaker or ""
    if q.t is not None:
        link = place_url(note, Claim(text="x", t=q.t))
        when = f"[{stamp(q.t)}]({link})" if link else stamp(q.t)
        who = f"{who}, {when}" if who else when
    if who:
        out.append(f"> -- {who}")
    return out + [""]


def slugify(title: str, max_len: int = 80) -> str:
    """File-system-safe slug: ascii, lowercase, dashes; never empty."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-").lower()
    return text[:max_len].rstrip("-") or "note"
